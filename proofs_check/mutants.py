r"""Mutation testing of the proof checker: break a registered lemma, see the checker fail.

A *target* is a registered sympy object of a derivation (a lemma's bound in
:mod:`theory.dwmgrad`, Polyak's tuning in :mod:`theory.heavy_ball`, Demon's schedule and Aida's
closed forms in :mod:`theory.identities`). :func:`mutants` changes it at every applicable site:

- ``drop factor``: one non-numeric factor of a product removed;
- ``halve`` / ``double``: the whole expression times 1/2 or 2 (its constant);
- ``flip exponent``: a power's exponent negated (``sqrt(delta)`` -> ``1/sqrt(delta)``);
- ``remove term``: one term of a sum removed;
- ``swap <= for >=`` (:data:`SWAP_STEP`): the direction of a step's lemma inequalities
  reversed: every ``lhs <= rhs`` the step checks (``check_inequality``, ``check_symbolic``)
  becomes ``lhs >= rhs`` and every slack ``s >= 0`` of ``check_numeric`` becomes ``s <= 0``;
- ``swap relation`` (:data:`SWAP_CONSTRAINT`): one relation of a proof module's ``DOMAIN``
  constraints swapped (``<=`` with ``>=``, ``<`` with ``>``: :func:`swap_relation`).

The last two mutate what the proof module states rather than a theory object: the inequality
direction lives in the step (the theory's objects are the sides), the assumption ``t <= T`` in
the domain the step claims to hold on. Relations the checker never reads (the ``Assumption``
relations of a :class:`~theory.core.Bound`, the display-only ``sp.Le`` of derivation lines) are
not mutated: a mutant there could not change any verdict.

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
smallest relative slack seen); a side that is not a real number (an imaginary bound) or is
undefined (sympy's ``zoo``) makes a statement false. Score = false mutants the checker reports
violated / false mutants. Checks that raise are reported "error" and checks that exhaust
:data:`CPU_LIMIT` "timeout" (SIGXCPU interrupts them; the oracle gets :data:`ORACLE_CPU`
more): both are survivors, still classified by the oracle on the statements recorded so far
(a child that sends nothing, or whose recorded statements all hold, is counted false,
against the score). ``check_inequality``
itself gives sympy :data:`~proofs_check.core.SYMBOLIC_CPU_LIMIT` seconds per inequality and
then falsifies numerically, so a slow simplification is decided rather than timed out.
``dwmgrad-verify check --mutants`` prints it with every surviving false mutant (and
why: the checker's verdict on its steps) and every still-true mutant with its slack.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import multiprocessing
import resource
import signal
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import ModuleType
from typing import Literal

import numpy as np
import sympy as sp

from proofs_check.core import CheckTimeout, ProofStep, StepResult, recording
from proofs_check.core import Statement as Claim
from proofs_check.falsify import Domain

#: (theory module, proof module, registered objects) of the derivations under test.
TARGETS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("theory.dwmgrad_constant_momentum", "proofs_check.dwmgrad_constant_momentum",
     ("INV_STEP_BOUND", "VELOCITY_BOUND", "DISTANCE_FACTOR", "DISTANCE_TERM", "STEP_TERM_STEP",
      "STEP_TERM", "DISPLACEMENT_TERM_STEP", "DISPLACEMENT_TERM", "PRECONDITIONER_LOG",
      "PRECONDITIONER_TERM", "REGRET_DATA_EXPR", "RATE_CONSTANT")),
    ("theory.dwmgrad", "proofs_check.dwmgrad_regret",
     ("STEP_BOUND", "INV_STEP_BOUND", "VELOCITY_BOUND", "DISTANCE_TERM", "MOMENTUM_TERM_STEP",
      "MOMENTUM_TERM", "STEP_TERM_STEP", "STEP_TERM", "REGRET_EXPR", "RATE_CONSTANT")),
    ("theory.heavy_ball", "proofs_check.heavy_ball",
     ("ALPHA_STAR", "BETA_STAR", "RHO_STAR", "RHO_STAR_KAPPA", "GD_RATE_KAPPA", "GD_STEP")),
    ("theory.identities", "proofs_check.identities",
     ("DEMON_BETA", "DEMON_ODDS", "DEMON_DERIVATIVE", "EVEN_P", "ODD_P", "ODD_Q",
      "RESIDUAL_EVEN", "RESIDUAL_ODD", "RAW_FLOOR", "CORRECTED_FLOOR", "AIDA_CAP")),
    ("theory.online", "proofs_check.online_lower", ("MINIMAX_LOWER",)),
)
#: Oracle: a grid of at most this many points per statement.
GRID_POINTS = 60_000
#: CPU seconds a mutant's checks may take (its own forked process), and the wall-clock backstop.
CPU_LIMIT = 240
WALL_LIMIT = 3600
#: Oracle: a relative slack below -this, confirmed at high precision, is a violation.
ORACLE_TOL = 1e-6
#: Oracle: grid points confirmed at high precision, the worst few and this many more drawn
#: (seeded) among the other float violations.
ORACLE_SPREAD = 20

Truth = Literal["false", "still true"]
#: Operators on what a proof module states (target: a step's name, or ``DOMAIN``).
SWAP_STEP = "swap <= for >="
SWAP_CONSTRAINT = "swap relation"
#: The check functions whose inequality :data:`SWAP_STEP` reverses (module globals of a proof).
SWAPPED_CHECKS = ("check_inequality", "check_symbolic", "check_numeric")


@dataclass(frozen=True)
class Mutant:
    """``target`` is a theory object (expression operators), a step of the proof module
    (:data:`SWAP_STEP`) or ``DOMAIN`` (:data:`SWAP_CONSTRAINT`, ``expr`` the swapped
    relation, ``site`` the original); ``expr`` is None for :data:`SWAP_STEP`."""

    theory: str
    proof_module: str
    target: str
    operator: str
    site: str
    expr: sp.Basic | None

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
    return _numbered(unique)


def _numbered(found: list[tuple[str, str, sp.Expr]]) -> list[tuple[str, str, sp.Expr]]:
    """Sites that read the same (``remove term 1`` of (1 - gamma lambda)^3 and of
    (1 - gamma lambda)^(3/2)) numbered ``[k of n]`` in walk order, so that every mutant's
    name is unique."""
    counts = Counter((operator, site) for operator, site, _ in found)
    seen: Counter[tuple[str, str]] = Counter()
    out = []
    for operator, site, mutated in found:
        seen[operator, site] += 1
        n = counts[operator, site]
        out.append((operator, f"{site} [{seen[operator, site]} of {n}]" if n > 1 else site,
                    mutated))
    return out


_SWAPS: dict[type, Callable[..., sp.Basic]] = {
    sp.LessThan: sp.GreaterThan, sp.GreaterThan: sp.LessThan,
    sp.StrictLessThan: sp.StrictGreaterThan, sp.StrictGreaterThan: sp.StrictLessThan,
}


def swap_relation(relation: sp.Basic) -> sp.Basic:
    """``a <= b`` -> ``a >= b``, ``a < b`` -> ``a > b`` (and back); ValueError otherwise."""
    swapped = _SWAPS.get(type(relation))
    if swapped is None:
        raise ValueError(f"not an inequality: {relation}")
    return swapped(*relation.args, evaluate=False)


def relation_mutants(theory_name: str, proof_name: str) -> list[Mutant]:
    """:data:`SWAP_STEP` for every non-trajectory step of the proof module that checks an
    inequality, :data:`SWAP_CONSTRAINT` for every inequality among its ``DOMAIN`` constraints."""
    module = importlib.import_module(proof_name)
    refs = _references(module, importlib.import_module(theory_name))
    out = []
    for step in module.STEPS:
        used = _closure(_function_name(step), refs)
        if "check_trajectory" not in used and used & {"<=", "check_numeric"}:
            out.append(Mutant(theory_name, proof_name, step.name, SWAP_STEP,
                              f"({step.statement})", None))
    domain = getattr(module, "DOMAIN", None)
    for relation in domain.constraints if isinstance(domain, Domain) else ():
        if type(relation) in _SWAPS:
            out.append(Mutant(theory_name, proof_name, "DOMAIN", SWAP_CONSTRAINT,
                              str(relation), swap_relation(relation)))
    return out


def mutants(targets: Sequence[tuple[str, str, tuple[str, ...]]] = TARGETS) -> list[Mutant]:
    """Every mutant of every target: the expression operators on each registered object,
    then the relation operators on the proof module (:func:`relation_mutants`)."""
    out = []
    for theory_name, proof_name, names in targets:
        theory = importlib.import_module(theory_name)
        for name in names:
            for operator, site, expr in sites(getattr(theory, name)):
                out.append(Mutant(theory_name, proof_name, name, operator, site, expr))
        out += relation_mutants(theory_name, proof_name)
    return out


#: The order in which :func:`spread` and :func:`sample` take mutants: one per operator in turn.
OPERATORS = ("drop factor", "flip exponent", "remove term", SWAP_STEP, SWAP_CONSTRAINT, "halve",
             "double")


def _round_robin(own: Sequence[Mutant], rng: np.random.Generator | None) -> list[Mutant]:
    by_operator = [[m for m in own if m.operator == op] for op in OPERATORS]
    if rng is not None:
        by_operator = [[group[i] for i in rng.permutation(len(group))] for group in by_operator]
    turns = itertools.chain.from_iterable(itertools.zip_longest(*by_operator))
    return [m for m in turns if m is not None]


def spread(chosen: Sequence[Mutant], per_target: int | None) -> list[Mutant]:
    """At most ``per_target`` mutants of each target, one per operator in turn (the order of
    :data:`OPERATORS`, sites in order within an operator); all if None."""
    if per_target is None:
        return list(chosen)
    out: list[Mutant] = []
    for target in dict.fromkeys((m.proof_module, m.target) for m in chosen):
        own = [m for m in chosen if (m.proof_module, m.target) == target]
        out += _round_robin(own, None)[:per_target]
    return out


#: The seed of :func:`sample` (CI's sample is fixed: the same mutants every run).
SAMPLE_SEED = 0


def sample(chosen: Sequence[Mutant], per_module: int, seed: int = SAMPLE_SEED) -> list[Mutant]:
    """A fixed, seeded sample: at most ``per_module`` mutants of each proof module, one per
    operator in turn (:data:`OPERATORS`), sites drawn at random (``seed``) within an operator."""
    rng = np.random.default_rng(seed)
    out: list[Mutant] = []
    for module in dict.fromkeys(m.proof_module for m in chosen):
        out += _round_robin([m for m in chosen if m.proof_module == module], rng)[:per_module]
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
            elif isinstance(sub, ast.Call) and any(
                    isinstance(a, ast.Constant) and a.value == "<="
                    for a in [*sub.args, *(k.value for k in sub.keywords)]):
                used.add("<=")  # passes an inequality to a check (what SWAP_STEP reverses)
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
    calls) reads the target; trajectory steps are left out. A :data:`SWAP_STEP` mutant's step
    is the step itself."""
    if mutant.operator == SWAP_STEP:
        return [s for s in module.STEPS if s.name == mutant.target]
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
def _precise_slack(claim: Claim, point: dict[sp.Symbol, float], digits: int
                   ) -> tuple[float, complex]:
    """The relative slack at ``point`` with ``digits`` digits (-inf when a side of an
    inequality is not real there: no inequality of reals holds) and rhs - lhs."""
    assert claim.lhs is not None and claim.rhs is not None
    subs = {s: sp.Float(v, digits + 10) for s, v in point.items()}
    left = complex(claim.lhs.evalf(digits, subs=subs))
    right = complex(claim.rhs.evalf(digits, subs=subs))
    gap = complex((claim.rhs - claim.lhs).evalf(digits, subs=subs))
    scale = max(abs(left), abs(right))
    if claim.relation == "<=" and any(abs(v.imag) > 1e-20 * max(1.0, abs(v.real))
                                      for v in (left, right)):
        return float("-inf"), gap
    if scale == 0:
        return 0.0, gap
    return (gap.real if claim.relation == "<=" else -abs(gap)) / scale, gap


