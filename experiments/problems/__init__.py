"""The problem suite: one small class per problem, registry :data:`PROBLEMS`.

Every class is batched over instances (one per seed; x has shape (B, d)) and documents its
function, L, mu, x*, f* (or, online, its loss sequence and comparator) and its reference.
Build one with :func:`make_problem`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from experiments.problems.adversarial import OnlineBlockSign
from experiments.problems.base import Problem
from experiments.problems.classic import Lessard, Rosenbrock
from experiments.problems.metamorphic import Metamorphic
from experiments.problems.mlp import DigitsMLP
from experiments.problems.online import (
    OnlineLeastSquares,
    RandomOnlineLinear,
    RandomOnlineQuadratic,
    ReddiSection5Online,
    ReddiSection5Stochastic,
    ReddiTheorem1,
)
from experiments.problems.paper_gaps import PaperGapGame
from experiments.problems.periodic import PeriodicOnline
from experiments.problems.quadratic import (
    CentredQuadratic,
    NesterovWorstCase,
    NoisyQuadratic,
    SpectrumQuadratic,
)
from experiments.problems.regression import LeastSquares, LogisticRegression

PROBLEMS: dict[str, type[Problem]] = {
    cls.NAME: cls
    for cls in (SpectrumQuadratic, CentredQuadratic, NoisyQuadratic, NesterovWorstCase,
                LeastSquares, LogisticRegression, Rosenbrock, Lessard, ReddiTheorem1,
                ReddiSection5Online, ReddiSection5Stochastic, RandomOnlineLinear,
                RandomOnlineQuadratic, OnlineLeastSquares, PeriodicOnline, PaperGapGame,
                OnlineBlockSign, Metamorphic, DigitsMLP)
}


def problem_class(name: str) -> type[Problem]:
    """The class registered as ``name``."""
    if name not in PROBLEMS:
        raise ValueError(f"Unknown problem {name!r}; expected one of {', '.join(sorted(PROBLEMS))}")
    return PROBLEMS[name]


def make_problem(name: str, seeds: Sequence[int], params: Mapping[str, Any] | None = None, *,
                 dtype: str | torch.dtype = "float64",
                 device: str | torch.device = "cpu") -> Problem:
    """Build problem ``name`` with one instance per seed."""
    cls = problem_class(name)
    torch_dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype
    return cls(seeds, dtype=torch_dtype, device=device, **dict(params or {}))


def describe_problems() -> list[dict[str, Any]]:
    """One JSON-able row per registered problem (``dwmgrad-verify list problems``)."""
    return [
        {"name": name, "kind": "online" if cls.online else "offline",
         "summary": " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split()),
         "params": dict(cls.PARAMS), "quantities": sorted(cls.QUANTITIES)}
        for name, cls in sorted(PROBLEMS.items())
    ]


__all__ = ["PROBLEMS", "Problem", "describe_problems", "make_problem", "problem_class"]
