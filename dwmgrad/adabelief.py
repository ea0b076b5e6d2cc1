r"""AdaBelief (Zhuang et al., NeurIPS 2020, arXiv 2010.07468), the authors' package semantics.

.. math::
    \begin{aligned}
    &m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t\\
    &s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2 + \epsilon\\
    &\theta_t = \theta_{t-1} - \frac{\alpha}{1-\beta_1^t}\,
        \frac{m_t}{\sqrt{s_t}/\sqrt{1-\beta_2^t} + \epsilon}
    \end{aligned}

with :math:`\alpha` (lr), :math:`(\beta_1, \beta_2)` (betas), :math:`\epsilon` (eps). As in the
authors' ``adabelief-pytorch`` package, :math:`\epsilon` is added to the state every step
and again outside the square root; no rectification and no weight decay. It is the
reference point of Aida (seed 003: Zhang, Niwa, Kleijn, arXiv 2203.13273): Aida with K = 0
is this rule without the outer :math:`\epsilon`. ``per_instance`` is accepted and has no
effect (the rule is elementwise).

Example::

    opt = AdaBelief(model.parameters(), lr=1e-3)
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from dwmgrad.base import (
    TensorListOptimizer,
    bias_correction,
    foreach_power_minus_one,
    power_minus_one,
    zero_step,
)
from dwmgrad.hyperparams import betas_row, eps_row, lr_row, per_instance_row, table

__all__ = [
    "HYPERPARAMETERS",
    "AdaBelief",
    "adabelief_update",
    "apply_belief_step",
    "update_first_moment",
]

HYPERPARAMETERS = table(lr_row(), betas_row(), eps_row(), per_instance_row())


def adabelief_update(
    params: list[Tensor],
    grads: list[Tensor],
    m: list[Tensor],
    s: list[Tensor],
    steps: list[Tensor],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    foreach: bool = False,
) -> None:
    """Apply one AdaBelief step in place (for-loop reference or ``torch._foreach_*`` path)."""
    if len(params) == 0:
        return
    update_first_moment(grads, m, steps, beta1=beta1, foreach=foreach)
    if foreach:
        belief = list(torch._foreach_sub(grads, m))
    else:
        belief = [g - m_i for g, m_i in zip(grads, m, strict=True)]
    apply_belief_step(
        params, m, s, steps, belief, lr=lr, beta1=beta1, beta2=beta2, eps=eps, outer_eps=eps,
        foreach=foreach,
    )


def update_first_moment(
    grads: list[Tensor], m: list[Tensor], steps: list[Tensor], *, beta1: float, foreach: bool
) -> None:
    """t <- t + 1 and m <- beta1 m + (1 - beta1) g, in place."""
    if foreach:
        torch._foreach_add_(steps, 1)
        torch._foreach_mul_(m, beta1)
        torch._foreach_add_(m, grads, alpha=1 - beta1)
        return
    for g, m_i, step in zip(grads, m, steps, strict=True):
        step.add_(1)
        m_i.mul_(beta1).add_(g, alpha=1 - beta1)


def apply_belief_step(
    params: list[Tensor],
    m: list[Tensor],
    s: list[Tensor],
    steps: list[Tensor],
    belief: list[Tensor],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    outer_eps: float,
    foreach: bool,
) -> None:
    """The second-moment and parameter update shared by AdaBelief and Aida, in place.

    s <- beta2 s + (1-beta2) r^2 + eps;
    theta <- theta - (lr/(1-beta1^t)) m / (sqrt(s)/sqrt(1-beta2^t) + outer_eps),
    where r = ``belief`` (g - m for AdaBelief, the projected difference for Aida). The
    corrections 1 - beta^t come from :func:`dwmgrad.base.power_minus_one` (exact in float32
    even for a beta within 2**-24 of 1).
    """
    if foreach:
        torch._foreach_mul_(s, beta2)
        torch._foreach_addcmul_(s, belief, belief, value=1 - beta2)
        torch._foreach_add_(s, eps)
        step_size = foreach_power_minus_one(beta1, steps)  # beta1^t - 1 < 0
        torch._foreach_reciprocal_(step_size)
        torch._foreach_mul_(step_size, -lr)
        bc2 = foreach_power_minus_one(beta2, steps)
        torch._foreach_neg_(bc2)
        torch._foreach_sqrt_(bc2)
        denom = torch._foreach_sqrt(s)
        torch._foreach_div_(denom, bc2)
        torch._foreach_add_(denom, outer_eps)
        update = torch._foreach_mul(m, step_size)
        torch._foreach_div_(update, denom)
        torch._foreach_sub_(params, update)
        return
    for p, m_i, s_i, step, r in zip(params, m, s, steps, belief, strict=True):
        s_i.mul_(beta2).addcmul_(r, r, value=1 - beta2).add_(eps)
        size_i = torch.div(-lr, power_minus_one(beta1, step))  # lr / (1 - beta1^t)
        denom_i = s_i.sqrt() / bias_correction(beta2, step).sqrt() + outer_eps
        p.sub_(m_i * size_i / denom_i)


class AdaBelief(TensorListOptimizer):
    __doc__ = __doc__

    hyperparameters = HYPERPARAMETERS
    state_keys = ("step", "m", "s")

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-16,
        *,
        per_instance: bool = False,
        foreach: bool | None = None,
    ) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, per_instance=per_instance, foreach=foreach)
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        m, s, steps = self._state_lists(params, ("m", "s", "step"), _init_state)
        beta1, beta2 = group["betas"]
        adabelief_update(
            params, [p.grad for p in params], m, s, steps,  # type: ignore[misc]
            lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
            foreach=self._use_foreach(group, params),
        )


def _init_state(p: Tensor) -> dict[str, Tensor]:
    return {"step": zero_step(p), "m": torch.zeros_like(p), "s": torch.zeros_like(p)}
