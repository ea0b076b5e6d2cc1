r"""Adaptive heavy-ball momentum (seed 001: Sun, Ling, Shi, Li, Wang, arXiv 2110.09057).

Polyak's critically damped momentum :math:`\beta = (1-\sqrt{\alpha\lambda})^2` with the
eigenvalue :math:`\lambda` replaced by a secant estimate of the local curvature, computed
over ALL parameters of the optimizer (per instance row when ``per_instance``):

.. math::
    h_k = \frac{\|g_k - g_{k-1}\|}{\|x_k - x_{k-1}\| + 10^{-6}}, \qquad
    \beta_k = \operatorname{clip}\big((1 - \sqrt{\alpha h_k})^2,\ 0,\ \beta_{max}\big), \qquad
    \beta_1 = 0

with :math:`\alpha` (lr) and :math:`\beta_{max}` (max_momentum). *Reconstruction*: the
paper's exact clipping was not available; this is the best available form (a public
reimplementation), as stated in the project's specification. On a quadratic with
:math:`\alpha = 4/(\sqrt L + \sqrt\mu)^2`, :math:`h_k \in [\mu, L]` implies
:math:`\beta_k \le \beta^*`.

``AdaptiveHB`` (heavy ball in velocity form, so :math:`x_k - x_{k-1} = v` before the update):

.. math::
    v \leftarrow \beta_k v - \alpha g_k, \qquad \theta \leftarrow \theta + v

``AdamAHB`` (Adam whose :math:`\beta_1` is :math:`\beta_k`; :math:`\beta_1 = 0` on the first
step makes :math:`m_1 = g_1`, so :math:`m` needs no bias correction; :math:`d` is the last
displacement, used for :math:`\|x_k - x_{k-1}\|`), :math:`\beta_2` (beta2), :math:`\epsilon` (eps):

.. math::
    m \leftarrow \beta_k m + (1-\beta_k) g, \quad v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad
    d = -\alpha\, m / (\sqrt{v/(1-\beta_2^t)} + \epsilon), \quad \theta \leftarrow \theta + d

:math:`\beta_1 = 0` applies on the first step, i.e. while no parameter that has a gradient
has been updated yet. ``g_prev`` starts as a copy of the parameter's first gradient, so a
parameter that receives its first gradient late adds nothing to
:math:`\|g_k - g_{k-1}\|` on that step.

With several param groups the curvature :math:`h_k` is shared and each group uses its own
:math:`\alpha` and :math:`\beta_{max}`; ``opt.momentum_now`` is :math:`\beta_k` of the first
group (0-d, or (B,) per instance).

Example::

    opt = AdaptiveHB(model.parameters(), lr=0.01)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from dwmgrad.base import (
    TensorListOptimizer,
    adam_denominator,
    add_scaled_,
    broadcast_rows,
    foreach_add_scaled_,
    per_tensor,
    row_sum,
    zero_step,
)
from dwmgrad.hyperparams import eps_row, lr_row, per_instance_row, table, unit_row

__all__ = [
    "ADAM_AHB_HYPERPARAMETERS",
    "ADAPTIVE_HB_HYPERPARAMETERS",
    "AdamAHB",
    "AdaptiveHB",
    "adam_ahb_update",
    "adaptive_hb_update",
    "secant_curvature",
    "secant_momentum",
]

ADAPTIVE_HB_HYPERPARAMETERS = table(lr_row(), unit_row("max_momentum"), per_instance_row())
ADAM_AHB_HYPERPARAMETERS = table(
    lr_row(), unit_row("beta2"), eps_row(), unit_row("max_momentum"), per_instance_row()
)

DISPLACEMENT_FLOOR = 1e-6


def _total_squared_norm(tensors: list[Tensor], per_instance: bool, like: Tensor) -> Tensor:
    """Sum of squares over all tensors (per instance row if per_instance), shaped like ``like``."""
    total = torch.zeros_like(like)
    for x in tensors:
        total = total + row_sum(x * x, per_instance).to(like.device)
    return total


def secant_curvature(
    grads: list[Tensor], g_prev: list[Tensor], displacement: list[Tensor], *,
    per_instance: bool, like: Tensor,
) -> Tensor:
    """h_k = ||g_k - g_{k-1}|| / (||x_k - x_{k-1}|| + 1e-6) over all given tensors.

    ``like`` is a 0-d or (B,) tensor giving the result's shape, dtype and device.
    """
    change = [g - gp for g, gp in zip(grads, g_prev, strict=True)]
    grad_norm = _total_squared_norm(change, per_instance, like).sqrt()
    step_norm = _total_squared_norm(displacement, per_instance, like).sqrt()
    return grad_norm / (step_norm + DISPLACEMENT_FLOOR)


def secant_momentum(h: Tensor, first: Tensor, *, lr: float, max_momentum: float) -> Tensor:
    """beta_k = clip((1 - sqrt(lr h_k))^2, 0, max_momentum), and 0 where ``first``."""
    beta = torch.clamp((1 - (lr * h).sqrt()) ** 2, min=0.0, max=max_momentum)
    return torch.where(first, torch.zeros_like(beta), beta)


def adaptive_hb_update(
    params: list[Tensor],
    grads: list[Tensor],
    v: list[Tensor],
    g_prev: list[Tensor],
    steps: list[Tensor],
    *,
    beta: Tensor,
    lr: float,
    foreach: bool = False,
) -> None:
    """v <- beta v - lr g; theta <- theta + v; g_prev <- g; t <- t + 1 (beta 0-d or (B,))."""
    if len(params) == 0:
        return
    if foreach:
        torch._foreach_mul_(v, per_tensor(beta, params))
        foreach_add_scaled_(v, grads, -lr)
        torch._foreach_add_(params, v)
        torch._foreach_copy_(g_prev, grads)
        torch._foreach_add_(steps, 1)
        return
    for p, g, v_i, gp, step in zip(params, grads, v, g_prev, steps, strict=True):
        add_scaled_(v_i.mul_(broadcast_rows(beta, p)), g, -lr)
        p.add_(v_i)
        gp.copy_(g)
        step.add_(1)


def adam_ahb_update(
    params: list[Tensor],
    grads: list[Tensor],
    m: list[Tensor],
    v: list[Tensor],
    g_prev: list[Tensor],
    d: list[Tensor],
    steps: list[Tensor],
    *,
    beta: Tensor,
    lr: float,
    beta2: float,
    eps: float,
    foreach: bool = False,
) -> None:
    """Adam step with beta1 = beta (0-d or (B,)); stores the displacement in ``d``."""
    if len(params) == 0:
        return
    if foreach:
        keep = per_tensor(beta, params)
        torch._foreach_mul_(m, keep)
        torch._foreach_add_(m, torch._foreach_mul(grads, per_tensor(1 - beta, params)))
    else:
        for p, g, m_i in zip(params, grads, m, strict=True):
            b = broadcast_rows(beta, p)
            m_i.mul_(b).add_(g * (1 - b))
    denom = adam_denominator(v, grads, steps, beta2=beta2, eps=eps, foreach=foreach)
    if foreach:
        torch._foreach_copy_(d, torch._foreach_mul(m, -lr))
        torch._foreach_div_(d, denom)
        torch._foreach_add_(params, d)
        torch._foreach_copy_(g_prev, grads)
        return
    for p, g, m_i, gp, d_i, den in zip(params, grads, m, g_prev, d, denom, strict=True):
        d_i.copy_(m_i * -lr / den)
        p.add_(d_i)
        gp.copy_(g)


class _SecantMomentumOptimizer(TensorListOptimizer):
    """Shared step: gather all groups, one curvature h_k, then each group's update."""

    uses_instances = True
    displacement_key: str = "v"

    def _init_global(self, device: torch.device, dtype: torch.dtype, instances: tuple[int, ...]
                     ) -> dict[str, Tensor]:
        return {"momentum_now": torch.zeros(instances, device=device, dtype=dtype)}

    @property
    def momentum_now(self) -> Tensor:
        """beta_k of the last step for the first param group (0-d, or (B,) per instance)."""
        return self._global_state()["momentum_now"]

    def _new_state(self, p: Tensor) -> dict[str, Tensor]:
        raise NotImplementedError

    def _apply(self, group: dict[str, Any], params: list[Tensor], beta: Tensor) -> None:
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """One step; ``closure`` (optional) re-evaluates the loss, which is returned."""
        loss = self._closure_loss(closure)
        glob = self._global_state()
        gathered = [(group, self._params_with_grad(group)) for group in self.param_groups]
        params = [p for _, ps in gathered for p in ps]
        if not params:
            return loss
        g_prev, disp, steps = self._state_lists(
            params, ("g_prev", self.displacement_key, "step"), self._new_state
        )
        h = secant_curvature(
            [p.grad for p in params], g_prev, disp,  # type: ignore[misc]
            per_instance=self.defaults["per_instance"], like=glob["momentum_now"],
        )
        first = torch.stack([k.to(h) for k in steps]).amax() == 0
        for index, (group, ps) in enumerate(gathered):
            beta = secant_momentum(h, first, lr=group["lr"], max_momentum=group["max_momentum"])
            if index == 0:
                glob["momentum_now"].copy_(beta)
            self._apply(group, ps, beta)
        return loss


