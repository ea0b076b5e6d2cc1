"""Optima from cvxpy with a fallback: Clarabel first, then SCS with tight tolerances.

:func:`solve` never raises for a solver failure: it returns a :class:`SolverResult` whose
``available`` is False and whose ``reason`` says what both solvers reported, and the problem
then marks x*/f* unavailable (experiments record the claim as inconclusive).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # cvxpy takes seconds to import: only problems that solve import it
    import cvxpy as cp

#: Solvers tried in order, with their options ("tight tolerances" for SCS).
SOLVERS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("CLARABEL", {}),
    ("SCS", {"eps_abs": 1e-10, "eps_rel": 1e-10, "max_iters": 200_000}),
)


@dataclass
class SolverResult:
    x: np.ndarray | None
    value: float | None
    solver: str | None
    status: str
    attempts: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None

    @property
    def available(self) -> bool:
        return self.x is not None

    def info(self) -> dict[str, Any]:
        return {"solver": self.solver, "status": self.status, "value": self.value,
                "attempts": self.attempts, "reason": self.reason}


def solve(build: Callable[[], tuple[cp.Variable, cp.Problem]],
          solvers: tuple[tuple[str, dict[str, Any]], ...] | None = None) -> SolverResult:
    """Solve the problem made by ``build()`` with each solver in turn until one is optimal
    (default: :data:`SOLVERS`)."""
    import cvxpy as cp

    attempts: list[dict[str, Any]] = []
    for name, options in SOLVERS if solvers is None else solvers:
        variable, problem = build()
        try:
            with warnings.catch_warnings():  # an inaccurate status is recorded, not warned
                warnings.simplefilter("ignore", UserWarning)
                problem.solve(solver=name, **options)
        except (cp.error.SolverError, ValueError, ArithmeticError) as exc:
            attempts.append({"solver": name, "status": "error", "message": str(exc)[:200]})
            continue
        attempts.append({"solver": name, "status": str(problem.status)})
        if problem.status == cp.OPTIMAL and variable.value is not None:
            return SolverResult(x=np.asarray(variable.value, dtype=np.float64),
                                value=float(problem.value), solver=name,
                                status=str(problem.status), attempts=attempts)
    reason = "; ".join(f"{a['solver']}: {a['status']}" + (f" ({a['message']})"
                                                           if "message" in a else "")
                       for a in attempts)
    return SolverResult(x=None, value=None, solver=None, status="failed", attempts=attempts,
                        reason=f"no solver reached an optimal solution ({reason})")
