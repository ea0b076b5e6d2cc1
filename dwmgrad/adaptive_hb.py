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

from dwmgrad import drivers
from dwmgrad.base import TensorListOptimizer, zero_step
from dwmgrad.demon import adam_correction, adam_denominator
from dwmgrad.hyperparams import eps_row, lr_row, per_instance_row, table, unit_row
from dwmgrad.tensor_list import Coef, Vec, add_scaled_, coefficient, log_of, row_sum, rows

__all__ = [
    "ADAM_AHB_HYPERPARAMETERS",
    "ADAPTIVE_HB_HYPERPARAMETERS",
    "AdamAHB",
    "AdaptiveHB",
    "adam_ahb_step",
    "adam_ahb_tensor_step",
    "adaptive_hb_step",
    "adaptive_hb_tensor_step",
    "secant_betas",
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
    per_instance), then g_prev <- g; the drivers' ``reduce`` adds the parts of all tensors.

    The copy is here, not in the update, because this sweep reads g_prev anyway: written in
    the update's loop, which does not read g_prev, each of its cache lines costs a read
    before the write (write-allocate) on top of the write."""
    change = g - g_prev  # type: ignore[operator]
    sums = (row_sum(change * change, per_instance),
            row_sum(displacement * displacement, per_instance))  # type: ignore[operator]
    g_prev.copy_(g)  # type: ignore[arg-type]
    return sums


def secant_momentum(h: Tensor, first: Tensor, *, lr: float, max_momentum: float) -> Tensor:
    """beta_k = clip((1 - sqrt(lr h_k))^2, 0, max_momentum), and 0 where ``first``."""
    beta = torch.clamp((1 - (lr * h).sqrt()) ** 2, min=0.0, max=max_momentum)
    return torch.where(first, torch.zeros_like(beta), beta)


def adaptive_hb_tensor_step(p: Vec, g: Vec, v: Vec, step: Vec, *, beta: Coef, lr: Coef
                            ) -> None:
    """v <- beta v - lr g; theta <- theta + v; t <- t + 1 (beta 0-d or (B,); g_prev <- g
    happened in :func:`secant_sums`)."""
    add_scaled_(v.mul_(rows(beta, p)), g, -lr)  # type: ignore[operator]
    p.add_(v)  # type: ignore[arg-type]
    step.add_(1)


def adam_ahb_tensor_step(p: Vec, g: Vec, m: Vec, v: Vec, d: Vec, inv_root_bc2: Vec, *,
                         beta: Coef, lr: Coef, beta2: Coef, eps: Coef) -> None:
    """Adam step with beta1 = beta (0-d or (B,)), given the bias correction of the second
    moment (:func:`dwmgrad.demon.adam_correction`); stores the displacement in ``d`` (g_prev
    <- g happened in :func:`secant_sums`)."""
    m.lerp_(g, rows(1 - beta, p))  # type: ignore[arg-type, operator]  # beta m + (1 - beta) g
    denom = adam_denominator(g, v, inv_root_bc2, beta2=beta2, eps=eps)
    d.copy_(m).div_(denom).mul_(-lr)  # type: ignore[arg-type, operator]
    p.add_(d)  # type: ignore[arg-type]


SecantGroup = tuple[list[list[Tensor]], dict[str, Any], dict[str, Any]]
"""A param group in a secant step: its lists (parameters, gradients, state), its coefficients
(lr, and beta2/eps for AdamAHB) and its settings (path; log_beta2 for AdamAHB)."""
SecantTensors = tuple[Tensor, list[list[Tensor]], list[Tensor], list[SecantGroup]]
"""(momentum_now, [gradients, g_prev, displacement] of all groups, their step counters,
groups)."""


def secant_betas(tensors: SecantTensors, *, reduce: Callable[..., Any], reduce_path: str,
                 per_instance: bool, max_momenta: tuple[float, ...], **_: Any) -> list[Tensor]:
    """beta_k of every group (its max_momentum in ``max_momenta``: a setting of the compiled
    graph, since ``torch.clamp`` takes no tensor bound beside a number) from ||g_k - g_{k-1}||
    and ||x_k - x_{k-1}|| over all parameters (:func:`secant_sums`, through ``reduce`` on
    ``reduce_path``, which also sets g_prev <- g), 0 on the first step; ``momentum_now`` <-
    the first group's."""
    momentum_now, sums, steps, groups = tensors
    change, step_size = reduce(secant_sums, sums, {"per_instance": per_instance},
                               path=reduce_path, like=momentum_now)
    h = change.sqrt() / (step_size.sqrt() + DISPLACEMENT_FLOOR)
    first = torch.stack([k.to(h) for k in steps]).amax() == 0
    betas = [secant_momentum(h, first, lr=coefficients["lr"], max_momentum=max_momentum)
             for (_, coefficients, _), max_momentum in zip(groups, max_momenta, strict=True)]
    momentum_now.copy_(betas[0])
    return betas


