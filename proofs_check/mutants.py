r"""Mutation testing of the proof checker: break a registered lemma, see the checker fail.

A *target* is a registered sympy object of a derivation (a lemma's bound in
:mod:`theory.dwmgrad`, Polyak's tuning in :mod:`theory.heavy_ball`, Demon's schedule and Aida's
closed forms in :mod:`theory.identities`). :func:`mutants` changes it at every applicable site:

- ``drop factor``: one non-numeric factor of a product removed;
- ``halve`` / ``double``: the whole expression times 1/2 or 2 (its constant);
- ``flip exponent``: a power's exponent negated (``sqrt(delta)`` -> ``1/sqrt(delta)``);
- ``remove term``: one term of a sum removed.

:func:`run_mutant` puts the mutant in place of the target (module attribute; the proof module
is reloaded so that its module-level numeric twins see it), runs the steps of the proof module
that use the target (found by walking the sources: a step's function, the helpers it calls and
the theory functions that read the target; trajectory steps on recorded runs are left out),
stopping at the first step reported violated once the oracle also exhibits a violation, and
restores the original.

Each mutant is classified **independently of the checker** by :func:`oracle`: every statement
those steps made (recorded by :func:`proofs_check.core.recording`) is re-evaluated densely, a
product grid over its domain of at most 60,000 points with candidates confirmed by sympy at 25
and 50 digits, and every random-instance slack on 20,000 fresh instances with another seed. A
mutant is *false* when a violating instance is exhibited, otherwise *still true* (with the
smallest relative slack seen). Score = false mutants the checker reports violated / false
mutants. ``dwmgrad-verify check --mutants`` prints it with every surviving false mutant (and
why: the checker's verdict on its steps) and every still-true mutant with its slack.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import multiprocessing
import resource
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Literal

import numpy as np
import sympy as sp

from proofs_check.core import ProofStep, StepResult, recording
from proofs_check.core import Statement as Claim
from proofs_check.falsify import Domain

#: (theory module, proof module, registered objects) of the derivations under test.
TARGETS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("theory.dwmgrad", "proofs_check.dwmgrad_regret",
     ("STEP_BOUND", "INV_STEP_BOUND", "VELOCITY_BOUND", "DISTANCE_TERM", "MOMENTUM_TERM_STEP",
      "MOMENTUM_TERM", "STEP_TERM_STEP", "STEP_TERM", "REGRET_EXPR", "RATE_CONSTANT")),
    ("theory.heavy_ball", "proofs_check.heavy_ball",
     ("ALPHA_STAR", "BETA_STAR", "RHO_STAR", "RHO_STAR_KAPPA", "GD_RATE_KAPPA", "GD_STEP")),
    ("theory.identities", "proofs_check.identities",
     ("DEMON_BETA", "DEMON_ODDS", "DEMON_DERIVATIVE", "EVEN_P", "ODD_P", "ODD_Q",
      "RESIDUAL_EVEN", "RESIDUAL_ODD", "RAW_FLOOR", "CORRECTED_FLOOR", "AIDA_CAP")),
)
#: Oracle: a grid of at most this many points per statement.
GRID_POINTS = 60_000
#: CPU seconds a mutant's checks may take (its own forked process), and the wall-clock backstop.
CPU_LIMIT = 240
WALL_LIMIT = 3600
#: Oracle: a relative slack below -this, confirmed at high precision, is a violation.
ORACLE_TOL = 1e-6

Truth = Literal["false", "still true"]


@dataclass(frozen=True)
class Mutant:
    theory: str
    proof_module: str
    target: str
    operator: str
    site: str
    expr: sp.Expr

    @property
    def name(self) -> str:
        return f"{self.target}: {self.operator} {self.site}"


@dataclass(frozen=True)
class Outcome:
    """A mutant's classification by the oracle and what the checker reported on its steps."""

    mutant: Mutant
    truth: Truth
    oracle_slack: float
    oracle_detail: str
    reported: str
    checker_detail: str
    steps: tuple[str, ...]

    @property
    def caught(self) -> bool:
        return self.reported == "violated"


# --- mutation sites -----------------------------------------------------------------------
def _walk(expr: sp.Basic, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...],
                                                                        sp.Basic]]:
    yield path, expr
    for i, arg in enumerate(expr.args):
        yield from _walk(arg, (*path, i))


