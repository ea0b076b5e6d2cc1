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

from dwmgrad.base import TensorListOptimizer, zero_step
from dwmgrad.hyperparams import betas_row, eps_row, lr_row, per_instance_row, table

__all__ = ["AdaBelief", "HYPERPARAMETERS", "adabelief_update"]

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
    update = _multi_tensor_adabelief if foreach else _single_tensor_adabelief
    update(params, grads, m, s, steps, lr=lr, beta1=beta1, beta2=beta2, eps=eps)


def _single_tensor_adabelief(
    params: list[Tensor], grads: list[Tensor], m: list[Tensor], s: list[Tensor],
    steps: list[Tensor], *, lr: float, beta1: float, beta2: float, eps: float,
) -> None:
    for p, g, m_i, s_i, step in zip(params, grads, m, s, steps, strict=True):
        step.add_(1)
        m_i.mul_(beta1).add_(g, alpha=1 - beta1)
        belief = g - m_i
        s_i.mul_(beta2).addcmul_(belief, belief, value=1 - beta2).add_(eps)
        step_size = lr / (1 - torch.pow(beta1, step))
        denom = s_i.sqrt() / (1 - torch.pow(beta2, step)).sqrt() + eps
        p.sub_(m_i * step_size / denom)


def _multi_tensor_adabelief(
    params: list[Tensor], grads: list[Tensor], m: list[Tensor], s: list[Tensor],
    steps: list[Tensor], *, lr: float, beta1: float, beta2: float, eps: float,
) -> None:
    torch._foreach_add_(steps, 1)
    torch._foreach_mul_(m, beta1)
    torch._foreach_add_(m, grads, alpha=1 - beta1)
    belief = torch._foreach_sub(grads, m)
    torch._foreach_mul_(s, beta2)
    torch._foreach_addcmul_(s, belief, belief, value=1 - beta2)
    torch._foreach_add_(s, eps)
    bc1 = torch._foreach_pow(beta1, steps)
    torch._foreach_neg_(bc1)
    torch._foreach_add_(bc1, 1)
    step_size = torch._foreach_reciprocal(bc1)
    torch._foreach_mul_(step_size, lr)
    bc2 = torch._foreach_pow(beta2, steps)
    torch._foreach_neg_(bc2)
    torch._foreach_add_(bc2, 1)
    torch._foreach_sqrt_(bc2)
    denom = torch._foreach_sqrt(s)
    torch._foreach_div_(denom, bc2)
    torch._foreach_add_(denom, eps)
    update = torch._foreach_mul(m, step_size)
    torch._foreach_div_(update, denom)
    torch._foreach_sub_(params, update)


class AdaBelief(TensorListOptimizer):
    __doc__ = __doc__

    hyperparameters = HYPERPARAMETERS

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
