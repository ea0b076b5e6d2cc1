"""The optimizer settings every online experiment uses (reddi, dwmgrad_regret,
counterexample_search), so that the three compare the same algorithms.

Each entry is a label -> (optimizer name for the runner, hyperparameters). The package's
optimizers run as published (constant learning rate, their default betas/momentum), with
lr = 1e-2 for the adaptive ones and 1e-3 for the SGD-type ones (DemonSGD, AdaptiveHB), whose
step is proportional to the raw gradient; "DWMGrad (analysed)" is the algorithm of
``theory.dwmgrad`` (ANALYSED_OPTIONS: α/√t, momentum decay, max second moment). Adam and
AMSGrad use Reddi et al.'s α_t = α/√t. The runner clamps every iterate onto the box.
"""

from __future__ import annotations

from typing import Any

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


def package_settings() -> dict[str, tuple[str, dict[str, Any]]]:
    """The package's seven optimizers as published, plus the analysed DWMGrad."""
    return {
        PUBLISHED: ("DWMGrad", {"lr": ADAPTIVE_LR}),
        ANALYSED: ("DWMGrad", analysed_dwmgrad()),
        "AdaBelief": ("AdaBelief", {"lr": ADAPTIVE_LR}),
        "Aida": ("Aida", {"lr": ADAPTIVE_LR}),
        "DemonSGD": ("DemonSGD", {"lr": SGD_LR, "momentum": 0.9}),
        "DemonAdam": ("DemonAdam", {"lr": ADAPTIVE_LR}),
        "AdaptiveHB": ("AdaptiveHB", {"lr": SGD_LR}),
        "AdamAHB": ("AdamAHB", {"lr": ADAPTIVE_LR}),
    }


def all_settings(betas: tuple[float, float] = (0.9, 0.99)) -> dict[str, tuple[str, dict[str, Any]]]:
    """Adam and AMSGrad (α/√t, ``betas``) followed by :func:`package_settings`."""
    return {
        "Adam": ("Adam", reddi_adam(betas)),
        "AMSGrad": ("AMSGrad", reddi_adam(betas)),
        **package_settings(),
    }
