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

import torch

__all__ = [
    "COUNTER_LIMIT",
    "HyperParam",
    "betas_row",
    "counter_row",
    "eps_row",
    "lr_row",
    "per_instance_row",
    "table",
    "unit_row",
]

Kind = Literal["float", "int", "choice", "bool", "betas"]

COUNTER_LIMIT = 2**24
"""Largest integer every step/window counter represents exactly: counters are tensors of at
least float32 (see ``dwmgrad.base.scalar_dtype``), where ``2**24 + 1`` rounds to ``2**24``."""


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
    is allowed. ``note`` (optional) says why the range is what it is. ``tensor_ok`` also accepts
    a 0-d floating-point tensor whose value is valid (a tensor lr, as torch.optim accepts one);
    ``nonzero_in_dtype`` marks a stabilising constant that must not round to 0 in the
    parameters' dtype (checked by :meth:`validate_for_dtype`).
    """

    name: str
    kind: Kind
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    choices: tuple[object, ...] = ()
    note: str = ""
    tensor_ok: bool = False
    nonzero_in_dtype: bool = False

    def expected(self) -> str:
        """Human-readable description of the valid values, used in error messages."""
        if self.kind == "bool":
            return "True or False"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        what = {"float": "a finite real number", "int": "an integer",
                "betas": "a pair (beta1, beta2) of real numbers, each"}[self.kind]
        out = f"{what} in {self._interval()}"
        if self.tensor_ok:
            out += " (or a 0-d floating-point tensor holding one)"
        return f"{out} ({self.note})" if self.note else out

    def _bound(self, x: float) -> str:
        return str(int(x)) if self.kind == "int" else f"{x:g}"

    def _interval(self) -> str:
        left = "(-inf" if self.low is None else "[("[not self.low_inclusive] + self._bound(self.low)
        right = ("inf)" if self.high is None
                 else self._bound(self.high) + "])"[not self.high_inclusive])
        return f"{left}, {right}"

    def _in_range(self, x: float) -> bool:
        """Whether ``x`` (finite: the callers check) lies in the range. Python compares an int
        with a float bound exactly, so an integer too large for a float is simply out of range
        (no OverflowError)."""
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
            return _is_int(value) and self._in_range(value)  # type: ignore[arg-type]
        if self.kind == "float":
            if isinstance(value, torch.Tensor):
                return (self.tensor_ok and value.dim() == 0 and value.is_floating_point()
                        and self.is_valid(float(value)))
            return _is_real(value) and math.isfinite(value) and self._in_range(float(value))  # type: ignore[arg-type]
        if not isinstance(value, tuple | list) or len(value) != 2:
            return False
        return all(_is_real(b) and math.isfinite(b) and self._in_range(float(b)) for b in value)

    def validate(self, value: object) -> None:
        """Raise ``ValueError("Invalid <name>: <value!r>; expected ...")`` for a bad value."""
        if not self.is_valid(value):
            raise ValueError(f"Invalid {self.name}: {value!r}; expected {self.expected()}")

    def validate_for_dtype(self, value: object, dtype: torch.dtype) -> None:
        """For a ``nonzero_in_dtype`` row: raise if ``value`` (already valid) rounds to 0 in
        ``dtype``, where ``x + value`` would then add nothing (e.g. ``eps=1e-50`` in float32 or
        ``1e-8`` in float16 turns a zero gradient into 0/0 = NaN)."""
        if not self.nonzero_in_dtype or torch.tensor(value, dtype=dtype) != 0:
            return
        info = torch.finfo(dtype)
        tiny = info.smallest_normal * info.eps  # the smallest subnormal
        raise ValueError(
            f"Invalid {self.name}: {value!r} for {str(dtype).removeprefix('torch.')} "
            f"parameters; it rounds to 0 there (expected at least {tiny:.3g}, the smallest "
            "positive value of that dtype)"
        )

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
            tensors: list[object] = []
            if self.tensor_ok:
                inside = self._inside()
                tensors = [torch.tensor(math.nan), torch.tensor([inside, inside]), torch.tensor(1),
                           *(torch.tensor(x, dtype=torch.float64) for x in self._outside())]
            return [*self._outside(), math.nan, math.inf, -math.inf, "0.1", None, True, *tensors]
        ok = self._inside()
        out = self._outside()
        pairs: list[object] = [(x, ok) for x in out]
        pairs += [(ok, x) for x in out]
        return [*pairs, (math.nan, ok), (ok, math.inf), (ok,), (ok, ok, ok), ok, "0.9", None]


def table(*rows: HyperParam) -> dict[str, HyperParam]:
    """Index rows by name (the form stored in ``OptimizerInfo.hyperparameters``)."""
    return {row.name: row for row in rows}


def lr_row() -> HyperParam:
    """Learning rate: a finite number >= 0, or a 0-d floating-point tensor holding one (as in
    torch.optim, where a tensor lr can be changed in place between steps)."""
    return HyperParam("lr", "float", low=0.0, tensor_ok=True)


def eps_row(name: str = "eps") -> HyperParam:
    """A positive stabilising constant (0 would turn a zero gradient into 0/0 = NaN), also
    nonzero in the parameters' dtype."""
    return HyperParam(name, "float", low=0.0, low_inclusive=False, nonzero_in_dtype=True)


def counter_row(name: str, low: int = 1, high: int = COUNTER_LIMIT) -> HyperParam:
    """An integer a step/window counter must reach or pass: at most ``high`` (at most
    :data:`COUNTER_LIMIT`, the largest integer the float32 counters represent exactly)."""
    return HyperParam(name, "int", low=low, high=high,
                      note="counters are float32 tensors, exact up to 2**24")


def unit_row(name: str) -> HyperParam:
    """A momentum/decay coefficient in [0, 1)."""
    return HyperParam(name, "float", low=0.0, high=1.0, high_inclusive=False)


def betas_row() -> HyperParam:
    """Adam-style (beta1, beta2), each in [0, 1)."""
    return HyperParam("betas", "betas", low=0.0, high=1.0, high_inclusive=False)


def per_instance_row() -> HyperParam:
    """The ``per_instance`` flag (see ``dwmgrad.base``)."""
    return HyperParam("per_instance", "bool")
