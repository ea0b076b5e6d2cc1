"""Every step of the DWMGrad regret derivation and every paper-gap instance is verified;
the trajectory checker rejects a plausible but false lemma on the same recorded runs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp

import theory.dwmgrad as th
from proofs_check import dwmgrad_regret as dr
from proofs_check import dwmgrad_trajectories as runs
from proofs_check.core import check_trajectory, relative_slack

SLOW_STEPS = {"L10", "rate"}
"""Steps whose check takes 13 s and 6 s of CPU (sympy simplify): in CI's slow step, and in
every `check` and `all`."""


@pytest.mark.parametrize("step", [pytest.param(s, marks=pytest.mark.slow)
                                  if s.name in SLOW_STEPS else s for s in dr.STEPS],
                         ids=lambda s: f"{s.proof}:{s.name}")
def test_every_step_is_verified(step: dr.ProofStep) -> None:
    result = step.check()
    assert (result.proof, result.step) == (step.proof, step.name)
    assert result.status == "verified", result.detail
    if result.method == "numeric":
        assert result.instances >= 1000
    elif result.method == "trajectory":
        assert result.instances >= 1


def test_trajectory_steps_check_every_step_and_coordinate() -> None:
    steps = sum(config.horizon for config in runs.RUNS)
    coordinates = sum(config.horizon * config.problem_params["d"] for config in runs.RUNS)
    assert dr.trajectory_step("L6-run").instances == coordinates
    assert dr.trajectory_step("theorem-run").instances == steps
    assert {c.window_rule for c in runs.RUNS} == {"loss", "loss_decrease", "loss_increase"}


def test_recorded_runs_come_from_the_experiments_runner() -> None:
    # x_{T+1} of the trajectory is the runner's x at round T+1, and R_t is the runner's.
    config = runs.RUNS[1]
    record = runs.run_spec(config.spec(50, regret=True))
    run = runs.record_run(config, 50)
    assert np.array_equal(run.x_next[-1], record.vector("x")[0, 50])
    assert run.regret is not None
    assert np.array_equal(run.regret, record.quantity("regret")[0, :50])


def test_a_run_on_the_real_line_has_no_regret() -> None:
    (gap,) = [g for g in th.PAPER_ALGORITHM_GAPS if not g.projected]
    run = runs.record_run(runs.gap_config(gap), 5)
    assert run.regret is None and run.x_star is None
    with pytest.raises(ValueError, match="'gap:no_projection' is on the real line"):
        run.final_regret()


def test_a_diverged_run_is_refused_not_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    def diverged(spec: runs.RunSpec) -> object:
        return dataclasses.replace(record_of(spec), status="diverged", diverged_at=3)

    record_of = runs.run_spec
    monkeypatch.setattr(runs, "run_spec", diverged)
    with pytest.raises(ValueError, match=r"'linear/loss' diverged \(diverged at 3\)"):
        runs.record_run(runs.RUNS[0], 5)


def test_a_game_must_be_online() -> None:
    config = dataclasses.replace(runs.RUNS[0], problem="quadratic", problem_params={"d": 2})
    with pytest.raises(ValueError, match="'quadratic' is not an online game"):
        config.game()


def test_a_false_lemma_is_caught_on_the_recorded_runs() -> None:
    # Dropping (1 - gamma)^(-3/2) from L4 ("|v_t| <= alpha sqrt(delta/t)") looks plausible
    # but momentum accumulates: the checker must report it violated with the bad record.
    too_small = th.VELOCITY_BOUND * (1 - th.gamma) ** sp.Rational(3, 2)

    def slack(**r: np.ndarray) -> np.ndarray:
        bound = th.per_round(too_small)(r["t"], r["alpha"], r["gamma"], r["eps"], r["delta"],
                                         r["lam"], r["G"], r["D"])
        return relative_slack(np.abs(r["v"]), bound)

    records = runs.per_coordinate(runs.recorded_runs())
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
