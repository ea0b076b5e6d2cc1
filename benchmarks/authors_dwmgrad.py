"""A transcription of the authors' DWMGrad optimizer class, used as a speed baseline.

Written from the description in algorithms.md §1 and checked against the authors' public
class ``DynamicWinMoAdaGradv3`` (github.com/CCNUZFW/DWMGrad, ``dwmgrad/dwmg.py``, read for
its cost structure; no code is taken from it): the rule is the paper's Algorithm 1 with the
"loss" window rule; every step allocates new tensors for s and v, and updates the parameter
with ``p.data.add_(-v)`` (one more temporary); the loss is read with ``loss.item()`` once per
parameter tensor (on a GPU, one host-device synchronisation per tensor). The window
accumulator β is reset every step, so the signal is the loss itself. Numerically it equals
``dwmgrad.DWMGrad(window_rule="loss")``; only the cost differs. (The authors' class keeps
the window per tensor in Python ints; all tensors see the same loss, so it is one value,
kept here once.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch


class AuthorsDWMGrad(torch.optim.Optimizer):
    """DWMGrad as the authors' class computes it (slow on purpose; see the module docstring)."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, momentum: float = 0.9,
                 eps: float = 1e-8, init_window: int = 5, max_window: int = 10) -> None:
        defaults = {"lr": lr, "momentum": momentum, "eps": eps, "max_window": max_window}
        super().__init__(params, defaults)
        self.window = init_window

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None, *,  # type: ignore[override]
             loss: torch.Tensor | None = None) -> torch.Tensor | None:
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        if loss is None:
            raise ValueError("AuthorsDWMGrad.step needs the loss: pass closure or loss=")
        new_window = self.window
        for group in self.param_groups:
            delta = group["max_window"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["s"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                beta = 0.0
                beta += loss.item()  # one host read of the loss per parameter tensor
                if beta > 0:
                    new_window = min(self.window + 1, delta)
                else:
                    new_window = max(self.window - 1, 1)
                g = p.grad
                s = state["s"] * (new_window - 1) / new_window + g * g / new_window
                mu = group["momentum"] * new_window / delta
                v = mu * state["v"] + group["lr"] * g / (s.sqrt() + group["eps"])
                p.data.add_(-v)
                state["s"], state["v"] = s, v
        self.window = new_window
        return loss
