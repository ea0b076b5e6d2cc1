"""Any ``torch.optim.Optimizer`` class named by its import path, ``PKG.MOD:CLASS``.

A spec may name an optimizer that is neither the package's nor a baseline by its import path
(``RunSpec(optimizer="torch.optim:Adagrad", hyperparameters={"lr": 0.1})``): the path and the
options are part of the spec, so its hash names the result, and any worker process resolves
the same class by importing it. :func:`resolve` checks the path, :func:`check_options` checks
that the class accepts the options and takes a step with them (both raise ValueError naming
the bad value), before any run.

The runner holds B instances as one (B, d) parameter. Nothing is known about an external
optimizer's update (it may read norms over the whole tensor), so :class:`PerInstance` gives
each instance its own optimizer over its own (d,) tensor and copies rows in and out around
each step: the batch is then exactly the instances run one by one, whatever the update. With
one instance the optimizer steps the parameter itself (no copies, so timings are its own).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from typing import Any

import torch

_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:"
                   r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def is_import_path(name: str) -> bool:
    """Whether ``name`` has the ``PKG.MOD:CLASS`` form (it may still fail to resolve)."""
    return ":" in name


def resolve(path: str) -> type[torch.optim.Optimizer]:
    """The optimizer class at ``PKG.MOD:CLASS``; ValueError naming the path and the problem."""
    if not isinstance(path, str) or not _PATH.fullmatch(path):
        raise ValueError(f"optimizer {path!r} is not an import path; expected PKG.MOD:CLASS, "
                         "e.g. torch.optim:Adagrad")
    module_name, _, qualname = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"optimizer {path!r}: cannot import module {module_name!r} "
                         f"({type(exc).__name__}: {exc})") from None
    obj: Any = module
    for part in qualname.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"optimizer {path!r}: module {module_name!r} has no "
                             f"{qualname!r}")
        obj = getattr(obj, part)
    if not (isinstance(obj, type) and issubclass(obj, torch.optim.Optimizer)):
        raise ValueError(f"optimizer {path!r} is {obj!r}, not a subclass of "
                         "torch.optim.Optimizer")
    return obj


def check_options(path: str, options: Mapping[str, Any]) -> None:
    """Construct the optimizer with ``options`` on a small parameter and take two steps;
    ValueError naming the options and what the class said when it rejects them."""
    cls = resolve(path)
    param = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    try:
        optimizer = cls([param], **dict(options))
        for _ in range(2):
            param.grad = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
            optimizer.step()
    except Exception as exc:  # noqa: BLE001 - any rejection is reported as the user's input
        raise ValueError(f"options {dict(options)!r} rejected by {path}: "
                         f"{type(exc).__name__}: {exc}") from None
    if not bool(torch.isfinite(param).all()):
        raise ValueError(f"options {dict(options)!r}: {path} made a non-finite step from "
                         "finite gradients")


def _step(optimizer: torch.optim.Optimizer, loss: torch.Tensor | None) -> None:
    if loss is None:
        optimizer.step()
    else:
        optimizer.step(loss=loss)  # type: ignore[call-arg, call-overload]


class PerInstance:
    """One optimizer of ``cls`` per row of a (B, d) parameter (exactly B independent runs)."""

    def __init__(self, cls: Callable[..., torch.optim.Optimizer], param: torch.Tensor,
                 options: Mapping[str, Any]) -> None:
        self.param = param
        if param.shape[0] == 1:
            self.rows = [param]
        else:
            self.rows = [row.detach().clone().requires_grad_(True) for row in param]
        self.optimizers = [cls([row], **dict(options)) for row in self.rows]

    @property
    def state(self) -> dict[Any, Any]:
        """Every instance's per-parameter state (keyed by each instance's tensor)."""
        return {p: s for opt in self.optimizers for p, s in opt.state.items()}

    def step(self, loss: torch.Tensor | None = None) -> None:
        """One step of every instance; ``loss`` (B,), if given, is passed to a loss-aware
        step, each instance getting its own (1,) slice."""
        if len(self.rows) == 1:
            _step(self.optimizers[0], loss)
            return
        assert self.param.grad is not None
        with torch.no_grad():
            for i, (row, optimizer) in enumerate(zip(self.rows, self.optimizers, strict=True)):
                row.copy_(self.param[i])
                row.grad = self.param.grad[i].clone()
                _step(optimizer, None if loss is None else loss[i:i + 1])
                self.param[i].copy_(row)

    def state_tensor(self, key: str) -> torch.Tensor:
        """The per-parameter state ``key`` of every instance, stacked (B, d)."""
        states = [opt.state.get(row, {}) for opt, row in zip(self.optimizers, self.rows,
                                                            strict=True)]
        if any(key not in s for s in states):
            raise ValueError(f"Invalid record quantity 'state:{key}': the optimizer has "
                             f"state {sorted(states[0])}")
        return torch.stack([s[key] for s in states]).reshape(self.param.shape)
