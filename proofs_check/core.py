"""Proof steps and the ways to check one: symbolically, by numeric falsification, on
random instances, on trajectories.

A proof step states one identity or inequality. :func:`check_inequality` is the default: sympy
decides it under the symbols' sign assumptions (:func:`check_symbolic`) and, when sympy cannot,
:func:`proofs_check.falsify.falsify` searches the step's declared :class:`Domain` for an
instance that breaks it (method ``falsification``: "verified numerically (n instances, worst
slack s)" or ``violated`` with the worst instance). :func:`check_numeric` evaluates a slack
function (right side minus left side, >= 0 when the step holds) on seeded random instances,
for statements that are not one sympy expression (sums of variable length, matrices);
:func:`check_trajectory` does the same on per-step quantities recorded from real optimizer
runs. Each returns a :class:`StepResult`; a violated step carries its worst instance and
``decided_by`` counts the sub-checks by the method that decided them.

Writing a step (what a new proof module does)::

    STEPS: list[ProofStep] = []
    step = registrar(STEPS)
    DOMAIN = Domain((Var(alpha, 1e-6, 1e2), Var(gamma, 0.0, 1.0, "gap"), ...))

    @step("my_proof", "|eta_t g_t| <= STEP_BOUND")
    def l2(head: Head) -> StepResult:
        return check_inequality(*head, lhs_expr, th.STEP_BOUND, "<=", DOMAIN)

Compare with the registered objects (``theory`` expressions and ``Bound.expr``), never a
retyped copy: ``check --mutants`` (:mod:`proofs_check.mutants`) mutates those objects and
expects the steps that use them to fail.
"""

from __future__ import annotations

import functools
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np
import sympy as sp

from proofs_check.falsify import Domain, falsify, undefined_side

Instance = dict[str, "float | list[float]"]
#: How a (sub-)check was decided, from the strongest to the weakest evidence.
Method = Literal["symbolic", "falsification", "numeric", "trajectory"]
METHOD_WORDS: dict[str, str] = {"symbolic": "symbolic", "falsification": "numeric falsification",
                                "numeric": "random instances", "trajectory": "trajectory"}
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
    counterexample: Mapping[str, float | list[float]] | None = None
    detail: str = ""
    #: Sub-checks per method that decided them, e.g. {"symbolic": 3, "falsification": 1}.
    decided_by: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.decided_by:
            object.__setattr__(self, "decided_by", {self.method: 1})

    @property
    def decision(self) -> str:
        """How the step was decided, in words: "symbolic 3 + numeric falsification 1 (n=3285)"."""
        parts = [f"{METHOD_WORDS.get(m, m)} {k}" for m, k in self.decided_by.items()]
        numeric = self.instances > 0
        return " + ".join(parts) + (f" (n={self.instances})" if numeric else "")

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
            "decided_by": dict(self.decided_by),
            "decision": self.decision,
        }


@dataclass(frozen=True)
class ProofStep:
    """One line of a proof: ``check()`` decides it and returns a :class:`StepResult`."""

    proof: str
    name: str
    statement: str
    check: Callable[[], StepResult] = field(repr=False)


class Head(NamedTuple):
    """The first three arguments of every ``check_*`` call: ``check_symbolic(*head, ...)``."""

    proof: str
    step: str
    statement: str


StepFn = Callable[[Head], StepResult]


def registrar(steps: list[ProofStep]) -> Callable[[str, str], Callable[[StepFn], StepFn]]:
    """A decorator ``@step(proof, statement)`` that appends the function to ``steps``.

    The step's name is the function's name and its statement is written once, in the
    decorator; the function receives them as its :class:`Head`.
    """

    def step(proof: str, statement: str) -> Callable[[StepFn], StepFn]:
        def register(fn: StepFn) -> StepFn:
            head = Head(proof, fn.__name__, statement)
            steps.append(ProofStep(proof, fn.__name__, statement, functools.partial(fn, head)))
            return fn

        return register

    return step


@dataclass(frozen=True)
class Statement:
    """What one sub-check claimed, as recorded for an independent re-evaluation
    (:mod:`proofs_check.mutants`): ``lhs <relation> rhs`` on ``domain`` (None: the symbols'
    sign assumptions), or a slack function with its instance sampler and tolerance."""

    lhs: sp.Expr | None = None
    rhs: sp.Expr | None = None
    relation: Relation = "<="
    domain: Domain | None = None
    slack: Callable[..., np.ndarray] | None = None
    sampler: Callable[[np.random.Generator, int], dict[str, np.ndarray]] | None = None
    tol: float = 0.0


