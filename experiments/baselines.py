"""Baseline optimizers that are not in ``dwmgrad``: Adam, AMSGrad, SGD and heavy ball.

They are ``torch.optim`` classes used as they are (so they are the reference
implementations, not our re-implementations); all are elementwise, so running B instances as
one (B, d) tensor is exactly running them one by one, and ``per_instance`` needs no code.

* ``Adam``: ``torch.optim.Adam(lr, betas, eps)``.
* ``AMSGrad``: ``torch.optim.Adam(..., amsgrad=True)`` (v̂_t = max(v̂_{t-1}, v_t)).
* ``SGD``: ``torch.optim.SGD(lr)``.
* ``HeavyBall``: ``torch.optim.SGD(lr, momentum=β)``: buf_t = β buf_{t-1} + g_t,
  x_{t+1} = x_t - lr·buf_t, which is Polyak's x_{t+1} = x_t - α g_t + β (x_t - x_{t-1})
  with α = lr and x_0 = x_1.

Every baseline takes ``lr_schedule``: "constant" or "inv_sqrt" (α_t = lr/√t, t = 1, 2, ...,
the schedule of Reddi et al.'s Theorem 1), applied by setting the group's lr before step t.
Reddi et al. write Adam without bias correction and without ε; torch's Adam corrects v (with
β1 = 0 there is nothing to correct in m) and adds ε = 1e-8 by default: both only change the
first steps. Pass ``eps`` to change ε.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch

SCHEDULES = ("constant", "inv_sqrt")


@dataclass(frozen=True)
class Baseline:
    name: str
    factory: Callable[..., torch.optim.Optimizer]
    fixed: dict[str, Any]
    momentum_key: str | None = None  # hyperparameter that is the (constant) momentum

    def make(self, params: Iterable[torch.Tensor], **hyper: Any) -> ScheduledOptimizer:
        hyper = dict(hyper)
        schedule = hyper.pop("lr_schedule", "constant")
        if schedule not in SCHEDULES:
            raise ValueError(f"Invalid lr_schedule: {schedule!r}; expected one of {SCHEDULES}")
        clash = sorted(set(hyper) & set(self.fixed))
        if clash:
            raise ValueError(f"Invalid hyperparameter(s) {clash} for {self.name}: fixed to "
                             f"{ {k: self.fixed[k] for k in clash} }")
        try:
            optimizer = self.factory(list(params), **hyper, **self.fixed)
        except TypeError as exc:
            raise ValueError(f"Invalid hyperparameters for {self.name}: {exc}") from exc
        return ScheduledOptimizer(optimizer, schedule)

    def describe(self) -> dict[str, object]:
        """JSON-able summary (``dwmgrad-verify list optimizers``)."""
        accepted = [name for name in inspect.signature(self.factory).parameters
                    if name != "params" and name not in self.fixed]
        return {"name": self.name,
                "class": f"{self.factory.__module__}.{self.factory.__qualname__}",
                "reference": "torch.optim, used as is (baseline)",
                "fixed": dict(self.fixed),
                "hyperparameters": [*accepted, "lr_schedule"]}


class ScheduledOptimizer:
    """A torch optimizer plus an lr schedule, with the runner's ``step()`` interface."""

    def __init__(self, optimizer: torch.optim.Optimizer, schedule: str) -> None:
        self.optimizer = optimizer
        self.schedule = schedule
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.t = 0

    @property
    def state(self) -> Any:
        return self.optimizer.state

    def step(self) -> None:
        self.t += 1
        if self.schedule == "inv_sqrt":
            for group, lr in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
                group["lr"] = lr / math.sqrt(self.t)
        self.optimizer.step()


BASELINES: dict[str, Baseline] = {
    "Adam": Baseline("Adam", torch.optim.Adam, {"amsgrad": False}),
    "AMSGrad": Baseline("AMSGrad", torch.optim.Adam, {"amsgrad": True}),
    "SGD": Baseline("SGD", torch.optim.SGD, {"momentum": 0.0}),
    "HeavyBall": Baseline("HeavyBall", torch.optim.SGD, {"dampening": 0.0, "nesterov": False},
                          momentum_key="momentum"),
}
