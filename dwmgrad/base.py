"""What every optimizer of the package shares.

``TensorListOptimizer`` validates hyperparameters against the subclass's table, gathers the
parameters that have a gradient (rejecting sparse ones), resolves the ``foreach`` default
the way torch.optim does, keeps optimizer-wide state in ``self.state["global"]`` and makes
``load_state_dict`` copy every state tensor onto its parameters' device (torch would
otherwise share tensors with the loaded dict and leave non-parameter state where it was).

The ``per_instance`` helpers turn "one number per tensor" into "one number per problem
instance (row 0 of every tensor)" by choosing the reduction dimensions, so the same code
serves both modes.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar, cast

import torch
from torch import Tensor
from torch.optim.optimizer import _default_to_fused_or_foreach

from dwmgrad.hyperparams import HyperParam

__all__ = [
    "TensorListOptimizer",
    "bias_correction",
    "broadcast_rows",
    "cache_blocks",
    "cpu_block_numel",
    "cpu_blocks_of",
    "foreach_power_minus_one",
    "grouped_by_device",
    "per_tensor",
    "power_minus_one",
    "reduction_dims",
    "row_sum",
    "scalar_dtype",
    "zero_step",
]

GLOBAL = "global"


def scalar_dtype(*dtypes: torch.dtype) -> torch.dtype:
    """Dtype for counters and coefficients: the widest of the given floating dtypes and float32."""
    out = torch.float32
    for d in dtypes:
        out = torch.promote_types(out, d)
    return out


def zero_step(p: Tensor) -> Tensor:
    """A fresh per-parameter step counter: 0-d, on ``p``'s device, at least float32."""
    return torch.zeros((), device=p.device, dtype=scalar_dtype(p.dtype))


def reduction_dims(t: Tensor, per_instance: bool) -> list[int]:
    """Dimensions reduced to one number per problem instance: all but 0 if per_instance."""
    return list(range(1, t.dim())) if per_instance else list(range(t.dim()))


def row_sum(x: Tensor, per_instance: bool) -> Tensor:
    """Sum of ``x`` per instance: shape (B,) if per_instance, else 0-d.

    ``Tensor.sum(dim=[])`` would sum everything, so an empty dimension list (a 1-D tensor
    per instance, or a 0-d tensor) returns ``x`` itself.
    """
    dims = reduction_dims(x, per_instance)
    return x.sum(dim=dims) if dims else x


def broadcast_rows(c: Tensor, like: Tensor) -> Tensor:
    """View a per-instance coefficient (B,) as (B, 1, ..., 1) to broadcast against ``like``.

    A 0-d coefficient (one value for all instances) is returned unchanged.
    """
    if c.dim() == 0:
        return c
    return c.view(c.shape[0], *([1] * (like.dim() - 1)))


def per_tensor(c: Tensor, tensors: list[Tensor]) -> Any:
    """Coefficient argument for a ``torch._foreach_*`` op over ``tensors``.

    A 0-d tensor uses the op's tensor-scalar overload; a per-instance (B,) coefficient
    becomes a list of broadcastable views, one per tensor. (Typed ``Any`` because torch's
    stubs declare the two overloads separately.)
    """
    if c.dim() == 0:
        return c
    return [broadcast_rows(c, t) for t in tensors]


def _log(beta: float) -> float:
    """log(beta) in Python float64 (-inf for beta = 0, so that 0**t = 0 for t >= 1)."""
    return math.log(beta) if beta > 0 else -math.inf


def power_minus_one(beta: float, step: Tensor) -> Tensor:
    r""":math:`\beta^t - 1` for the 0-d step count ``step`` (t >= 1), as
    ``expm1(t * log(beta))`` with ``log(beta)`` taken in Python float64.

    Accurate to a few ulp in the step's dtype (float32 included) for every beta in [0, 1):
    ``1 - beta**t`` on a float32 step rounds a beta within 2**-24 of 1 to 1 and returns 0
    (torch.optim.Adam avoids this by computing its corrections in Python float64).
    """
    return torch.expm1(step * _log(beta))


def bias_correction(beta: float, step: Tensor) -> Tensor:
    r""":math:`1 - \beta^t` (a 0-d tensor), accurate in float32; see :func:`power_minus_one`."""
    return power_minus_one(beta, step).neg()


def foreach_power_minus_one(beta: float, steps: list[Tensor]) -> list[Tensor]:
    """:func:`power_minus_one` for every step counter of ``steps`` (new tensors)."""
    out = torch._foreach_mul(steps, _log(beta))
    torch._foreach_expm1_(out)
    return list(out)