_RECORDER: ContextVar[list[Statement] | None] = ContextVar("statements", default=None)


@contextmanager
def recording() -> Iterator[list[Statement]]:
    """Collect the :class:`Statement` of every check made inside the ``with`` block."""
    statements: list[Statement] = []
    token = _RECORDER.set(statements)
    try:
        yield statements
    finally:
        _RECORDER.reset(token)


def _record(statement: Statement) -> None:
    found = _RECORDER.get()
    if found is not None:
        found.append(statement)


def _decide_nonnegative(expr: sp.Expr) -> bool | None:
    """``expr >= 0`` decided by sympy on several equivalent forms (None: undecided)."""
    for form in (expr, sp.expand(expr), sp.factor(expr), sp.together(expr), sp.cancel(expr),
                 sp.simplify(expr)):
        decided = form.is_nonnegative
        if decided is not None:
            return bool(decided)
    return None


def _decide_zero(expr: sp.Expr) -> bool | None:
    """``expr == 0`` decided by sympy (None: undecided)."""
    for form in (expr, sp.expand(expr), sp.simplify(expr), sp.radsimp(sp.expand(expr))):
        if form == 0:
            return True
    decided = expr.equals(0)
    if decided is None and expr.is_zero is False:
        return False
    return decided


def check_symbolic(
    proof: str, step: str, statement: str, lhs: sp.Expr, rhs: sp.Expr, relation: Relation,
    *, squares: bool = False,
) -> StepResult:
    """Decide ``lhs == rhs`` or ``lhs <= rhs`` with sympy under the symbols' assumptions.

    Status is ``verified`` when sympy proves it, ``violated`` when sympy proves the
    opposite, and ``inconclusive`` when sympy cannot decide (use a numeric check then).
    With ``squares=True`` both sides must be provably nonnegative and the squares are
    compared instead (``a <= b`` iff ``a^2 <= b^2`` for ``a, b >= 0``): the usual way to
    remove square roots.
    """
    _record(Statement(sp.sympify(lhs), sp.sympify(rhs), relation))
    return _symbolic(proof, step, statement, lhs, rhs, relation, squares)


def _symbolic(proof: str, step: str, statement: str, lhs: sp.Expr, rhs: sp.Expr,
              relation: Relation, squares: bool) -> StepResult:
    undefined = undefined_side(sp.sympify(lhs), sp.sympify(rhs))
    if undefined is not None:
        return StepResult(proof, step, statement, "symbolic", "violated", float("-inf"), 0,
                          detail=undefined)
    how = ""
    if squares:
        if not (_decide_nonnegative(lhs) and _decide_nonnegative(rhs)):
            return StepResult(proof, step, statement, "symbolic", "inconclusive", float("nan"),
                              0, detail="squares=True but a side is not provably >= 0")
        lhs, rhs, how = lhs**2, rhs**2, "squared sides: "
    diff = sp.simplify(rhs - lhs)
    decided = _decide_zero(diff) if relation == "==" else _decide_nonnegative(diff)
    status: Status = "verified" if decided else ("violated" if decided is False else
                                                 "inconclusive")
    return StepResult(proof, step, statement, "symbolic", status,
                      0.0 if status == "verified" else float("nan"), 0,
                      detail=f"{how}rhs - lhs simplifies to {diff}")


#: CPU seconds sympy may spend on one inequality of :func:`check_inequality` before the
#: numeric falsification decides it (a mutated expression can send simplify into hours).
SYMBOLIC_CPU_LIMIT = 60.0


class CheckTimeout(Exception):
    """A check ran out of its CPU budget (:func:`cpu_budget`)."""


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """Raise :class:`CheckTimeout` inside the block once it has used ``seconds`` of process
    CPU time (``ITIMER_PROF``). Only in the main thread and when no such timer is armed
    already; elsewhere the block runs unlimited."""
    usable = (threading.current_thread() is threading.main_thread()
              and hasattr(signal, "ITIMER_PROF")
              and signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0))
    if not usable:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise CheckTimeout(f"no decision within {seconds:g} s of CPU")

    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0.0)
        signal.signal(signal.SIGPROF, previous)


