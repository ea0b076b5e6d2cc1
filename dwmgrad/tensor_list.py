"""The vocabulary every optimizer's per-tensor math is written in.

Each optimizer writes its update once, as a function of one parameter tensor, its gradient
and its state (see :mod:`dwmgrad.drivers`). The same function runs on plain tensors (the
for-loop path, and the compiled path, where TorchInductor fuses it into one kernel per
tensor) and on :class:`TensorList` (the foreach path), whose methods apply each operation to
a whole list with one ``torch._foreach_*`` call. So the math uses only operations both
provide: the ``Tensor`` methods :class:`TensorList` answers (those it spells out, and any other
with a ``torch._foreach_*`` op, e.g. ``sign_``), and the functions below for
the few that ``Tensor`` lacks or spells differently (a scaled add whose scale may be a
tensor, a reduction per problem instance, a coefficient broadcast over instance rows).

A coefficient (``Coef``) is a Python float, or a 0-d or (B,) tensor (one value per problem
instance, row b of every tensor using entry b). Under the compiled path every float
hyperparameter arrives as a tensor, so that a new learning rate does not recompile: the
scaled operations accept both.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import torch
from torch import Tensor

__all__ = [
    "Coef",
    "TensorList",
    "Vec",
    "add_scaled_",
    "addcdiv_scaled_",
    "addcmul_scaled_",
    "as_dtype",
    "broadcast_rows",
    "coefficient",
    "dtype_of",
    "log_of",
    "maximum_",
    "power_minus_one",
    "row_sum",
    "rows",
    "sqrt_into",
]

Coef = Tensor | float


class TensorList:
    """A list of tensors that answers the ``Tensor`` methods the per-tensor math uses, each
    with one ``torch._foreach_*`` call over the list (in place where the method ends in ``_``).

    Operands are another ``TensorList`` of the same length (elementwise, broadcasting per
    pair), a Python number, or a 0-d tensor shared by every entry.
    """

    __slots__ = ("tensors",)

    def __init__(self, tensors: Sequence[Tensor]) -> None:
        self.tensors = list(tensors)

    def __len__(self) -> int:
        return len(self.tensors)

    def _operand(self, other: Any, *, scalar_tensor: bool = True) -> Any:
        """``other`` as a foreach argument: a list, a number, or a 0-d tensor (which binds
        to the Tensor overload where ``scalar_tensor``, else is repeated as a list: a 0-d
        tensor given to a Scalar overload would be read on the host)."""
        if isinstance(other, TensorList):
            return other.tensors
        if isinstance(other, Tensor) and not scalar_tensor:
            return [other] * len(self.tensors)
        return other

    # -- arithmetic, out of place --
    def mul(self, other: Any) -> TensorList:
        return TensorList(torch._foreach_mul(self.tensors, self._operand(other)))

    def div(self, other: Any) -> TensorList:
        return TensorList(torch._foreach_div(self.tensors, self._operand(other)))

    def add(self, other: Any, *, alpha: float = 1) -> TensorList:
        arg = self._operand(other, scalar_tensor=False)
        if isinstance(arg, list):
            return TensorList(torch._foreach_add(self.tensors, arg, alpha=alpha))
        return TensorList(torch._foreach_add(self.tensors, arg))

    def sub(self, other: Any, *, alpha: float = 1) -> TensorList:
        arg = self._operand(other, scalar_tensor=False)
        if isinstance(arg, list):
            return TensorList(torch._foreach_sub(self.tensors, arg, alpha=alpha))
        return TensorList(torch._foreach_sub(self.tensors, arg))

    def sqrt(self) -> TensorList:
        return TensorList(torch._foreach_sqrt(self.tensors))

    def neg(self) -> TensorList:
        return TensorList(torch._foreach_neg(self.tensors))

    def reciprocal(self) -> TensorList:
        return TensorList(torch._foreach_reciprocal(self.tensors))

    def expm1(self) -> TensorList:
        return TensorList(torch._foreach_expm1(self.tensors))

    __mul__ = mul
    __truediv__ = div

    def __add__(self, other: Any) -> TensorList:
        return self.add(other)

    def __sub__(self, other: Any) -> TensorList:
        return self.sub(other)

    def __neg__(self) -> TensorList:
        return self.neg()

    # -- arithmetic, in place --
    def mul_(self, other: Any) -> TensorList:
        torch._foreach_mul_(self.tensors, self._operand(other))
        return self

    def div_(self, other: Any) -> TensorList:
        torch._foreach_div_(self.tensors, self._operand(other))
        return self

    def add_(self, other: Any, *, alpha: float = 1) -> TensorList:
        arg = self._operand(other, scalar_tensor=False)
        if isinstance(arg, list):
            torch._foreach_add_(self.tensors, arg, alpha=alpha)
        else:
            torch._foreach_add_(self.tensors, arg)
        return self

    def sub_(self, other: Any, *, alpha: float = 1) -> TensorList:
        arg = self._operand(other, scalar_tensor=False)
        if isinstance(arg, list):
            torch._foreach_sub_(self.tensors, arg, alpha=alpha)
        else:
            torch._foreach_sub_(self.tensors, arg)
        return self

    def addcmul_(self, x: TensorList, y: Any, *, value: float = 1) -> TensorList:
        torch._foreach_addcmul_(self.tensors, x.tensors, self._operand(y, scalar_tensor=False),
                                value=value)
        return self

    def addcdiv_(self, x: TensorList, y: TensorList, *, value: float = 1) -> TensorList:
        torch._foreach_addcdiv_(self.tensors, x.tensors, y.tensors, value=value)
        return self

    def lerp_(self, end: TensorList, weight: Any) -> TensorList:
        torch._foreach_lerp_(self.tensors, end.tensors,
                             self._operand(weight, scalar_tensor=False))
        return self

    def sqrt_(self) -> TensorList:
        torch._foreach_sqrt_(self.tensors)
        return self

    def rsqrt_(self) -> TensorList:
        torch._foreach_rsqrt_(self.tensors)
        return self

    def neg_(self) -> TensorList:
        torch._foreach_neg_(self.tensors)
        return self

    def reciprocal_(self) -> TensorList:
        torch._foreach_reciprocal_(self.tensors)
        return self

    def expm1_(self) -> TensorList:
        torch._foreach_expm1_(self.tensors)
        return self

    def clamp_min_(self, low: float) -> TensorList:
        torch._foreach_clamp_min_(self.tensors, low)
        return self

    def copy_(self, other: TensorList) -> TensorList:
        torch._foreach_copy_(self.tensors, other.tensors)
        return self

    # -- any other Tensor method torch has a foreach op for (sign_, abs, exp_, ...) --
    def __getattr__(self, name: str) -> Callable[..., TensorList]:
        """``x.name(*operands)`` as ``torch._foreach_<name>(x.tensors, *operands)`` (operands
        as above), for a ``Tensor`` method this class does not spell out: a new update rule
        can use it without extending this class. In place (``name`` ends in ``_``) it returns
        ``self``. AttributeError for a name with no such op."""
        op = getattr(torch, f"_foreach_{name}", None)
        if op is None:
            raise AttributeError(f"TensorList has no method {name!r}: torch has no "
                                 f"_foreach_{name} op")

        def apply(*operands: Any) -> TensorList:
            out = op(self.tensors, *(self._operand(x) for x in operands))
            return self if name.endswith("_") else TensorList(out)

        return apply


Vec = TypeVar("Vec", Tensor, TensorList)
"""One tensor (for-loop and compiled paths) or a list of them (foreach path)."""


def broadcast_rows(c: Tensor, like: Tensor) -> Tensor:
    """View a per-instance coefficient (B,) as (B, 1, ..., 1) to broadcast against ``like``.

    A 0-d coefficient (one value for all instances) is returned unchanged.
    """
    if c.dim() == 0:
        return c
    return c.view(c.shape[0], *([1] * (like.dim() - 1)))


def rows(c: Any, like: Tensor | TensorList) -> Any:
    """Coefficient ``c`` (a number, a 0-d or (B,) tensor, or a ``TensorList`` of those, one
    per tensor) shaped to multiply ``like`` row by row."""
    if not isinstance(like, TensorList):
        return broadcast_rows(c, like) if isinstance(c, Tensor) else c
    if isinstance(c, TensorList):
        return TensorList([broadcast_rows(ci, t) for ci, t in zip(c.tensors, like.tensors,
                                                                  strict=True)])
    if isinstance(c, Tensor) and c.dim() > 0:
        return TensorList([broadcast_rows(c, t) for t in like.tensors])
    return c


def _row_sum(x: Tensor, per_instance: bool) -> Tensor:
    dims = list(range(1, x.dim())) if per_instance else list(range(x.dim()))
    # Tensor.sum(dim=[]) would sum everything: a 1-D tensor per instance (or a 0-d tensor)
    # is its own row sum
    return x.sum(dim=dims) if dims else x


def as_dtype(x: Any, dtype: torch.dtype) -> Any:
    """``x`` (a number, a tensor or a ``TensorList``) converted to ``dtype``; numbers as they
    are."""
    if isinstance(x, TensorList):
        return TensorList([t.to(dtype) for t in x.tensors])
    return x.to(dtype) if isinstance(x, Tensor) else x


def dtype_of(x: Tensor | TensorList) -> torch.dtype:
    """The dtype of a tensor, or of the tensors of a ``TensorList`` (one dtype per list: the
    drivers group tensors by device and dtype)."""
    return x.tensors[0].dtype if isinstance(x, TensorList) else x.dtype


def row_sum(x: Vec, per_instance: bool) -> Vec:
    """Sum of ``x`` per problem instance: (B,) if ``per_instance`` (all dimensions but 0
    summed), else 0-d; for a ``TensorList``, one such sum per tensor."""
    if isinstance(x, TensorList):
        return TensorList([_row_sum(t, per_instance) for t in x.tensors])
    return _row_sum(x, per_instance)


def add_scaled_(x: Vec, y: Vec, c: Coef) -> Vec:
    """x <- x + c·y, in place (``c`` a number, or tensors, as under the compiled path)."""
    if not isinstance(c, float | int):
        # a tensor (a tensor lr): as a tensor operand, since add_'s alpha= reads it on the host
        return x.addcmul_(y, c)  # type: ignore[arg-type, return-value]
    return x.add_(y, alpha=c)  # type: ignore[arg-type, return-value]


def addcmul_scaled_(x: Vec, y: Vec, z: Vec, c: Coef) -> Vec:
    """x <- x + c·y·z, in place."""
    if not isinstance(c, float | int):
        return x.addcmul_(y * c, z)  # type: ignore[arg-type, operator, return-value]
    return x.addcmul_(y, z, value=c)  # type: ignore[arg-type, return-value]


def addcdiv_scaled_(x: Vec, y: Vec, z: Vec, c: Coef) -> Vec:
    """x <- x + c·y/z, in place. A tensor ``c`` scales y (a multiplication; dividing z by c
    would cost the compiled kernel a second vector division per element)."""
    if not isinstance(c, float | int):
        return x.addcdiv_(y * c, z)  # type: ignore[arg-type, operator, return-value]
    return x.addcdiv_(y, z, value=c)  # type: ignore[arg-type, return-value]


def maximum_(x: Vec, y: Vec) -> Vec:
    """x <- max(x, y), in place."""
    if isinstance(x, TensorList):
        torch._foreach_maximum_(x.tensors, y.tensors)  # type: ignore[union-attr]
        return x
    return torch.maximum(x, y, out=x)  # type: ignore[arg-type]


def sqrt_into(out: Vec, x: Vec) -> Vec:
    """√x, written into ``out``'s memory on the for-loop path (one allocation less per
    tensor); a new list on the foreach path."""
    if isinstance(x, TensorList):
        return x.sqrt()
    return torch.sqrt(x, out=out)  # type: ignore[arg-type]


def coefficient(value: Any) -> Coef:
    """A hyperparameter as a coefficient: a tensor as it is (a tensor lr, never read on the
    host), any number as a Python float (which the compiled path turns into a tensor input)."""
    return value if isinstance(value, Tensor) else float(value)


def log_of(beta: float) -> float:
    """log(beta) in Python float64 (-inf for beta = 0, so that 0**t = 0 for t >= 1)."""
    return math.log(beta) if beta > 0 else -math.inf


def power_minus_one(log_beta: Coef, step: Vec) -> Vec:
    r""":math:`\beta^t - 1` for step counts ``step`` (t >= 1), as ``expm1(t·log β)`` with
    ``log_beta`` = :func:`log_of` (β) taken in Python float64.

    Accurate to a few ulp in the step's dtype (float32 included) for every β in [0, 1):
    ``1 - beta**t`` on a float32 step rounds a β within 2**-24 of 1 to 1 and returns 0
    (torch.optim.Adam avoids this by computing its corrections in Python float64).
    """
    return step.mul(log_beta).expm1_()  # type: ignore[arg-type, return-value]
