"""Tables of valid hyperparameter ranges: one row (``HyperParam``) per constructor argument.

Every optimizer module declares ``HYPERPARAMETERS`` built from these rows; the optimizer's
constructor validates its arguments with that table and the registry publishes the same
table, so the tests that generate bad inputs (``HyperParam.invalid_examples``) and the
constructors share one source of truth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Literal

__all__ = [
    "HyperParam",
    "betas_row",
    "eps_row",
    "lr_row",
    "per_instance_row",
    "table",
    "unit_row",
]

Kind = Literal["float", "int", "choice", "bool", "betas"]


def _is_real(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _is_int(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


@dataclass(frozen=True)
class HyperParam:
    """One row of an optimizer's table of valid hyperparameter values.

    ``kind`` is ``"float"`` (a finite real number, ints accepted), ``"int"`` (an integer,
    not a bool), ``"bool"`` (exactly ``True``/``False``), ``"choice"`` (one of ``choices``)
    or ``"betas"`` (a pair of finite reals, each within the range). ``low``/``high`` bound
    the value (``None`` = unbounded); the ``*_inclusive`` flags say whether the bound itself
    is allowed.
    """

    name: str
    kind: Kind
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    choices: tuple[object, ...] = ()

    def expected(self) -> str:
        """Human-readable description of the valid values, used in error messages."""
        if self.kind == "bool":
            return "True or False"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        what = {"float": "a finite real number", "int": "an integer",
                "betas": "a pair (beta1, beta2) of real numbers, each"}[self.kind]
        return f"{what} in {self._interval()}"

    def _interval(self) -> str:
        left = "(-inf" if self.low is None else "[("[not self.low_inclusive] + f"{self.low:g}"
        right = "inf)" if self.high is None else f"{self.high:g}" + "])"[not self.high_inclusive]
        return f"{left}, {right}"

    def _in_range(self, x: float) -> bool:
        if math.isnan(x):
            return False
        if self.low is not None and (x < self.low or (x == self.low and not self.low_inclusive)):
            return False
        return self.high is None or (x < self.high or (x == self.high and self.high_inclusive))

    def is_valid(self, value: object) -> bool:
        """Whether ``value`` is an allowed setting of this hyperparameter."""
        if self.kind == "bool":
            return isinstance(value, bool)
        if self.kind == "choice":
            return any(type(value) is type(c) and value == c for c in self.choices)
        if self.kind == "int":
            return _is_int(value) and self._in_range(float(value))  # type: ignore[arg-type]
        if self.kind == "float":
            return _is_real(value) and math.isfinite(value) and self._in_range(float(value))  # type: ignore[arg-type]
        if not isinstance(value, tuple | list) or len(value) != 2:
            return False
        return all(_is_real(b) and math.isfinite(b) and self._in_range(float(b)) for b in value)

    def validate(self, value: object) -> None:
        """Raise ``ValueError("Invalid <name>: <value!r>; expected ...")`` for a bad value."""
        if not self.is_valid(value):
            raise ValueError(f"Invalid {self.name}: {value!r}; expected {self.expected()}")

    def _outside(self) -> list[float]:
        """Numbers just outside the allowed range (empty for an unbounded side)."""
        out: list[float] = []
        step_int = self.kind == "int"
        if self.low is not None:
            if not self.low_inclusive:
                out.append(self.low)
            else:
                out.append(self.low - 1 if step_int else math.nextafter(self.low, -math.inf))
        if self.high is not None:
            if not self.high_inclusive:
                out.append(self.high)
            else:
                out.append(self.high + 1 if step_int else math.nextafter(self.high, math.inf))
        return out

    def _inside(self) -> float:
        """A number inside the allowed range (used to build invalid pairs for betas)."""
        lo = 0.0 if self.low is None else self.low
        hi = lo + 2.0 if self.high is None else self.high
        return (lo + hi) / 2

    def invalid_examples(self) -> list[object]:
        """Values this row must reject: just outside the range, nan/inf, wrong types/choices."""
        if self.kind == "bool":
            return [1, 0, "yes", None]
        if self.kind == "choice":
            return [f"not-a-{self.name}", None, 1.5]
        if self.kind == "int":
            return [int(x) for x in self._outside()] + [2.5, "3", None, True]
        if self.kind == "float":
            return [*self._outside(), math.nan, math.inf, -math.inf, "0.1", None, True]
        ok = self._inside()
        out = self._outside()
        pairs: list[object] = [(x, ok) for x in out]
        pairs += [(ok, x) for x in out]
        return [*pairs, (math.nan, ok), (ok, math.inf), (ok,), (ok, ok, ok), ok, "0.9", None]


def table(*rows: HyperParam) -> dict[str, HyperParam]:
    """Index rows by name (the form stored in ``OptimizerInfo.hyperparameters``)."""
    return {row.name: row for row in rows}


def lr_row() -> HyperParam:
    """Learning rate: a finite number >= 0 (as in torch.optim)."""
    return HyperParam("lr", "float", low=0.0)


def eps_row(name: str = "eps") -> HyperParam:
    """A positive stabilising constant (0 would turn a zero gradient into 0/0 = NaN)."""
    return HyperParam(name, "float", low=0.0, low_inclusive=False)


def unit_row(name: str) -> HyperParam:
    """A momentum/decay coefficient in [0, 1)."""
    return HyperParam(name, "float", low=0.0, high=1.0, high_inclusive=False)


def betas_row() -> HyperParam:
    """Adam-style (beta1, beta2), each in [0, 1)."""
    return HyperParam("betas", "betas", low=0.0, high=1.0, high_inclusive=False)


def per_instance_row() -> HyperParam:
    """The ``per_instance`` flag (see ``dwmgrad.base``)."""
    return HyperParam("per_instance", "bool")
