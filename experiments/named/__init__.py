"""Named experiments (``dwmgrad-verify run NAME``): registry :data:`EXPERIMENTS`.

Each is a module with ``NAME``, ``DESCRIPTION``, ``specs(scale) -> list[RunSpec]`` and
``measure(store, scale=None) -> dict`` (the measurement JSON described in ``docs/results.md``,
computed from the result files only), added by :func:`register_experiment`, the function
plugins call too (``docs/plugins.md``). A module with ``TIMED = True`` measures wall-clock
time: ``run``/``all`` run its specs after every other run, one at a time in the calling
process, in the order ``specs`` lists them (:func:`experiments.api.run_experiments`).
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
from verify_io.plugins import Registry, built_in


def _check(name: str, module: ModuleType) -> None:
    missing = [attr for attr in ("NAME", "DESCRIPTION", "specs", "measure")
               if not hasattr(module, attr)]
    if missing:
        raise TypeError(f"{name!r}: {getattr(module, '__name__', module)!r} has no {missing}")
    if module.NAME != name:
        raise ValueError(f"{name!r}: the module's NAME is {module.NAME!r}")
    if not (callable(module.specs) and callable(module.measure)):
        raise TypeError(f"{name!r}: specs and measure must be functions")


EXPERIMENTS: Registry[ModuleType] = Registry("experiments", _check)
"""Every experiment ``run`` accepts (built-ins and plugins), by ``NAME``."""


def register_experiment(module: ModuleType) -> ModuleType:
    """Register the experiment module ``module`` (or any object with the same four
    attributes) under ``module.NAME``. Raises ``ValueError``/``TypeError`` (a
    :class:`~verify_io.plugins.PluginError` naming the plugin when a plugin registers) for a
    malformed module or a name already taken."""
    return EXPERIMENTS.add(getattr(module, "NAME", ""), module)


with built_in():
    # In this order they are measured: bound_tightness reads dwmgrad_regret's runs and the
    # sequences of counterexample_search's measurement.
    for _module in (heavy_ball_rate, lessard_cycle, reddi, dwmgrad_regret, counterexample_search,
                    bound_tightness, invariance, cost_scaling, empirical):
        register_experiment(_module)

__all__ = ["EXPERIMENTS", "register_experiment"]
