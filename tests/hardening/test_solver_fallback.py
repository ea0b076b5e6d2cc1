"""cvxpy failures: the first solver failing falls back to the second and the fallback is
recorded; both failing gives an unavailable optimum with the reason, never an exception, and
a run on that problem still completes, with the reason in its result file.

Failures are injected by wrapping ``cvxpy.Problem.solve`` so that the named solvers raise
``cvxpy.error.SolverError`` (what cvxpy raises when a solver breaks down).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cvxpy as cp
import numpy as np
import pytest

from experiments.problems import make_problem
from experiments.problems import regression as regression_module
from experiments.problems.solvers import SOLVERS, solve
from experiments.runner import run_specs
from experiments.spec import RunSpec
from experiments.store import ResultStore

FIRST, SECOND = SOLVERS[0][0], SOLVERS[1][0]
SMALL_SOLUTION = np.array([2.0, 0.0, -0.5])


@pytest.fixture
def failing_solvers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Call with solver names: from then on cvxpy raises SolverError for those solvers.
    Cached optima are cleared before and after, so no other test sees an injected failure."""
    original = cp.Problem.solve

    def install(*names: str) -> None:
        @functools.wraps(original)
        def solve_or_fail(self: cp.Problem, *args: Any, **kwargs: Any) -> Any:
            if kwargs.get("solver") in names:
                raise cp.error.SolverError(f"injected failure of {kwargs['solver']}")
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cp.Problem, "solve", solve_or_fail)
        regression_module.logistic_optimum.cache_clear()

    yield install
    monkeypatch.undo()
    regression_module.logistic_optimum.cache_clear()


def small_program() -> tuple[cp.Variable, cp.Problem]:
    """min ½‖x - c‖² + ‖x‖₁ (x* = soft-threshold(c, 1) = (2, 0, -0.5))."""
    x = cp.Variable(3)
    c = np.array([3.0, 0.5, -1.5])
    return x, cp.Problem(cp.Minimize(0.5 * cp.sum_squares(x - c) + cp.norm1(x)))


def test_both_solvers_work_untouched() -> None:
    result = solve(small_program)
    assert result.solver == FIRST and result.x is not None
    np.testing.assert_allclose(result.x, SMALL_SOLUTION, atol=1e-6)


def test_first_solver_failure_falls_back_and_is_recorded(
        failing_solvers: Callable[..., None]) -> None:
    failing_solvers(FIRST)
    result = solve(small_program)
    assert result.solver == SECOND and result.x is not None
    np.testing.assert_allclose(result.x, SMALL_SOLUTION, atol=1e-6)
    assert [a["solver"] for a in result.attempts] == [FIRST, SECOND]
    assert result.attempts[0]["status"] == "error"
    assert "injected failure" in result.attempts[0]["message"]
    assert result.info()["solver"] == SECOND


def test_both_failing_is_unavailable_with_the_reason(failing_solvers: Callable[..., None]
                                                     ) -> None:
    failing_solvers(FIRST, SECOND)
    result = solve(small_program)
    assert not result.available and result.x is None and result.value is None
    assert result.status == "failed"
    assert result.reason is not None and FIRST in result.reason and SECOND in result.reason
    assert "injected failure" in result.reason


def test_problem_with_failed_optimum_still_runs_and_records_why(
        failing_solvers: Callable[..., None], tmp_path: Path) -> None:
    """Logistic regression's x*, f* come only from cvxpy: with both solvers failing the problem
    builds without them, a run completes (its distance to x* is NaN, not a crash) and the
    result file carries the reason."""
    failing_solvers(FIRST, SECOND)
    problem = make_problem("logistic", (0,))
    assert problem.x_star is None and problem.f_star is None
    spec = RunSpec(experiment="solver_failure", problem="logistic", optimizer="Adam",
                   hyperparameters={"lr": 0.01}, seeds=(0, 1), horizon=5, record=("dist",))
    store = ResultStore(tmp_path)
    (record,) = run_specs([spec], store, progress=False)
    assert record.status == "ok", record.error
    assert np.isfinite(record.losses).all()
    assert np.isnan(record.extras["dist"]).all()
    meta = json.loads(store.paths(spec)[1].read_text())
    solver = meta["info"]["solver"]
    assert meta["info"]["x_star_available"] is False
    assert solver["status"] == "failed"
    assert FIRST in solver["reason"] and SECOND in solver["reason"]


@pytest.mark.slow
def test_problem_after_fallback_records_the_second_solver(
        failing_solvers: Callable[..., None]) -> None:
    failing_solvers(FIRST)
    problem = make_problem("logistic", (0,))
    assert problem.x_star is not None
    info = problem.info()["solver"]
    assert info["solver"] == SECOND
    assert [a["solver"] for a in info["attempts"]] == [FIRST, SECOND]
    # the fallback's optimum agrees with scikit-learn's (recorded cross-check)
    assert info["abs_difference_sklearn"] < 1e-6