def adam_denominator(
    v: list[Tensor], grads: list[Tensor], steps: list[Tensor], *,
    beta2: float, eps: float, foreach: bool,
) -> list[Tensor]:
    r"""Adam's second moment, shared by DemonAdam and AdamAHB: update in place and return the
    denominators.

    :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2`, :math:`t \leftarrow t + 1`, and the
    returned tensors are :math:`\sqrt{v_t/(1-\beta_2^t)} + \epsilon` (new tensors), with
    :math:`1-\beta_2^t` from :func:`bias_correction` (finite in float32 for every valid beta2).
    """
    if foreach:
        torch._foreach_mul_(v, beta2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - beta2)
        torch._foreach_add_(steps, 1)
        bias = foreach_power_minus_one(beta2, steps)
        torch._foreach_neg_(bias)
        denom = torch._foreach_div(v, bias)
        torch._foreach_sqrt_(denom)
        torch._foreach_add_(denom, eps)
        return list(denom)
    out = []
    for g, v_i, step in zip(grads, v, steps, strict=True):
        v_i.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        step.add_(1)
        out.append((v_i / bias_correction(beta2, step)).sqrt() + eps)
    return out


def grouped_by_device(
    lists: list[list[Tensor]],
) -> Iterator[tuple[torch.device, list[list[Tensor]]]]:
    """torch.optim's grouping of parallel tensor lists by (device, dtype) of the first list.

    Empty lists (optional state) stay empty in every group.
    """
    grouped = torch.optim.Optimizer._group_tensors_by_device_and_dtype(lists)  # type: ignore[arg-type]
    for (device, _), (group_lists, _) in grouped.items():
        yield cast(torch.device, device), cast(list[list[Tensor]], group_lists)


CPU_BLOCK_NUMEL = 1 << 15
"""Elements per list in a CPU block when torch runs single-threaded (128 KiB of float32)."""
CPU_BLOCK_NUMEL_PER_THREAD = 1 << 18
"""Elements per list and per thread in a CPU block when torch runs multi-threaded."""


_block_numel_override: int | None = None


def cpu_block_numel() -> int:
    """The block size :func:`cache_blocks` uses on CPU with the current torch thread count.

    Single-threaded, a block of ``CPU_BLOCK_NUMEL`` elements per list keeps the working set
    of one step's sequence of ops (θ, g, s, v and temporaries) in the core's L2 cache. With
    several threads every op on a block is a parallel region whose fork/join cost outweighs
    that gain on small blocks, so blocks get ``CPU_BLOCK_NUMEL_PER_THREAD`` elements per
    thread. Both sizes were chosen with ``dwmgrad-verify bench blocks``, which times other
    sizes on the machine at hand (through :func:`cpu_blocks_of`).
    """
    if _block_numel_override is not None:
        return _block_numel_override
    threads = torch.get_num_threads()
    return CPU_BLOCK_NUMEL if threads == 1 else CPU_BLOCK_NUMEL_PER_THREAD * threads


@contextlib.contextmanager
def cpu_blocks_of(numel: int) -> Iterator[None]:
    """Within the block, :func:`cpu_block_numel` is ``numel`` (for benchmarks and tuning)."""
    global _block_numel_override
    if isinstance(numel, bool) or not isinstance(numel, int) or numel < 1:
        raise ValueError(f"Invalid block size: {numel!r}; expected an integer >= 1")
    previous, _block_numel_override = _block_numel_override, numel
    try:
        yield
    finally:
        _block_numel_override = previous


def cache_blocks(
    lists: list[list[Tensor]], device: torch.device, *, split: bool = True
) -> Iterator[list[list[Tensor]]]:
    """Split parallel tensor lists (all of the same length) into consecutive blocks for
    ``torch._foreach_*`` ops.

    On CPU a block holds at most :func:`cpu_block_numel` elements per list, so that the
    sequence of foreach ops of one step revisits a bounded working set instead of streaming
    every op over all tensors through main memory (on CPU the latter was measurably slower
    than the for-loop path). Small tensors are grouped; with ``split`` a larger tensor is cut
    into flat views when the tensors at its position in every list are contiguous (an
    elementwise rule gives the same values on the pieces; pass ``split=False`` when a
    coefficient broadcasts over rows). Other devices get one block, as in torch.optim.
    """
    if device.type != "cpu":
        yield lists
        return
    limit = cpu_block_numel()
    block: list[list[Tensor]] = [[] for _ in lists]
    total = 0
    for column in zip(*lists, strict=True):
        size = column[0].numel()
        if split and size > limit and all(t.is_contiguous() for t in column):
            for pieces in zip(*(t.view(-1).split(limit) for t in column), strict=True):
                yield [[piece] for piece in pieces]
            continue
        if total and total + size > limit:
            yield block
            block, total = [[] for _ in lists], 0
        for out, t in zip(block, column, strict=True):
            out.append(t)
        total += size
    if block[0]:
        yield block


