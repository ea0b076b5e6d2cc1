"""DWMGrad and the related momentum optimizers the project checks (torch.optim style).

Each optimizer is a ``torch.optim.Optimizer`` that validates its hyperparameters against a
table (``OPTIMIZERS[name].hyperparameters``), gathers the tensors that have gradients and
runs its update, written once per tensor, on one of three paths (:mod:`dwmgrad.drivers`):
the for-loop reference, ``foreach=True`` (``torch._foreach_*`` ops) or ``fused=True``
(compiled by ``torch.compile``); the default is the fastest uncompiled path measured for the
device. ``per_instance=True`` runs B independent problems stored along dimension 0 of every
parameter.

- ``DWMGrad``: dynamic-window momentum (arXiv 2510.25042); needs the loss in ``step``.
- ``AdaBelief``, ``Aida``: belief-based adaptive steps (arXiv 2010.07468, 2203.13273).
- ``DemonSGD``, ``DemonAdam``: decaying momentum (arXiv 1910.04952).
- ``AdaptiveHB``, ``AdamAHB``: secant-estimated heavy-ball momentum (arXiv 2110.09057).
"""

from dwmgrad.adabelief import AdaBelief
from dwmgrad.adaptive_hb import AdamAHB, AdaptiveHB
from dwmgrad.aida import Aida
from dwmgrad.demon import DemonAdam, DemonSGD
from dwmgrad.dwmgrad import DWMGrad
from dwmgrad.registry import OPTIMIZERS, HyperParam, OptimizerInfo, path_kwargs

__all__ = [
    "OPTIMIZERS",
    "AdaBelief",
    "AdamAHB",
    "AdaptiveHB",
    "Aida",
    "DWMGrad",
    "DemonAdam",
    "DemonSGD",
    "HyperParam",
    "OptimizerInfo",
    "path_kwargs",
]