def adaptive_hb_step(tensors: SecantTensors, *, run: Callable[..., None],
                     **options: Any) -> None:
    """One AdaptiveHB step of every group: :func:`secant_betas`, then
    :func:`adaptive_hb_tensor_step` (through ``run``)."""
    betas = secant_betas(tensors, **options)
    for beta, (lists, coefficients, settings) in zip(betas, tensors[3], strict=True):
        run(adaptive_hb_tensor_step, lists, {"beta": beta, "lr": coefficients["lr"]},
            path=settings["path"], split=beta.dim() == 0)


def adam_ahb_step(tensors: SecantTensors, *, run: Callable[..., None],
                  per_tensor: Callable[..., Any], **options: Any) -> list[Tensor]:
    """One AdamAHB step of every group: :func:`secant_betas`, then per group the bias
    correction (:func:`dwmgrad.demon.adam_correction`, through ``per_tensor``) and
    :func:`adam_ahb_tensor_step` (through ``run``).

    Returns the bias corrections: as outputs of the compiled graph they are stored once,
    where inductor otherwise recomputed each (``expm1``, a square root, a division) in every
    vector iteration of its tensor's loop (read in ``TORCH_LOGS=output_code``)."""
    betas = secant_betas(tensors, **options)
    corrections: list[Tensor] = []
    for beta, (lists, coefficients, settings) in zip(betas, tensors[3], strict=True):
        if not lists[0]:
            continue
        *update_lists, steps = lists
        (inv_root_bc2,) = per_tensor(adam_correction, steps,
                                     {"log_beta2": settings["log_beta2"]}, path=settings["path"])
        run(adam_ahb_tensor_step, [*update_lists, inv_root_bc2],
            {"beta": beta, "lr": coefficients["lr"], "beta2": coefficients["beta2"],
             "eps": coefficients["eps"]}, path=settings["path"], split=beta.dim() == 0)
        corrections += inv_root_bc2
    return corrections


class _SecantMomentumOptimizer(TensorListOptimizer):
    """Shared step: gather all groups, one curvature h_k, then each group's update (the
    whole step one function, :func:`adaptive_hb_step` or :func:`adam_ahb_step`, one compiled
    graph when every group is fused: :func:`dwmgrad.drivers.call_step`)."""

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

    def _group(self, group: dict[str, Any], params: list[Tensor]) -> SecantGroup:
        raise NotImplementedError

    _step: Callable[..., Any]

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
        groups = [self._group(group, ps) for group, ps in gathered]
        # the reduction runs on the first group's path, each group's update on its own
        reduce_path = self._path(self.param_groups[0], params)
        paths = {reduce_path} | {settings["path"] for lists, _, settings in groups if lists[0]}
        drivers.call_step(
            type(self)._step, (glob["momentum_now"], [[p.grad for p in params], g_prev, disp],
                               steps, groups),
            {"reduce_path": reduce_path, "per_instance": self.defaults["per_instance"],
             "max_momenta": tuple(float(g["max_momentum"]) for g in self.param_groups)},
            fused=paths == {"fused"}, like=glob["momentum_now"],
            block_numel=self.cpu_block_numel or drivers.cpu_block_numel())
        return loss

    def _settings(self, group: dict[str, Any], params: list[Tensor]) -> dict[str, Any]:
        return {"path": self._path(group, params) if params else "forloop"}


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

    _step = staticmethod(adaptive_hb_step)

    def _group(self, group: dict[str, Any], params: list[Tensor]) -> SecantGroup:
        v, steps = self._state_lists(params, ("v", "step"), self._new_state)
        return ([params, [p.grad for p in params], v, steps],  # type: ignore[misc]
                {"lr": coefficient(group["lr"])}, self._settings(group, params))


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

    _step = staticmethod(adam_ahb_step)

    def _group(self, group: dict[str, Any], params: list[Tensor]) -> SecantGroup:
        m, v, d, steps = self._state_lists(params, ("m", "v", "d", "step"), self._new_state)
        beta2 = float(group["beta2"])
        return ([params, [p.grad for p in params], m, v, d, steps],  # type: ignore[misc]
                {"lr": coefficient(group["lr"]), "beta2": beta2, "eps": float(group["eps"])},
                {**self._settings(group, params), "log_beta2": log_of(beta2)})
