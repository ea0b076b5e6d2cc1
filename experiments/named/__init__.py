"""Named experiments (``dwmgrad-verify run NAME``): registry :data:`EXPERIMENTS`.

Each module has ``NAME``, ``DESCRIPTION``, ``specs(scale) -> list[RunSpec]`` and
``measure(store, scale=None) -> dict`` (the measurement JSON described in ``docs/results.md``,
computed from the result files only).
"""

from __future__ import annotations

from types import ModuleType

from experiments.named import (
    bound_tightness,
    cost_scaling,
    counterexample_search,
    dwmgrad_regret,
    empirical,
    heavy_ball_rate,
    invariance,
    lessard_cycle,
    reddi,
)

EXPERIMENTS: dict[str, ModuleType] = {
    module.NAME: module
    for module in (heavy_ball_rate, lessard_cycle, reddi, dwmgrad_regret, bound_tightness,
                   counterexample_search, invariance, cost_scaling, empirical)
}

__all__ = ["EXPERIMENTS"]