def _replace(expr: sp.Basic, path: tuple[int, ...], new: sp.Basic) -> sp.Basic:
    if not path:
        return new
    args = list(expr.args)
    args[path[0]] = _replace(args[path[0]], path[1:], new)
    return expr.func(*args)


def sites(expr: sp.Expr) -> list[tuple[str, str, sp.Expr]]:
    """Every (operator, site, mutated expression) of ``expr``, without repeats or no-ops."""
    out: list[tuple[str, str, sp.Expr]] = [("double", "", 2 * expr), ("halve", "", expr / 2)]
    for path, node in _walk(expr):
        if isinstance(node, sp.Mul):
            for i, arg in enumerate(node.args):
                if not arg.is_Number:
                    rest = node.args[:i] + node.args[i + 1:]
                    out.append(("drop factor", str(arg), _replace(expr, path, sp.Mul(*rest))))
        elif isinstance(node, sp.Add):
            for i, arg in enumerate(node.args):
                rest = node.args[:i] + node.args[i + 1:]
                out.append(("remove term", str(arg), _replace(expr, path, sp.Add(*rest))))
        elif isinstance(node, sp.Pow):
            out.append(("flip exponent", str(node), _replace(expr, path,
                                                              sp.Pow(node.base, -node.exp))))
    seen = {expr}
    unique = []
    for operator, site, mutated in out:
        if mutated not in seen and mutated.free_symbols:
            seen.add(mutated)
            unique.append((operator, site, mutated))
    return unique


def mutants(targets: Sequence[tuple[str, str, tuple[str, ...]]] = TARGETS) -> list[Mutant]:
    """Every mutant of every target."""
    out = []
    for theory_name, proof_name, names in targets:
        theory = importlib.import_module(theory_name)
        for name in names:
            for operator, site, expr in sites(getattr(theory, name)):
                out.append(Mutant(theory_name, proof_name, name, operator, site, expr))
    return out


#: The order in which :func:`spread` takes a target's mutants: one per operator in turn.
OPERATORS = ("drop factor", "flip exponent", "remove term", "halve", "double")


def spread(chosen: Sequence[Mutant], per_target: int | None) -> list[Mutant]:
    """At most ``per_target`` mutants of each target, one per operator in turn (the order of
    :data:`OPERATORS`, sites in order within an operator); all if None."""
    if per_target is None:
        return list(chosen)
    out: list[Mutant] = []
    for target in dict.fromkeys((m.theory, m.target) for m in chosen):
        own = [m for m in chosen if (m.theory, m.target) == target]
        by_operator = [[m for m in own if m.operator == op] for op in OPERATORS]
        turns = itertools.chain.from_iterable(itertools.zip_longest(*by_operator))
        out += [m for m in turns if m is not None][:per_target]
    return out


# --- which steps use a target --------------------------------------------------------------
def _references(module: ModuleType, theory: ModuleType) -> dict[str, set[str]]:
    """Top-level name of ``module`` -> the theory attributes and top-level names it uses."""
    aliases = {k for k, v in vars(module).items() if v is theory}
    tree = ast.parse(inspect.getsource(module))
    out: dict[str, set[str]] = {}
    for node in tree.body:
        names: list[str] = []
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names = [node.name]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
        used: set[str] = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) \
                    and sub.value.id in aliases:
                used.add(sub.attr)
            elif isinstance(sub, ast.Name):
                used.add(sub.id)
        for name in names:
            out.setdefault(name, set()).update(used - {name})
    return out


def _closure(name: str, refs: dict[str, set[str]]) -> set[str]:
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(refs.get(current, ()))
    return seen


def _function_name(step: ProofStep) -> str:
    fn = getattr(step.check, "func", step.check)
    return str(getattr(fn, "__name__", ""))


def dependent_steps(mutant: Mutant, module: ModuleType) -> list[ProofStep]:
    """The steps of ``module`` whose function (with the helpers and theory functions it
    calls) reads the target; trajectory steps are left out."""
    theory = importlib.import_module(mutant.theory)
    refs = _references(module, theory)
    theory_refs = _references(theory, theory)
    reading = {name for name in theory_refs
               if mutant.target in _closure(name, theory_refs) and name != mutant.target}
    chosen = []
    for step in module.STEPS:
        used = _closure(_function_name(step), refs)
        if "check_trajectory" in used:
            continue
        if mutant.target in used or used & {n for n in reading
                                            if inspect.isfunction(getattr(theory, n, None))}:
            chosen.append(step)
    return chosen


