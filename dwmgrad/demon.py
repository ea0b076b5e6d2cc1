r"""Demon: decaying momentum (Chen, Wolfe, Li, Kyrillidis, arXiv 1910.04952).

Momentum schedule, with :math:`k` the number of steps already taken (0 on the first step)
and :math:`T` (total_steps):

.. math::
    \beta(k) = \beta_{init}\,\frac{(1-k/T)_+}{(1-\beta_{init}) + \beta_{init}(1-k/T)_+},
    \qquad\text{i.e.}\quad
    \frac{\beta(k)}{1-\beta(k)} = (1-k/T)\,\frac{\beta_{init}}{1-\beta_{init}},

so :math:`\beta(0) = \beta_{init}` and :math:`\beta(k) = 0` for :math:`k \ge T`.

``DemonSGD`` (heavy ball with time-varying momentum), :math:`\eta` (lr),
:math:`\beta_{init}` (momentum):

.. math::
    v \leftarrow \beta(k)\, v - \eta\, g, \qquad \theta \leftarrow \theta + v

``DemonAdam``, :math:`\beta_{init}` = betas[0], :math:`\beta_2` = betas[1], :math:`\epsilon` (eps):

.. math::
    m \leftarrow g + \beta(k)\, m, \quad v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad
    \hat v = v / (1-\beta_2^{k+1}), \quad
    \theta \leftarrow \theta - \eta\, m / (\sqrt{\hat v} + \epsilon)

*Documented choice*: the paper's convention for :math:`m` (bias correction, a
:math:`(1-\beta)` factor) was not available; this follows the project's specification
(docs/algorithms.md, section 3): :math:`m \leftarrow g + \beta m` with no :math:`(1-\beta)`
factor and no bias correction of :math:`m`; only :math:`v` is bias-corrected. (One public
library multiplies the *parameters* by :math:`\beta` instead of a velocity; that is not
Demon.) Both rules are elementwise, so with ``per_instance=True`` (its shape contract
checked) the instances are independent as they are. Paths: for-loop, ``foreach=True``,
``fused=True`` (compiled), each from one per-tensor function, with each tensor's
:math:`\beta(k)` and bias correction computed before it (:func:`demon_sgd_correction`,
:func:`demon_correction`; see :mod:`dwmgrad.drivers`).

Example::

    opt = DemonSGD(model.parameters(), lr=0.1, momentum=0.9, total_steps=1000)
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from dwmgrad.base import TensorListOptimizer, zero_step
from dwmgrad.hyperparams import (
    betas_row,
    counter_row,
    eps_row,
    lr_row,
    per_instance_row,
    table,
    unit_row,
)
from dwmgrad.tensor_list import (
    Coef,
    Vec,
    add_scaled_,
    addcdiv_scaled_,
    addcmul_scaled_,
    coefficient,
    log_of,
    power_minus_one,
)

__all__ = [
    "DEMON_ADAM_HYPERPARAMETERS",
    "DEMON_SGD_HYPERPARAMETERS",
    "DemonAdam",
    "DemonSGD",
    "adam_correction",
    "adam_denominator",
    "demon_adam_tensor_step",
    "demon_beta",
    "demon_correction",
    "demon_sgd_correction",
    "demon_sgd_tensor_step",
]

_TOTAL_STEPS = counter_row("total_steps")
DEMON_SGD_HYPERPARAMETERS = table(lr_row(), unit_row("momentum"), _TOTAL_STEPS, per_instance_row())
DEMON_ADAM_HYPERPARAMETERS = table(
    lr_row(), betas_row(), eps_row(), _TOTAL_STEPS, per_instance_row()
)


def demon_beta(k: Vec, total_steps: int, beta_init: Coef) -> Vec:
    """Demon momentum beta(k) after k steps of T = total_steps (0 from k = T on)."""
    remaining = k.div(total_steps).neg_().add_(1).clamp_min_(0)  # (1 - k/T)_+
    return remaining.mul(beta_init).div_(remaining.mul(beta_init).add_(1 - beta_init))  # type: ignore[arg-type, operator, return-value]


def adam_correction(step: Vec, *, log_beta2: Coef) -> tuple[Vec]:
    r"""t <- t + 1 in place, and :math:`1/\sqrt{1-\beta_2^t}`, the bias correction of
    Adam's second moment as a factor of :math:`\sqrt{v_t}` (shared by DemonAdam and
    AdamAHB), with :math:`1-\beta_2^t` from :func:`dwmgrad.tensor_list.power_minus_one`
    (finite in float32 for every valid beta2). Run once per tensor and step by
    :func:`dwmgrad.drivers.per_tensor`, outside the elementwise update."""
    step.add_(1)
    return (power_minus_one(log_beta2, step).neg_().rsqrt_(),)  # type: ignore[arg-type]


def demon_correction(step: Vec, *, total_steps: int, beta_init: Coef, log_beta2: Coef
                     ) -> tuple[Vec, Vec]:
    """DemonAdam's per-tensor coefficients: beta(k) for the k = t steps taken so far, then
    :func:`adam_correction` (t <- t + 1)."""
    beta = demon_beta(step, total_steps, beta_init)
    (inv_root_bc2,) = adam_correction(step, log_beta2=log_beta2)
    return beta, inv_root_bc2


def adam_denominator(g: Vec, v: Vec, inv_root_bc2: Vec, *, beta2: Coef, eps: Coef) -> Vec:
    r"""Adam's second moment, shared by DemonAdam and AdamAHB: update ``v`` in place and
    return the denominator (a new tensor).

    :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2` and the result is
    :math:`\sqrt{v_t/(1-\beta_2^t)} + \epsilon`, computed as
    :math:`\sqrt{v_t}\cdot` ``inv_root_bc2`` :math:`+ \epsilon` with ``inv_root_bc2`` =
    :math:`1/\sqrt{1-\beta_2^t}` from :func:`adam_correction` (a multiplication instead of a
    vector division).
    """
    addcmul_scaled_(v.mul_(beta2), g, g, 1 - beta2)  # type: ignore[operator]
    return v.sqrt().mul_(inv_root_bc2).add_(eps)  # type: ignore[arg-type, return-value]


def demon_sgd_tensor_step(p: Vec, g: Vec, v: Vec, beta: Vec, *, lr: Coef) -> None:
    """One Demon SGDM step in place: v <- beta(k) v - lr g; theta <- theta + v, with
    beta(k) from :func:`demon_sgd_correction`."""
    add_scaled_(v.mul_(beta), g, -lr)  # type: ignore[operator]
    p.add_(v)  # type: ignore[arg-type]


def demon_sgd_correction(step: Vec, *, total_steps: int, beta_init: Coef) -> tuple[Vec]:
    """DemonSGD's per-tensor coefficient beta(k) for the k steps taken so far; k <- k + 1."""
    beta = demon_beta(step, total_steps, beta_init)
    step.add_(1)
    return (beta,)


def demon_adam_tensor_step(p: Vec, g: Vec, m: Vec, v: Vec, beta: Vec, inv_root_bc2: Vec, *,
                           lr: Coef, beta2: Coef, eps: Coef) -> None:
    """One Demon Adam step in place (see the module docstring for the rule), given the
    step's coefficients (:func:`demon_correction`)."""
    m.mul_(beta).add_(g)
    denom = adam_denominator(g, v, inv_root_bc2, beta2=beta2, eps=eps)
    addcdiv_scaled_(p, m, denom, -lr)  # type: ignore[operator]


class DemonSGD(TensorListOptimizer):
    __doc__ = __doc__

    hyperparameters = DEMON_SGD_HYPERPARAMETERS
    state_keys = ("step", "v")

    def __init__(
        self,
        params: Any,
        lr: float,
        momentum: float = 0.9,
        *,
        total_steps: int,
        per_instance: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr, momentum=momentum, total_steps=total_steps, per_instance=per_instance,
            foreach=foreach, fused=fused,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        v, steps = self._state_lists(
            params, ("v", "step"), lambda p: {"step": zero_step(p), "v": torch.zeros_like(p)}
        )
        (beta,) = self._per_tensor(group, demon_sgd_correction, steps,
                                   {"total_steps": group["total_steps"],
                                    "beta_init": float(group["momentum"])})
        self._run(group, demon_sgd_tensor_step, [params, [p.grad for p in params], v, beta],  # type: ignore[misc]
                  {"lr": coefficient(group["lr"])})


class DemonAdam(TensorListOptimizer):
    __doc__ = __doc__

    hyperparameters = DEMON_ADAM_HYPERPARAMETERS
    state_keys = ("step", "m", "v")

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        *,
        total_steps: int,
        per_instance: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr, betas=betas, eps=eps, total_steps=total_steps, per_instance=per_instance,
            foreach=foreach, fused=fused,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        m, v, steps = self._state_lists(
            params,
            ("m", "v", "step"),
            lambda p: {"step": zero_step(p), "m": torch.zeros_like(p), "v": torch.zeros_like(p)},
        )
        beta1, beta2 = (float(b) for b in group["betas"])
        beta, inv_root_bc2 = self._per_tensor(
            group, demon_correction, steps,
            {"total_steps": group["total_steps"], "beta_init": beta1, "log_beta2": log_of(beta2)})
        self._run(group, demon_adam_tensor_step,
                  [params, [p.grad for p in params], m, v, beta, inv_root_bc2],  # type: ignore[misc]
                  {"lr": coefficient(group["lr"]), "beta2": beta2, "eps": float(group["eps"])})
