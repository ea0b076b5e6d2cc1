"""Least squares on random data and ℓ2-regularised logistic regression on breast cancer.

Both have f* from cvxpy (Clarabel, falling back to SCS; see :mod:`.solvers`), cross-checked
against an independent solution: the closed form ``lstsq`` for least squares, scikit-learn's
``LogisticRegression`` for the logistic loss. ``solver_info`` records solver, status, the
cvxpy value, the independent value and the gradient norm at the reported x* (the accuracy).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from experiments.problems.base import Problem, SharedLossGrad
from experiments.problems.randomness import generator
from experiments.problems.solvers import solve

if TYPE_CHECKING:  # imported where used: cvxpy takes seconds to import
    import cvxpy as cp


class LeastSquares(Problem):
    """f(x) = ‖A x - b‖² / (2n), per seed A ~ N(0,1)^{n×d}, b = A x_true + noise·N(0,1).

    L = λ_max(AᵀA)/n, mu = λ_min(AᵀA)/n (> 0 when n ≥ d). x* = the least-squares solution
    (``numpy.linalg.lstsq``, the closed form), f* = f(x*); cvxpy solves the same problem and
    its value is kept in ``solver_info`` with the difference. Start x_0 = 0.
    """

    NAME = "least_squares"
    PARAMS: dict[str, Any] = {"n": 100, "d": 20, "noise": 0.1}

    def _build(self) -> None:
        n, d, noise = int(self.params["n"]), int(self.params["d"]), float(self.params["noise"])
        if n < 1 or d < 1 or noise < 0:
            raise ValueError(f"Invalid least_squares (n={n}, d={d}, noise={noise}); expected "
                             "n >= 1, d >= 1, noise >= 0")
        self.dim, self.n = d, n
        mats, rhs, x_stars, f_stars, infos, eig_lo, eig_hi = [], [], [], [], [], [], []
        for seed in self.seeds:
            gen = generator(seed, "least_squares:data")
            a = torch.randn(n, d, generator=gen, dtype=torch.float64).numpy()
            x_true = torch.randn(d, generator=gen, dtype=torch.float64).numpy()
            b = a @ x_true + noise * torch.randn(n, generator=gen, dtype=torch.float64).numpy()
            x_star = np.linalg.lstsq(a, b, rcond=None)[0]
            f_star = float(np.sum((a @ x_star - b) ** 2) / (2 * n))
            result = solve(functools.partial(_least_squares_program, a, b))
            info = result.info()
            info["closed_form_value"] = f_star
            if result.value is not None:
                info["abs_difference"] = abs(result.value - f_star)
            infos.append(info)
            eig = np.linalg.eigvalsh(a.T @ a / n)
            eig_lo.append(eig[0])
            eig_hi.append(eig[-1])
            mats.append(a)
            rhs.append(b)
            x_stars.append(x_star)
            f_stars.append(f_star)
        self.A = self.to(torch.from_numpy(np.stack(mats)))
        self.b = self.to(torch.from_numpy(np.stack(rhs)))
        self.x_star = self.to(torch.from_numpy(np.stack(x_stars)))
        self.f_star = self.to(torch.tensor(f_stars, dtype=torch.float64))
        self.L, self.mu = float(max(eig_hi)), float(max(min(eig_lo), 0.0))
        self.solver_info = {"per_seed": infos}

    def _residual(self, x: torch.Tensor) -> torch.Tensor:
        return torch.bmm(self.A, x.unsqueeze(-1)).squeeze(-1) - self.b

    def loss(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        return (self._residual(x) ** 2).sum(-1) / (2 * self.n)

    def grad(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        r = self._residual(x)
        return torch.bmm(self.A.transpose(1, 2), r.unsqueeze(-1)).squeeze(-1) / self.n

    def _x0_one(self, gen: torch.Generator) -> torch.Tensor:
        return torch.zeros(self.dim, dtype=torch.float64)


def _least_squares_program(a: np.ndarray, b: np.ndarray) -> tuple[cp.Variable, cp.Problem]:
    import cvxpy as cp

    x = cp.Variable(a.shape[1])
    return x, cp.Problem(cp.Minimize(cp.sum_squares(a @ x - b) / (2 * a.shape[0])))


@functools.cache
def breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's breast cancer data, features standardised, labels in {-1, +1}."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    features = (data.data - data.data.mean(0)) / data.data.std(0)
    return features, np.where(data.target == 1, 1.0, -1.0)


def _logistic_program(features: np.ndarray, labels: np.ndarray,
                      lam: float) -> tuple[cp.Variable, cp.Problem]:
    import cvxpy as cp

    w = cp.Variable(features.shape[1])
    margins = cp.multiply(labels, features @ w)
    objective = cp.sum(cp.logistic(-margins)) / features.shape[0] + lam / 2 * cp.sum_squares(w)
    return w, cp.Problem(cp.Minimize(objective))


def logistic_value_and_grad(w: np.ndarray, features: np.ndarray, labels: np.ndarray,
                            lam: float) -> tuple[float, np.ndarray]:
    """The regularised logistic objective and gradient in float64 numpy (for checks)."""
    margins = labels * (features @ w)
    value = float(np.mean(np.logaddexp(0.0, -margins)) + lam / 2 * w @ w)
    weights = -labels / (1.0 + np.exp(margins))
    return value, features.T @ weights / len(labels) + lam * w


@functools.cache
def logistic_optimum(lam: float) -> dict[str, Any]:
    """x*, f* of the logistic problem from cvxpy, and scikit-learn's optimum as a check."""
    from sklearn.linear_model import LogisticRegression

    features, labels = breast_cancer()
    result = solve(functools.partial(_logistic_program, features, labels, lam))
    info = result.info()
    n = len(labels)
    sk = LogisticRegression(C=1.0 / (n * lam), fit_intercept=False, tol=1e-12,
                            max_iter=100_000).fit(features, labels)
    sk_value, sk_grad = logistic_value_and_grad(sk.coef_.ravel(), features, labels, lam)
    info["sklearn_value"] = sk_value
    info["sklearn_grad_norm"] = float(np.linalg.norm(sk_grad))
    if result.x is not None:
        value, grad = logistic_value_and_grad(result.x, features, labels, lam)
        info["grad_norm_at_x_star"] = float(np.linalg.norm(grad))
        info["abs_difference_sklearn"] = abs(value - sk_value)
        info["value_recomputed"] = value
    return {"x": result.x, "info": info}


