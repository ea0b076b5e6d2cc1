"""Online convex games on a box [lo, hi]^d: Reddi et al.'s constructions and random losses.

The learner plays x_t, suffers f_t(x_t), sees ∇f_t(x_t) and is projected back onto the box
(the runner clamps after each step). Regret R_T = Σ_{t≤T} f_t(x_t) - min_{x∈box} Σ_{t≤T} f_t(x);
:meth:`comparator_prefix` gives the minimum for every prefix T = 1..horizon in closed form:

* linear f_t(x) = ⟨c_t, x⟩: with S = Σ c_t, min over the box = Σ_i min(S_i·lo, S_i·hi);
* coordinatewise quadratic f_t(x) = Σ_i ½ a_{t,i} (x_i - b_{t,i})², a ≥ 0: the sum is
  ½ A x² - B x + C per coordinate (A = Σa, B = Σab, C = ½Σab²), minimised at
  clamp(B/A, lo, hi) (any point when A = 0);
* least squares f_t(x) = ½ (⟨c_t, x⟩ - b_t)²: bounded-variable least squares (BVLS) for every
  prefix (:class:`OnlineLeastSquares`).

``G_inf`` bounds |∇f_t|∞ on the box and ``D_inf`` = hi - lo is the box's ℓ∞ diameter.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from scipy.optimize import lsq_linear

from experiments.problems.base import Problem, SharedLossGrad
from experiments.problems.randomness import counter_uniform, generator


class _Online(Problem):
    online = True
    G_inf: float
    box: tuple[float, float] | None = (-1.0, 1.0)
    CHUNK = 1024          # steps of the loss sequence computed at once and kept on the device
    #: (first step of the chunk, per step of the chunk the tensors defining f_t)
    _chunk: tuple[int, list[tuple[torch.Tensor, ...]]] | None = None

    def _sequence(self, steps: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The float64 CPU tensors (B, len(steps), d) defining f_t for each step."""
        raise NotImplementedError

    def _at(self, t: int | None) -> tuple[torch.Tensor, ...]:
        """The tensors defining f_t, (B, d) each, on the device (computed CHUNK steps at once)."""
        t = self._t(t)
        start = (t - 1) // self.CHUNK * self.CHUNK + 1
        if self._chunk is None or self._chunk[0] != start:
            steps = torch.arange(start, start + self.CHUNK, dtype=torch.int64)
            per_step = zip(*(self.to(v).unbind(1) for v in self._sequence(steps)), strict=True)
            self._chunk = (start, list(per_step))
        return self._chunk[1][t - start]

    @property
    def D_inf(self) -> float:
        return math.inf if self.box is None else self.box[1] - self.box[0]

    def info(self) -> dict[str, Any]:
        return {**super().info(), "G_inf": self.G_inf, "D_inf": self.D_inf,
                "box": None if self.box is None else list(self.box)}

    def bounds(self) -> tuple[float, float]:
        """The box, which the comparator needs (an unprojected game has none)."""
        if self.box is None:
            raise ValueError(f"problem {self.NAME!r} is played on the real line (no box): its "
                             "comparator is unbounded")
        return self.box

    def _steps(self, horizon: int) -> torch.Tensor:
        if horizon < 1:
            raise ValueError(f"Invalid horizon: {horizon!r}; expected >= 1")
        return torch.arange(1, horizon + 1, dtype=torch.int64)

    @staticmethod
    def _t(t: int | None) -> int:
        if t is None or t < 1:
            raise ValueError(f"Invalid step t: {t!r}; online losses are indexed by t >= 1")
        return t

    def _x0_one(self, gen: torch.Generator) -> torch.Tensor:
        return torch.full((self.dim,), float(self.params["x0"]), dtype=torch.float64)

    def comparator_prefix(self, horizon: int) -> np.ndarray:
        """min over the box of Σ_{s≤t} f_s, for t = 1..horizon: float64 array (B, horizon)."""
        return self._comparator(horizon)[1]

    def comparator(self, horizon: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(best fixed point (B, d), min cumulative loss (B,)) over the first ``horizon`` losses."""
        x_best, values = self._comparator(horizon)
        return (torch.from_numpy(x_best[:, -1]).to(self.dtype),
                torch.from_numpy(values[:, -1]).to(self.dtype))

    def _comparator(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


class _OnlineLinear(_Online):
    """f_t(x) = ⟨c_t, x⟩; subclasses give ``coefficients(steps) -> (B, n, d)`` in float64."""

    def coefficients(self, steps: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _sequence(self, steps: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return (self.coefficients(steps),)

    def _c(self, t: int | None) -> torch.Tensor:
        return self._at(t)[0]

    def loss(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        return (self._c(t) * x).sum(-1)

    def grad(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        return self._c(t).expand_as(x).clone()

    def _comparator(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        total = np.cumsum(self.coefficients(self._steps(horizon)).double().numpy(), axis=1)
        lo, hi = self.bounds()
        x_best = np.where(total > 0, lo, hi)
        return x_best, (total * x_best).sum(-1)


class _OnlineQuadratic(SharedLossGrad, _Online):
    """f_t(x) = Σ_i ½ a_{t,i}(x_i - b_{t,i})²; subclasses give ``quad_coefficients(steps)``."""

    def quad_coefficients(self, steps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def _sequence(self, steps: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return self.quad_coefficients(steps)

    def _ab(self, t: int | None) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self._at(t)
        return a, b

    def _loss_and_grad(self, x: torch.Tensor, t: int | None
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self._ab(t)
        gap = x - b
        return 0.5 * (a * gap**2).sum(-1), a * gap

    def _comparator(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = (v.double().numpy() for v in self.quad_coefficients(self._steps(horizon)))
        big_a = np.cumsum(a, axis=1)
        big_b = np.cumsum(a * b, axis=1)
        big_c = np.cumsum(0.5 * a * b * b, axis=1)
        safe = np.where(big_a > 0, big_a, 1.0)
        x_best = np.clip(np.where(big_a > 0, big_b / safe, 0.0), *self.bounds())
        return x_best, (0.5 * big_a * x_best**2 - big_b * x_best + big_c).sum(-1)


class _PeriodicLinear(_OnlineLinear):
    """1-d linear losses repeating ``pattern`` (c_1, ..., c_P) on [-1, 1]."""

    pattern: list[float]

    def coefficients(self, steps: torch.Tensor) -> torch.Tensor:
        table = torch.tensor(self.pattern, dtype=torch.float64)
        values = table[(steps - 1) % len(self.pattern)]
        return values.expand(self.batch, len(steps)).unsqueeze(-1)

    def _finish(self, pattern: list[float]) -> None:
        self.dim, self.pattern = 1, pattern
        self.G_inf = max(abs(c) for c in pattern)


class ReddiTheorem1(_PeriodicLinear):
    """Reddi, Kale, Kumar (ICLR 2018), Theorem 1: f_t(x) = C·x if t mod 3 = 1 else -x on
    [-1, 1], C > 2. The best fixed point is x* = -1; Adam with β1 = 0, β2 = 1/(1+C²),
    α_t = α/√t converges to +1 with R_T/T → (2C - 4)/3. Start x_1 = ``x0`` (1 as in the
    paper's proof).
    """

    NAME = "reddi_theorem1"
    PARAMS: dict[str, Any] = {"C": 3.0, "x0": 1.0}

    def _build(self) -> None:
        c = float(self.params["C"])
        if c <= 2:
            raise ValueError(f"Invalid C: {c!r}; expected C > 2")
        self._finish([c, -1.0, -1.0])


class ReddiSection5Online(_PeriodicLinear):
    """Reddi et al. (ICLR 2018), Section 5, online: f_t(x) = 1010x if t mod 101 = 1 else
    -10x on [-1, 1]. Σ over a period = 10 > 0, so x* = -1; with β1 = 0.9, β2 = 0.99 Adam goes
    to +1 and AMSGrad to -1. Start ``x0`` (0 by default: our choice, not stated in the paper).
    """

    NAME = "reddi_online"
    PARAMS: dict[str, Any] = {"big": 1010.0, "small": -10.0, "period": 101, "x0": 0.0}

    def _build(self) -> None:
        period = int(self.params["period"])
        if period < 2:
            raise ValueError(f"Invalid period: {period!r}; expected >= 2")
        self._finish([float(self.params["big"])] + [float(self.params["small"])] * (period - 1))


class ReddiSection5Stochastic(_OnlineLinear):
    """Reddi et al. (ICLR 2018), Section 5, stochastic: f_t(x) = 1010x with probability 0.01,
    else -10x, on [-1, 1]; E f_t(x) = 0.2x, so the expected-loss minimiser is -1. The draw at
    step t is a deterministic function of (seed, t). Start ``x0`` (0 by default).
    """

    NAME = "reddi_stochastic"
    PARAMS: dict[str, Any] = {"big": 1010.0, "small": -10.0, "p": 0.01, "x0": 0.0}

    def _build(self) -> None:
        self.p = float(self.params["p"])
        if not 0 <= self.p <= 1:
            raise ValueError(f"Invalid p: {self.p!r}; expected a probability in [0, 1]")
        self.big, self.small = float(self.params["big"]), float(self.params["small"])
        self.dim, self.G_inf = 1, max(abs(self.big), abs(self.small))

    def coefficients(self, steps: torch.Tensor) -> torch.Tensor:
        u = counter_uniform(self.seeds_cpu, "reddi_stochastic", steps, 1)
        return torch.where(u < self.p, torch.full_like(u, self.big), torch.full_like(u, self.small))


def _check_random(params: dict[str, Any]) -> tuple[int, float, float]:
    d, g, r = int(params["d"]), float(params["G_inf"]), float(params["radius"])
    if d < 1 or g <= 0 or r <= 0:
        raise ValueError(f"Invalid random online problem (d={d}, G_inf={g}, radius={r}); "
                         "expected d >= 1, G_inf > 0, radius > 0")
    return d, g, r


class RandomOnlineLinear(_OnlineLinear):
    """Random linear losses on [-R, R]^d: c_t = bias + (G∞ - |bias|)·U[-1, 1]^d per (seed, t),
    so |∇f_t|∞ ≤ G∞. ``bias`` ≠ 0 makes the comparator sit at a corner. Start 0.
    """

    NAME = "online_linear"
    PARAMS: dict[str, Any] = {"d": 10, "G_inf": 1.0, "radius": 1.0, "bias": 0.0, "x0": 0.0}

    def _build(self) -> None:
        self.dim, self.G_inf, radius = _check_random(self.params)
        self.bias = float(self.params["bias"])
        if abs(self.bias) > self.G_inf:
            raise ValueError(f"Invalid bias: {self.bias!r}; expected |bias| <= G_inf")
        self.box = (-radius, radius)

    def coefficients(self, steps: torch.Tensor) -> torch.Tensor:
        u = counter_uniform(self.seeds_cpu, "online_linear", steps, self.dim)
        return self.bias + (self.G_inf - abs(self.bias)) * (2 * u - 1)


class RandomOnlineQuadratic(_OnlineQuadratic):
    """Random coordinatewise quadratics on [-R, R]^d: a_t ~ U[0, G∞/(2R)]^d,
    b_t ~ U[-R, R]^d per (seed, t), so |∇f_t|∞ = a|x - b| ≤ G∞ on the box. Start 0.
    """

    NAME = "online_quadratic"
    PARAMS: dict[str, Any] = {"d": 10, "G_inf": 1.0, "radius": 1.0, "x0": 0.0}

    def _build(self) -> None:
        self.dim, self.G_inf, self.radius = _check_random(self.params)
        self.box = (-self.radius, self.radius)

    def quad_coefficients(self, steps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        u = counter_uniform(self.seeds_cpu, "online_quadratic", steps, 2 * self.dim)
        a = u[..., : self.dim] * self.G_inf / (2 * self.radius)
        b = (2 * u[..., self.dim:] - 1) * self.radius
        return a, b


class OnlineLeastSquares(SharedLossGrad, _Online):
    """Online least squares on [-R, R]^d: f_t(x) = ½ (⟨c_t, x⟩ - b_t)², a loss that couples
    the coordinates (unlike :class:`RandomOnlineQuadratic`). Rows c_t have entries ±1/√d
    (random signs per (seed, t)); b_t = ⟨c_t, x°⟩ + σ u_t with a target x° ~ U[-2R, 2R]^d drawn
    once per seed (outside the box, so the comparator sits on its boundary) and noise
    u_t ~ U[-1, 1]. On the box |∂_i f_t| = |c_{t,i}| |⟨c_t, x⟩ - b_t| ≤ (R√d + ‖x°‖₁/√d + σ)/√d,
    which is ``G_inf`` (the largest over the seeds; attained up to the noise when the signs of
    c_t match those of x°). The comparator of every prefix is bounded-variable least squares.
    Start 0.
    """

    NAME = "online_least_squares"
    PARAMS: dict[str, Any] = {"d": 5, "radius": 1.0, "noise": 0.1, "x0": 0.0}

    def _build(self) -> None:
        self.dim, radius = int(self.params["d"]), float(self.params["radius"])
        self.noise = float(self.params["noise"])
        if self.dim < 1 or radius <= 0 or self.noise < 0:
            raise ValueError(f"Invalid online least squares (d={self.dim}, radius={radius}, "
                             f"noise={self.noise}); expected d >= 1, radius > 0, noise >= 0")
        self.box = (-radius, radius)
        self.target = torch.stack([
            (2 * torch.rand(self.dim, generator=generator(seed, "online_least_squares:target"),
                            dtype=torch.float64) - 1) * 2 * radius for seed in self.seeds])
        root_d = math.sqrt(self.dim)
        reach = radius * root_d + self.target.abs().sum(-1) / root_d + self.noise
        self.G_inf = float(reach.max()) / root_d

    def _sequence(self, steps: torch.Tensor) -> tuple[torch.Tensor, ...]:
        u = counter_uniform(self.seeds_cpu, "online_least_squares", steps, self.dim + 1)
        c = torch.where(u[..., : self.dim] < 0.5, -1.0, 1.0) / math.sqrt(self.dim)
        b = (c * self.target[:, None, :]).sum(-1) + self.noise * (2 * u[..., self.dim] - 1)
        return c, b

    def _loss_and_grad(self, x: torch.Tensor, t: int | None
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        c, b = self._at(t)
        residual = (c * x).sum(-1) - b
        return 0.5 * residual**2, c * residual[:, None]

    def _comparator(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        c, b = (v.numpy() for v in self._sequence(self._steps(horizon)))
        x_best = np.empty((self.batch, horizon, self.dim))
        values = np.empty((self.batch, horizon))
        for i in range(self.batch):
            for k in range(horizon):
                values[i, k], x_best[i, k] = self._bvls(c[i, : k + 1], b[i, : k + 1])
        return x_best, values

    def _bvls(self, rows_all: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray]:
        """min over the box of Σ_k ½ (⟨c_k, x⟩ - b_k)² and its minimiser: BVLS on the rows
        themselves for up to 2d rows, then on the Cholesky factor R of the normal matrix
        (Σ_k (⟨c_k, x⟩ - b_k)² = ‖R x - y‖² + const); the value from the residuals."""
        if rows_all.shape[0] <= 2 * self.dim:
            rows, target = rows_all, b
        else:
            rows = np.linalg.cholesky(rows_all.T @ rows_all).T
            target = np.linalg.solve(rows.T, rows_all.T @ b)
        x = lsq_linear(rows, target, bounds=self.bounds(), method="bvls", tol=1e-14).x
        return float(np.sum((rows_all @ x - b) ** 2) / 2), x
