"""Every bound and derivation of the toolkit, collected from a fixed list of theory modules.

Each module in :data:`THEORY_MODULES` exposes ``BOUNDS: list[Bound]`` and optionally
``DERIVATIONS: list[Derivation]``. A module that does not exist (yet) is skipped with a
warning and listed by :func:`missing_modules`; any other import error propagates.
"""

from __future__ import annotations

import importlib
import warnings
from functools import cache
from types import ModuleType

from theory.core import Bound, Derivation

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


def bounds() -> list[Bound]:
    """All bounds, in module order; names are unique."""
    modules, _ = import_present(THEORY_MODULES)
    out = [bound for module in modules for bound in module.BOUNDS]
    _unique("bound", [b.name for b in out])
    return out


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