def check_inequality(
    proof: str, step: str, statement: str, lhs: sp.Expr, rhs: sp.Expr, relation: Relation,
    domain: Domain, *, squares: bool = False, seed: int = 0, tol: float = 1e-9,
) -> StepResult:
    """Decide ``lhs <relation> rhs`` on ``domain``: sympy first, numeric falsification second.

    sympy verified: ``symbolic``, verified. sympy proved the opposite: the falsification
    exhibits the instance (``violated``; the method says which decided it). sympy undecided
    (or out of :data:`SYMBOLIC_CPU_LIMIT` seconds of CPU):
    :func:`~proofs_check.falsify.falsify` maximises lhs - rhs over the domain and reports
    ``violated`` with the worst instance, ``verified`` numerically with n and the worst
    (relative) slack, or ``inconclusive`` with the reason. ``squares`` is passed to
    :func:`check_symbolic` (the falsification always compares the sides themselves).
    """
    _record(Statement(sp.sympify(lhs), sp.sympify(rhs), relation, domain))
    try:
        with cpu_budget(SYMBOLIC_CPU_LIMIT):
            symbolic = _symbolic(proof, step, statement, lhs, rhs, relation, squares)
    except CheckTimeout as exc:
        symbolic = StepResult(proof, step, statement, "symbolic", "inconclusive", float("nan"),
                              0, detail=f"sympy: {exc}")
    if symbolic.status == "verified" or undefined_side(sp.sympify(lhs), sp.sympify(rhs)):
        return symbolic
    found = falsify(lhs, rhs, relation, domain, seed=seed, tol=tol)
    instance = dict(found.instance) if found.instance is not None else None
    if symbolic.status == "violated":
        detail = f"sympy proves the opposite ({symbolic.detail}); {found.detail}"
        if found.status == "violated":
            return StepResult(proof, step, statement, "falsification", "violated",
                              found.worst_slack, found.instances, instance, detail)
        return StepResult(proof, step, statement, "symbolic", "violated", float("nan"), 0,
                          None, detail)
    detail = f"sympy undecided ({symbolic.detail}); {found.detail}"
    return StepResult(proof, step, statement, "falsification", found.status, found.worst_slack,
                      found.instances, instance, detail)


def combine(proof: str, step: str, statement: str, parts: Sequence[StepResult]) -> StepResult:
    """One step checked as a chain of sub-checks: verified iff every part is verified.

    The method is the weakest one used (trajectory < numeric < falsification < symbolic),
    ``decided_by`` counts the parts per method, the worst slack the
    smallest finite one among the parts evaluated on instances (all parts if none was), the
    instances the total, and a violated part's counterexample is kept.
    """
    if not parts:
        raise ValueError(f"step {step!r}: combine() needs at least one part")
    statuses = {p.status for p in parts}
    status: Status = ("violated" if "violated" in statuses else
                      "verified" if statuses == {"verified"} else "inconclusive")
    methods = [p.method for p in parts]
    method: Method = next(m for m in ("trajectory", "numeric", "falsification", "symbolic")
                          if m in methods)
    decided: Counter[str] = Counter()
    for p in parts:
        decided.update(p.decided_by)
    measured = [p for p in parts if p.instances > 0] or list(parts)  # symbolic slack is 0
    slacks = [p.worst_slack for p in measured if np.isfinite(p.worst_slack)]
    counterexample = next((p.counterexample for p in parts if p.status == "violated"), None)
    detail = "; ".join(f"[{p.statement}] {p.method} {p.status}: {p.detail}" for p in parts)
    order = [m for m in ("symbolic", "falsification", "numeric", "trajectory") if m in decided]
    return StepResult(proof, step, statement, method, status,
                      min(slacks) if slacks else float("nan"),
                      sum(p.instances for p in parts), counterexample, detail,
                      {m: decided[m] for m in order})


Sampler = Callable[[np.random.Generator, int], dict[str, np.ndarray]]
SlackFn = Callable[..., np.ndarray]


def _instance(instances: Mapping[str, np.ndarray], i: int, n: int) -> Instance:
    """Instance ``i`` of ``n``: arrays with ``n`` elements give a number, arrays with ``n``
    rows give that row (e.g. a whole random sequence), anything else is left out."""
    out: Instance = {}
    for name, values in instances.items():
        arr = np.asarray(values)
        if arr.size == n:
            out[name] = float(arr.ravel()[i])
        elif arr.ndim > 1 and arr.shape[0] == n:
            out[name] = [float(x) for x in arr[i].ravel()]
    return out


