"""DWMGrad and the related momentum optimizers the project checks (torch.optim style)."""

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
