"""The one type for a bound: a sympy expression with its assumptions, kind and reference.

Every bound the toolkit states is a :class:`Bound`. Its numeric twin comes from
``sympy.lambdify`` of the same expression, never from a hand-copied float, so the number a
test or an experiment compares against is the formula a reader sees.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, overload

import numpy as np
import sympy as sp

Kind = Literal["tight", "upper", "lower"]


def to_latex(obj: sp.Basic | str, names: Mapping[sp.Symbol, str] | None = None) -> str:
    """LaTeX of a sympy object (``names`` overrides symbols' LaTeX); a string passes through."""
    if isinstance(obj, str):
        return obj
    return sp.latex(obj, symbol_names=dict(names or {}))


@dataclass(frozen=True)
class Assumption:
    """One assumption of a bound: a name, a sentence, and where possible a sympy relation."""

    name: str
    statement: str
    relation: sp.Basic | None = None

    def describe(self) -> dict[str, str]:
        out = {"name": self.name, "statement": self.statement}
        if self.relation is not None:
            out["latex"] = sp.latex(self.relation)
        return out


@dataclass(frozen=True)
class Bound:
    """A bound ``quantity (<=, =, >=) expr`` with the symbols' meanings and its assumptions.

    ``kind`` is ``"upper"`` (quantity <= expr), ``"lower"`` (quantity >= expr) or ``"tight"``
    (attained). ``symbols`` maps each free symbol of ``expr`` to its meaning, in the order
    of the numeric twin's arguments.

    ``trivial`` is the upper bound's *trivial comparator*: what the quantity satisfies for
    every admissible method whatever the theorem says (regret on a box: T·d·G∞·D∞; a
    contraction rate: 1). An upper bound is informative at a setting only where
    ``vacuity(...) = expr / trivial < 1``. ``None``: no such comparator (e.g. a cap on a
    quantity that is unbounded without the theorem's assumptions); ``trivial_note`` says why.
    """

    name: str
    quantity: str
    expr: sp.Expr
    symbols: Mapping[sp.Symbol, str]
    assumptions: tuple[Assumption, ...]
    kind: Kind
    reference: str
    notes: str = ""
    latex_names: Mapping[sp.Symbol, str] = field(default_factory=dict)
    trivial: sp.Expr | None = None
    trivial_note: str = ""
    _numeric: Callable[..., float] | None = field(default=None, repr=False, compare=False)
    _trivial_numeric: Callable[..., float] | None = field(default=None, repr=False,
                                                          compare=False)

    def __post_init__(self) -> None:
        for label, expr in (("symbols", self.expr), ("trivial comparator's symbols",
                                                     self.trivial)):
            missing = (set() if expr is None else expr.free_symbols) - set(self.symbols)
            if missing:
                names = sorted(map(str, missing))
                raise ValueError(f"bound {self.name!r}: {label} without a meaning: {names}")
        if self.trivial is not None and self.kind != "upper":
            raise ValueError(f"bound {self.name!r}: only an upper bound has a trivial "
                             f"comparator, this one is {self.kind!r}")
        fn = sp.lambdify(list(self.symbols), self.expr, modules="numpy")
        object.__setattr__(self, "_numeric", fn)
        if self.trivial is not None:
            object.__setattr__(self, "_trivial_numeric",
                               sp.lambdify(list(self.symbols), self.trivial, modules="numpy"))

    @property
    def arg_names(self) -> list[str]:
        return [str(s) for s in self.symbols]

    @overload
    def evaluate(self, **values: float) -> float: ...  # type: ignore[overload-overlap]

    @overload
    def evaluate(self, **values: float | np.ndarray) -> np.ndarray: ...

    def evaluate(self, **values: float | np.ndarray) -> float | np.ndarray:
        """The numeric twin at ``values`` (one keyword per symbol name).

        All values scalars: a float. Any value an array: an array of the broadcast shape.
        """
        assert self._numeric is not None
        return self._twin(self._numeric, values)

    def trivial_value(self, **values: float) -> float | None:
        """The trivial comparator at ``values`` (same keywords as :meth:`evaluate`), or None."""
        if self._trivial_numeric is None:
            return None
        return float(self._twin(self._trivial_numeric, values))

    def growth_exponent(self, variable: str = "T") -> sp.Expr:
        """lim_{v -> oo} log(expr) / log(v) for the symbol named ``variable``, every symbol
        taken positive: the power of ``variable`` the bound grows like (1/2 for O(sqrt T)).
        ValueError when the bound has no such symbol."""
        positive = {s: sp.Symbol(str(s), positive=True) for s in self.symbols}
        by_name = {str(s): p for s, p in positive.items()}
        if variable not in by_name:
            raise ValueError(f"bound {self.name!r} has no symbol {variable!r} "
                             f"(symbols: {sorted(by_name)})")
        v = by_name[variable]
        return sp.limit(sp.log(self.expr.xreplace(positive)) / sp.log(v), v, sp.oo)

    def vacuity(self, **values: float) -> float | None:
        """bound / trivial comparator at ``values``: >= 1 means the bound says nothing there
        (vacuous), None when the bound has no trivial comparator."""
        trivial = self.trivial_value(**values)
        if trivial is None:
            return None
        return float(self.evaluate(**values)) / trivial

    def _twin(self, fn: Callable[..., float], values: Mapping[str, float | np.ndarray]
              ) -> float | np.ndarray:
        unknown = set(values) - set(self.arg_names)
        missing = set(self.arg_names) - set(values)
        if unknown or missing:
            raise ValueError(
                f"bound {self.name!r} takes {self.arg_names}; "
                f"missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        out = np.asarray(fn(*(values[n] for n in self.arg_names)), dtype=float)
        shape = np.broadcast_shapes(*(np.shape(v) for v in values.values()))
        if not shape:
            return float(out)
        return np.broadcast_to(out, shape).copy()

    def latex(self) -> str:
        rel = {"upper": r"\le", "lower": r"\ge", "tight": "="}[self.kind]
        return f"{self.quantity} {rel} {to_latex(self.expr, self.latex_names)}"

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "quantity": self.quantity,
            "kind": self.kind,
            "expression": str(self.expr),
            "latex": self.latex(),
            "symbols": {str(s): meaning for s, meaning in self.symbols.items()},
            "assumptions": [a.describe() for a in self.assumptions],
            "reference": self.reference,
            "notes": self.notes,
            "trivial": None if self.trivial is None else str(self.trivial),
            "trivial_note": self.trivial_note,
        }


@dataclass(frozen=True)
class DerivationLine:
    """One line of a written derivation.

    ``text`` is the prose of the line; ``math`` is a sympy relation/expression or a LaTeX
    string (the appendix prints both); ``step`` names the proof step in ``proofs_check`` that
    checks this line (``ProofStep.name`` of the derivation's proof), or ``None`` for a line
    that only defines notation.
    """

    text: str
    math: sp.Basic | str | None = None
    step: str | None = None

    def latex(self, names: Mapping[sp.Symbol, str] | None = None) -> str:
        return "" if self.math is None else to_latex(self.math, names)


@dataclass(frozen=True)
class Derivation:
    """An ordered derivation, emitted as the appendix and linked to checked proof steps.

    ``proof`` is the ``ProofStep.proof`` name whose steps check the lines; ``bounds`` names
    the :class:`Bound` objects the derivation concludes; ``setting`` and ``notes`` are
    Markdown paragraphs (LaTeX in ``$...$`` allowed). ``latex_names`` overrides symbols'
    LaTeX in every line.
    """

    name: str
    title: str
    proof: str
    setting: str
    lines: tuple[DerivationLine, ...]
    bounds: tuple[str, ...] = ()
    notes: str = ""
    latex_names: Mapping[sp.Symbol, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValueError(f"derivation {self.name!r} has no lines")

    @property
    def steps(self) -> list[str]:
        """The proof-step names the lines refer to, in order, without repeats."""
        return list(dict.fromkeys(line.step for line in self.lines if line.step))