def _judge(
    proof: str, step: str, statement: str, method: Method,
    instances: Mapping[str, np.ndarray], slack: np.ndarray, tol: float,
) -> StepResult:
    slack = np.asarray(slack, dtype=float).ravel()
    n = slack.size
    if n == 0:
        return StepResult(proof, step, statement, method, "inconclusive", float("nan"), 0,
                          detail="no instances")
    if np.any(slack == -np.inf):     # relative_slack: a side is not a real number there
        i = int(np.argmax(slack == -np.inf))
        return StepResult(proof, step, statement, method, "violated", float("-inf"), n,
                          _instance(instances, i, n),
                          detail="a side is not a real number at this instance")
    bad = ~np.isfinite(slack)
    if bad.any():
        ce = _instance(instances, int(np.argmax(bad)), n)
        return StepResult(proof, step, statement, method, "inconclusive", float("nan"), n, ce,
                          detail=f"{int(bad.sum())} non-finite slacks")
    i = int(np.argmin(slack))
    worst = float(slack[i])
    status: Status = "verified" if worst >= -tol else "violated"
    worst_instance = _instance(instances, i, n) if status == "violated" else None
    return StepResult(proof, step, statement, method, status, worst, n, worst_instance,
                      detail=f"tolerance {tol:g}")


def check_numeric(
    proof: str, step: str, statement: str, slack: SlackFn, sampler: Sampler,
    n: int = 1000, seed: int = 0, tol: float = 1e-9,
) -> StepResult:
    """Evaluate ``slack(**instances)`` (>= -tol means the step holds) on ``n`` seeded draws."""
    if n < 1000:
        raise ValueError(f"numeric checks use at least 1000 instances, got n={n}")
    _record(Statement(slack=slack, sampler=sampler, tol=tol))
    instances = sampler(np.random.default_rng(seed), n)
    return _judge(proof, step, statement, "numeric", instances, slack(**instances), tol)


def check_trajectory(
    proof: str, step: str, statement: str, slack: SlackFn,
    records: Mapping[str, np.ndarray], tol: float = 1e-9,
) -> StepResult:
    """Evaluate ``slack(**records)`` on quantities recorded at every step of real runs."""
    return _judge(proof, step, statement, "trajectory", records, slack(**records), tol)


TrajectorySpec = tuple[str, str, SlackFn, bool]
"""(step, statement, slack, per coordinate?) of a step checked on recorded runs."""


def check_recorded_step(
    proof: str, specs: Sequence[TrajectorySpec], name: str,
    records: Callable[[bool], Mapping[str, np.ndarray]], tol: float,
) -> StepResult:
    """Check the step ``name`` of ``specs`` with :func:`check_trajectory` on
    ``records(per_coordinate)`` (the per-coordinate or the per-round records of the runs)."""
    spec = next((s for s in specs if s[0] == name), None)
    if spec is None:
        raise ValueError(f"unknown trajectory step {name!r}; expected one of "
                         f"{[s[0] for s in specs]}")
    _, statement, slack, per_coordinate = spec
    return check_trajectory(proof, name, statement, slack, records(per_coordinate), tol=tol)


def relative_slack(lhs: np.ndarray | float | complex, rhs: np.ndarray | float | complex
                   ) -> np.ndarray:
    """``(rhs - lhs) / max(1, |lhs|, |rhs|)``: a slack whose tolerance is relative for large
    quantities and absolute near zero (float64 rounding scales with the magnitudes). Where a
    side is not a real number (a non-negligible imaginary part) the slack is -inf: no real
    inequality holds there, and :func:`check_numeric` reports the step violated."""
    left_c, right_c = np.asarray(lhs, dtype=complex), np.asarray(rhs, dtype=complex)
    left, right = left_c.real, right_c.real
    slack = (right - left) / np.maximum(1.0, np.maximum(np.abs(left), np.abs(right)))
    nonreal = ((np.abs(left_c.imag) > 1e-12 * np.maximum(1.0, np.abs(left)))
               | (np.abs(right_c.imag) > 1e-12 * np.maximum(1.0, np.abs(right))))
    return np.where(nonreal, -np.inf, slack)
