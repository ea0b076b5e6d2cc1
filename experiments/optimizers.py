"""Build any optimizer a spec names: the ``dwmgrad`` package's (from its registry, always with
``per_instance=True``) or a baseline of :mod:`experiments.baselines`.

Both kinds are wrapped in :class:`RunOptimizer`, the runner's uniform interface:
``step(loss)`` (the per-instance loss, used only by optimizers that need it), ``window()`` and
``momentum()`` (per-instance (B,) tensors, for recording), ``state_bytes()``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import torch

from experiments import external
from experiments.baselines import BASELINES, ScheduledOptimizer


def package_optimizers() -> dict[str, Any]:
    """``dwmgrad.registry.OPTIMIZERS`` (imported lazily)."""
    from dwmgrad.registry import OPTIMIZERS

    return dict(OPTIMIZERS)


def optimizer_names() -> list[str]:
    """The registered names (any ``PKG.MOD:CLASS`` import path is accepted besides them)."""
    return sorted([*package_optimizers(), *BASELINES])


def check_optimizer_name(name: str) -> None:
    """ValueError unless ``name`` is registered or an importable optimizer class's path."""
    if external.is_import_path(name):
        external.resolve(name)
    elif name not in optimizer_names():
        raise ValueError(f"Unknown optimizer {name!r}; expected one of "
                         f"{', '.join(optimizer_names())} or an import path PKG.MOD:CLASS")


class RunOptimizer:
    """One optimizer over a single (B, d) parameter tensor, B independent instances."""

    def __init__(self, name: str, param: torch.Tensor, hyperparameters: Mapping[str, Any],
                 horizon: int) -> None:
        hyper = dict(hyperparameters)
        self.name = name
        self.param = param
        self.batch = param.shape[0]
        packaged = package_optimizers()
        self.needs_loss = False
        self._constant_momentum: float | None = None
        self.optimizer: torch.optim.Optimizer | ScheduledOptimizer | external.PerInstance
        if external.is_import_path(name):
            self.optimizer = external.PerInstance(external.resolve(name), param, hyper)
        elif name in BASELINES:
            baseline = BASELINES[name]
            self.optimizer = baseline.make([param], **hyper)
            if name in ("Adam", "AMSGrad"):
                self._constant_momentum = float(hyper.get("betas", (0.9, 0.999))[0])
            elif baseline.momentum_key is not None:
                self._constant_momentum = float(hyper.get(baseline.momentum_key, 0.0))
            else:
                self._constant_momentum = 0.0
        elif name in packaged:
            info = packaged[name]
            unknown = sorted(set(hyper) - (set(info.hyperparameters) - {"per_instance"}))
            if unknown:
                allowed = sorted(set(info.hyperparameters) - {"per_instance"})
                raise ValueError(f"Invalid hyperparameter(s) {unknown} for {name}; expected "
                                 f"some of {allowed}")
            accepted = inspect.signature(info.cls.__init__).parameters
            if "total_steps" in accepted and "total_steps" not in hyper:
                hyper["total_steps"] = horizon          # Demon: T = the run's horizon
            self.optimizer = info.cls([param], per_instance=True, **hyper)
            self.needs_loss = bool(info.needs_loss)
        else:
            raise ValueError(f"Unknown optimizer {name!r}; expected one of "
                             f"{', '.join(optimizer_names())}")

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
        if not self.has_window():
            raise ValueError(f"optimizer {self.name} has no window to record")
        return self._per_instance(self.optimizer.window)  # type: ignore[union-attr]

    def momentum(self) -> torch.Tensor:
        if self._constant_momentum is not None:
            return torch.full((self.batch,), self._constant_momentum, dtype=self.param.dtype,
                              device=self.param.device)
        if not self.has_momentum():
            raise ValueError(f"optimizer {self.name} does not expose its momentum "
                             "(no momentum_now)")
        return self._per_instance(self.optimizer.momentum_now)  # type: ignore[union-attr]

    def _per_instance(self, value: torch.Tensor) -> torch.Tensor:
        return value.detach().to(self.param.dtype).expand(self.batch).clone()

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
