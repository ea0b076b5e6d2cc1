"""The search space of the counterexample search and its CMA-ES driver.

A point z ∈ [0, 1]^(3P) decodes to one periodic online convex sequence of period P on
[-1, 1] (:mod:`experiments.problems.periodic`): per phase k,

    a_k = A_MAX · z_{3k}            curvature (a = 0: a linear loss)
    b_k = 2 z_{3k+1} - 1            slope, in [-1, 1]
    c_k = C_MAX · (2 z_{3k+2} - 1)  offset: a loss value no gradient sees

This covers everything an optimizer of this project reads from the adversary: the gradients
a_k x + b_k and the loss values (offsets included, which DWMGrad's loss-driven window reads).
Scale needs no coordinate: every criterion is relative to G∞·D∞. The start x_1 is not
searched: it is the comparator x* of one period (the minimiser of the period's sum over the
box), so the regret measures the optimizer leaving x*, never a start far from it (a slow
optimizer's transient from a far start would otherwise pass for non-vanishing regret).

:class:`Search` is CMA-ES (``cma.CMAEvolutionStrategy``, box constraints [0, 1]) with its
own seeded ``numpy.random.Generator`` (the global numpy state is never read or written), so a
search is a deterministic function of its seed and of the fitness values it is told: it can
be replayed from stored results alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

A_MAX = 1.0
C_MAX = 4.0


def period_minimiser(phases: list[list[float]]) -> float:
    """argmin over [-1, 1] of Σ_k ½ a_k x² + b_k x (0 when the sum is constant)."""
    a, b = sum(p[0] for p in phases), sum(p[1] for p in phases)
    if a > 0:
        return float(min(1.0, max(-1.0, -b / a)))
    return -1.0 if b > 0 else 1.0 if b < 0 else 0.0


@dataclass(frozen=True)
class SequenceSpace:
    """Period-``period`` sequences (module docstring); ``dim`` = 3·period."""

    period: int

    def __post_init__(self) -> None:
        if isinstance(self.period, bool) or not isinstance(self.period, int) or self.period < 1:
            raise ValueError(f"Invalid period: {self.period!r}; expected an integer >= 1")

    @property
    def dim(self) -> int:
        return 3 * self.period

    def decode(self, z: np.ndarray) -> dict[str, Any]:
        """The ``sequence`` mapping of point ``z`` (values clipped onto [0, 1])."""
        z = np.clip(np.asarray(z, dtype=np.float64), 0.0, 1.0)
        if z.shape != (self.dim,):
            raise ValueError(f"Invalid point of shape {z.shape}; expected ({self.dim},)")
        phases = [[A_MAX * float(z[3 * k]), 2.0 * float(z[3 * k + 1]) - 1.0,
                   C_MAX * (2.0 * float(z[3 * k + 2]) - 1.0)] for k in range(self.period)]
        return {"phases": phases, "x0": period_minimiser(phases)}

    def describe(self) -> dict[str, Any]:
        return {"period": self.period, "dim": self.dim, "box": [-1.0, 1.0],
                "a": [0.0, A_MAX], "b": [-1.0, 1.0], "c": [-C_MAX, C_MAX],
                "x0": "the minimiser of one period's sum over the box"}


class Search:
    """CMA-ES maximising a score over :class:`SequenceSpace` (ask / tell, deterministic)."""

    def __init__(self, space: SequenceSpace, seed: int, popsize: int, sigma0: float = 0.3
                 ) -> None:
        import cma

        self.space = space
        rng = np.random.default_rng(seed)
        start = rng.uniform(0.2, 0.8, space.dim)
        options = {"bounds": [0.0, 1.0], "popsize": popsize, "seed": math.nan,
                   "randn": lambda lam, n: rng.standard_normal((lam, n)),
                   "verbose": -9, "verb_log": 0, "verb_disp": 0, "tolfun": 0.0,
                   "tolflatfitness": 10**9, "tolstagnation": 10**9}
        self._es = cma.CMAEvolutionStrategy(start, sigma0, options)

    def ask(self) -> list[np.ndarray]:
        return [np.asarray(z, dtype=np.float64) for z in self._es.ask()]

    def tell(self, points: list[np.ndarray], scores: np.ndarray) -> None:
        """Report the scores (higher is worse for the optimizer under test) of ``points``."""
        self._es.tell(points, [-float(s) for s in scores])
