"""Adversarial online games for measuring how tight a regret bound is.

:class:`OnlineBlockSign` (``"online_block_sign"``): linear losses whose sign flips every
``half_period`` rounds, f_t(x) = G s_t Σ_i x_i - c t with s_t = +1 on the first half of each
period and -1 on the second, on the box [-R, R]^d. The gradient G s_t is the same in every
coordinate; the comparator gains little (Σ s_t stays in [0, half_period]) while a method with
momentum keeps moving after each flip, so the game makes the step and displacement terms of a
momentum method's regret bound real (measured/bound 0.177 for constant-momentum DWMGrad's
data-dependent bound at γ = 0.5, δ = 4, α = 1.2, half_period 13, T = 5000: ``dwmgrad-verify
run dwmgrad_regret bound_tightness --scale quick`` at aa48663, load average ~11). The
decreasing offset -c t, c = ``offset_slope`` (default 3 G d R > the largest change 2 G d R of
⟨c_t, x⟩), changes no gradient and no regret; it makes every loss smaller than the previous
one, so DWMGrad's "loss_decrease" window grows to its maximum and never shrinks (K_T = 0),
and its first window is 1 (b_1 = 0). Start ``x0``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from experiments.problems.online import _OnlineLinear


class OnlineBlockSign(_OnlineLinear):
    """f_t(x) = G s_t Σ_i x_i - c t, s_t = +1 if ((t-1) // half_period) is even else -1, on
    [-R, R]^d (c = ``offset_slope``, default 3 G d R). Comparator: the corner against the
    summed sign (linear part) plus the summed offsets. Deterministic (seeds are ignored)."""

    NAME = "online_block_sign"
    PARAMS: dict[str, Any] = {"d": 1, "G_inf": 1.0, "radius": 1.0, "half_period": 13,
                              "offset_slope": None, "x0": 0.0}

    def _build(self) -> None:
        self.dim, self.G_inf = int(self.params["d"]), float(self.params["G_inf"])
        radius, self.half_period = float(self.params["radius"]), int(self.params["half_period"])
        if self.dim < 1 or not self.G_inf > 0 or not radius > 0 or self.half_period < 1:
            raise ValueError(f"Invalid block-sign game (d={self.dim}, G_inf={self.G_inf}, "
                             f"radius={radius}, half_period={self.half_period}); expected "
                             "d >= 1, G_inf > 0, radius > 0, half_period >= 1")
        slope = self.params["offset_slope"]
        self.offset_slope = 3 * self.G_inf * self.dim * radius if slope is None else float(slope)
        if not np.isfinite(self.offset_slope):
            raise ValueError(f"Invalid offset_slope: {slope!r}; expected a finite number")
        self.box = (-radius, radius)

    def coefficients(self, steps: torch.Tensor) -> torch.Tensor:
        sign = 1.0 - 2.0 * (((steps - 1) // self.half_period) % 2).to(torch.float64)
        return (self.G_inf * sign)[None, :, None].expand(self.batch, len(steps), self.dim)

    def loss(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        return super().loss(x, t) - self.offset_slope * self._t(t)

    def _comparator(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        x_best, values = super()._comparator(horizon)
        offsets = self.offset_slope * np.cumsum(np.arange(1, horizon + 1, dtype=np.float64))
        return x_best, values - offsets[None, :]
