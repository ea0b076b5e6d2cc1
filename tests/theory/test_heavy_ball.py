"""Heavy ball on quadratics: Polyak's optimum, the Jordan effect, seed 001's momentum bound."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from proofs_check import heavy_ball as checks
from proofs_check.core import check_trajectory
from theory import heavy_ball as hb

FAST_STEPS = [s for s in checks.STEPS if not s.name.startswith("trajectory")]
TRAJECTORY_STEPS = [s for s in checks.STEPS if s.name.startswith("trajectory")]


@pytest.mark.parametrize("step", FAST_STEPS, ids=lambda s: s.name)
def test_every_step_is_verified(step: checks.ProofStep) -> None:
    result = step.check()
    assert (result.proof, result.step) == (step.proof, step.name)
    assert result.status == "verified", result.detail
    if result.method == "numeric":
        assert result.instances >= 1000


@pytest.mark.parametrize("step", TRAJECTORY_STEPS, ids=lambda s: s.name)
def test_trajectory_steps_hold_on_adaptive_hb_runs(step: checks.ProofStep) -> None:
    result = step.check()
    assert result.status == "verified", result.detail
    assert result.instances > 1000


def test_polyak_values_at_kappa_100() -> None:
    assert hb.bound("heavy_ball_polyak_step").evaluate(mu=1.0, L=100.0) == pytest.approx(4 / 121)
    assert hb.bound("heavy_ball_polyak_momentum").evaluate(mu=1.0, L=100.0) == pytest.approx(
        81 / 121)
    assert hb.bound("heavy_ball_optimal_rate").evaluate(kappa=100.0) == pytest.approx(9 / 11)
    assert hb.bound("gradient_descent_rate").evaluate(kappa=100.0) == pytest.approx(99 / 101)


@pytest.mark.parametrize("kappa", [1.5, 10.0, 100.0, 1e4])
def test_heavy_ball_rate_beats_gradient_descent(kappa: float) -> None:
    hb_rate = hb.bound("heavy_ball_optimal_rate").evaluate(kappa=kappa)
    gd_rate = hb.bound("gradient_descent_rate").evaluate(kappa=kappa)
    assert hb_rate < gd_rate


def test_jordan_fitted_rate_matches_spec_to_four_decimals() -> None:
    fitted = hb.bound("heavy_ball_jordan_fitted_rate").evaluate(kappa=100.0, k0=200, k1=400)
    assert round(fitted, 4) == 0.8210
    assert round(hb.bound("heavy_ball_optimal_rate").evaluate(kappa=100.0), 4) == 0.8182


@pytest.mark.parametrize("end", [1.0, 100.0])
def test_jordan_model_matches_iterating_the_matrix(end: float) -> None:
    """Iterate M(α*, β*, λ) at the spectrum's ends and fit log|e_k| over 200..400."""
    alpha, beta = 4 / 121, 81 / 121
    M = np.array([[1 + beta - alpha * end, -beta], [1.0, 0.0]])
    e, errors = np.array([1.0, 1.0]), []
    for _ in range(401):
        errors.append(abs(e[0]))
        e = M @ e
    window = np.arange(200, 401)
    slope = np.polyfit(window, np.log(np.asarray(errors)[200:401]), 1)[0]
    fitted = hb.bound("heavy_ball_jordan_fitted_rate").evaluate(kappa=100.0, k0=200, k1=400)
    assert math.exp(slope) == pytest.approx(fitted, abs=1e-4)
    assert math.exp(slope) > 9 / 11 + 2e-3  # the Jordan factor k is visible


def test_interior_eigenvalue_decays_at_rho_star_exactly() -> None:
    alpha, beta, lam = 4 / 121, 81 / 121, 50.0
    M = np.array([[1 + beta - alpha * lam, -beta], [1.0, 0.0]])
    assert np.abs(np.linalg.eigvals(M)).max() == pytest.approx(9 / 11, rel=1e-12)


def test_characteristic_polynomial_is_computed_from_the_matrix() -> None:
    poly = hb.characteristic_polynomial(sp.Rational(1, 10), sp.Rational(1, 2), 3)
    assert sp.expand(poly - (hb.z**2 - sp.Rational(12, 10) * hb.z + sp.Rational(1, 2))) == 0


def test_regularised_secant_can_push_momentum_above_beta_star() -> None:
    """Finding: with the +1e-6 regulariser, β_k > β* on AdaptiveHB runs once ‖d‖ is small."""
    records = checks.adaptive_hb_records()
    above = records["beta_k"] > records["beta_star"] * (1 + 1e-9)
    assert above.any()
    assert records["d_norm"][above].max() < 1e-5
    naive = check_trajectory("adaptive_hb_quadratic", "naive", "β_k ≤ β* on runs",
                             lambda beta_k, beta_star, **_: beta_star - beta_k, records)
    assert naive.status == "violated"
    assert naive.counterexample is not None
    worst_d = naive.counterexample["d_norm"]
    assert isinstance(worst_d, float) and worst_d < 1e-5


def test_regularised_bound_tends_to_beta_star_and_to_beta_max() -> None:
    b = hb.bound("adaptive_hb_momentum_regularised_secant")
    beta_star = hb.bound("heavy_ball_polyak_momentum").evaluate(mu=1.0, L=100.0)
    far = b.evaluate(mu=1.0, L=100.0, beta_max=0.99, d_norm=1e3, delta=1e-6)
    near = b.evaluate(mu=1.0, L=100.0, beta_max=0.99, d_norm=1e-12, delta=1e-6)
    assert beta_star < far < beta_star + 1e-8
    assert near == pytest.approx(0.99)


def test_derivations_refer_to_existing_steps() -> None:
    names = {(s.proof, s.name) for s in checks.STEPS}
    bounds = {b.name for b in hb.BOUNDS}
    for derivation in hb.DERIVATIONS:
        assert derivation.steps
        assert {(derivation.proof, n) for n in derivation.steps} <= names
        assert set(derivation.bounds) <= bounds
    covered = {(d.proof, n) for d in hb.DERIVATIONS for n in d.steps}
    assert covered == names


def test_pepit_reproduces_the_ghadimi_heavy_ball_example() -> None:
    tau, theory = hb.pepit_heavy_ball_worst_case(0.1, 1.0, 0.5, 2)
    assert tau == pytest.approx(0.753493, rel=1e-3)
    assert theory == pytest.approx(0.9025)
    assert tau <= theory * (1 + 1e-3)


@pytest.mark.parametrize("bad", [dict(mu_value=0.0), dict(alpha_value=2.0), dict(steps=0)])
def test_pepit_wrapper_rejects_bad_input(bad: dict[str, float]) -> None:
    args: dict[str, float] = dict(mu_value=0.1, L_value=1.0, alpha_value=0.5, steps=2)
    args.update(bad)
    with pytest.raises(ValueError, match=next(iter(bad)).split("_")[0]):
        hb.pepit_heavy_ball_worst_case(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_stability_edge_is_where_the_spectral_radius_reaches_one(momentum: float) -> None:
    """2(1 + beta), solved from the characteristic polynomial: the iteration matrix on the
    largest eigenvalue has spectral radius < 1 just below the edge and > 1 just above it."""
    edge = hb.stability_edge(momentum)
    assert edge == pytest.approx(2 * (1 + momentum))

    def radius(alpha_lambda: float) -> float:
        matrix = np.array([[1 + momentum - alpha_lambda, -momentum], [1.0, 0.0]])
        return float(np.abs(np.linalg.eigvals(matrix)).max())

    assert radius(edge * 0.999) < 1 < radius(edge * 1.001)
