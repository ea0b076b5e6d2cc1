"""Sign descent, x <- x - lr sign(g): elementwise, so a run's instances stay independent."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch

from dwmgrad.hyperparams import lr_row, table
from dwmgrad.registry import register_optimizer


class SignDescent(torch.optim.Optimizer):
    def __init__(self, params: Iterable[torch.Tensor], lr: float = 0.01) -> None:
        super().__init__(params, {"lr": lr})

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.add_(torch.sign(p.grad), alpha=-group["lr"])


register_optimizer("SignDescent", SignDescent, hyperparameters=table(lr_row()),
                   example_kwargs={"lr": 0.01}, instances="elementwise",
                   reference="test plugin (sign descent)")
