"""Quadratics: prescribed spectrum (also centred at x* = 0), DeepOBS's noisy ``quadratic_deep``,
Nesterov's worst case.

All are written in centred form f(x) = ½ (x - x*)ᵀ M (x - x*) + f*, ∇f(x) = M (x - x*),
so f - f* is computed without cancellation. M is diagonal (B, d) or (d,), dense shared
(d, d), or dense per instance (B, d, d).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from experiments.problems.base import SharedLossGrad, expand
from experiments.problems.randomness import counter_normal, generator


def random_rotation(gen: torch.Generator, d: int) -> torch.Tensor:
    """Haar-distributed orthogonal matrix: QR of a Gaussian matrix with the signs of R fixed."""
    q, r = torch.linalg.qr(torch.randn(d, d, generator=gen, dtype=torch.float64))
    return q * torch.sign(torch.diagonal(r))


class _CentredForm(SharedLossGrad):
    """f(x) = ½ (x - x*)ᵀ M (x - x*) + f*; subclasses set ``M``, ``x_star``, ``f_star``."""

    M: torch.Tensor
    diagonal: bool = False          # M holds the diagonal, (d,) or (B, d)

    def _apply(self, z: torch.Tensor) -> torch.Tensor:
        if self.diagonal:
            return self.M * z
        if self.M.dim() == 2:                              # dense, shared (symmetric)
            return z @ self.M
        return torch.bmm(self.M, z.unsqueeze(-1)).squeeze(-1)

    def _centred(self, x: torch.Tensor) -> torch.Tensor:
        assert self.x_star is not None and self.f_star is not None
        return x - self.x_star

    def _loss_and_grad(self, x: torch.Tensor, t: int | None
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        z = self._centred(x)
        mz = self._apply(z)
        assert self.f_star is not None
        return 0.5 * (z * mz).sum(-1) + self.f_star, mz


class SpectrumQuadratic(_CentredForm):
    """Strongly convex quadratic with eigenvalues spread over [mu, L] and a random rotation.

    Per seed: eigenvalues λ_1 = mu < ... < λ_d = L (``spacing`` "linear" or "log"), a Haar
    rotation Q (``rotate=True``; otherwise M is diagonal, which scales to large d), minimiser
    x* ~ N(0, I), f* = 0, initial point x* + ``start_distance`` · u with u uniform on the
    sphere. Smoothness L, strong convexity mu, condition number κ = L/mu.
    """

    NAME = "quadratic"
    PARAMS: dict[str, Any] = {"d": 10, "mu": 1.0, "L": 10.0, "spacing": "linear",
                              "rotate": True, "start_distance": 1.0}

    def _build(self) -> None:
        p = self.params
        d, mu, L = int(p["d"]), float(p["mu"]), float(p["L"])
        if d < 1 or not 0 < mu <= L or (d == 1 and mu != L):
            raise ValueError(f"Invalid quadratic (d={d}, mu={mu}, L={L}); expected d >= 1, "
                             "0 < mu <= L (mu == L when d == 1)")
        if p["spacing"] not in ("linear", "log"):
            raise ValueError(f"Invalid spacing: {p['spacing']!r}; expected 'linear' or 'log'")
        self.dim, self.L, self.mu = d, L, mu
        if p["spacing"] == "linear":
            eig = torch.linspace(mu, L, d, dtype=torch.float64)
        else:
            eig = torch.logspace(math.log10(mu), math.log10(L), d, dtype=torch.float64)
        if d > 1:
            eig[0], eig[-1] = mu, L
        x_star, matrices = [], []
        for seed in self.seeds:
            gen = generator(seed, "quadratic:data")
            x_star.append(torch.randn(d, generator=gen, dtype=torch.float64))
            if p["rotate"]:
                q = random_rotation(gen, d)
                matrices.append((q * eig) @ q.T)
        self.diagonal = not p["rotate"]
        self.M = self.to(eig) if self.diagonal else self.to(torch.stack(matrices))
        self.x_star = self.to(torch.stack(x_star))
        self.f_star = self.to(torch.zeros(self.batch, dtype=torch.float64))

    def x0(self, seeds: Any = None) -> torch.Tensor:
        assert self.x_star is not None
        return self.x_star + super().x0(seeds)

    def _x0_one(self, gen: torch.Generator) -> torch.Tensor:
        u = torch.randn(self.dim, generator=gen, dtype=torch.float64)
        return float(self.params["start_distance"]) * u / u.norm()


class CentredQuadratic(SpectrumQuadratic):
    """:class:`SpectrumQuadratic` with minimiser x* = 0 (f* = 0) and x0 on the sphere of radius
    ``start_distance``; same spectrum and rotation per seed.

    Heavy ball's error at κ = 100 falls to ~1e-24 by step 300, so the published rate window
    (steps 200..400, algorithms.md §2) is only measurable in float64 when x* = 0 (with
    x* ~ N(0, I) the iterate's rounding floors ‖x - x*‖ at ~1e-16)."""

    NAME = "quadratic_centred"

    def _build(self) -> None:
        super()._build()
        assert self.x_star is not None
        self.x_star = torch.zeros_like(self.x_star)


class NoisyQuadratic(_CentredForm):
    """DeepOBS ``quadratic_deep``: a noisy quadratic with a deep-learning-like spectrum.

    Recipe of DeepOBS (Schneider, Balles, Hennig 2019; ``testproblems/quadratic_deep.py`` and
    ``datasets/quadratic.py``): Hessian Q = Rᵀ D R with 90 % of the eigenvalues uniform in
    (0, 1) and 10 % uniform in (30, 60), R a random rotation; minibatch loss
    mean_j ½ (θ - x_j)ᵀ Q (θ - x_j) with x_j ~ N(0, noise² I); θ initialised to ones.
    Differences, by design: the spectrum and rotation are drawn from the seed (DeepOBS fixes
    them with seed 42), and each step draws a fresh minibatch (DeepOBS samples a fixed set of
    1000 points). Expected loss ½ θᵀQθ + ½ noise² tr(Q): x* = 0, f* = ½ noise² tr(Q).
    """

    NAME = "quadratic_deep"
    stochastic = True
    PARAMS: dict[str, Any] = {"d": 100, "batch_size": 128, "noise": 0.6}

    def _build(self) -> None:
        d, self.batch_size, noise = (int(self.params["d"]), int(self.params["batch_size"]),
                                     float(self.params["noise"]))
        if d < 10 or self.batch_size < 1 or noise < 0:
            raise ValueError(f"Invalid quadratic_deep (d={d}, batch_size={self.batch_size}, "
                             f"noise={noise}); expected d >= 10, batch_size >= 1, noise >= 0")
        self.dim, self.noise = d, noise
        n_large = d // 10
        matrices, traces, eigs = [], [], []
        for seed in self.seeds:
            gen = generator(seed, "quadratic_deep:data")
            eig = torch.cat([torch.rand(d - n_large, generator=gen, dtype=torch.float64),
                             30.0 + 30.0 * torch.rand(n_large, generator=gen,
                                                      dtype=torch.float64)])
            r = random_rotation(gen, d)
            matrices.append(r.T @ torch.diag(eig) @ r)
            traces.append(eig.sum())
            eigs.append(eig)
        all_eigs = torch.stack(eigs)
        self.L, self.mu = float(all_eigs.max()), float(all_eigs.min())
        self.M = self.to(torch.stack(matrices))
        self.x_star = self.to(torch.zeros(self.batch, d, dtype=torch.float64))
        self.f_star = self.to(0.5 * noise**2 * torch.stack(traces))

    def _x0_one(self, gen: torch.Generator) -> torch.Tensor:
        return torch.ones(self.dim, dtype=torch.float64)

    def _minibatch(self, t: int) -> torch.Tensor:
        steps = torch.tensor([t], dtype=torch.int64)
        draws = counter_normal(self.seed_tensor, "quadratic_deep:noise", steps,
                               self.batch_size * self.dim)
        return self.to(self.noise * draws.reshape(self.batch, self.batch_size, self.dim))

    def loss(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        if t is None:
            return super().loss(x)
        q = x.unsqueeze(1) - self._minibatch(t)                            # (B, n, d)
        mq = torch.bmm(q, self.M)                                          # Q symmetric
        return 0.5 * (q * mq).sum(-1).mean(-1)

    def grad(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        if t is None:
            return super().grad(x)
        return self._apply(x - self._minibatch(t).mean(1))

    def objective(self, x: torch.Tensor) -> torch.Tensor:
        return super().loss(x)


class NesterovWorstCase(_CentredForm):
    """Nesterov's worst-case tridiagonal quadratics (Introductory Lectures, 2004).

    With A_k the k×k tridiagonal matrix (2 on the diagonal, -1 beside it) embedded in R^d:

    * ``variant="convex"`` (Thm 2.1.7): f(x) = L/4 (½ xᵀ A_k x - x_1); x*_i = 1 - i/(k+1)
      for i ≤ k (0 beyond), f* = L/8 (-1 + 1/(k+1)). Lower bound for any first-order method
      after p ≤ (k-1)/2 steps: f(x_p) - f* ≥ 3L‖x_0 - x*‖² / (32 (p+1)²).
    * ``variant="strongly_convex"`` (Thm 2.1.13, truncated to d dimensions, k = d):
      f(x) = (L - mu)/8 (xᵀ A_d x - 2 x_1) + mu/2 ‖x‖²; x* solves the tridiagonal system
      (computed in float64). In infinite dimension x*_i = q^i with q = (√κ-1)/(√κ+1), the rate
      no first-order method beats.

    Start x_0 = 0 as in the theorems.
    """

    NAME = "nesterov_worst_case"
    PARAMS: dict[str, Any] = {"variant": "convex", "d": 50, "k": None, "L": 1.0, "mu": 0.01}

    def _build(self) -> None:
        p = self.params
        d, L, mu = int(p["d"]), float(p["L"]), float(p["mu"])
        k = d if p["k"] is None else int(p["k"])
        if not 1 <= k <= d or L <= 0:
            raise ValueError(f"Invalid nesterov_worst_case (d={d}, k={k}, L={L}); "
                             "expected 1 <= k <= d and L > 0")
        a = np.zeros((d, d))
        idx = np.arange(k)
        a[idx, idx] = 2.0
        a[idx[:-1], idx[:-1] + 1] = a[idx[:-1] + 1, idx[:-1]] = -1.0
        e1 = np.zeros(d)
        e1[0] = 1.0
        if p["variant"] == "convex":
            m, b, self.mu = L / 4 * a, L / 4 * e1, 0.0
            x_star = np.where(np.arange(1, d + 1) <= k, 1.0 - np.arange(1, d + 1) / (k + 1), 0.0)
            f_star = L / 8 * (-1.0 + 1.0 / (k + 1))
        elif p["variant"] == "strongly_convex":
            if not 0 < mu < L or k != d:
                raise ValueError(f"Invalid strongly_convex worst case (mu={mu}, L={L}, k={k}, "
                                 f"d={d}); expected 0 < mu < L and k == d")
            m, b, self.mu = (L - mu) / 4 * a + mu * np.eye(d), (L - mu) / 4 * e1, mu
            x_star = np.linalg.solve(m, b)
            f_star = -0.5 * float(b @ x_star)
        else:
            raise ValueError(f"Invalid variant: {p['variant']!r}; expected 'convex' or "
                             "'strongly_convex'")
        self.dim, self.L = d, L
        self.M = self.to(torch.from_numpy(m))
        self.x_star = expand(self.to(torch.from_numpy(x_star)), self.batch)
        self.f_star = self.to(torch.full((self.batch,), f_star, dtype=torch.float64))

    def _x0_one(self, gen: torch.Generator) -> torch.Tensor:
        return torch.zeros(self.dim, dtype=torch.float64)