def _confirmed(claim: Claim, point: dict[sp.Symbol, float]) -> float | None:
    """The slack at ``point`` at 25 and 50 digits when both show the same violation, else
    None. The difference rhs - lhs must agree too: an exact identity ``a - b == 0`` evaluates
    to a residue without significant digits that is its own scale (relative slack -1 at both
    precisions, the residue itself 1e-140 at one and 1e-160 at the other)."""
    try:
        (coarse, coarse_gap), (fine, fine_gap) = (_precise_slack(claim, point, d)
                                                  for d in (25, 50))
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if fine == coarse == float("-inf") or (
            fine < -ORACLE_TOL and abs(fine - coarse) <= 1e-6 * abs(fine)
            and abs(fine_gap - coarse_gap) <= 1e-6 * abs(fine_gap)):
        return fine
    return None


def _dense(claim: Claim) -> tuple[float, dict[str, float] | None]:
    """Smallest relative slack of an expression claim on a grid; the violating point if any."""
    assert claim.lhs is not None and claim.rhs is not None
    if claim.lhs.has(sp.zoo, sp.nan) or claim.rhs.has(sp.zoo, sp.nan):
        return float("-inf"), {}                 # undefined everywhere: not a true statement
    try:
        box, _ = (claim.domain or Domain()).covering(claim.lhs.free_symbols
                                                     | claim.rhs.free_symbols)
    except ValueError:
        return float("inf"), None
    symbols = [v.symbol for v in box.variables]
    if not symbols:
        constant = _confirmed(claim, {})
        return (constant, {}) if constant is not None else (_precise_slack(claim, {}, 50)[0],
                                                             None)
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
        except (TypeError, ValueError, NameError, ZeroDivisionError, OverflowError, KeyError):
            return float("inf"), None
        left, right = np.broadcast_to(left, cols[0].shape), np.broadcast_to(right, cols[0].shape)
        real = (np.abs(left.imag) <= 1e-12 * np.abs(left.real) + 1e-300) & \
               (np.abs(right.imag) <= 1e-12 * np.abs(right.real) + 1e-300)
        finite = np.isfinite(left) & np.isfinite(right)
        scale = np.maximum(np.abs(left), np.abs(right))
        if claim.relation == "<=":   # a side that is not real: no inequality of reals holds
            gap = np.where(real, right.real - left.real, -np.inf)
        else:                        # an identity may hold between complex values
            gap = -np.abs(right - left)
        slack = np.where(finite & (scale > 0), gap / np.where(scale > 0, scale, 1.0), np.inf)
        for c in box.constraints:
            slack = np.where(np.asarray(sp.lambdify(symbols, c, "numpy")(*cols), dtype=bool),
                             slack, np.inf)
    slack = np.where(np.isnan(slack), np.inf, slack)
    for i in _candidates(slack):
        point = dict(zip(symbols, map(float, points[i]), strict=True))
        confirmed = _confirmed(claim, point)
        if confirmed is not None:
            return confirmed, {str(s): v for s, v in point.items()}
    finite = slack[np.isfinite(slack) & (slack >= -ORACLE_TOL)]
    return (float(finite.min()) if finite.size else float("inf")), None


