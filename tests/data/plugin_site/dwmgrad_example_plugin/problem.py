"""f(x) = 1/2 sum_j a_j x_j^2 with a_j uniform in [1, L] per seed: f* = 0 at x* = 0."""

from __future__ import annotations

from typing import Any

import torch

from experiments.problems import Problem, register_problem


@register_problem
class SeparableQuadratic(Problem):
    """Separable quadratic 1/2 sum_j a_j x_j^2, a_j ~ U[1, L] per seed; x0 ~ N(0, I)."""

    NAME = "separable_quadratic"
    PARAMS: dict[str, Any] = {"d": 5, "L": 10.0}

    def _build(self) -> None:
        self.dim = int(self.params["d"])
        top = float(self.params["L"])
        rows = []
        for seed in self.seeds:
            gen = torch.Generator().manual_seed(seed)
            rows.append(1.0 + (top - 1.0) * torch.rand(self.dim, generator=gen,
                                                       dtype=torch.float64))
        self.a = self.to(torch.stack(rows))
        self.L, self.mu = top, 1.0
        self.x_star = self.to(torch.zeros(self.batch, self.dim, dtype=torch.float64))
        self.f_star = self.to(torch.zeros(self.batch, dtype=torch.float64))

    def loss(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        return 0.5 * (self.a * x * x).sum(dim=1)

    def grad(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        return self.a * x

    def _x0_one(self, gen: torch.Generator) -> torch.Tensor:
        return torch.randn(self.dim, generator=gen, dtype=torch.float64)
