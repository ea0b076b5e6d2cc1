"""Two classic deterministic test functions: Rosenbrock and Lessard–Recht–Packard's."""

from __future__ import annotations

from typing import Any

import torch

from experiments.problems.base import Problem, SharedLossGrad


class Rosenbrock(SharedLossGrad):
    """f(x, y) = (a - x)² + b (y - x²)², minimum f* = 0 at (a, a²) = (1, 1) for a = 1.

    Non-convex. Starts: ``start="authors"`` is (1, 2), the DWMGrad authors' Rosenbrock script;
    ``"standard"`` is (-1.2, 1). ``start_noise`` σ adds σ·N(0, I) per seed (0: every seed
    starts at the same point).
    """

    NAME = "rosenbrock"
    STARTS = {"authors": (1.0, 2.0), "standard": (-1.2, 1.0)}
    PARAMS: dict[str, Any] = {"start": "authors", "a": 1.0, "b": 100.0, "start_noise": 0.0}

    def _build(self) -> None:
        if self.params["start"] not in self.STARTS:
            raise ValueError(f"Invalid start: {self.params['start']!r}; expected one of "
                             f"{sorted(self.STARTS)}")
        self.a, self.b = float(self.params["a"]), float(self.params["b"])
        self.dim = 2
        optimum = torch.tensor([self.a, self.a**2], dtype=torch.float64)
        self.x_star = self.to(optimum).expand(self.batch, 2)
        self.f_star = self.to(torch.zeros(self.batch, dtype=torch.float64))

    def _loss_and_grad(self, x: torch.Tensor, t: int | None
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        u, v = x[:, 0], x[:, 1]
        inner = v - u * u
        return ((self.a - u) ** 2 + self.b * inner**2,
                torch.stack([-2 * (self.a - u) - 4 * self.b * u * inner, 2 * self.b * inner], -1))

    def _x0_one(self, gen: torch.Generator) -> torch.Tensor:
        start = torch.tensor(self.STARTS[self.params["start"]], dtype=torch.float64)
        return start + float(self.params["start_noise"]) * torch.randn(
            2, generator=gen, dtype=torch.float64)


class Lessard(Problem):
    """Lessard, Recht, Packard (SIAM J. Optim. 2016, §4.6), mu = 1, L = 25:

    f(x) = 25x²/2 (x < 1);  x²/2 + 24x - 12 (1 ≤ x < 2);  25x²/2 - 24x + 36 (x ≥ 2).

    x* = 0, f* = 0. Heavy ball with α = 1/9, β = 4/9 from x_0 = x_1 ∈ [3.07, 3.46] settles
    into the 3-cycle {0.6465, -1.8024, 2.1159}. Start ``x0`` (+ ``start_noise``·N(0,1)).
    """

    NAME = "lessard"
    PARAMS: dict[str, Any] = {"x0": 3.3, "start_noise": 0.0}
    L, mu = 25.0, 1.0

    def _build(self) -> None:
        self.dim = 1
        self.x_star = self.to(torch.zeros(self.batch, 1, dtype=torch.float64))
        self.f_star = self.to(torch.zeros(self.batch, dtype=torch.float64))

    def loss(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        u = x[:, 0]
        return torch.where(u < 1, 12.5 * u * u,
                           torch.where(u < 2, 0.5 * u * u + 24 * u - 12,
                                       12.5 * u * u - 24 * u + 36))

    def grad(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        u = x[:, :1]
        return torch.where(u < 1, 25 * u, torch.where(u < 2, u + 24, 25 * u - 24))

    def _x0_one(self, gen: torch.Generator) -> torch.Tensor:
        noise = float(self.params["start_noise"]) * torch.randn(1, generator=gen,
                                                                dtype=torch.float64)
        return float(self.params["x0"]) + noise