def _candidates(slack: np.ndarray) -> list[int]:
    """The grid points to confirm: the 5 worst float violations and :data:`ORACLE_SPREAD`
    others drawn among all of them. The worst alone are often one degenerate corner where
    sympy cannot evaluate (AIDA_CAP with beta1**(-t): relative slack -1 at all 59,049 points,
    the 5 smallest in grid order all at beta1 = 0, where 0**(-t) is zoo), and the mutant
    was called still true with slack inf."""
    violating = np.flatnonzero(slack < -ORACLE_TOL)
    worst = violating[np.argsort(slack[violating], kind="stable")[:5]]
    spread = np.random.default_rng(0).choice(
        violating, size=min(ORACLE_SPREAD, violating.size), replace=False)
    return list(dict.fromkeys(int(i) for i in (*worst, *spread)))


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
def _swapped(check: Callable[..., StepResult]) -> Callable[..., StepResult]:
    """``check`` with its inequality reversed: sides exchanged for ``<=``, slack negated."""
    signature = inspect.signature(check)

    def reversed_check(*args: object, **kwargs: object) -> StepResult:
        bound = signature.bind(*args, **kwargs)
        given = bound.arguments
        if "slack" in given:
            slack = given["slack"]
            given["slack"] = lambda **values: -np.asarray(slack(**values))  # type: ignore[operator]
        elif given.get("relation") == "<=":
            given["lhs"], given["rhs"] = given["rhs"], given["lhs"]
        return check(*bound.args, **bound.kwargs)

    return reversed_check


