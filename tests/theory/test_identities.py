"""Demon's schedule, Aida's projection closed forms and the ε floor, against the code too."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from proofs_check import identities as checks
from proofs_check.core import check_trajectory
from theory import identities as ids

BOUND = {b.name: b for b in ids.BOUNDS}


@pytest.mark.parametrize("step", checks.STEPS, ids=lambda s: s.name)
def test_every_step_is_verified(step: checks.ProofStep) -> None:
    result = step.check()
    assert (result.proof, result.step) == (step.proof, step.name)
    assert result.status == "verified", result.detail
    if result.method in ("numeric", "trajectory"):
        assert result.instances >= 1000


@pytest.mark.parametrize(("fraction", "value"), sorted(ids.DEMON_TABLE.items()))
def test_demon_values_match_spec(fraction: float, value: float) -> None:
    beta = BOUND["demon_schedule"].evaluate(beta_init=0.9, t=fraction * 1000, T=1000)
    assert round(beta, 6) == value


def test_demon_bound_matches_the_optimizers_schedule() -> None:
    from dwmgrad.demon import demon_beta

    steps = torch.arange(0, 1001, dtype=torch.float64)
    code = demon_beta(steps, 1000, 0.9).numpy()
    theory = BOUND["demon_schedule"].evaluate(beta_init=0.9, t=steps.numpy(), T=1000)  # type: ignore[arg-type]
    np.testing.assert_allclose(code, theory, rtol=0, atol=1e-15)
    assert np.all(np.diff(code) < 0)


def test_aida_k2_is_cos_squared_times_m_minus_g() -> None:
    rng = np.random.default_rng(1)
    g, m = rng.standard_normal((5, 7)), rng.standard_normal((5, 7))
    cos = np.sum(g * m, axis=1, keepdims=True) / (
        np.linalg.norm(g, axis=1, keepdims=True) * np.linalg.norm(m, axis=1, keepdims=True))
    np.testing.assert_allclose(checks.closed_form_residual(g, m, 2), cos**2 * (m - g),
                               rtol=1e-13)
    np.testing.assert_allclose(checks.closed_form_residual(g, m, 0), m - g)


def test_aida_residual_shrinks_geometrically_in_k() -> None:
    rng = np.random.default_rng(2)
    g, m = rng.standard_normal((50, 9)), rng.standard_normal((50, 9))
    norms = np.stack([np.linalg.norm(checks.closed_form_residual(g, m, 2 * i), axis=1)
                      for i in range(4)])
    assert np.all(norms[1:] <= norms[:-1])


def test_tiny_layers_feel_xi() -> None:
    """ξ = 1e-20 is not negligible once ‖a_K‖² is ~1e-20: the closed forms are its ξ → 0 limit."""
    g = np.full((1, 4), 1e-11)
    m = np.array([[1e-11, 2e-11, -1e-11, 3e-11]])
    a, b = checks._literal_projection(g, m, 2, 1e-20)
    assert not np.allclose(b - a, checks.closed_form_residual(g, m, 2), rtol=1e-3, atol=0)


def test_floor_is_exact_not_t_dependent() -> None:
    for t in (1, 2, 10, 1000):
        raw = BOUND["second_moment_raw_floor"].evaluate(epsilon=1e-8, beta2=0.999, t=t)
        assert raw / (1 - 0.999**t) == pytest.approx(1e-8 / 0.001, rel=1e-12)
    cap = BOUND["aida_step_multiplier_cap"].evaluate(
        alpha=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, t=1)
    assert cap == pytest.approx(1e-3 / 0.1 * np.sqrt(0.001 / 1e-8))


def test_floor_is_attained_on_zero_gradient_coordinates() -> None:
    rec = checks.second_moment_records()
    assert np.isclose(rec["s_hat"] / rec["floor"], 1.0, rtol=1e-12, atol=0).any()


def test_a_wrong_floor_is_caught_on_aida_runs() -> None:
    """The checker can fail: claiming ŝ_t ≥ 2ε/(1 − β₂) is violated on real runs."""
    result = check_trajectory("second_moment_floor", "wrong", "ŝ_t ≥ 2ε/(1 − β₂)",
                              lambda s_hat, floor, **_: s_hat / (2 * floor) - 1,
                              checks.second_moment_records())
    assert result.status == "violated"
    assert result.counterexample is not None


def test_derivations_refer_to_existing_steps() -> None:
    names = {(s.proof, s.name) for s in checks.STEPS}
    bounds = {b.name for b in ids.BOUNDS}
    for derivation in ids.DERIVATIONS:
        assert {(derivation.proof, n) for n in derivation.steps} <= names
        assert set(derivation.bounds) <= bounds
    covered = {(d.proof, n) for d in ids.DERIVATIONS for n in d.steps}
    assert covered == names