class AdaptiveHB(_SecantMomentumOptimizer):
    __doc__ = __doc__

    hyperparameters = ADAPTIVE_HB_HYPERPARAMETERS
    state_keys = ("step", "v", "g_prev")

    def __init__(
        self,
        params: Any,
        lr: float,
        max_momentum: float = 0.99,
        *,
        per_instance: bool = False,
        foreach: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr, max_momentum=max_momentum, per_instance=per_instance, foreach=foreach
        )
        super().__init__(params, defaults)

    def _new_state(self, p: Tensor) -> dict[str, Tensor]:
        return {"step": zero_step(p), "v": torch.zeros_like(p), "g_prev": p.grad.clone()}  # type: ignore[union-attr]

    def _apply(self, group: dict[str, Any], params: list[Tensor], beta: Tensor) -> None:
        v, g_prev, steps = self._state_lists(params, ("v", "g_prev", "step"), self._new_state)
        adaptive_hb_update(
            params, [p.grad for p in params], v, g_prev, steps,  # type: ignore[misc]
            beta=beta, lr=group["lr"], foreach=self._use_foreach(group, params),
        )


class AdamAHB(_SecantMomentumOptimizer):
    __doc__ = __doc__

    hyperparameters = ADAM_AHB_HYPERPARAMETERS
    state_keys = ("step", "m", "v", "g_prev", "d")
    displacement_key = "d"

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        beta2: float = 0.999,
        eps: float = 1e-8,
        max_momentum: float = 0.99,
        *,
        per_instance: bool = False,
        foreach: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr, beta2=beta2, eps=eps, max_momentum=max_momentum, per_instance=per_instance,
            foreach=foreach,
        )
        super().__init__(params, defaults)

    def _new_state(self, p: Tensor) -> dict[str, Tensor]:
        return {
            "step": zero_step(p),
            "m": torch.zeros_like(p),
            "v": torch.zeros_like(p),
            "g_prev": p.grad.clone(),  # type: ignore[union-attr]
            "d": torch.zeros_like(p),
        }

    def _apply(self, group: dict[str, Any], params: list[Tensor], beta: Tensor) -> None:
        m, v, g_prev, d, steps = self._state_lists(
            params, ("m", "v", "g_prev", "d", "step"), self._new_state
        )
        adam_ahb_update(
            params, [p.grad for p in params], m, v, g_prev, d, steps,  # type: ignore[misc]
            beta=beta, lr=group["lr"], beta2=group["beta2"], eps=group["eps"],
            foreach=self._use_foreach(group, params),
        )