@contextmanager
def in_place(mutant: Mutant) -> Iterator[ModuleType]:
    """The proof module, reloaded with the mutant in place (so that its module-level numeric
    twins see it); everything restored on exit."""
    theory = importlib.import_module(mutant.theory)
    on_theory = mutant.operator not in (SWAP_STEP, SWAP_CONSTRAINT)
    original = getattr(theory, mutant.target) if on_theory else None
    if on_theory:
        setattr(theory, mutant.target, mutant.expr)
    try:
        module = importlib.reload(importlib.import_module(mutant.proof_module))
        if mutant.operator == SWAP_STEP:
            for name in SWAPPED_CHECKS:
                if hasattr(module, name):
                    setattr(module, name, _swapped(getattr(module, name)))
        elif mutant.operator == SWAP_CONSTRAINT:
            domain: Domain = module.DOMAIN
            setattr(module, "DOMAIN", Domain(domain.variables, tuple(  # noqa: B010
                mutant.expr if str(c) == mutant.site else c for c in domain.constraints)))
        yield module
    finally:
        if on_theory:
            setattr(theory, mutant.target, original)
        importlib.reload(importlib.import_module(mutant.proof_module))


def run_mutant(mutant: Mutant) -> Outcome:
    """Check the steps that use the target with the mutant in its place, classify it.

    A step that raises is the checker failing to decide (reported "error"); a step
    interrupted by :class:`~proofs_check.core.CheckTimeout` (the CPU limit of
    :func:`run_isolated`) ends the checks (reported "timeout"). Either way the oracle still
    classifies the mutant on every statement recorded so far; when none of them fails the
    mutant is not classified (the steps not run made no statement) and counts as false, so a
    timeout can never take a mutant out of the score's denominator (the last full run's three
    BETA_STAR timeouts were 'still true, slack inf' this way, and are false)."""
    with in_place(mutant) as module:
        steps = dependent_steps(mutant, module)
        results: list[StepResult] = []
        stopped = ""
        with recording() as claims:
            for step in steps:
                try:
                    results.append(step.check())
                except CheckTimeout as exc:
                    stopped = f"timeout: {step.name}: {exc}"
                    break
                except Exception as exc:  # noqa: BLE001 - a crash is the checker's failure
                    stopped = f"error: {step.name} raised {type(exc).__name__}: {exc}"
                    break
                if results[-1].status == "violated" and oracle(claims)[0] == "false":
                    break  # caught, and the oracle already exhibits a violation
        truth, slack, detail = oracle(claims)  # with the mutant in place (numeric twins)
    reported, why = _reported(results)
    if stopped and reported != "violated":
        reported, why = stopped.split(":", 1)[0], stopped[:300]
        if truth == "still true":   # the steps not run stated nothing the oracle could see
            truth, detail = "false", (f"not classified: the checks stopped ({reported}) "
                                      f"before every statement was made, none made fails "
                                      f"({detail}); counted false, against the score")
    return Outcome(mutant, truth, slack, detail, reported, why,
                   tuple(f"{s.proof}:{s.name}" for s in steps))