class LogisticRegression(SharedLossGrad):
    """ℓ2-regularised logistic regression on scikit-learn's breast cancer data (n=569, d=30).

    f(w) = (1/n) Σ_i log(1 + exp(-y_i a_iᵀw)) + (λ/2)‖w‖², features standardised, y ∈ {±1},
    no intercept. L = λ_max(AᵀA)/(4n) + λ, mu = λ. x* and f* from cvxpy (f* recomputed in
    float64 at the solver's x*), checked against scikit-learn's ``LogisticRegression`` with
    C = 1/(nλ) and tol 1e-12 (both values in ``solver_info``). The data are the same for every
    seed; the seed draws the start x_0 = ``start_scale``·N(0, I) (0 gives the origin).
    """

    NAME = "logistic"
    PARAMS: dict[str, Any] = {"lam": 1e-3, "start_scale": 0.0}

    def _build(self) -> None:
        lam = float(self.params["lam"])
        if lam <= 0:
            raise ValueError(f"Invalid lam: {lam!r}; expected > 0")
        features, labels = breast_cancer()
        n, d = features.shape
        self.dim, self.lam = d, lam
        self.features = self.to(torch.from_numpy(features))
        self.labels = self.to(torch.from_numpy(labels))
        self.L = float(np.linalg.eigvalsh(features.T @ features)[-1] / (4 * n) + lam)
        self.mu = lam
        optimum = logistic_optimum(lam)
        self.solver_info = optimum["info"]
        if optimum["x"] is not None:
            x_star = torch.from_numpy(optimum["x"])
            self.x_star = self.to(x_star).expand(self.batch, d)
            self.f_star = self.to(torch.full((self.batch,), optimum["info"]["value_recomputed"],
                                             dtype=torch.float64))

    def _margins(self, x: torch.Tensor) -> torch.Tensor:
        return self.labels * (x @ self.features.T)                          # (B, n)

    def _loss_and_grad(self, x: torch.Tensor, t: int | None
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        margins = self._margins(x)
        data = torch.nn.functional.softplus(-margins).mean(-1)
        weights = -self.labels * torch.sigmoid(-margins)                     # (B, n)
        return (data + self.lam / 2 * (x * x).sum(-1),
                weights @ self.features / self.features.shape[0] + self.lam * x)

    def _x0_one(self, gen: torch.Generator) -> torch.Tensor:
        return float(self.params["start_scale"]) * torch.randn(self.dim, generator=gen,
                                                               dtype=torch.float64)
