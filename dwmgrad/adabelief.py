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
is this rule without the outer :math:`\epsilon`. The rule is elementwise, so with
``per_instance=True`` (its shape contract checked) the instances are independent as they are.
Paths: for-loop, ``foreach=True``, ``fused=True`` (compiled), all from
:func:`adabelief_tensor_step`, with each tensor's bias corrections computed before it by
:func:`belief_corrections` (see :mod:`dwmgrad.drivers`).

Example::

    opt = AdaBelief(model.parameters(), lr=1e-3)
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from dwmgrad.base import TensorListOptimizer, zero_step
from dwmgrad.hyperparams import betas_row, eps_row, lr_row, per_instance_row, table
from dwmgrad.tensor_list import (
    Coef,
    Vec,
    addcmul_scaled_,
    coefficient,
    log_of,
    power_minus_one,
)

__all__ = [
    "HYPERPARAMETERS",
    "AdaBelief",
    "adabelief_tensor_step",
    "belief_coefficients",
    "belief_corrections",
    "belief_step_",
    "first_moment",
]

HYPERPARAMETERS = table(lr_row(), betas_row(), eps_row(), per_instance_row())


def belief_corrections(step: Vec, *, lr: Coef, log_beta1: Coef, log_beta2: Coef
                       ) -> tuple[Vec, Vec]:
    """t <- t + 1 in place, and the step's coefficients of AdaBelief and Aida:
    ``step_size`` = lr·sqrt(1 - beta2^t)/(1 - beta1^t) and ``root_bc2`` = sqrt(1 - beta2^t).

    The corrections 1 - beta^t come from :func:`dwmgrad.tensor_list.power_minus_one` (exact
    in float32 even for a beta within 2**-24 of 1). Run once per tensor and step by
    :func:`dwmgrad.drivers.per_tensor`, outside the elementwise update, which then divides
    by nothing but its denominator (see :func:`belief_step_`).
    """
    step.add_(1)
    root_bc2 = power_minus_one(log_beta2, step).neg_().sqrt_()
    step_size = power_minus_one(log_beta1, step).reciprocal_().mul_(-lr).mul_(root_bc2)  # type: ignore[arg-type]
    return step_size, root_bc2


def first_moment(g: Vec, m: Vec, *, beta1: Coef, in_place: bool = True) -> Vec:
    """m_t = beta1 m + (1 - beta1) g = lerp(m, g, 1 - beta1), written into ``m`` (``in_place``)
    or returned as a new tensor (Aida's first pass, which must not store it)."""
    weight = 1 - beta1
    return m.lerp_(g, weight) if in_place else m.lerp(g, weight)  # type: ignore[arg-type]


def belief_step_(
    p: Vec, m: Vec, s: Vec, belief: Vec, step_size: Vec, root_bc2: Vec, *, beta2: Coef,
    eps: Coef, outer_eps: Coef | None,
) -> None:
    r"""The second-moment and parameter update shared by AdaBelief and Aida, in place.

    s <- beta2 s + (1-beta2) r^2 + eps;
    theta <- theta - step_size · m / (sqrt(s) + outer_eps·root_bc2),
    where r = ``belief`` (g - m for AdaBelief, the projected difference for Aida),
    ``step_size`` and ``root_bc2`` the step's coefficients (:func:`belief_corrections`) and
    ``outer_eps`` None means no outer epsilon (Aida). This is the rule's
    :math:`\theta - \frac{\alpha}{1-\beta_1^t} m / (\sqrt{s}/\sqrt{1-\beta_2^t} +
    \epsilon)` with numerator and denominator multiplied by :math:`\sqrt{1-\beta_2^t}`:
    one vector division per element instead of two.
    """
    addcmul_scaled_(s.mul_(beta2), belief, belief, 1 - beta2).add_(eps)  # type: ignore[operator]
    denom = s.sqrt()
    if outer_eps is not None:
        denom.add_(root_bc2 * outer_eps)  # type: ignore[operator]
    p.sub_(m.mul(step_size).div_(denom))


def adabelief_tensor_step(
    p: Vec, g: Vec, m: Vec, s: Vec, step_size: Vec, root_bc2: Vec, *, beta1: Coef,
    beta2: Coef, eps: Coef,
) -> None:
    """One AdaBelief step of one tensor (or list), in place, given the step's coefficients
    (:func:`belief_corrections`)."""
    first_moment(g, m, beta1=beta1)
    belief_step_(p, m, s, g - m, step_size, root_bc2, beta2=beta2, eps=eps, outer_eps=eps)  # type: ignore[operator]


def belief_coefficients(group: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """From a param group: the coefficients of :func:`belief_corrections` and those of the
    elementwise step (β₁, β₂, ε)."""
    beta1, beta2 = (float(b) for b in group["betas"])
    return ({"lr": coefficient(group["lr"]), "log_beta1": log_of(beta1),
             "log_beta2": log_of(beta2)},
            {"beta1": beta1, "beta2": beta2, "eps": float(group["eps"])})


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
        fused: bool | None = None,
    ) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, per_instance=per_instance, foreach=foreach,
                        fused=fused)
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        m, s, steps = self._state_lists(params, ("m", "s", "step"), _init_state)
        corrections, coefficients = belief_coefficients(group)
        step_size, root_bc2 = self._per_tensor(group, belief_corrections, steps, corrections)
        self._run(group, adabelief_tensor_step,
                  [params, [p.grad for p in params], m, s, step_size, root_bc2],  # type: ignore[misc]
                  coefficients)


def _init_state(p: Tensor) -> dict[str, Tensor]:
    return {"step": zero_step(p), "m": torch.zeros_like(p), "s": torch.zeros_like(p)}
