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

from dwmgrad.base import TensorListOptimizer, zero_step
from dwmgrad.demon import adam_correction, adam_denominator
from dwmgrad.drivers import reduce
from dwmgrad.hyperparams import eps_row, lr_row, per_instance_row, table, unit_row
from dwmgrad.tensor_list import Coef, Vec, add_scaled_, coefficient, log_of, row_sum, rows

__all__ = [
    "ADAM_AHB_HYPERPARAMETERS",
    "ADAPTIVE_HB_HYPERPARAMETERS",
    "AdamAHB",
    "AdaptiveHB",
    "adam_ahb_tensor_step",
    "adaptive_hb_tensor_step",
    "secant_momentum",
    "secant_sums",
]

ADAPTIVE_HB_HYPERPARAMETERS = table(lr_row(), unit_row("max_momentum"), per_instance_row())
ADAM_AHB_HYPERPARAMETERS = table(
    lr_row(), unit_row("beta2"), eps_row(), unit_row("max_momentum"), per_instance_row()
)

DISPLACEMENT_FLOOR = 1e-6


def secant_sums(g: Vec, g_prev: Vec, displacement: Vec, *, per_instance: bool
                ) -> tuple[Vec, Vec]:
    """This tensor's part of ||g_k - g_{k-1}||² and ||x_k - x_{k-1}||² (per instance row if
    per_instance); the drivers' ``reduce`` adds the parts of all tensors."""
    change = g - g_prev  # type: ignore[operator]
    return (row_sum(change * change, per_instance),
            row_sum(displacement * displacement, per_instance))  # type: ignore[operator]


def secant_momentum(h: Tensor, first: Tensor, *, lr: float, max_momentum: float) -> Tensor:
    """beta_k = clip((1 - sqrt(lr h_k))^2, 0, max_momentum), and 0 where ``first``."""
    beta = torch.clamp((1 - (lr * h).sqrt()) ** 2, min=0.0, max=max_momentum)
    return torch.where(first, torch.zeros_like(beta), beta)


def adaptive_hb_tensor_step(p: Vec, g: Vec, v: Vec, g_prev: Vec, step: Vec, *, beta: Coef,
                            lr: Coef) -> None:
    """v <- beta v - lr g; theta <- theta + v; g_prev <- g; t <- t + 1 (beta 0-d or (B,))."""
    add_scaled_(v.mul_(rows(beta, p)), g, -lr)  # type: ignore[operator]
    p.add_(v)  # type: ignore[arg-type]
    g_prev.copy_(g)  # type: ignore[arg-type]
    step.add_(1)


def adam_ahb_tensor_step(p: Vec, g: Vec, m: Vec, v: Vec, g_prev: Vec, d: Vec,
                         inv_root_bc2: Vec, *, beta: Coef, lr: Coef, beta2: Coef, eps: Coef
                         ) -> None:
    """Adam step with beta1 = beta (0-d or (B,)), given the bias correction of the second
    moment (:func:`dwmgrad.demon.adam_correction`); stores the displacement in ``d``."""
    m.lerp_(g, rows(1 - beta, p))  # type: ignore[arg-type, operator]  # beta m + (1 - beta) g
    denom = adam_denominator(g, v, inv_root_bc2, beta2=beta2, eps=eps)
    d.copy_(m).div_(denom).mul_(-lr)  # type: ignore[arg-type, operator]
    p.add_(d)  # type: ignore[arg-type]
    g_prev.copy_(g)  # type: ignore[arg-type]


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
        grads = [p.grad for p in params]
        per_instance = self.defaults["per_instance"]
        change, step_size = reduce(
            self._path(self.param_groups[0], params), secant_sums, [grads, g_prev, disp],  # type: ignore[list-item]
            {"per_instance": per_instance}, like=glob["momentum_now"])
        h = change.sqrt() / (step_size.sqrt() + DISPLACEMENT_FLOOR)
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
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr, max_momentum=max_momentum, per_instance=per_instance, foreach=foreach,
            fused=fused,
        )
        super().__init__(params, defaults)

    def _new_state(self, p: Tensor) -> dict[str, Tensor]:
        return {"step": zero_step(p), "v": torch.zeros_like(p), "g_prev": p.grad.clone()}  # type: ignore[union-attr]

    def _apply(self, group: dict[str, Any], params: list[Tensor], beta: Tensor) -> None:
        v, g_prev, steps = self._state_lists(params, ("v", "g_prev", "step"), self._new_state)
        self._run(group, adaptive_hb_tensor_step,
                  [params, [p.grad for p in params], v, g_prev, steps],  # type: ignore[misc]
                  {"beta": beta, "lr": coefficient(group["lr"])}, split=beta.dim() == 0)


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
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr, beta2=beta2, eps=eps, max_momentum=max_momentum, per_instance=per_instance,
            foreach=foreach, fused=fused,
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
        beta2 = float(group["beta2"])
        (inv_root_bc2,) = self._per_tensor(group, adam_correction, steps,
                                           {"log_beta2": log_of(beta2)})
        self._run(group, adam_ahb_tensor_step,
                  [params, [p.grad for p in params], m, v, g_prev, d, inv_root_bc2],  # type: ignore[misc]
                  {"beta": beta, "lr": coefficient(group["lr"]), "beta2": beta2,
                   "eps": float(group["eps"])},
                  split=beta.dim() == 0)
