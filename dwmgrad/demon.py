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
Demon.) ``per_instance`` has no effect.

Example::

    opt = DemonSGD(model.parameters(), lr=0.1, momentum=0.9, total_steps=1000)
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from dwmgrad.base import (
    TensorListOptimizer,
    adam_denominator,
    add_scaled_,
    foreach_add_scaled_,
    zero_step,
)
from dwmgrad.hyperparams import (
    betas_row,
    counter_row,
    eps_row,
    lr_row,
    per_instance_row,
    table,
    unit_row,
)

__all__ = [
    "DEMON_ADAM_HYPERPARAMETERS",
    "DEMON_SGD_HYPERPARAMETERS",
    "DemonAdam",
    "DemonSGD",
    "demon_adam_update",
    "demon_beta",
    "demon_sgd_update",
]

_TOTAL_STEPS = counter_row("total_steps")
DEMON_SGD_HYPERPARAMETERS = table(lr_row(), unit_row("momentum"), _TOTAL_STEPS, per_instance_row())
DEMON_ADAM_HYPERPARAMETERS = table(
    lr_row(), betas_row(), eps_row(), _TOTAL_STEPS, per_instance_row()
)


def demon_beta(k: Tensor, total_steps: int, beta_init: float) -> Tensor:
    """Demon momentum beta(k) after k steps of T = total_steps (0 from k = T on)."""
    remaining = torch.clamp(1 - k / total_steps, min=0)
    return beta_init * remaining / ((1 - beta_init) + beta_init * remaining)


def demon_sgd_update(
    params: list[Tensor],
    grads: list[Tensor],
    v: list[Tensor],
    steps: list[Tensor],
    *,
    lr: float,
    momentum: float,
    total_steps: int,
    foreach: bool = False,
) -> None:
    """One Demon SGDM step in place: v <- beta(k) v - lr g; theta <- theta + v; k <- k + 1."""
    if len(params) == 0:
        return
    betas = [demon_beta(k, total_steps, momentum) for k in steps]
    if foreach:
        torch._foreach_mul_(v, betas)
        foreach_add_scaled_(v, grads, -lr)
        torch._foreach_add_(params, v)
        torch._foreach_add_(steps, 1)
        return
    for p, g, v_i, k, beta in zip(params, grads, v, steps, betas, strict=True):
        add_scaled_(v_i.mul_(beta), g, -lr)
        p.add_(v_i)
        k.add_(1)


def demon_adam_update(
    params: list[Tensor],
    grads: list[Tensor],
    m: list[Tensor],
    v: list[Tensor],
    steps: list[Tensor],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    total_steps: int,
    foreach: bool = False,
) -> None:
    """One Demon Adam step in place (see the module docstring for the rule)."""
    if len(params) == 0:
        return
    betas = [demon_beta(k, total_steps, beta1) for k in steps]
    if foreach:
        torch._foreach_mul_(m, betas)
        torch._foreach_add_(m, grads)
    else:
        for m_i, g, beta in zip(m, grads, betas, strict=True):
            m_i.mul_(beta).add_(g)
    denom = adam_denominator(v, grads, steps, beta2=beta2, eps=eps, foreach=foreach)
    if foreach:
        update = torch._foreach_mul(m, lr)
        torch._foreach_div_(update, denom)
        torch._foreach_sub_(params, update)
        return
    for p, m_i, den in zip(params, m, denom, strict=True):
        p.sub_(m_i * lr / den)


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
    ) -> None:
        defaults = dict(
            lr=lr, momentum=momentum, total_steps=total_steps, per_instance=per_instance,
            foreach=foreach,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        v, steps = self._state_lists(
            params, ("v", "step"), lambda p: {"step": zero_step(p), "v": torch.zeros_like(p)}
        )
        demon_sgd_update(
            params, [p.grad for p in params], v, steps,  # type: ignore[misc]
            lr=group["lr"], momentum=group["momentum"], total_steps=group["total_steps"],
            foreach=self._use_foreach(group, params),
        )


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
    ) -> None:
        defaults = dict(
            lr=lr, betas=betas, eps=eps, total_steps=total_steps, per_instance=per_instance,
            foreach=foreach,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        m, v, steps = self._state_lists(
            params,
            ("m", "v", "step"),
            lambda p: {"step": zero_step(p), "m": torch.zeros_like(p), "v": torch.zeros_like(p)},
        )
        beta1, beta2 = group["betas"]
        demon_adam_update(
            params, [p.grad for p in params], m, v, steps,  # type: ignore[misc]
            lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
            total_steps=group["total_steps"], foreach=self._use_foreach(group, params),
        )
