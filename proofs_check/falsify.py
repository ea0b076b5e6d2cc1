r"""Numeric falsification of one inequality over a declared domain.

A proof step that sympy cannot decide is not left undecided: :func:`falsify` looks for an
instance of the step's variables, inside the step's :class:`Domain`, where ``lhs <= rhs`` (or
``lhs == rhs``) fails. It evaluates the relative slack

.. math:: s = \frac{rhs - lhs}{\max(|lhs|, |rhs|)} \quad (\text{``==''}: -|rhs - lhs|/\max(...))

(``==`` compares complex values: an identity may hold between them, but a real side never
equals a non-real one; for ``<=`` a side that is not real is a violation, slack -inf)

at every corner of the domain's box, at ``n`` random points (positive quantities drawn
log-uniformly, quantities with an open upper end such as :math:`\gamma \in [0, 1)` drawn with
a log-uniform gap to that end), then minimises it with ``scipy.optimize.minimize`` (Powell,
inside the box) from the ``starts`` worst points. Each candidate with ``s < -tol`` is
re-evaluated exactly: the instance's floats are substituted as rationals and the difference
evaluated by sympy at 30 and at 60 significant digits; a violation is *confirmed* only when
both agree (float rounding in an identity that is exactly zero does not survive the second
precision). The answer is a :class:`Falsification`: ``violated`` with the worst confirmed
instance, ``verified`` ("verified numerically: n instances, worst slack s"), or
``inconclusive`` with the reason (e.g. the expression is not finite on most of the domain).

A domain is declared per step: one :class:`Var` per variable (range, sampling scale, integer or
not) and constraints that are not a range (``t <= T``). :meth:`Domain.covering` fills the
variables a step does not declare from their sympy sign assumptions (``positive``:
``[1e-9, 1e9]``; ``nonnegative``: ``[0, 1e9]``; ``real``: ``[-1e9, 1e9]``) and names them, so
the result says which ranges were defaults.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import sympy as sp
from scipy.optimize import minimize

Scale = Literal["log", "gap", "linear", "symlog"]
Relation = Literal["==", "<="]
#: Smallest ratio between the ends of a log-scale range (and the smallest gap of "gap").
_SPAN = 1e-12


@dataclass(frozen=True)
class Var:
    """One variable of a step's domain: ``lo <= symbol <= hi``, drawn on ``scale``.

    ``log``: log-uniform on [lo, hi] (lo = 0 is a corner; draws go down to hi·1e-12);
    ``gap``: hi − x log-uniform (an open upper end, e.g. γ in [0, 1): draws reach 1 − 1e-12);
    ``linear``: uniform; ``symlog``: sign and magnitude log-uniform (a real that may be tiny or
    huge of either sign). ``integer``: values are rounded (horizons, counts).
    """

    symbol: sp.Symbol
    lo: float
    hi: float
    scale: Scale = "log"
    integer: bool = False

    def __post_init__(self) -> None:
        if not (np.isfinite(self.lo) and np.isfinite(self.hi) and self.lo < self.hi):
            raise ValueError(f"variable {self.symbol}: range [{self.lo}, {self.hi}] must be "
                             "finite with lo < hi")
        if self.scale == "log" and self.lo < 0:
            raise ValueError(f"variable {self.symbol}: log scale needs lo >= 0, got {self.lo}")

    def at(self, u: np.ndarray) -> np.ndarray:
        """The values at unit coordinates ``u`` in [0, 1] (0 -> low end, 1 -> high end)."""
        u = np.clip(u, 0.0, 1.0)
        if self.scale == "log":
            low = self.lo if self.lo > 0 else self.hi * _SPAN
            x = low * (self.hi / low) ** u
        elif self.scale == "gap":
            x = self.hi - (self.hi - self.lo) * _SPAN**u
        elif self.scale == "linear":
            x = self.lo + u * (self.hi - self.lo)
        else:
            top = max(abs(self.lo), abs(self.hi))
            v = 2 * u - 1
            x = np.clip(np.sign(v) * top * _SPAN ** (1 - np.abs(v)), self.lo, self.hi)
        if self.integer:
            x = np.clip(np.round(x), np.ceil(self.lo), np.floor(self.hi))
        return x

    def corners(self) -> list[float]:
        """The extreme values (and 0 when inside the range): every box corner uses these."""
        ends = [float(self.at(np.array(0.0))), float(self.at(np.array(1.0))), self.lo]
        if self.lo < 0 < self.hi:
            ends.append(0.0)
        return sorted(set(ends))

    def describe(self) -> str:
        kind = " integer" if self.integer else ""
        return f"{self.symbol} in [{self.lo:g}, {self.hi:g}] ({self.scale}{kind})"


@dataclass(frozen=True)
class Domain:
    """Where a step claims to hold: a box of :class:`Var` and extra constraints (sympy
    relations such as ``t <= T``; points that break one are not instances)."""

    variables: tuple[Var, ...] = ()
    constraints: tuple[sp.Basic, ...] = ()

    def __post_init__(self) -> None:
        names = [v.symbol for v in self.variables]
        if len(set(names)) != len(names):
            raise ValueError(f"domain declares a variable twice: {names}")

    def var(self, symbol: sp.Symbol) -> Var | None:
        return next((v for v in self.variables if v.symbol == symbol), None)

    def with_vars(self, *variables: Var, constraints: Iterable[sp.Basic] = ()) -> Domain:
        """This domain with ``variables`` added (replacing a variable of the same symbol)."""
        new = {v.symbol for v in variables}
        kept = tuple(v for v in self.variables if v.symbol not in new)
        return Domain(kept + tuple(variables), self.constraints + tuple(constraints))

    def covering(self, symbols: Iterable[sp.Symbol]) -> tuple[Domain, list[sp.Symbol]]:
        """The variables of ``symbols`` (declared ones, defaults for the rest), the constraints
        among them, and the symbols that got a default range from their sign assumptions."""
        chosen, defaulted = [], []
        for s in sorted(symbols, key=str):
            declared = self.var(s)
            if declared is None:
                declared = default_var(s)
                defaulted.append(s)
            chosen.append(declared)
        names = set(symbols)
        constraints = tuple(c for c in self.constraints if c.free_symbols <= names)
        return Domain(tuple(chosen), constraints), defaulted

    def describe(self) -> str:
        parts = [v.describe() for v in self.variables] + [str(c) for c in self.constraints]
        return "; ".join(parts)


def default_var(symbol: sp.Symbol) -> Var:
    """The range a symbol gets from its sign assumptions when a step does not declare it."""
    integer = bool(symbol.is_integer)
    if symbol.is_positive:
        return Var(symbol, 1.0 if integer else 1e-9, 1e9, "log", integer)
    if symbol.is_nonnegative:
        return Var(symbol, 0.0, 1e9, "log", integer)
    if symbol.is_real:
        return Var(symbol, -1e9, 1e9, "symlog", integer)
    raise ValueError(f"symbol {symbol} has no sign assumption and no declared range")


@dataclass(frozen=True)
class Falsification:
    """The outcome of :func:`falsify`; ``worst_slack`` is relative (see the module doc)."""

    status: Literal["verified", "violated", "inconclusive"]
    worst_slack: float
    instances: int
    instance: dict[str, float] | None
    detail: str


def _relative(lhs: np.ndarray, rhs: np.ndarray, relation: Relation) -> np.ndarray:
    """The relative slack; ``==`` compares the values as complex numbers (an identity may
    hold between complex values, and a real side never equals a non-real one)."""
    scale = np.maximum(np.abs(lhs), np.abs(rhs))
    gap = rhs - lhs if relation == "<=" else -np.abs(rhs - lhs)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(scale > 0, gap / np.where(scale > 0, scale, 1.0), 0.0)
    return np.where(np.isfinite(lhs) & np.isfinite(rhs) & np.isfinite(out), out, np.nan)


def _numeric(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> Callable[..., np.ndarray]:
    fn = sp.lambdify(list(symbols), expr, modules="numpy")
    return lambda *cols: np.broadcast_to(np.asarray(fn(*cols), dtype=complex),
                                         np.shape(cols[0]) if cols else ())


def _real(values: np.ndarray) -> np.ndarray:
    """Real parts where the imaginary part is negligible, NaN where a value is complex."""
    return np.where(_nonreal(values), np.nan, values.real)


def _nonreal(values: np.ndarray) -> np.ndarray:
    """Finite values whose imaginary part is not negligible (a bound that is not a real
    number there, e.g. (1 - gamma lambda)^(3/2) with the 1 removed)."""
    finite = np.isfinite(values.real) & np.isfinite(values.imag)
    return finite & (np.abs(values.imag) > 1e-12 * np.maximum(1.0, np.abs(values.real)))


def undefined_side(lhs: sp.Expr, rhs: sp.Expr) -> str | None:
    """Which side is undefined everywhere (sympy's zoo or nan, e.g. a mutated denominator
    1 - gamma with gamma dropped), or None: such a statement is false, not undecidable."""
    for name, side in (("lhs", lhs), ("rhs", rhs)):
        if side.has(sp.zoo, sp.nan):
            return f"{name} = {side} is not a number (zoo/nan)"
    return None


def nonreal_exact(lhs: sp.Expr, rhs: sp.Expr, point: dict[sp.Symbol, float]) -> str | None:
    """Which side is not real at ``point`` at 30 and at 60 digits (its value), or None.

    The imaginary part must be the same at both precisions: the square root of a rounding
    residue (an exact zero evaluated as -1e-30) is imaginary at 30 digits and shrinks at 60.
    """
    try:
        for name, side in (("lhs", lhs), ("rhs", rhs)):
            short, long = (complex(side.evalf(digits, subs={
                s: sp.Float(value, digits + 10) for s, value in point.items()}))
                for digits in (30, 60))
            if abs(long.imag) > 1e-20 * max(1.0, abs(long.real)) \
                    and abs(long.imag - short.imag) <= 1e-6 * abs(long.imag):
                return f"{name} = {long:.6g} is not real"
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return None


def exact_slack(lhs: sp.Expr, rhs: sp.Expr, relation: Relation,
                point: dict[sp.Symbol, float]) -> float | None:
    """The relative slack at ``point`` evaluated by sympy at 30 and at 60 significant digits.

    ``==`` compares complex values (``-|rhs - lhs|``); for ``<=`` a side that is not real at
    both precisions gives -inf (no inequality of reals holds there). None when the two
    precisions disagree (the float value was rounding, e.g. an identity that is exactly zero)
    or sympy cannot evaluate a side. The difference itself must agree, not only the relative
    slack: ``a - b == 0`` with a = b exactly evaluates to a residue without significant digits
    (0.e-165 at 30 digits, 0.e-190 at 60) that is its own scale, relative slack -1 at both.
    """
    if relation == "<=" and nonreal_exact(lhs, rhs, point) is not None:
        return float("-inf")
    try:
        values, diffs = [], []
        for digits in (30, 60):
            subs = {s: sp.Float(value, digits + 10) for s, value in point.items()}
            lv, rv = (complex(side.evalf(digits, subs=subs)) for side in (lhs, rhs))
            diff = complex((rhs - lhs).evalf(digits, subs=subs))
            scale = max(abs(lv), abs(rv))
            diffs.append(diff)
            values.append(0.0 if scale == 0 else (
                diff.real if relation == "<=" else -abs(diff)) / scale)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    short, long = values
    if abs(long - short) > 1e-6 * max(abs(short), 1e-300) \
            or abs(diffs[1] - diffs[0]) > 1e-6 * abs(diffs[1]):
        return None
    return long


def falsify(lhs: sp.Expr, rhs: sp.Expr, relation: Relation, domain: Domain, *, n: int = 2000,
            starts: int = 8, seed: int = 0, tol: float = 1e-9) -> Falsification:
    """Try to exhibit a point of ``domain`` where ``lhs <relation> rhs`` fails.

    Instances: every corner of the box (at most 4096, chosen at random beyond), ``n`` random
    points, and every evaluation of ``starts`` Powell searches started at the worst points.
    """
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    undefined = undefined_side(lhs, rhs)
    if undefined is not None:
        return Falsification("violated", float("-inf"), 0, {}, undefined)
    free = lhs.free_symbols | rhs.free_symbols
    try:
        box, defaulted = domain.covering(free)
    except ValueError as exc:
        return Falsification("inconclusive", float("nan"), 0, None, str(exc))
    variables = box.variables
    symbols = [v.symbol for v in variables]
    if not symbols:
        return _constant(lhs, rhs, relation, tol)
    try:
        left, right = _numeric(lhs, symbols), _numeric(rhs, symbols)
        allowed = [sp.lambdify(symbols, c, modules="numpy") for c in box.constraints]
    except (TypeError, NameError, SyntaxError) as exc:
        return Falsification("inconclusive", float("nan"), 0, None,
                             f"cannot evaluate numerically ({type(exc).__name__}: {exc})")
    rng = np.random.default_rng(seed)

    def values(u: np.ndarray) -> np.ndarray:
        return np.stack([v.at(u[:, i]) for i, v in enumerate(variables)], axis=1)

    def slack_at(points: np.ndarray) -> np.ndarray:
        cols = [points[:, i] for i in range(points.shape[1])]
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                lv, rv = left(*cols), right(*cols)
                if relation == "==":
                    out = _relative(lv, rv, relation)
                else:                   # an order between non-reals is no inequality
                    out = np.where(_nonreal(lv) | _nonreal(rv), -np.inf,
                                   _relative(_real(lv), _real(rv), relation))
            except (ZeroDivisionError, OverflowError, ValueError, TypeError):
                return np.full(points.shape[0], np.nan)
            for ok in allowed:
                out = np.where(np.asarray(ok(*cols), dtype=bool), out, np.inf)
        return out

    corner_sets = [v.corners() for v in variables]
    corners = np.array(list(itertools.islice(itertools.product(*corner_sets), 4096)), dtype=float)
    points = np.vstack([corners, values(rng.random((n, len(variables))))])
    slacks = slack_at(points)
    searched: list[np.ndarray] = []
    searched_slacks: list[float] = []

    def objective(u: np.ndarray) -> float:
        point = values(u[None, :])
        s = float(slack_at(point)[0])
        searched.append(point[0])
        searched_slacks.append(s)
        return s if np.isfinite(s) else 10.0

    order = np.argsort(np.where(np.isfinite(slacks), slacks, np.inf))
    for i in order[:starts]:
        start = _unit_of(points[i], variables, rng)
        minimize(objective, start, method="Powell", bounds=[(0.0, 1.0)] * len(variables),
                 options={"maxfev": 400, "xtol": 1e-6, "ftol": 1e-12})
    if searched:
        points = np.vstack([points, np.array(searched)])
        slacks = np.concatenate([slacks, np.array(searched_slacks)])
    return _judge(lhs, rhs, relation, box, defaulted, points, slacks, tol)


def _unit_of(point: np.ndarray, variables: Sequence[Var], rng: np.random.Generator
             ) -> np.ndarray:
    """Unit coordinates of ``point`` (by bisection on each monotone transform)."""
    out = np.empty(len(variables))
    grid = np.linspace(0.0, 1.0, 4097)
    for i, var in enumerate(variables):
        mapped = var.at(grid)
        out[i] = grid[int(np.argmin(np.abs(mapped - point[i])))]
    return np.clip(out + rng.normal(0.0, 1e-3, out.size), 0.0, 1.0)


def _judge(lhs: sp.Expr, rhs: sp.Expr, relation: Relation, box: Domain,
           defaulted: list[sp.Symbol], points: np.ndarray, slacks: np.ndarray,
           tol: float) -> Falsification:
    symbols = [v.symbol for v in box.variables]
    inside = slacks != np.inf
    finite = np.isfinite(slacks)
    n = int(inside.sum())
    note = f"domain: {box.describe()}"
    if defaulted:
        note += f"; default ranges for {', '.join(map(str, defaulted))}"
    for i in np.flatnonzero(slacks == -np.inf)[:5]:   # a side not real there: confirm exactly
        point = dict(zip(symbols, map(float, points[i]), strict=True))
        why = nonreal_exact(lhs, rhs, point)
        if why is not None:
            return Falsification("violated", float("-inf"), n,
                                 {str(s): v for s, v in point.items()},
                                 f"numeric falsification: {why} at this instance (at 30 and 60 "
                                 f"digits): the statement is not an inequality of reals; {note}")
    if n == 0 or finite.sum() < 0.5 * n:
        return Falsification("inconclusive", float("nan"), n, None,
                             f"not finite at {n - int(finite.sum())} of {n} instances; {note}")
    order = np.argsort(np.where(finite, slacks, np.inf))
    candidates = [i for i in order[:20] if slacks[i] < -tol]
    dismissed = 0
    for i in candidates:
        point = dict(zip(symbols, map(float, points[i]), strict=True))
        exact = exact_slack(lhs, rhs, relation, point)
        if exact is not None and exact < -tol:
            what = f"relative slack {exact:.3g}" if exact > float("-inf") else \
                f"{nonreal_exact(lhs, rhs, point)} (no inequality of reals)"
            return Falsification("violated", exact, n, {str(s): v for s, v in point.items()},
                                 f"numeric falsification: {what} at the worst instance "
                                 f"(confirmed at 30 and 60 digits); {note}")
        dismissed += 1
    rest = [slacks[i] for i in order if finite[i] and slacks[i] >= -tol]
    worst = min(rest) if rest else 0.0
    detail = (f"verified numerically: {n} instances, worst slack {worst:.3g}"
              + (f" ({dismissed} float candidates below -{tol:g} were rounding)" if dismissed
                 else "")
              + (f", {n - int(finite.sum())} instances not finite" if finite.sum() < n else "")
              + f"; {note}")
    return Falsification("verified", float(worst), n, None, detail)


def _constant(lhs: sp.Expr, rhs: sp.Expr, relation: Relation, tol: float) -> Falsification:
    exact = exact_slack(lhs, rhs, relation, {})
    if exact is None:
        return Falsification("inconclusive", float("nan"), 1, None,
                             "a constant statement that does not evaluate to a stable real")
    status: Literal["verified", "violated"] = "violated" if exact < -tol else "verified"
    return Falsification(status, exact, 1, {} if status == "violated" else None,
                         f"constant statement, exact relative slack {exact:.3g}")

