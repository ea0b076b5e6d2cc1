"""Build any optimizer a spec names, from :data:`dwmgrad.registry.OPTIMIZER_REGISTRY`: the
package's (always with ``per_instance=True``), the ``torch.optim`` baselines and plugins'.

Every one is wrapped in :class:`RunOptimizer`, the runner's uniform interface:
``step(loss)`` (the per-instance loss, used only by optimizers that need it), ``window()`` and
``momentum()`` (values that broadcast to (B,), for recording), ``state_bytes()``. Elementwise
optimizers also take ``lr_schedule`` (:mod:`experiments.baselines`).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import torch

from experiments import external
from experiments.baselines import SCHEDULES, ScheduledOptimizer

if TYPE_CHECKING:
    from dwmgrad.registry import OptimizerInfo
    from verify_io.plugins import Registry


def registry() -> Registry[OptimizerInfo]:
    """``dwmgrad.registry.OPTIMIZER_REGISTRY`` (imported lazily: it imports every optimizer)."""
    from dwmgrad.registry import OPTIMIZER_REGISTRY

    return OPTIMIZER_REGISTRY


def package_optimizers() -> dict[str, OptimizerInfo]:
    """The package's own optimizers, ``dwmgrad.registry.OPTIMIZERS`` (imported lazily)."""
    from dwmgrad.registry import OPTIMIZERS

    return dict(OPTIMIZERS)


def optimizer_names() -> list[str]:
    """The registered names (any ``PKG.MOD:CLASS`` import path is accepted besides them)."""
    return sorted(registry())


def check_hyperparameters(info: OptimizerInfo, hyper: Mapping[str, Any]) -> None:
    """ValueError naming the first unknown name or bad value of ``hyper`` for ``info``."""
    allowed = info.accepted() + (["lr_schedule"] if info.instances == "elementwise" else [])
    unknown = sorted(set(hyper) - set(allowed))
    if unknown:
        fixed = sorted(set(unknown) & set(info.fixed))
        if fixed:
            raise ValueError(f"Invalid hyperparameter(s) {fixed} for {info.name}: fixed to "
                             f"{ {k: info.fixed[k] for k in fixed} }")
        raise ValueError(f"Invalid hyperparameter(s) {unknown} for {info.name}; expected "
                         f"some of {sorted(allowed)}")
    for name, value in hyper.items():
        if name in info.hyperparameters:
            info.hyperparameters[name].validate(value)
    schedule = hyper.get("lr_schedule", "constant")
    if schedule not in SCHEDULES:
        raise ValueError(f"Invalid lr_schedule: {schedule!r}; expected one of {SCHEDULES}")


def check_optimizer_name(name: str) -> None:
    """ValueError unless ``name`` is registered or an importable optimizer class's path."""
    if external.is_import_path(name):
        external.resolve(name)
    elif name not in optimizer_names():
        raise ValueError(f"Unknown optimizer {name!r}; expected one of "
                         f"{', '.join(optimizer_names())} or an import path PKG.MOD:CLASS")


def check_steps(name: str, hyper: Mapping[str, Any]) -> None:
    """ValueError naming ``hyper`` unless optimizer ``name`` accepts it and takes two finite
    steps from finite gradients on a small parameter (one instance, float64)."""
    param = torch.zeros(1, 3, dtype=torch.float64, requires_grad=True)
    try:
        optimizer = RunOptimizer(name, param, hyper, horizon=2)
        for _ in range(2):
            param.grad = torch.tensor([[1.0, -2.0, 0.5]], dtype=torch.float64)
            optimizer.step(torch.ones(1, dtype=torch.float64))
    except Exception as exc:  # noqa: BLE001 - any rejection is reported as the user's input
        raise ValueError(f"options {dict(hyper)!r} rejected by {name}: "
                         f"{type(exc).__name__}: {exc}") from None
    if not bool(torch.isfinite(param).all()):
        raise ValueError(f"options {dict(hyper)!r}: {name} made a non-finite step from finite "
                         "gradients")