class TensorListOptimizer(torch.optim.Optimizer):
    """Base class: validation, gathering, foreach default, global state, state loading.

    Subclasses set ``hyperparameters`` (their table), ``optimizer_wide`` (names that must be
    the same in every param group) and ``uses_instances`` (whether ``per_instance`` changes
    the rule, in which case every parameter needs the same leading dimension).
    """

    hyperparameters: ClassVar[Mapping[str, HyperParam]]
    optimizer_wide: ClassVar[tuple[str, ...]] = ("per_instance",)
    uses_instances: ClassVar[bool] = False

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        for name, row in self.hyperparameters.items():
            row.validate(defaults[name])
        for flag in ("foreach", "fused"):
            value = defaults.get(flag)
            if value is not None and not isinstance(value, bool):
                raise ValueError(f"Invalid {flag}: {value!r}; expected None, True or False")
        if defaults.get("foreach") and defaults.get("fused"):
            raise ValueError("Invalid foreach=True with fused=True; choose at most one of them")
        super().__init__(params, defaults)

    # ------------------------------------------------------------------ param groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for name, row in self.hyperparameters.items():
            row.validate(group[name])
        for name in self.optimizer_wide:
            if group[name] != self.defaults[name]:
                raise ValueError(
                    f"Invalid {name}={group[name]!r} in a param group: {type(self).__name__} "
                    f"uses one {name} for all groups ({self.defaults[name]!r})"
                )
        self._check_group(group)
        if group["per_instance"] and self.uses_instances:
            for p in group["params"]:
                self._check_instance_shape(p)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Constraints between hyperparameters (each one already valid on its own)."""

    def _check_instance_shape(self, p: Tensor) -> None:
        if p.dim() == 0:
            raise ValueError(
                "Invalid parameter of shape (): per_instance=True needs a leading "
                "instance dimension on every parameter"
            )
        batch = self._all_params()[0].shape[0]
        if p.shape[0] != batch:
            raise ValueError(
                f"Invalid parameter of shape {tuple(p.shape)}: per_instance=True needs the "
                f"same leading dimension on every parameter (the first has {batch})"
            )

    # ------------------------------------------------------------------ stepping
    @staticmethod
    def _closure_loss(closure: Callable[[], Any] | None) -> Any:
        """``closure()`` evaluated with gradients enabled (steps run under no_grad), or None."""
        if closure is None:
            return None
        with torch.enable_grad():
            return closure()

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """One step over every param group; returns ``closure()``'s value (or None)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            self._update_group(group, self._params_with_grad(group))
        return loss

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _update_group or step")

    # ------------------------------------------------------------------ gathering
    def _params_with_grad(self, group: dict[str, Any]) -> list[Tensor]:
        """Parameters of ``group`` that have a gradient; sparse gradients are rejected."""
        params = [p for p in group["params"] if p.grad is not None]
        for p in params:
            if p.grad.is_sparse:  # type: ignore[union-attr]
                raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
        return params

    @staticmethod
    def _use_foreach(group: dict[str, Any], params: list[Tensor]) -> bool:
        """``foreach`` of the group; ``None`` means torch.optim's default for these tensors."""
        if group["foreach"] is None:
            return bool(_default_to_fused_or_foreach(params, False, use_fused=False)[1])
        return bool(group["foreach"])

    def _state_lists(
        self, params: list[Tensor], keys: Iterable[str], init: Callable[[Tensor], dict[str, Tensor]]
    ) -> list[list[Tensor]]:
        """Per-key lists of state tensors for ``params``, initialising missing state."""
        for p in params:
            if len(self.state[p]) == 0:
                self.state[p].update(init(p))
        return [[self.state[p][k] for p in params] for k in keys]

    # ------------------------------------------------------------------ global state
    def _all_params(self) -> list[Tensor]:
        return [p for g in self.param_groups for p in g["params"]]

    def _global_device_dtype(self) -> tuple[torch.device, torch.dtype]:
        params = self._all_params()
        return params[0].device, scalar_dtype(*(p.dtype for p in params if p.is_floating_point()))

    def _global_state(self) -> dict[str, Tensor]:
        """Optimizer-wide state ``self.state["global"]``, created by ``_init_global`` if new."""
        glob = self.state[GLOBAL]  # type: ignore[index]
        if len(glob) == 0:
            device, dtype = self._global_device_dtype()
            glob.update(self._init_global(device, dtype))
        return glob

    def _init_global(self, device: torch.device, dtype: torch.dtype) -> dict[str, Tensor]:
        raise NotImplementedError(f"{type(self).__name__} has no optimizer-wide state")

    def _instances(self) -> tuple[int, ...]:
        """Shape of one value per instance: (B,) when per_instance applies, else ()."""
        if self.defaults["per_instance"] and self.uses_instances:
            return (self._all_params()[0].shape[0],)
        return ()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load state, then give every state tensor its own copy on its parameters' device."""
        super().load_state_dict(state_dict)
        for key, entry in list(self.state.items()):
            if isinstance(key, Tensor):
                self.state[key] = {
                    k: t.to(device=key.device, copy=True) if isinstance(t, Tensor) else t
                    for k, t in entry.items()
                }
        if GLOBAL in self.state:
            device, dtype = self._global_device_dtype()
            self.state[GLOBAL] = {  # type: ignore[index]
                k: t.to(device=device, dtype=dtype, copy=True)
                for k, t in self.state[GLOBAL].items()  # type: ignore[index]
            }