# --- the independent oracle ----------------------------------------------------------------
def _precise_slack(claim: Claim, point: dict[sp.Symbol, float], digits: int) -> float:
    assert claim.lhs is not None and claim.rhs is not None
    subs = {s: sp.Float(v, digits + 10) for s, v in point.items()}
    left = complex(claim.lhs.evalf(digits, subs=subs))
    right = complex(claim.rhs.evalf(digits, subs=subs))
    gap = complex((claim.rhs - claim.lhs).evalf(digits, subs=subs)).real
    scale = max(abs(left), abs(right))
    if scale == 0:
        return 0.0
    return (gap if claim.relation == "<=" else -abs(gap)) / scale


def _dense(claim: Claim) -> tuple[float, dict[str, float] | None]:
    """Smallest relative slack of an expression claim on a grid; the violating point if any."""
    assert claim.lhs is not None and claim.rhs is not None
    try:
        box, _ = (claim.domain or Domain()).covering(claim.lhs.free_symbols
                                                     | claim.rhs.free_symbols)
    except ValueError:
        return float("inf"), None
    symbols = [v.symbol for v in box.variables]
    if not symbols:
        return _precise_slack(claim, {}, 50), None
    per_axis = max(2, min(50, int(GRID_POINTS ** (1 / len(symbols)))))
    axes = [np.unique(np.concatenate([v.at(np.linspace(0, 1, per_axis)), v.corners()]))
            for v in box.variables]
    total = int(np.prod([a.size for a in axes]))
    grid = itertools.islice(itertools.product(*axes), 4 * GRID_POINTS)
    points = np.array(list(grid), dtype=float).reshape(min(total, 4 * GRID_POINTS), -1)
    cols = [points[:, i] for i in range(len(symbols))]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            left = np.asarray(sp.lambdify(symbols, claim.lhs, "numpy")(*cols), dtype=complex)
            right = np.asarray(sp.lambdify(symbols, claim.rhs, "numpy")(*cols), dtype=complex)
        except (TypeError, ValueError, NameError, ZeroDivisionError, OverflowError):
            return float("inf"), None
        left, right = np.broadcast_to(left, cols[0].shape), np.broadcast_to(right, cols[0].shape)
        real = (np.abs(left.imag) <= 1e-12 * np.abs(left.real) + 1e-300) & \
               (np.abs(right.imag) <= 1e-12 * np.abs(right.real) + 1e-300)
        scale = np.maximum(np.abs(left.real), np.abs(right.real))
        gap = right.real - left.real if claim.relation == "<=" else -np.abs(right.real - left.real)
        slack = np.where(real & np.isfinite(scale) & (scale > 0), gap / np.where(
            scale > 0, scale, 1.0), np.inf)
        for c in box.constraints:
            slack = np.where(np.asarray(sp.lambdify(symbols, c, "numpy")(*cols), dtype=bool),
                             slack, np.inf)
    slack = np.where(np.isnan(slack), np.inf, slack)
    for i in np.argsort(slack)[:5]:
        if slack[i] >= -ORACLE_TOL:
            break
        point = dict(zip(symbols, map(float, points[i]), strict=True))
        try:
            coarse, fine = (_precise_slack(claim, point, d) for d in (25, 50))
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if fine < -ORACLE_TOL and abs(fine - coarse) <= 1e-6 * abs(fine):
            return fine, {str(s): v for s, v in point.items()}
    finite = slack[np.isfinite(slack) & (slack >= -ORACLE_TOL)]
    return (float(finite.min()) if finite.size else float("inf")), None


def _fresh_instances(claim: Claim) -> tuple[float, dict[str, float] | None]:
    assert claim.slack is not None and claim.sampler is not None
    instances = claim.sampler(np.random.default_rng(20_000), 20_000)
    slack = np.asarray(claim.slack(**instances), dtype=float).ravel()
    slack = np.where(np.isfinite(slack), slack, np.inf)
    i = int(np.argmin(slack))
    if slack[i] < -max(claim.tol, ORACLE_TOL):
        return float(slack[i]), {"instance": float(i)}
    return float(slack[i]), None


def oracle(claims: Sequence[Claim]) -> tuple[Truth, float, str]:
    """``false`` with the violating instance if any claim fails densely, else ``still true``
    with the smallest slack over all claims."""
    worst = float("inf")
    for claim in claims:
        slack, point = _dense(claim) if claim.slack is None else _fresh_instances(claim)
        if point is not None:
            what = f"{claim.lhs} {claim.relation} {claim.rhs}" if claim.slack is None else \
                "a random-instance statement"
            return "false", slack, f"{what} fails at {point} (relative slack {slack:.3g})"
        worst = min(worst, slack)
    return "still true", worst, f"no violation found; smallest relative slack {worst:.3g}"


