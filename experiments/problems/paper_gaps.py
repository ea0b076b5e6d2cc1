"""The published DWMGrad's failure instances (``theory.dwmgrad.PAPER_ALGORITHM_GAPS``) as
online games: :class:`PaperGapGame` (``"dwmgrad_paper_gap"``).

Each gap names a gradient sequence g_1, g_2, ... (d = 1); the game is f_t(x) = g_t x, on the
box [-1, 1] when the gap's instance is projected, else on the real line (``box`` None: the
runner then never clamps, and there is no comparator). The sequences are the theory module's
own functions, never copies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from experiments.problems.online import _OnlineLinear

if TYPE_CHECKING:
    from theory.dwmgrad import AssumptionGap


def _gap(name: str) -> AssumptionGap:
    from theory.dwmgrad import PAPER_ALGORITHM_GAPS  # sympy: only when such a game is built

    for gap in PAPER_ALGORITHM_GAPS:
        if gap.name == name:
            return gap
    raise ValueError(f"Invalid gap: {name!r}; expected one of "
                     f"{', '.join(g.name for g in PAPER_ALGORITHM_GAPS)}")


class PaperGapGame(_OnlineLinear):
    """f_t(x) = g_t x with g_t the gradient sequence of the gap named ``gap`` in
    ``theory.dwmgrad.PAPER_ALGORITHM_GAPS``; on [-1, 1] if that instance is projected, else on
    the real line. ``G_inf``: the largest |g_t| of the first ``CHUNK`` rounds (each instance
    is constant, alternating, or a spike then constant, so that is its supremum). Start ``x0``.
    """

    NAME = "dwmgrad_paper_gap"
    PARAMS: dict[str, Any] = {"gap": "constant_step", "x0": 0.0}

    def _build(self) -> None:
        self.gap = _gap(str(self.params["gap"]))
        self.dim = 1
        self.box = (-1.0, 1.0) if self.gap.projected else None
        self.G_inf = float(np.abs(self.gap.gradients(self.CHUNK)).max())

    def coefficients(self, steps: torch.Tensor) -> torch.Tensor:
        g = torch.from_numpy(np.asarray(self.gap.gradients(int(steps.max())), dtype=np.float64))
        return g[steps - 1].expand(self.batch, len(steps)).unsqueeze(-1)
