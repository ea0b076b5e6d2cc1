"""Registry of the package's optimizers: one ``OptimizerInfo`` per class.

Generic tests and the benchmark iterate over ``OPTIMIZERS``; each entry carries the class,
its table of valid hyperparameters (the same table its constructor validates with), a valid
example setting, the implementation paths it has and whether ``step`` needs the loss.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import torch

from dwmgrad import adabelief, adaptive_hb, aida, demon, dwmgrad
from dwmgrad.drivers import PATHS
from dwmgrad.hyperparams import HyperParam

__all__ = ["OPTIMIZERS", "HyperParam", "OptimizerInfo", "path_kwargs"]


def _jsonable(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class OptimizerInfo:
    """Everything generic code needs to know to construct and test one optimizer."""

    name: str
    cls: type[torch.optim.Optimizer]
    hyperparameters: dict[str, HyperParam]
    example_kwargs: dict[str, object]
    paths: tuple[str, ...]
    needs_loss: bool
    reference: str

    def defaults(self) -> dict[str, object]:
        """Constructor defaults of the hyperparameters that have one."""
        sig = inspect.signature(self.cls.__init__)
        return {
            name: p.default for name, p in sig.parameters.items()
            if name in self.hyperparameters and p.default is not inspect.Parameter.empty
        }

    def describe(self) -> dict[str, object]:
        """JSON-able summary (``dwmgrad-verify list optimizers``)."""
        defaults = self.defaults()
        return {
            "name": self.name,
            "class": f"{self.cls.__module__}.{self.cls.__qualname__}",
            "reference": self.reference,
            "paths": list(self.paths),
            "needs_loss": self.needs_loss,
            "example_kwargs": {k: _jsonable(v) for k, v in self.example_kwargs.items()},
            "hyperparameters": {
                name: {
                    "kind": row.kind,
                    "expected": row.expected(),
                    "low": row.low,
                    "high": row.high,
                    "low_inclusive": row.low_inclusive,
                    "high_inclusive": row.high_inclusive,
                    "choices": _jsonable(row.choices),
                    "default": _jsonable(defaults[name]) if name in defaults else None,
                    "required": name not in defaults,
                }
                for name, row in self.hyperparameters.items()
            },
        }

    def make(self, params: Any, **overrides: Any) -> torch.optim.Optimizer:
        """Construct the optimizer with ``example_kwargs`` updated by ``overrides``."""
        return self.cls(params, **{**self.example_kwargs, **overrides})


def path_kwargs(path: str) -> dict[str, object]:
    """Constructor flags selecting an implementation path."""
    if path == "forloop":
        return {"foreach": False}
    if path == "foreach":
        return {"foreach": True}
    if path == "fused":
        return {"fused": True}
    raise ValueError(f"Invalid path: {path!r}; expected one of {', '.join(PATHS)}")


_INFOS = [
    OptimizerInfo(
        name="DWMGrad",
        cls=dwmgrad.DWMGrad,
        hyperparameters=dwmgrad.HYPERPARAMETERS,
        example_kwargs={"lr": 1e-3},
        paths=PATHS,
        needs_loss=True,
        reference="Wang, Li, Zeng, arXiv 2510.25042 (window rules from the authors' code)",
    ),
    OptimizerInfo(
        name="AdaBelief",
        cls=adabelief.AdaBelief,
        hyperparameters=adabelief.HYPERPARAMETERS,
        example_kwargs={"lr": 1e-3},
        paths=PATHS,
        needs_loss=False,
        reference="Zhuang et al., NeurIPS 2020, arXiv 2010.07468 (authors' package semantics)",
    ),
    OptimizerInfo(
        name="Aida",
        cls=aida.Aida,
        hyperparameters=aida.HYPERPARAMETERS,
        example_kwargs={"lr": 1e-3},
        paths=PATHS,
        needs_loss=False,
        reference="Zhang, Niwa, Kleijn, arXiv 2203.13273 (following the authors' code)",
    ),
    OptimizerInfo(
        name="DemonSGD",
        cls=demon.DemonSGD,
        hyperparameters=demon.DEMON_SGD_HYPERPARAMETERS,
        example_kwargs={"lr": 0.01, "total_steps": 100},
        paths=PATHS,
        needs_loss=False,
        reference="Chen, Wolfe, Li, Kyrillidis, arXiv 1910.04952",
    ),
    OptimizerInfo(
        name="DemonAdam",
        cls=demon.DemonAdam,
        hyperparameters=demon.DEMON_ADAM_HYPERPARAMETERS,
        example_kwargs={"lr": 1e-3, "total_steps": 100},
        paths=PATHS,
        needs_loss=False,
        reference="Chen, Wolfe, Li, Kyrillidis, arXiv 1910.04952 (m convention: documented choice)",
    ),
    OptimizerInfo(
        name="AdaptiveHB",
        cls=adaptive_hb.AdaptiveHB,
        hyperparameters=adaptive_hb.ADAPTIVE_HB_HYPERPARAMETERS,
        example_kwargs={"lr": 0.01},
        paths=PATHS,
        needs_loss=False,
        reference="Sun, Ling, Shi, Li, Wang, arXiv 2110.09057 (clipping reconstructed)",
    ),
    OptimizerInfo(
        name="AdamAHB",
        cls=adaptive_hb.AdamAHB,
        hyperparameters=adaptive_hb.ADAM_AHB_HYPERPARAMETERS,
        example_kwargs={"lr": 1e-3},
        paths=PATHS,
        needs_loss=False,
        reference="Sun, Ling, Shi, Li, Wang, arXiv 2110.09057 (secant rule as Adam beta1)",
    ),
]

OPTIMIZERS: dict[str, OptimizerInfo] = {info.name: info for info in _INFOS}