# --- running a mutant ------------------------------------------------------------------------
def run_mutant(mutant: Mutant) -> Outcome:
    """Check the steps that use the target with the mutant in its place, classify it."""
    theory = importlib.import_module(mutant.theory)
    original = getattr(theory, mutant.target)
    setattr(theory, mutant.target, mutant.expr)
    try:
        module = importlib.reload(importlib.import_module(mutant.proof_module))
        steps = dependent_steps(mutant, module)
        results: list[StepResult] = []
        with recording() as claims:
            for step in steps:
                results.append(step.check())
                if results[-1].status == "violated" and oracle(claims)[0] == "false":
                    break  # caught, and the oracle already exhibits a violation
        truth, slack, detail = oracle(claims)  # with the mutant in place (numeric twins)
    finally:
        setattr(theory, mutant.target, original)
        importlib.reload(importlib.import_module(mutant.proof_module))
    reported, why = _reported(results)
    return Outcome(mutant, truth, slack, detail, reported, why,
                   tuple(f"{s.proof}:{s.name}" for s in steps))


def run_isolated(mutant: Mutant, cpu_seconds: int = CPU_LIMIT) -> Outcome:
    """:func:`run_mutant` in a forked child limited to ``cpu_seconds`` of CPU: sympy can take
    unbounded time on a mutated expression. A child that runs out is a surviving mutant
    (reported "timeout"), classified by the oracle on the statement alone when possible."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        send.send(run_mutant(mutant))

    process = context.Process(target=child, daemon=True)
    process.start()
    send.close()
    try:
        outcome = receive.recv() if receive.poll(WALL_LIMIT) else None
    except EOFError:  # the child died (CPU limit) before sending
        outcome = None
    process.join(5)
    if process.is_alive():
        process.kill()
        process.join()
    if isinstance(outcome, Outcome):
        return outcome
    return Outcome(mutant, "false", float("nan"), "not classified: the checker ran out of time",
                   "timeout", f"the checker did not finish within {cpu_seconds} s of CPU", ())


def _reported(results: Sequence[StepResult]) -> tuple[str, str]:
    for status in ("violated", "inconclusive"):
        hit = next((r for r in results if r.status == status), None)
        if hit is not None:
            return status, f"{hit.step}: {hit.detail[:300]}"
    if not results:
        return "not checked", "no checked step uses this object"
    return "verified", "; ".join(f"{r.step}: {r.decision}, worst slack {r.worst_slack:.3g}"
                                 for r in results)


def run_all(chosen: Sequence[Mutant] | None = None,
            progress: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    out = []
    for mutant in mutants() if chosen is None else chosen:
        outcome = run_isolated(mutant)
        out.append(outcome)
        if progress is not None:
            progress(outcome)
    return out


@dataclass(frozen=True)
class Score:
    false: int
    caught: int
    still_true: int
    false_alarms: int

    @property
    def value(self) -> float:
        return self.caught / self.false if self.false else float("nan")


def score(outcomes: Sequence[Outcome]) -> Score:
    false = [o for o in outcomes if o.truth == "false"]
    true = [o for o in outcomes if o.truth == "still true"]
    return Score(len(false), sum(o.caught for o in false), len(true),
                 sum(o.caught for o in true))


def report(outcomes: Sequence[Outcome]) -> list[str]:
    """The score line, the surviving false mutants with why, the still-true ones with slack."""
    s = score(outcomes)
    lines = [f"mutation score: {s.caught}/{s.false} false mutants reported violated "
             f"({100 * s.value:.1f} %); {s.still_true} mutants still true "
             f"({s.false_alarms} of them reported violated); {len(outcomes)} mutants"]
    survivors = [o for o in outcomes if o.truth == "false" and not o.caught]
    lines.append(f"surviving false mutants ({len(survivors)}):")
    lines += [f"  {o.mutant.name} -> checker {o.reported} ({o.checker_detail}); oracle: "
              f"{o.oracle_detail}" for o in survivors]
    lines.append(f"still-true mutants ({s.still_true}):")
    lines += [f"  {o.mutant.name}: slack {o.oracle_slack:.3g}, checker {o.reported}"
              for o in outcomes if o.truth == "still true"]
    return lines
