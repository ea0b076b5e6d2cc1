"""The lr schedules of elementwise optimizers: the baselines Adam, AMSGrad, SGD, heavy ball
(registered in :mod:`dwmgrad.registry`) and every plugin optimizer registered ``elementwise``.

The baselines are ``torch.optim`` classes used as they are (so they are the reference
implementations, not our re-implementations); all are elementwise, so running B instances as
one (B, d) tensor is exactly running them one by one, and ``per_instance`` needs no code.

* ``Adam``: ``torch.optim.Adam(lr, betas, eps)``.
* ``AMSGrad``: ``torch.optim.Adam(..., amsgrad=True)`` (v̂_t = max(v̂_{t-1}, v_t)).
* ``SGD``: ``torch.optim.SGD(lr)``.
* ``HeavyBall``: ``torch.optim.SGD(lr, momentum=β)``: buf_t = β buf_{t-1} + g_t,
  x_{t+1} = x_t - lr·buf_t, which is Polyak's x_{t+1} = x_t - α g_t + β (x_t - x_{t-1})
  with α = lr and x_0 = x_1.

Every elementwise optimizer takes ``lr_schedule``: "constant" or "inv_sqrt" (α_t = lr/√t,
t = 1, 2, ..., the schedule of Reddi et al.'s Theorem 1), applied by setting the group's lr
before step t.
Reddi et al. write Adam without bias correction and without ε; torch's Adam corrects v (with
β1 = 0 there is nothing to correct in m) and adds ε = 1e-8 by default: both only change the
first steps. Pass ``eps`` to change ε.
"""

from __future__ import annotations

import math
from typing import Any

import torch

SCHEDULES = ("constant", "inv_sqrt")


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

    def step(self, **loss: Any) -> None:
        """One step at the schedule's lr; ``loss=...`` is passed on to a loss-aware step."""
        self.t += 1
        if self.schedule == "inv_sqrt":
            for group, lr in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
                group["lr"] = lr / math.sqrt(self.t)
        self.optimizer.step(**loss)