class RunOptimizer:
    """One optimizer over a single (B, d) parameter tensor, B independent instances."""

    def __init__(self, name: str, param: torch.Tensor, hyperparameters: Mapping[str, Any],
                 horizon: int) -> None:
        hyper = dict(hyperparameters)
        self.name = name
        self.param = param
        self.batch = param.shape[0]
        self.optimizer: torch.optim.Optimizer | ScheduledOptimizer | external.PerInstance
        if external.is_import_path(name):
            self.needs_loss, self._constant_momentum = False, None
            self.optimizer = external.PerInstance(external.resolve(name), param, hyper)
            return
        optimizers = registry()
        if name not in optimizers:
            raise ValueError(f"Unknown optimizer {name!r}; expected one of "
                             f"{', '.join(optimizer_names())}")
        info = optimizers[name]
        check_hyperparameters(info, hyper)
        self.needs_loss = bool(info.needs_loss)
        self._constant_momentum = None if info.momentum is None else info.momentum(hyper)
        accepted = inspect.signature(info.factory).parameters
        if "total_steps" in accepted and "total_steps" not in hyper:
            hyper["total_steps"] = horizon          # Demon: T = the run's horizon
        if info.instances == "per_instance":
            self.optimizer = info.factory([param], per_instance=True, **hyper, **info.fixed)
        elif info.instances == "separate":
            self.optimizer = external.PerInstance(info.factory, param, {**hyper, **info.fixed})
        else:
            schedule = hyper.pop("lr_schedule", "constant")
            try:
                built = info.factory([param], **hyper, **info.fixed)
            except TypeError as exc:
                raise ValueError(f"Invalid hyperparameters for {name}: {exc}") from exc
            self.optimizer = ScheduledOptimizer(built, schedule)

    def step(self, loss: torch.Tensor) -> None:
        if self.needs_loss:
            self.optimizer.step(loss=loss)  # type: ignore[call-arg, call-overload]
        else:
            self.optimizer.step()

    def has_window(self) -> bool:
        return hasattr(self.optimizer, "window")

    def has_momentum(self) -> bool:
        return self._constant_momentum is not None or hasattr(self.optimizer, "momentum_now")

    def window(self) -> torch.Tensor:
        """The window after the last step: 0-d, or (B,) per instance (broadcasts to (B,))."""
        try:
            return self.optimizer.window  # type: ignore[union-attr]
        except AttributeError:
            raise ValueError(f"optimizer {self.name} has no window to record") from None

    def momentum(self) -> torch.Tensor | float:
        """The momentum of the last step: a number (constant momentum), or a 0-d or (B,)
        tensor (broadcasts to (B,))."""
        if self._constant_momentum is not None:
            return self._constant_momentum
        try:
            return self.optimizer.momentum_now  # type: ignore[union-attr]
        except AttributeError:
            raise ValueError(f"optimizer {self.name} does not expose its momentum "
                             "(no momentum_now)") from None

    def state_tensor(self, key: str) -> torch.Tensor:
        """The per-parameter state ``key`` (shape (B, d)) after the last step."""
        if isinstance(self.optimizer, external.PerInstance):
            return self.optimizer.state_tensor(key)
        state = self.optimizer.state.get(self.param, {})
        if key not in state:
            raise ValueError(f"Invalid record quantity 'state:{key}': {self.name} has state "
                             f"{sorted(state)}")
        return state[key]

    def state_bytes(self) -> int:
        """Bytes of every tensor in the optimizer's state (per-parameter and global)."""
        total = 0
        for entry in self.optimizer.state.values():
            values = entry.values() if isinstance(entry, dict) else [entry]
            total += sum(v.numel() * v.element_size() for v in values
                         if isinstance(v, torch.Tensor))
        return total
