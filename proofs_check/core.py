"""Proof steps and the three ways to check one: symbolically, numerically, on trajectories.

A proof step states one identity or inequality. :func:`check_symbolic` asks sympy to decide
it under the symbols' sign assumptions; :func:`check_numeric` evaluates its slack
(right side minus left side, >= 0 when the step holds) on seeded random instances;
:func:`check_trajectory` does the same on per-step quantities recorded from real optimizer
runs. Each returns a :class:`StepResult`; a violated step carries its worst instance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import sympy as sp

Method = Literal["symbolic", "numeric", "trajectory"]
Status = Literal["verified", "violated", "inconclusive"]
Relation = Literal["==", "<="]


@dataclass(frozen=True)
class StepResult:
    proof: str
    step: str
    statement: str
    method: Method
    status: Status
    worst_slack: float
    instances: int
    counterexample: Mapping[str, float] | None = None
    detail: str = ""

    def describe(self) -> dict[str, object]:
        return {
            "proof": self.proof,
            "step": self.step,
            "statement": self.statement,
            "method": self.method,
            "status": self.status,
            "worst_slack": self.worst_slack,
            "instances": self.instances,
            "counterexample": dict(self.counterexample) if self.counterexample else None,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class ProofStep:
    """One line of a proof: ``check()`` decides it and returns a :class:`StepResult`."""

    proof: str
    name: str
    statement: str
    check: Callable[[], StepResult] = field(repr=False)


def check_symbolic(
    proof: str, step: str, statement: str, lhs: sp.Expr, rhs: sp.Expr, relation: Relation
) -> StepResult:
    """Decide ``lhs == rhs`` or ``lhs <= rhs`` with sympy under the symbols' assumptions.

    Status is ``verified`` when sympy proves it, ``violated`` when sympy proves the
    opposite, and ``inconclusive`` when sympy cannot decide (use a numeric check then).
    """
    diff = sp.simplify(rhs - lhs)
    if relation == "==":
        decided = diff == 0 or diff.equals(0)
        status: Status = "verified" if decided else "inconclusive"
        if not decided and diff.is_zero is False:
            status = "violated"
    else:
        nonneg = diff.is_nonnegative
        status = "verified" if nonneg else ("violated" if nonneg is False else "inconclusive")
    return StepResult(proof, step, statement, "symbolic", status,
                      0.0 if status == "verified" else float("nan"), 0,
                      detail=f"rhs - lhs simplifies to {diff}")


Sampler = Callable[[np.random.Generator, int], dict[str, np.ndarray]]
SlackFn = Callable[..., np.ndarray]


def _judge(
    proof: str, step: str, statement: str, method: Method,
    instances: Mapping[str, np.ndarray], slack: np.ndarray, tol: float,
) -> StepResult:
    slack = np.asarray(slack, dtype=float).ravel()
    n = slack.size
    if n == 0:
        return StepResult(proof, step, statement, method, "inconclusive", float("nan"), 0,
                          detail="no instances")
    bad = ~np.isfinite(slack)
    if bad.any():
        i = int(np.argmax(bad))
        ce = {k: float(np.asarray(v).ravel()[i]) for k, v in instances.items()}
        return StepResult(proof, step, statement, method, "inconclusive", float("nan"), n, ce,
                          detail=f"{int(bad.sum())} non-finite slacks")
    i = int(np.argmin(slack))
    worst = float(slack[i])
    status: Status = "verified" if worst >= -tol else "violated"
    ce = None
    if status == "violated":
        ce = {k: float(np.asarray(v).ravel()[i]) for k, v in instances.items()}
    return StepResult(proof, step, statement, method, status, worst, n, ce,
                      detail=f"tolerance {tol:g}")


def check_numeric(
    proof: str, step: str, statement: str, slack: SlackFn, sampler: Sampler,
    n: int = 1000, seed: int = 0, tol: float = 1e-9,
) -> StepResult:
    """Evaluate ``slack(**instances)`` (>= -tol means the step holds) on ``n`` seeded draws."""
    if n < 1000:
        raise ValueError(f"numeric checks use at least 1000 instances, got n={n}")
    instances = sampler(np.random.default_rng(seed), n)
    return _judge(proof, step, statement, "numeric", instances, slack(**instances), tol)


def check_trajectory(
    proof: str, step: str, statement: str, slack: SlackFn,
    records: Mapping[str, np.ndarray], tol: float = 1e-9,
) -> StepResult:
    """Evaluate ``slack(**records)`` on quantities recorded at every step of real runs."""
    return _judge(proof, step, statement, "trajectory", records, slack(**records), tol)
