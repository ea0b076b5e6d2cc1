"""What every optimizer of the package shares.

``TensorListOptimizer`` validates hyperparameters against the subclass's table, gathers the
parameters that have a gradient (rejecting sparse ones), picks the implementation path
(``foreach``/``fused``, or the measured default, see :mod:`dwmgrad.drivers`) and runs the
subclass's per-tensor update on it, keeps optimizer-wide state in ``self.state["global"]``
and makes ``load_state_dict`` copy every state tensor onto its parameters' device (torch
would otherwise share tensors with the loaded dict and leave non-parameter state where it
was).

``per_instance=True`` declares that dimension 0 of every parameter indexes independent
problem instances: every optimizer checks that contract (all parameters share the leading
dimension), and the rules that couple elements (DWMGrad's window, Aida's projections,
AdaptiveHB's curvature) then compute one value per instance; for an elementwise rule the
instances are independent already.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import torch
from torch import Tensor

from dwmgrad import drivers
from dwmgrad.drivers import scalar_dtype
from dwmgrad.hyperparams import HyperParam

__all__ = ["GLOBAL", "TensorListOptimizer", "zero_step"]

GLOBAL = "global"


def zero_step(p: Tensor) -> Tensor:
    """A fresh per-parameter step counter: 0-d, on ``p``'s device, at least float32."""
    return torch.zeros((), device=p.device, dtype=scalar_dtype(p.dtype))


class TensorListOptimizer(torch.optim.Optimizer):
    """Base class: validation, gathering, foreach default, global state, state loading.

    Subclasses set ``hyperparameters`` (their table), ``optimizer_wide`` (names that must be
    the same in every param group), ``uses_instances`` (whether ``per_instance`` changes
    the rule, and so the shape of the optimizer-wide state; with ``per_instance=True`` every
    optimizer needs the same leading dimension on every parameter) and ``state_keys`` (the
    per-parameter state: ``"step"`` is a 0-d counter, every other entry has its parameter's
    shape). ``fused_dtypes`` are the parameter dtypes a ``fused=True``
    path runs on. Subclasses implement ``_update_group`` (or ``step``) by calling
    :meth:`_run` with their per-tensor update.

    ``cpu_block_numel`` (an attribute, default None: :func:`dwmgrad.drivers.cpu_block_numel`
    for the current thread count) is the CPU block size of the foreach path; benchmarks and
    tuning set it on one optimizer, nothing global changes.

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
        self._cpu_block_numel: int | None = None
        super().__init__(params, defaults)

    @property
    def cpu_block_numel(self) -> int | None:
        """CPU block size of the foreach path (None: the default for the thread count)."""
        return self._cpu_block_numel

    @cpu_block_numel.setter
    def cpu_block_numel(self, numel: int | None) -> None:
        if numel is not None and (isinstance(numel, bool) or not isinstance(numel, int)
                                  or numel < 1):
            raise ValueError(f"Invalid cpu_block_numel: {numel!r}; expected None or an "
                             "integer >= 1")
        self._cpu_block_numel = numel

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
        if group["per_instance"]:
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
            params = self._params_with_grad(group)
            if params:
                self._update_group(group, params)
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

    def _path(self, group: Mapping[str, Any], params: list[Tensor]) -> str:
        """The group's path: ``fused``/``foreach`` as set, else the measured default."""
        if group["fused"]:
            return "fused"
        if group["foreach"] is None:
            return drivers.default_path(type(self).__name__, params)
        return "foreach" if group["foreach"] else "forloop"

    def _run(self, group: Mapping[str, Any], update: drivers.Update, lists: list[list[Tensor]],
             coefficients: Mapping[str, Any], *, split: bool = True) -> None:
        """Run the per-tensor ``update`` over ``lists`` (parameters, gradients, state) on the
        group's path (see :func:`dwmgrad.drivers.run`)."""
        block = self._cpu_block_numel or drivers.cpu_block_numel()
        drivers.run(self._path(group, lists[0]), update, lists, coefficients, split=split,
                    block_numel=block)

    def _per_tensor(self, group: Mapping[str, Any], scalars: drivers.Update,
                    counters: list[Tensor], coefficients: Mapping[str, Any]
                    ) -> list[list[Tensor]]:
        """Each tensor's 0-d coefficients from its 0-d state, computed before the update on
        the group's path (see :func:`dwmgrad.drivers.per_tensor`)."""
        return drivers.per_tensor(self._path(group, counters), scalars, counters, coefficients)

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
