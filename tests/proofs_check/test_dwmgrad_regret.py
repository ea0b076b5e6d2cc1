"""Every step of the DWMGrad regret derivation and every paper-gap instance is verified;
the trajectory checker rejects a plausible but false lemma on the same recorded runs."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import theory.dwmgrad as th
from proofs_check import dwmgrad_regret as dr
from proofs_check.core import check_trajectory, relative_slack


@pytest.mark.parametrize("step", dr.STEPS, ids=lambda s: f"{s.proof}:{s.name}")
def test_every_step_is_verified(step: dr.ProofStep) -> None:
    result = step.check()
    assert (result.proof, result.step) == (step.proof, step.name)
    assert result.status == "verified", result.detail
    if result.method == "numeric":
        assert result.instances >= 1000
    elif result.method == "trajectory":
        assert result.instances >= 1


def test_trajectory_steps_check_every_step_and_coordinate() -> None:
    steps = sum(config.horizon for config in dr.RUNS)
    coordinates = sum(config.horizon * config.problem(1).c.shape[1] for config in dr.RUNS)
    assert dr.trajectory_step("L6-run").instances == coordinates
    assert dr.trajectory_step("theorem-run").instances == steps
    assert {c.window_rule for c in dr.RUNS} == {"loss", "loss_decrease", "loss_increase"}


def test_a_false_lemma_is_caught_on_the_recorded_runs() -> None:
    # Dropping (1 - gamma)^(-3/2) from L4 ("|v_t| <= alpha sqrt(delta/t)") looks plausible
    # but momentum accumulates: the checker must report it violated with the bad record.
    too_small = th.VELOCITY_BOUND * (1 - th.gamma) ** sp.Rational(3, 2)

    def slack(**r: np.ndarray) -> np.ndarray:
        bound = th.per_round(too_small)(r["t"], r["alpha"], r["gamma"], r["eps"], r["delta"],
                                         r["lam"], r["G"], r["D"])
        return relative_slack(np.abs(r["v"]), bound)

    records = dr._per_coordinate(dr.recorded_runs())
    result = check_trajectory(dr.PROOF, "L4-false", "|v_t| <= alpha sqrt(delta/t)", slack,
                              records)
    assert result.status == "violated"
    ce = result.counterexample
    assert ce is not None
    bound = float(th.per_round(too_small)(ce["t"], ce["alpha"], ce["gamma"], ce["eps"],
                                          ce["delta"], ce["lam"], ce["G"], ce["D"]))
    assert abs(float(ce["v"])) > bound  # type: ignore[arg-type]


def test_unknown_trajectory_step_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="nonsense"):
        dr.trajectory_step("nonsense")


def test_least_squares_comparator_matches_cvxpy() -> None:
    cp = pytest.importorskip("cvxpy")
    problem = dr.least_squares_problem(300, 5, seed=2)
    value, x_best = problem.best_at(300)
    x = cp.Variable(5)
    objective = cp.Minimize(cp.sum_squares(problem.c @ x - problem.b) / 2)
    reference = cp.Problem(objective, [x >= problem.lo, x <= problem.hi])
    reference.solve()
    assert value == pytest.approx(reference.value, rel=1e-7)
    assert np.all((x_best >= problem.lo - 1e-12) & (x_best <= problem.hi + 1e-12))


def test_linear_comparator_is_a_corner_and_beats_random_points() -> None:
    problem = dr.linear_problem(200, 4, seed=5)
    value, x_best = problem.best_at(200)
    assert set(np.abs(x_best)) == {1.0}
    points = np.random.default_rng(0).uniform(-1.0, 1.0, (500, 4))
    totals = problem.c.sum(axis=0) @ points.T
    assert value <= totals.min()
