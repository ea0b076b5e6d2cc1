"""The step of :mod:`theory.online`'s minimax lower bound, checked against exact expectations.

``randomised_adversary``: the randomized adversary's expected regret on the box,
d (D_inf G_inf / 2) E|S_T| with E|S_T| summed exactly over the binomial law of the Rademacher
sum, is at least the registered ``MINIMAX_LOWER`` on >= 1000 seeded instances (T up to 5000,
including T = 2 where Szarek's constant is attained): a larger constant fails there.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy as sp
from scipy.special import gammaln

import theory.online as on
from proofs_check.core import Head, ProofStep, StepResult, check_numeric, registrar, relative_slack

PROOF = "online_box_minimax_lower"
STEPS: list[ProofStep] = []
step = registrar(STEPS)


@cache
def expected_abs_sum(horizon: int) -> float:
    """E|eps_1 + ... + eps_T| for independent Rademacher signs, summed over the binomial law."""
    k = np.arange(horizon + 1)
    log_pmf = gammaln(horizon + 1) - gammaln(k + 1) - gammaln(horizon - k + 1) \
        - horizon * np.log(2.0)
    return float(np.sum(np.exp(log_pmf) * np.abs(2 * k - horizon)))


@cache
def _lower() -> object:
    return sp.lambdify([on.T, on.d, on.G_inf, on.D_inf], on.MINIMAX_LOWER, "numpy")


def _sampler(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    T = rng.integers(1, 5001, n)
    T[:4] = (1, 2, 3, 4)  # the smallest horizons, T = 2 where the constant is attained
    return {"T": T.astype(float), "d": rng.integers(1, 101, n).astype(float),
            "G": 10 ** rng.uniform(-3, 3, n), "D": 10 ** rng.uniform(-3, 3, n)}


def _slack(T: np.ndarray, d: np.ndarray, G: np.ndarray, D: np.ndarray) -> np.ndarray:
    adversary = d * G * D / 2 * np.array([expected_abs_sum(int(t)) for t in T])
    return relative_slack(_lower()(T, d, G, D), adversary)  # type: ignore[operator]


@step(PROOF, "d (D G/2) E|S_T| >= MINIMAX_LOWER = (sqrt 2/4) d G D sqrt(T) (E|S_T| exact)")
def randomised_adversary(head: Head) -> StepResult:
    return check_numeric(*head, _slack, _sampler, n=1000, seed=5, tol=1e-12)
