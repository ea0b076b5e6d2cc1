"""Controls and ablation for the published DWMGrad's regret (part of ``dwmgrad_regret``).

A sign of linear regret in the published DWMGrad (constant lr, γ = 0.9, no momentum decay, no
max second moment) may come from DWMGrad's own mechanisms or from a confound it shares with
every standard method: the constant step size. To tell them apart, every problem of
``dwmgrad_regret`` is also played by (:data:`SETTINGS`):

* the **ablation**: the published DWMGrad (window rule "loss") with exactly one option moved
  toward the analysed algorithm (``theory.dwmgrad.ANALYSED_OPTIONS``): ``lr_schedule`` α/√t,
  ``max_second_moment``, ``momentum_decay`` 0.99; and the published one at the paper's own
  default lr 1e-3 (algorithms.md) besides the 1e-2 the online experiments use;
* the **shared-confound controls**: Adam, AMSGrad and heavy ball (SGD with momentum 0.9) at
  the same constant lr (1e-2 and 1e-3) and at the same α/√t schedule (lr 1e-2).

At quick scale only the pairs of :data:`QUICK_PLAN` run (the budget of ``all --scale quick``:
the ablation on Reddi's game, the constant-lr controls on the online quadratics and Reddi's
game, the α/√t controls on Reddi's game); full scale runs every setting on every problem.

Each setting is labelled ``<optimizer>|<lr>|<schedule>|<change>`` (:func:`setting_label`);
the table (``metrics.controls``) gives, per setting and problem, the tail regret exponent
(:func:`experiments.named.dwmgrad_regret.power_fit` over the last decade, a
:class:`experiments.measurements.dwmgrad_regret.ControlRow`) with its CI, and
the setting's family (``ablation`` / ``control``), optimizer, lr and schedule, so that a rule
can ask "does a control at the same lr and schedule show it too?".
"""

from __future__ import annotations

from typing import Any, NamedTuple

from experiments.measurements.dwmgrad_regret import ControlRow, PowerFit
from experiments.named.common import Scale
from theory.dwmgrad import ANALYSED_MOMENTUM_DECAY

PUBLISHED_LR = 1e-2
PAPER_DEFAULT_LR = 1e-3
CONTROL_OPTIMIZERS = ("Adam", "AMSGrad", "HeavyBall")


class Setting(NamedTuple):
    """One row of the ablation/control table."""

    family: str          # "published", "ablation" or "control"
    optimizer: str
    lr: float
    schedule: str        # "constant" or "inv_sqrt"
    change: str          # the one option changed from the published DWMGrad ("" if none)
    hyperparameters: dict[str, Any]


def setting_label(s: Setting) -> str:
    return f"{s.optimizer}|{s.lr:g}|{s.schedule}|{s.change or 'published'}"


def _dwmgrad(lr: float, change: str, **extra: Any) -> Setting:
    hyper = {"lr": lr, "window_rule": "loss", "momentum": 0.9, "max_window": 10, **extra}
    family = "published" if not change else "ablation"
    return Setting(family, "DWMGrad", lr, str(hyper.get("lr_schedule", "constant")), change,
                   hyper)


def _control(name: str, lr: float, schedule: str) -> Setting:
    hyper: dict[str, Any] = {"lr": lr, "lr_schedule": schedule}
    if name == "HeavyBall":
        hyper["momentum"] = 0.9
    return Setting("control", name, lr, schedule, "", hyper)


def settings() -> list[Setting]:
    """The published DWMGrad at both lrs, the one-option ablations, the controls."""
    out = [_dwmgrad(PUBLISHED_LR, ""), _dwmgrad(PAPER_DEFAULT_LR, ""),
           _dwmgrad(PUBLISHED_LR, "lr_schedule=inv_sqrt", lr_schedule="inv_sqrt"),
           _dwmgrad(PUBLISHED_LR, "max_second_moment", max_second_moment=True),
           _dwmgrad(PUBLISHED_LR, f"momentum_decay={ANALYSED_MOMENTUM_DECAY}",
                    momentum_decay=ANALYSED_MOMENTUM_DECAY)]
    for lr in (PUBLISHED_LR, PAPER_DEFAULT_LR):
        out += [_control(name, lr, "constant") for name in CONTROL_OPTIMIZERS]
    out += [_control(name, PUBLISHED_LR, "inv_sqrt") for name in CONTROL_OPTIMIZERS]
    return out


def table_row(setting: Setting, problem: str, tail: PowerFit) -> ControlRow:
    """One row of ``metrics.controls``: the setting, the problem, its tail exponent fit."""
    return ControlRow(setting_label(setting), setting.family, setting.optimizer, setting.lr,
                      setting.schedule, setting.change, problem, tail)


QUICK_PLAN: dict[str, tuple[str, ...]] = {
    "DWMGrad|0.01|constant|published": ("online_linear", "online_quadratic", "reddi_theorem1"),
    "DWMGrad|0.01|inv_sqrt|lr_schedule=inv_sqrt": ("reddi_theorem1",),
    "DWMGrad|0.01|constant|max_second_moment": ("reddi_theorem1",),
    "DWMGrad|0.01|constant|momentum_decay=0.99": ("reddi_theorem1",),
    **{f"{name}|0.01|constant|published": ("online_quadratic", "reddi_theorem1")
       for name in CONTROL_OPTIMIZERS},
    **{f"{name}|0.01|inv_sqrt|published": ("reddi_theorem1",) for name in CONTROL_OPTIMIZERS},
}
"""setting label -> the problems it is played on at quick scale."""


def plan(scale: Scale, problems: tuple[str, ...]) -> list[tuple[Setting, str]]:
    """The (setting, problem) pairs of ``scale``: every pair at full, QUICK_PLAN's at quick."""
    return [(s, p) for s in settings() for p in problems
            if scale == "full" or p in QUICK_PLAN.get(setting_label(s), ())]
