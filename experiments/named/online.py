"""The optimizer settings every online experiment uses (reddi, dwmgrad_regret,
counterexample_search), so that the three compare the same algorithms.

Each entry is a label -> (optimizer name for the runner, hyperparameters). The package's
optimizers (every built-in of ``dwmgrad.registry.OPTIMIZERS``) run as published (constant
learning rate, their default betas/momentum), with lr = 1e-2 for those whose step is
normalised and 1e-3 for the SGD-type ones (``step_kind`` "gradient": DemonSGD, AdaptiveHB),
whose step is proportional to the raw gradient; "DWMGrad (analysed)" is the algorithm of
``theory.dwmgrad`` (ANALYSED_OPTIONS: α/√t, momentum decay, max second moment). Adam and
AMSGrad use Reddi et al.'s α_t = α/√t. The runner clamps every iterate onto the box.
"""

from __future__ import annotations

from typing import Any

from experiments.optimizers import package_optimizers, registry
from theory.dwmgrad import ANALYSED_OPTIONS

ADAPTIVE_LR = 1e-2
SGD_LR = 1e-3
ANALYSED_LR = 0.1
REDDI_LR = 0.5

PUBLISHED = "DWMGrad"
"""The label of DWMGrad with the paper's defaults in the online experiments."""
ANALYSED = "DWMGrad (analysed)"
"""The label of the analysed DWMGrad (theory.dwmgrad.ANALYSED_OPTIONS)."""


def reddi_adam(betas: tuple[float, float], lr: float = REDDI_LR) -> dict[str, Any]:
    return {"lr": lr, "betas": betas, "lr_schedule": "inv_sqrt"}


def analysed_dwmgrad(window_rule: str = "loss", lr: float = ANALYSED_LR) -> dict[str, Any]:
    return {"lr": lr, "window_rule": window_rule, **ANALYSED_OPTIONS}


def step_lr(optimizer: str) -> float:
    """ADAPTIVE_LR for a registered optimizer whose step is normalised, SGD_LR for one whose
    step is proportional to the raw gradient (``OptimizerInfo.step_kind``)."""
    return SGD_LR if registry()[optimizer].step_kind == "gradient" else ADAPTIVE_LR


def package_settings() -> dict[str, tuple[str, dict[str, Any]]]:
    """Every built-in optimizer of the package (``dwmgrad.registry.OPTIMIZERS``, in order) as
    published at :func:`step_lr`, the analysed DWMGrad right after the published one."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for name in package_optimizers():
        out[PUBLISHED if name == "DWMGrad" else name] = (name, {"lr": step_lr(name)})
        if name == "DWMGrad":
            out[ANALYSED] = ("DWMGrad", analysed_dwmgrad())
    return out


def all_settings(betas: tuple[float, float] = (0.9, 0.99)) -> dict[str, tuple[str, dict[str, Any]]]:
    """Adam and AMSGrad (α/√t, ``betas``) followed by :func:`package_settings`."""
    return {
        "Adam": ("Adam", reddi_adam(betas)),
        "AMSGrad": ("AMSGrad", reddi_adam(betas)),
        **package_settings(),
    }