#: CPU seconds left to the oracle after the checks of a mutant ran out of theirs.
ORACLE_CPU = 120


def _child(mutant: Mutant, cpu_seconds: int, send: Connection) -> None:
    """Run :func:`run_mutant` under RLIMIT_CPU: at ``cpu_seconds`` SIGXCPU interrupts the
    checks (:class:`CheckTimeout`, once), leaving :data:`ORACLE_CPU` seconds to classify."""
    def expire(signum: int, frame: object) -> None:
        signal.signal(signal.SIGXCPU, signal.SIG_IGN)
        raise CheckTimeout(f"the checker did not finish within {cpu_seconds} s of CPU")

    signal.signal(signal.SIGXCPU, expire)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + ORACLE_CPU))
    try:
        send.send(run_mutant(mutant))
    except CheckTimeout as exc:   # outside the steps (the oracle itself, or a stand-in)
        send.send(("timeout", str(exc)))
    except Exception as exc:  # noqa: BLE001 - reported to the parent as the checker's error
        send.send(("error", f"the mutant's run raised {type(exc).__name__}: {exc}"))


def _unclassified(mutant: Mutant, reported: str, why: str) -> Outcome:
    return Outcome(mutant, "false", float("nan"), f"not classified: {why}", reported, why, ())


def _start(mutant: Mutant, cpu_seconds: int) -> tuple[BaseProcess, Connection]:
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(mutant, cpu_seconds, send), daemon=True)
    process.start()
    send.close()
    return process, receive


