"""The problem suite: one small class per problem, registry :data:`PROBLEMS`.

Every class is batched over instances (one per seed; x has shape (B, d)) and documents its
function, L, mu, x*, f* (or, online, its loss sequence and comparator) and its reference.
Each is added by :func:`register_problem`, the function plugins call too
(``docs/plugins.md``). Build one with :func:`make_problem`.
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
from verify_io.plugins import Registry, built_in


def _check(name: str, cls: type[Problem]) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Problem)):
        raise TypeError(f"{name!r}: expected a subclass of experiments.problems.Problem, "
                        f"got {cls!r}")
    if cls.NAME != name:
        raise ValueError(f"{name!r}: the class's NAME is {cls.NAME!r}")
    for method in ("_build", "loss", "grad", "_x0_one"):
        if getattr(cls, method) is getattr(Problem, method):
            raise ValueError(f"{name!r}: {cls.__qualname__} does not implement {method}")


PROBLEMS: Registry[type[Problem]] = Registry("problems", _check)
"""Every problem a spec can name (built-ins and plugins), by ``NAME``."""


def register_problem(cls: type[Problem]) -> type[Problem]:
    """Register the problem class ``cls`` under ``cls.NAME`` (usable as a class decorator).

    ``cls`` subclasses :class:`Problem` and implements ``_build``, ``loss``, ``grad`` and
    ``_x0_one``. Raises ``ValueError``/``TypeError`` (a
    :class:`~verify_io.plugins.PluginError` naming the plugin when a plugin registers) for a
    malformed class or a name already taken.
    """
    return PROBLEMS.add(getattr(cls, "NAME", ""), cls)


with built_in():
    for _cls in (SpectrumQuadratic, CentredQuadratic, NoisyQuadratic, NesterovWorstCase,
                 LeastSquares, LogisticRegression, Rosenbrock, Lessard, ReddiTheorem1,
                 ReddiSection5Online, ReddiSection5Stochastic, RandomOnlineLinear,
                 RandomOnlineQuadratic, OnlineLeastSquares, PeriodicOnline, PaperGapGame,
                 OnlineBlockSign, Metamorphic, DigitsMLP):
        register_problem(_cls)


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
         "params": dict(cls.PARAMS), "quantities": sorted(cls.QUANTITIES),
         "source": str(PROBLEMS.origin(name))}
        for name, cls in sorted(PROBLEMS.items())
    ]


__all__ = ["PROBLEMS", "Problem", "describe_problems", "make_problem", "problem_class",
           "register_problem"]
