"""Every bound and derivation of the toolkit: the bound registry and its registration function.

Each module in :data:`THEORY_MODULES` exposes ``BOUNDS: list[Bound]`` and optionally
``DERIVATIONS: list[Derivation]``; its bounds are registered through :func:`register_bound`,
the function plugins call too (``docs/plugins.md``), the first time the registry is used
(sympy work is not paid by commands that need no bound). A module that does not exist (yet)
is skipped with a warning and listed by :func:`missing_modules`; any other import error
propagates.
"""

from __future__ import annotations

import importlib
import warnings
from functools import cache
from types import ModuleType

from theory.core import Bound, Derivation
from verify_io.plugins import Registry, built_in

THEORY_MODULES: tuple[str, ...] = (
    "theory.dwmgrad",
    "theory.dwmgrad_constant_momentum",
    "theory.heavy_ball",
    "theory.cost_model",
    "theory.identities",
    "theory.online",
)


@cache
def import_present(names: tuple[str, ...]) -> tuple[list[ModuleType], list[str]]:
    """Import the modules ``names``; return (imported, missing). Missing ones warn (once per
    process: the answer is cached)."""
    present, missing = [], []
    for name in names:
        try:
            present.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            warnings.warn(f"module {name} not found: its entries are skipped", stacklevel=2)
            missing.append(name)
    return present, missing


def missing_modules() -> list[str]:
    """The modules of :data:`THEORY_MODULES` that cannot be imported."""
    return import_present(THEORY_MODULES)[1]


def _unique(kind: str, names: list[str]) -> None:
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate {kind} names across theory modules: {duplicates}")


def _check(name: str, bound: Bound) -> None:
    if not isinstance(bound, Bound):
        raise TypeError(f"{name!r}: expected a theory.core.Bound, got {type(bound).__name__}")
    if bound.name != name:
        raise ValueError(f"{name!r}: the bound's name is {bound.name!r}")


BOUND_REGISTRY: Registry[Bound] = Registry("bounds", _check)
"""Every bound (built-ins and plugins), by name; read it through :func:`bounds`."""
_builtins_registered: list[bool] = []


def _register_builtins() -> None:
    if _builtins_registered:
        return
    _builtins_registered.append(True)
    modules, _ = import_present(THEORY_MODULES)
    with built_in():
        for module in modules:
            for b in module.BOUNDS:
                BOUND_REGISTRY.add(b.name, b)


def register_bound(bound: Bound) -> Bound:
    """Register ``bound`` (a :class:`~theory.core.Bound`: sympy expression, symbols' meanings,
    assumptions, kind, reference) under ``bound.name``. Raises ``ValueError``/``TypeError``
    (a :class:`~verify_io.plugins.PluginError` naming the plugin when a plugin registers) for
    something else than a Bound or a name already taken."""
    _register_builtins()
    return BOUND_REGISTRY.add(getattr(bound, "name", ""), bound)


def bounds() -> list[Bound]:
    """All bounds: the theory modules' in module order, then plugins'; names are unique."""
    _register_builtins()
    return list(BOUND_REGISTRY.values())


def derivations() -> list[Derivation]:
    """All written derivations (modules without ``DERIVATIONS`` contribute none)."""
    modules, _ = import_present(THEORY_MODULES)
    out = [der for module in modules for der in getattr(module, "DERIVATIONS", [])]
    _unique("derivation", [d.name for d in out])
    return out


def bound(name: str) -> Bound:
    """The bound called ``name``; ValueError listing the known names otherwise."""
    known = bounds()
    for b in known:
        if b.name == name:
            return b
    raise ValueError(f"unknown bound {name!r}; expected one of {[b.name for b in known]}")