def _finish(mutant: Mutant, process: BaseProcess, receive: Connection,
            cpu_seconds: int) -> Outcome:
    """The child's outcome (it has sent, died, or passed the wall limit)."""
    try:
        received = receive.recv() if receive.poll(0) else None
    except EOFError:  # the child died (hard CPU limit) before sending
        received = None
    process.join(5)
    if process.is_alive():
        process.kill()
        process.join()
    receive.close()
    if isinstance(received, Outcome):
        return received
    if isinstance(received, tuple):
        kind, why = received
        return _unclassified(mutant, str(kind), str(why)[:300])
    return _unclassified(mutant, "timeout", f"the checks and the oracle did not finish within "
                                            f"{cpu_seconds} + {ORACLE_CPU} s of CPU")


def run_isolated(mutant: Mutant, cpu_seconds: int = CPU_LIMIT) -> Outcome:
    """:func:`run_mutant` in a forked child limited to ``cpu_seconds`` of CPU for the checks
    (sympy can take unbounded time on a mutated expression) and :data:`ORACLE_CPU` more for
    the oracle. Checks that run out are reported "timeout", still classified by the oracle; a
    child that sends nothing is an unclassified survivor, counted as false."""
    process, receive = _start(mutant, cpu_seconds)
    receive.poll(WALL_LIMIT)
    return _finish(mutant, process, receive, cpu_seconds)


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
            progress: Callable[[Outcome], None] | None = None, workers: int = 1,
            cpu_seconds: int = CPU_LIMIT) -> list[Outcome]:
    """Every mutant (or ``chosen``) in its own child (:func:`run_isolated`), ``workers`` at
    a time; outcomes in the mutants' order, ``progress`` called as each finishes."""
    todo = list(enumerate(mutants() if chosen is None else chosen))[::-1]
    running: dict[Connection, tuple[int, Mutant, BaseProcess, float]] = {}
    done: dict[int, Outcome] = {}
    while todo or running:
        while todo and len(running) < workers:
            i, mutant = todo.pop()
            process, receive = _start(mutant, cpu_seconds)
            running[receive] = (i, mutant, process, time.monotonic())
        ready = set(wait(list(running), timeout=5.0))
        now = time.monotonic()
        for receive, (i, mutant, process, started) in list(running.items()):
            if receive in ready or now - started > WALL_LIMIT or not process.is_alive():
                del running[receive]
                done[i] = _finish(mutant, process, receive, cpu_seconds)
                if progress is not None:
                    progress(done[i])
    return [done[i] for i in sorted(done)]


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


def scores_by_module(outcomes: Sequence[Outcome]) -> dict[str, Score]:
    """The :class:`Score` of each proof module's mutants (the kill rate per module)."""
    modules = dict.fromkeys(o.mutant.proof_module for o in outcomes)
    return {m: score([o for o in outcomes if o.mutant.proof_module == m]) for m in modules}


def _percent(s: Score) -> str:
    return f"{100 * s.value:.1f} %" if s.false else "no false mutant"


def report(outcomes: Sequence[Outcome]) -> list[str]:
    """The score line, the kill rate per proof module, the surviving false mutants with why,
    the still-true ones with slack."""
    s = score(outcomes)
    lines = [f"mutation score: {s.caught}/{s.false} false mutants reported violated "
             f"({_percent(s)}); {s.still_true} mutants still true "
             f"({s.false_alarms} of them reported violated); {len(outcomes)} mutants"]
    lines += [f"  {module}: {m.caught}/{m.false} killed ({_percent(m)}), {m.still_true} still "
              f"true" for module, m in scores_by_module(outcomes).items()]
    survivors = [o for o in outcomes if o.truth == "false" and not o.caught]
    lines.append(f"surviving false mutants ({len(survivors)}):")
    lines += [f"  {o.mutant.proof_module}: {o.mutant.name} -> checker {o.reported} "
              f"({o.checker_detail}); oracle: {o.oracle_detail}" for o in survivors]
    lines.append(f"still-true mutants ({s.still_true}):")
    lines += [f"  {o.mutant.proof_module}: {o.mutant.name}: slack {o.oracle_slack:.3g}, "
              f"checker {o.reported}" for o in outcomes if o.truth == "still true"]
    return lines
