"""The optimizer registry and its registration function, the one plugins use too.

Every optimizer a run can name is an :class:`OptimizerInfo` in :data:`OPTIMIZER_REGISTRY`,
added by :func:`register_optimizer`: the package's own (registered below by
:func:`register_built_in`; :data:`OPTIMIZERS` holds them, for the generic tests, the benchmark
and the experiments generic over optimizers), the ``torch.optim`` baselines (Adam,
AMSGrad, SGD, heavy ball; used as they are, so they are the reference implementations) and
any plugin's (``docs/plugins.md``). Each entry carries the factory, its table of valid
hyperparameters, a valid example setting, the implementation paths, whether ``step`` takes
the loss, and how a run keeps its B instances independent.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

from dwmgrad import adabelief, adaptive_hb, aida, demon, dwmgrad
from dwmgrad.drivers import PATHS
from dwmgrad.hyperparams import HyperParam, betas_row, eps_row, lr_row, unit_row
from dwmgrad.hyperparams import table as hyper_table
from verify_io.plugins import Registry, built_in

__all__ = ["OPTIMIZERS", "OPTIMIZER_REGISTRY", "HyperParam", "Instances", "OptimizerInfo",
           "StepKind", "path_kwargs", "register_built_in", "register_optimizer"]

StepKind = Literal["normalised", "gradient"]
"""How an optimizer's step scales with the gradient: ``normalised`` (adaptive or sign
methods: a step of about lr whatever the gradient's size) or ``gradient`` (SGD-type: the
step is lr times a raw gradient or a momentum of them). The generic experiments give each
kind its own learning rate (e.g. :mod:`experiments.named.online`)."""

Instances = Literal["per_instance", "elementwise", "separate"]
"""How a run of B instances as one (B, d) tensor keeps them independent: ``per_instance``
(the factory takes ``per_instance=True``: the package's optimizers), ``elementwise`` (the
update is elementwise, so one optimizer steps the batch: torch.optim's Adam, SGD, Adagrad;
these also take ``lr_schedule``) or ``separate`` (one optimizer per instance, rows copied in
and out around each step, :class:`experiments.external.PerInstance`: right whatever the
update reads, e.g. norms over the whole tensor; the default for a plugin)."""

def _jsonable(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class OptimizerInfo:
    """Everything generic code needs to know to construct, run and test one optimizer.

    ``hyperparameters`` is the table of valid values (the runner refuses other names and bad
    values before any run); empty means the factory validates its own arguments (then the
    accepted names are read from its signature). ``fixed`` are arguments always passed (a
    run may not set them). ``momentum`` gives the constant momentum of a setting, recorded
    by runs that record momentum (``None``: the optimizer has none, or exposes
    ``momentum_now``).
    """

    name: str
    factory: Callable[..., torch.optim.Optimizer]
    hyperparameters: Mapping[str, HyperParam]
    example_kwargs: Mapping[str, object]
    paths: tuple[str, ...]
    needs_loss: bool
    reference: str
    instances: Instances = "per_instance"
    fixed: Mapping[str, object] = field(default_factory=dict)
    momentum: Callable[[Mapping[str, Any]], float] | None = field(default=None, compare=False)
    step_kind: StepKind = "normalised"

    def accepted(self) -> list[str]:
        """The hyperparameter names a run may set."""
        if self.hyperparameters:
            names = list(self.hyperparameters)
        else:
            names = [n for n, p in inspect.signature(self.factory).parameters.items()
                     if n != "params" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        return [n for n in names if n not in self.fixed and n != "per_instance"]

    def defaults(self) -> dict[str, object]:
        """Constructor defaults of the hyperparameters that have one."""
        sig = inspect.signature(self.factory)
        return {
            name: p.default for name, p in sig.parameters.items()
            if name in self.hyperparameters and p.default is not inspect.Parameter.empty
        }

    def describe(self) -> dict[str, object]:
        """JSON-able summary (``dwmgrad-verify list optimizers``)."""
        defaults = self.defaults()
        return {
            "name": self.name,
            "class": f"{self.factory.__module__}.{self.factory.__qualname__}",
            "reference": self.reference,
            "paths": list(self.paths),
            "needs_loss": self.needs_loss,
            "instances": self.instances,
            "step_kind": self.step_kind,
            "fixed": {k: _jsonable(v) for k, v in self.fixed.items()},
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
            } if self.hyperparameters else self.accepted(),
        }

    def make(self, params: Any, **overrides: Any) -> torch.optim.Optimizer:
        """Construct the optimizer with ``example_kwargs`` updated by ``overrides``."""
        return self.factory(params, **{**self.example_kwargs, **overrides, **self.fixed})


def _check(name: str, info: OptimizerInfo) -> None:
    if not isinstance(info, OptimizerInfo):
        raise TypeError(f"{name!r}: expected an OptimizerInfo, got {type(info).__name__}")
    if not callable(info.factory):
        raise TypeError(f"{name!r}: factory {info.factory!r} is not callable")
    bad_rows = [k for k, row in info.hyperparameters.items()
                if not isinstance(row, HyperParam) or row.name != k]
    if bad_rows:
        raise TypeError(f"{name!r}: hyperparameters {bad_rows} are not HyperParam rows "
                        "under their own name")
    if info.instances not in ("per_instance", "elementwise", "separate"):
        raise ValueError(f"{name!r}: instances={info.instances!r}; expected 'per_instance', "
                         "'elementwise' or 'separate'")
    unknown_paths = sorted(set(info.paths) - set(PATHS))
    if unknown_paths:
        raise ValueError(f"{name!r}: paths {unknown_paths}; expected some of {list(PATHS)}")
    if info.step_kind not in ("normalised", "gradient"):
        raise ValueError(f"{name!r}: step_kind={info.step_kind!r}; expected 'normalised' or "
                         "'gradient'")
    if info.momentum is not None and not callable(info.momentum):
        raise TypeError(f"{name!r}: momentum must be a function of the hyperparameters")


OPTIMIZER_REGISTRY: Registry[OptimizerInfo] = Registry("optimizers", _check)
"""Every optimizer a run can name (built-ins and plugins), by name."""


def register_optimizer(name: str, factory: Callable[..., torch.optim.Optimizer], *,
                       hyperparameters: Mapping[str, HyperParam] | None = None,
                       example_kwargs: Mapping[str, object] | None = None,
                       needs_loss: bool = False, instances: Instances = "separate",
                       fixed: Mapping[str, object] | None = None,
                       momentum: Callable[[Mapping[str, Any]], float] | None = None,
                       paths: tuple[str, ...] = (), reference: str = "",
                       step_kind: StepKind = "normalised") -> OptimizerInfo:
    """Register ``factory`` (a ``torch.optim.Optimizer`` class or any function
    ``factory(params, **hyperparameters)`` returning one) as optimizer ``name``.

    ``needs_loss``: the step is loss-aware (``step(loss=...)`` receives the per-instance
    loss). ``instances``: see :data:`Instances`; ``step_kind``: see :data:`StepKind`. The
    other arguments are :class:`OptimizerInfo`'s.
    Raises ``ValueError``/``TypeError`` (a :class:`~verify_io.plugins.PluginError` naming the
    plugin when a plugin registers) for a malformed entry or a name already taken.
    """
    info = OptimizerInfo(name=name, factory=factory,
                         hyperparameters=dict(hyperparameters or {}),
                         example_kwargs=dict(example_kwargs or {}), paths=paths,
                         needs_loss=needs_loss, reference=reference, instances=instances,
                         fixed=dict(fixed or {}), momentum=momentum, step_kind=step_kind)
    return OPTIMIZER_REGISTRY.add(name, info)


def path_kwargs(path: str) -> dict[str, object]:
    """Constructor flags selecting an implementation path."""
    if path == "forloop":
        return {"foreach": False}
    if path == "foreach":
        return {"foreach": True}
    if path == "fused":
        return {"fused": True}
    raise ValueError(f"Invalid path: {path!r}; expected one of {', '.join(PATHS)}")


OPTIMIZERS: dict[str, OptimizerInfo] = {}
"""The package's own optimizers, in registration order (:func:`register_built_in`): the generic
optimizer tests, the benchmark and every experiment that is generic over optimizers iterate
these."""


def register_built_in(name: str, cls: type[torch.optim.Optimizer], table: dict[str, HyperParam],
                      example: dict[str, object], needs_loss: bool, reference: str,
                      step_kind: StepKind = "normalised") -> OptimizerInfo:
    """Register one of the package's optimizers (a :class:`~dwmgrad.base.TensorListOptimizer`
    with every path and ``per_instance``) and add it to :data:`OPTIMIZERS`. A new built-in
    needs this call, its module, its NumPy transcription (tests/optimizers) and its cost
    model (theory.cost_model); the generic experiments, figures and claims then include it."""
    info = register_optimizer(name, cls, hyperparameters=table, example_kwargs=example,
                              needs_loss=needs_loss, instances="per_instance", paths=PATHS,
                              reference=reference, step_kind=step_kind)
    OPTIMIZERS[name] = info
    return info


_TORCH = "torch.optim, used as is (baseline)"
_weight_decay = HyperParam("weight_decay", "float", low=0.0)
_adam_table = hyper_table(lr_row(), betas_row(), eps_row(), _weight_decay)


def _first_beta(hyper: Mapping[str, Any]) -> float:
    return float(hyper.get("betas", (0.9, 0.999))[0])


with built_in():
    register_built_in("DWMGrad", dwmgrad.DWMGrad, dwmgrad.HYPERPARAMETERS, {"lr": 1e-3}, True,
                      "Wang, Li, Zeng, arXiv 2510.25042 (window rules from the authors' code)")
    register_built_in("AdaBelief", adabelief.AdaBelief, adabelief.HYPERPARAMETERS,
                      {"lr": 1e-3}, False, "Zhuang et al., NeurIPS 2020, arXiv 2010.07468 "
                      "(authors' package semantics)")
    register_built_in("Aida", aida.Aida, aida.HYPERPARAMETERS, {"lr": 1e-3}, False,
                      "Zhang, Niwa, Kleijn, arXiv 2203.13273 (following the authors' code)")
    register_built_in("DemonSGD", demon.DemonSGD, demon.DEMON_SGD_HYPERPARAMETERS,
                      {"lr": 0.01, "total_steps": 100}, False,
                      "Chen, Wolfe, Li, Kyrillidis, arXiv 1910.04952", step_kind="gradient")
    register_built_in("DemonAdam", demon.DemonAdam, demon.DEMON_ADAM_HYPERPARAMETERS,
                      {"lr": 1e-3, "total_steps": 100}, False,
                      "Chen, Wolfe, Li, Kyrillidis, arXiv 1910.04952 (m convention: documented "
                      "choice)")
    register_built_in("AdaptiveHB", adaptive_hb.AdaptiveHB,
                      adaptive_hb.ADAPTIVE_HB_HYPERPARAMETERS, {"lr": 0.01}, False,
                      "Sun, Ling, Shi, Li, Wang, arXiv 2110.09057 (clipping reconstructed)",
                      step_kind="gradient")
    register_built_in("AdamAHB", adaptive_hb.AdamAHB, adaptive_hb.ADAM_AHB_HYPERPARAMETERS,
                      {"lr": 1e-3}, False,
                      "Sun, Ling, Shi, Li, Wang, arXiv 2110.09057 (secant rule as Adam beta1)")
    register_optimizer("Adam", torch.optim.Adam, instances="elementwise",
                       hyperparameters=_adam_table,
                       example_kwargs={"lr": 1e-3}, fixed={"amsgrad": False},
                       momentum=_first_beta, reference=_TORCH)
    register_optimizer("AMSGrad", torch.optim.Adam, instances="elementwise",
                       hyperparameters=_adam_table,
                       example_kwargs={"lr": 1e-3}, fixed={"amsgrad": True},
                       momentum=_first_beta, reference=_TORCH)
    register_optimizer("SGD", torch.optim.SGD, instances="elementwise",
                       hyperparameters=hyper_table(lr_row(), _weight_decay),
                       example_kwargs={"lr": 0.01}, fixed={"momentum": 0.0},
                       momentum=lambda hyper: 0.0, reference=_TORCH, step_kind="gradient")
    register_optimizer("HeavyBall", torch.optim.SGD, instances="elementwise",
                       hyperparameters=hyper_table(lr_row(), unit_row("momentum"),
                                                   _weight_decay),
                       example_kwargs={"lr": 0.01, "momentum": 0.9},
                       fixed={"dampening": 0.0, "nesterov": False},
                       momentum=lambda hyper: float(hyper.get("momentum", 0.0)),
                       reference=_TORCH, step_kind="gradient")
