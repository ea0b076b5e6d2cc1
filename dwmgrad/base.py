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
    "add_scaled_",
    "bias_correction",
    "broadcast_rows",
    "cache_blocks",
    "cpu_block_numel",
    "cpu_blocks_of",
    "foreach_add_scaled_",
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


def add_scaled_(y: Tensor, x: Tensor, a: float | Tensor) -> Tensor:
    """``y += a·x`` in place. A 0-d tensor ``a`` (a tensor lr) goes in as a tensor operand:
    ``add_``'s ``alpha=`` would read it on the host."""
    return y.addcmul_(x, a) if isinstance(a, Tensor) else y.add_(x, alpha=a)


def foreach_add_scaled_(ys: list[Tensor], xs: list[Tensor], a: float | Tensor) -> None:
    """:func:`add_scaled_` for every pair of ``ys`` and ``xs``."""
    if isinstance(a, Tensor):
        torch._foreach_add_(ys, torch._foreach_mul(xs, a))
    else:
        torch._foreach_add_(ys, xs, alpha=a)


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
    the same in every param group), ``uses_instances`` (whether ``per_instance`` changes
    the rule, in which case every parameter needs the same leading dimension) and
    ``state_keys`` (the per-parameter state: ``"step"`` is a 0-d counter, every other entry
    has its parameter's shape). ``fused_dtypes`` are the parameter dtypes a ``fused=True``
    path runs on.

    Settings are checked where they enter: the constructor, ``add_param_group`` (a refused
    group leaves the optimizer as it was) and ``load_state_dict``, which checks the whole
    state_dict against the current parameters before it changes anything and then adopts
    its settings, optimizer-wide ones included.
    """

    hyperparameters: ClassVar[Mapping[str, HyperParam]]
    optimizer_wide: ClassVar[tuple[str, ...]] = ("per_instance",)
    uses_instances: ClassVar[bool] = False
    state_keys: ClassVar[tuple[str, ...]] = ()
    fused_dtypes: ClassVar[tuple[torch.dtype, ...]] = (torch.float32, torch.float64)

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self._check_settings(defaults)
        super().__init__(params, defaults)

    # ------------------------------------------------------------------ validation
    def _check_settings(self, settings: Mapping[str, Any]) -> None:
        """Each hyperparameter valid on its own, the path flags, the constraints between them."""
        for name, row in self.hyperparameters.items():
            row.validate(settings[name])
        for flag in ("foreach", "fused"):
            value = settings.get(flag)
            if value is not None and not isinstance(value, bool):
                raise ValueError(f"Invalid {flag}: {value!r}; expected None, True or False")
        if settings.get("foreach") and settings.get("fused"):
            raise ValueError("Invalid foreach=True with fused=True; choose at most one of them")
        self._check_group(settings)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        """Constraints between hyperparameters (each one already valid on its own)."""

    def _check_optimizer_wide(self, group: Mapping[str, Any], reference: Mapping[str, Any]
                              ) -> None:
        for name in self.optimizer_wide:
            if group[name] != reference[name]:
                raise ValueError(
                    f"Invalid {name}={group[name]!r} in a param group: {type(self).__name__} "
                    f"uses one {name} for all groups ({reference[name]!r})"
                )

    def _check_params(self, group: Mapping[str, Any], params: list[Tensor]) -> None:
        """What the settings of ``group`` require of its parameters: real floating point, the
        stabilising constants nonzero in their dtype, a dtype the fused path supports, and
        the leading instance dimension."""
        name = type(self).__name__
        for p in params:
            if not p.is_floating_point():
                raise ValueError(
                    f"Invalid parameter of dtype {_dtype_name(p.dtype)}: {name} optimises real "
                    "floating-point tensors only (for a complex z, make torch.view_as_real(z) "
                    "the parameter and use torch.view_as_complex on it in the model)"
                )
        dtypes = sorted({p.dtype for p in params}, key=str)
        for key, row in self.hyperparameters.items():
            for dtype in dtypes:
                row.validate_for_dtype(group[key], dtype)
        unsupported = [d for d in dtypes if d not in self.fused_dtypes]
        if group.get("fused") and unsupported:
            raise ValueError(
                f"Invalid fused=True with {_dtype_name(unsupported[0])} parameters: the fused "
                f"step of {name} runs on {', '.join(map(_dtype_name, self.fused_dtypes))} only "
                "(use foreach=True or foreach=False)"
            )
        if group["per_instance"] and self.uses_instances:
            for p in params:
                self._check_instance_shape(p)

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

    # ------------------------------------------------------------------ param groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        try:
            self._check_settings(group)
            self._check_optimizer_wide(group, self.defaults)
            self._check_params(group, group["params"])
        except ValueError:
            self.param_groups.pop()
            raise

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
            glob.update(self._init_global(device, dtype, self._instances()))
        return glob

    def _init_global(self, device: torch.device, dtype: torch.dtype, instances: tuple[int, ...]
                     ) -> dict[str, Tensor]:
        """Fresh optimizer-wide state; ``instances`` is the shape of one value per instance."""
        raise NotImplementedError(f"{type(self).__name__} has no optimizer-wide state")

    def _instances(self, per_instance: bool | None = None) -> tuple[int, ...]:
        """Shape of one value per instance: (B,) when per_instance applies, else ().
        ``per_instance`` defaults to the optimizer's setting."""
        if per_instance is None:
            per_instance = self.defaults["per_instance"]
        if per_instance and self.uses_instances:
            return (self._all_params()[0].shape[0],)
        return ()

    def _state_keys(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        """Keys of one parameter's state under ``group``'s settings."""
        return self.state_keys

    # ------------------------------------------------------------------ state loading
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Check ``state_dict`` against this optimizer's parameters, load it, adopt its
        settings (optimizer-wide ones included), and give every state tensor its own copy on
        its parameter's device (torch would otherwise share tensors with the loaded dict).

        Refused with a ValueError, before anything changes: a dict of another optimizer,
        param groups that do not match the parameters, invalid settings (as the constructor
        would refuse them), and state entries with other keys, shapes or non-floating dtypes.
        Floating state is cast to its parameter's dtype, as torch.optim does.
        """
        self._check_state_dict(state_dict)
        super().load_state_dict(state_dict)
        for name in self.optimizer_wide:
            self.defaults[name] = self.param_groups[0][name]
        for key, entry in list(self.state.items()):
            if isinstance(key, Tensor):
                self.state[key] = {
                    k: t.to(device=key.device, dtype=scalar_dtype(key.dtype) if k == "step"
                            else key.dtype, copy=True)
                    for k, t in entry.items()
                }
        if GLOBAL in self.state:
            device, dtype = self._global_device_dtype()
            self.state[GLOBAL] = {  # type: ignore[index]
                k: t.to(device=device, dtype=dtype, copy=True)
                for k, t in self.state[GLOBAL].items()  # type: ignore[index]
            }

    def _check_state_dict(self, state_dict: Any) -> None:
        name = type(self).__name__
        if not isinstance(state_dict, Mapping) or not isinstance(
                state_dict.get("param_groups"), list | tuple) or not isinstance(
                state_dict.get("state"), Mapping):
            raise ValueError(
                f"Invalid state_dict of type {type(state_dict).__name__}: expected a mapping "
                f"with 'state' and 'param_groups', as {name}.state_dict() returns"
            )
        saved_groups, state = state_dict["param_groups"], state_dict["state"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"Invalid state_dict: {len(saved_groups)} param groups; this {name} has "
                f"{len(self.param_groups)}"
            )
        owners: dict[Any, tuple[Tensor, Mapping[str, Any]]] = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            missing = [k for k in (*self.hyperparameters, "params")
                       if not isinstance(saved, Mapping) or k not in saved]
            if missing:
                raise ValueError(
                    f"Invalid state_dict: param group {i} has no {', '.join(missing)}; not a "
                    f"{name} state_dict (saved by another optimizer?)"
                )
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"Invalid state_dict: param group {i} holds {len(saved['params'])} "
                    f"parameters; this {name}'s group {i} has {len(group['params'])}"
                )
            try:
                self._check_settings(saved)
                self._check_optimizer_wide(saved, saved_groups[0])
                self._check_params(saved, group["params"])
            except ValueError as exc:
                raise ValueError(f"Invalid state_dict, param group {i}: {exc}") from None
            owners.update(zip(saved["params"], ((p, saved) for p in group["params"]),
                              strict=True))
        for key, entry in state.items():
            if key == GLOBAL:
                instances = self._instances(saved_groups[0]["per_instance"])
                try:
                    fresh = self._init_global(torch.device("meta"), torch.float32, instances)
                except NotImplementedError:
                    fresh = {}
                self._check_entry("the optimizer-wide state", entry,
                                  {k: tuple(t.shape) for k, t in fresh.items()})
            elif key in owners:
                p, saved = owners[key]
                self._check_entry(f"the state of parameter {key!r}", entry, {
                    k: () if k == "step" else tuple(p.shape) for k in self._state_keys(saved)})
            else:
                raise ValueError(
                    f"Invalid state_dict: state for parameter {key!r}, which no param group lists"
                )

    def _check_entry(self, what: str, entry: Any, shapes: Mapping[str, tuple[int, ...]]) -> None:
        """``entry`` is empty (no step taken yet) or has exactly the keys of ``shapes``, each a
        floating-point tensor of that shape."""
        name = type(self).__name__
        if not isinstance(entry, Mapping) or (entry and set(entry) != set(shapes)):
            keys = sorted(map(str, entry)) if isinstance(entry, Mapping) else type(entry).__name__
            raise ValueError(
                f"Invalid state_dict: {what} has {keys}; {name} keeps {sorted(shapes)} here "
                "(a state_dict of another optimizer, or of other settings?)"
            )
        for key, value in entry.items():
            if not isinstance(value, Tensor) or not value.is_floating_point():
                kind = (f"a {_dtype_name(value.dtype)} tensor" if isinstance(value, Tensor)
                        else f"{value!r}")
                raise ValueError(
                    f"Invalid state_dict: {what}[{key!r}] is {kind}; expected a floating-point "
                    f"tensor of shape {shapes[key]}"
                )
            if tuple(value.shape) != shapes[key]:
                raise ValueError(
                    f"Invalid state_dict: {what}[{key!r}] has shape {tuple(value.shape)}; "
                    f"expected {shapes[key]} (the parameter's)"
                )


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")
