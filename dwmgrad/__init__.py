"""DWMGrad and the related momentum optimizers the project checks (torch.optim style)."""

from dwmgrad.adabelief import AdaBelief
from dwmgrad.dwmgrad import DWMGrad
from dwmgrad.registry import OPTIMIZERS, HyperParam, OptimizerInfo, path_kwargs

__all__ = [
    "OPTIMIZERS",
    "AdaBelief",
    "DWMGrad",
    "HyperParam",
    "OptimizerInfo",
    "path_kwargs",
]
