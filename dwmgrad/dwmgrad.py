r"""DWMGrad: dynamic-window momentum and second moment (Wang, Li, Zeng, arXiv 2510.25042).

One window :math:`\omega` for the whole optimizer (driven by the scalar loss), and per
element a windowed second moment ``s`` and a velocity ``v``:

.. math::
    \begin{aligned}
    &b_t = \text{signal of } \ell_t \text{ (window\_rule)}, \qquad
     \omega_t = \begin{cases} \min(\omega_{t-1}+1,\ \delta) & b_t > 0\\
                              \max(\omega_{t-1}-1,\ 1) & \text{otherwise}\end{cases}\\
    &s_t = s_{t-1}\,\tfrac{\omega_t-1}{\omega_t} + \tfrac{g_t^2}{\omega_t}, \qquad
     \hat s_t = \max(\hat s_{t-1}, s_t) \text{ (only if max\_second\_moment)}\\
    &\mu_t = \gamma\,\tfrac{\omega_t}{\delta}\,\lambda^{t-1}, \qquad
     \alpha_t = \alpha \text{ (constant) or } \alpha/\sqrt{t} \text{ (inv\_sqrt)}\\
    &v_t = \mu_t v_{t-1} + \alpha_t\, g_t / (\sqrt{s_t \text{ or } \hat s_t} + \epsilon), \qquad
     \theta_t = \theta_{t-1} - v_t
    \end{aligned}

with :math:`\alpha` (lr), :math:`\gamma` (momentum), :math:`\epsilon` (eps),
:math:`\omega_0` (init_window), :math:`\delta` (max_window), :math:`\lambda`
(momentum_decay), :math:`\ell_t` the loss passed to ``step``.

Window signals (window_rule): ``"loss"``: :math:`b_t = \ell_t` (paper's Algorithm 1 and the
authors' optimizer class); ``"loss_decrease"``: :math:`b_t = \ell_{t-1} - \ell_t`;
``"loss_increase"``: :math:`b_t = \ell_t - \ell_{t-1}`, both with :math:`b_1 = 0`.
*Reconstruction*: the paper's text was not available; the window rules come from the
authors' public code (optimizer class, Rosenbrock script, CIFAR-10/MNIST scripts), which
resets the paper's accumulator :math:`\beta \leftarrow \beta + \ell` every step.

The defaults (``lr_schedule="constant"``, ``momentum_decay=1``, ``max_second_moment=False``)
are the paper's algorithm exactly; the other settings exist for the regret analysis. There is
no bias correction: the first step moves each coordinate by about :math:`\alpha\sqrt{\omega_1}`.

With several param groups the window is shared (it depends only on the loss) and each group
uses its own :math:`\alpha, \gamma, \epsilon, \lambda` and schedule; ``init_window``,
``max_window`` and ``window_rule`` must be the same in every group. ``per_instance=True``
treats row b of every parameter as an independent problem: ``loss`` then has shape (B,) and
the window is one per row.

Paths (:mod:`dwmgrad.drivers`, one per-tensor function :func:`dwmgrad_tensor_step` for all):
the for-loop (``foreach=False``, the reference), ``foreach=True`` (the same operations as
``torch._foreach_*`` ops, on CPU block by block) and ``fused=True`` (the for-loop compiled by
``torch.compile``, one pass over memory per tensor; compiled on the first fused step, and
again only when the tensors with gradients change in number, shape or dtype). With the
constant schedule, :math:`\alpha` scales the step as ``addcdiv``'s ``value=`` (no pass of
its own); the ``inv_sqrt`` schedule divides by the tensor :math:`\alpha_t`.

Optimizer-wide state lives in ``opt.state["global"]`` as tensors on the parameters' device
(``step``, ``window``, ``prev_loss``, ``momentum_now``, ``nonfinite_losses``) and is updated
with tensor ops only, so a step never synchronises with the device (the authors' code calls
``loss.item()`` once per parameter tensor).

Non-finite losses (a rule of this package; the paper and the authors' code have none, and
there NaN shrinks the window and +inf grows it): a NaN or infinite loss moves nothing in the
window. :math:`\omega` and the previous loss stay as they were (so the next finite loss is
compared with the last finite one), ``nonfinite_losses`` counts the event, and the step counter
and the parameter update go on as usual. A loss given as a Python number is checked on the
host and warned about once per optimizer (``RuntimeWarning``); a tensor loss is not read on the
host (that would synchronise every step), so read ``opt.nonfinite_losses`` where the training
loop synchronises anyway, e.g. when it logs.

Example::

    opt = DWMGrad(model.parameters(), lr=1e-3)
    loss = criterion(model(x), y); loss.backward()
    opt.step(loss=loss)              # or opt.step(closure)
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Mapping
from numbers import Real
from typing import Any

import torch
from torch import Tensor

from dwmgrad import drivers
from dwmgrad.base import TensorListOptimizer
from dwmgrad.hyperparams import (
    HyperParam,
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
    addcdiv_scaled_,
    coefficient,
    maximum_,
    rows,
    sqrt_into,
)

__all__ = [
    "DWMGrad", "HYPERPARAMETERS", "advance_window", "dwmgrad_step", "dwmgrad_tensor_step",
    "momentum_at",
]

WINDOW_RULES = ("loss", "loss_decrease", "loss_increase")
LR_SCHEDULES = ("constant", "inv_sqrt")

HYPERPARAMETERS = table(
    lr_row(),
    unit_row("momentum"),
    eps_row(),
    counter_row("init_window"),
    counter_row("max_window"),
    HyperParam("window_rule", "choice", choices=WINDOW_RULES),
    HyperParam("lr_schedule", "choice", choices=LR_SCHEDULES),
    HyperParam("momentum_decay", "float", low=0.0, high=1.0, low_inclusive=False),
    HyperParam("max_second_moment", "bool"),
    per_instance_row(),
)


def advance_window(
    glob: dict[str, Tensor], loss: Tensor, *, window_rule: str, max_window: int
) -> None:
    r"""Advance the optimizer-wide state in place: :math:`b_t`, :math:`\omega_t`, prev_loss, step.

    ``loss`` has the shape of ``glob["window"]`` (0-d, or (B,) per instance). A non-finite
    loss (NaN, +inf, -inf) carries no signal: the window and the previous loss stay as they
    were, ``nonfinite_losses`` counts it, the step counter still advances. ``prev_loss`` is
    NaN until the first finite loss (then :math:`b = 0` under the difference rules). Tensor
    ops only.
    """
    window, prev, step = glob["window"], glob["prev_loss"], glob["step"]
    finite = torch.isfinite(loss)
    if window_rule == "loss":
        signal = loss
    else:
        change = loss - prev if window_rule == "loss_increase" else prev - loss
        signal = torch.where(prev.isnan(), torch.zeros_like(change), change)
    grown = torch.clamp(window + 1, max=max_window)
    shrunk = torch.clamp(window - 1, min=1)
    window.copy_(torch.where(finite, torch.where(signal > 0, grown, shrunk), window))
    prev.copy_(torch.where(finite, loss, prev))
    glob["nonfinite_losses"].add_(finite.logical_not())
    step.add_(1)


def momentum_at(
    window: Tensor, step: Tensor, *, momentum: float, max_window: int, momentum_decay: float
) -> Tensor:
    r"""Momentum :math:`\mu_t = \gamma\,(\omega_t/\delta)\,\lambda^{t-1}`.

    :math:`\omega_t/\delta` is rounded first: it is at most 1 in floating point too, so
    :math:`\mu_t \le \gamma` holds exactly (``window * momentum / max_window`` exceeded
    :math:`\gamma` by an ulp at :math:`\omega_t = \delta = 85158`)."""
    return momentum * (window / max_window) * torch.pow(momentum_decay, step - 1)


def dwmgrad_tensor_step(
    p: Vec, g: Vec, s: Vec, v: Vec, s_hat: Vec | None = None, *,
    inv_window: Coef, momentum: Coef, alpha: Coef, eps: Coef,
) -> None:
    r"""One DWMGrad step of one tensor (or list), in place: the package's DWMGrad math.

    ``inv_window`` is :math:`1/\omega_t`, ``momentum`` :math:`\mu_t` (0-d or (B,)),
    ``alpha`` :math:`\alpha_t`; ``s_hat`` is given exactly when ``max_second_moment``.
    :math:`s_t` is computed as lerp(s, g², 1/ω) = s + (g² − s)/ω and
    :math:`\alpha_t g/(\sqrt{s}+\epsilon)` as ``addcdiv``'s ``value=`` scaling for a float
    :math:`\alpha` (a tensor divides the denominator first): the same values in real
    arithmetic as the formulas above, in fewer passes over memory. One temporary per tensor.
    """
    work = g * g
    s.lerp_(work, rows(inv_window, p))
    second = s if s_hat is None else maximum_(s_hat, s)
    work = sqrt_into(work, second).add_(eps)
    v.mul_(rows(momentum, p))
    addcdiv_scaled_(v, g, work, rows(alpha, p))
    p.sub_(v)


class DWMGrad(TensorListOptimizer):
    __doc__ = __doc__

    hyperparameters = HYPERPARAMETERS
    optimizer_wide = ("per_instance", "init_window", "max_window", "window_rule")
    uses_instances = True

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        momentum: float = 0.9,
        eps: float = 1e-8,
        init_window: int = 5,
        max_window: int = 10,
        window_rule: str = "loss",
        *,
        lr_schedule: str = "constant",
        momentum_decay: float = 1.0,
        max_second_moment: bool = False,
        per_instance: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr, momentum=momentum, eps=eps, init_window=init_window, max_window=max_window,
            window_rule=window_rule, lr_schedule=lr_schedule, momentum_decay=momentum_decay,
            max_second_moment=max_second_moment, per_instance=per_instance, foreach=foreach,
            fused=fused,
        )
        super().__init__(params, defaults)
        self._warned_nonfinite = False

    def _check_group(self, group: Mapping[str, Any]) -> None:
        if group["init_window"] > group["max_window"]:
            raise ValueError(
                f"Invalid init_window: {group['init_window']!r}; expected at most "
                f"max_window={group['max_window']!r}"
            )

    def _state_keys(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        return ("s", "v", "s_hat") if group["max_second_moment"] else ("s", "v")

    def _init_global(self, device: torch.device, dtype: torch.dtype, instances: tuple[int, ...]
                     ) -> dict[str, Tensor]:
        window = torch.full(instances, float(self.defaults["init_window"]), device=device,
                            dtype=dtype)
        group = self.param_groups[0]
        return {
            "step": torch.zeros((), device=device, dtype=dtype),
            "window": window,
            # NaN: no finite loss seen yet (b_1 = 0 under the difference rules)
            "prev_loss": torch.full(instances, torch.nan, device=device, dtype=dtype),
            "momentum_now": group["momentum"] * (window / group["max_window"]),
            "nonfinite_losses": torch.zeros(instances, device=device, dtype=dtype),
        }

    @property
    def window(self) -> Tensor:
        """Current window :math:`\\omega_t` (0-d, or (B,) per instance)."""
        return self._global_state()["window"]

    @property
    def momentum_now(self) -> Tensor:
        """:math:`\\mu_t` of the last step for the first param group (0-d, or (B,))."""
        return self._global_state()["momentum_now"]

    @property
    def nonfinite_losses(self) -> Tensor:
        """How many losses were NaN or infinite, each held the window still (0-d, or (B,))."""
        return self._global_state()["nonfinite_losses"]

    def _warn_once_if_nonfinite(self, loss: Tensor | float) -> None:
        """Warn (once per optimizer) about a non-finite loss given as a Python number; a
        tensor loss is not read on the host (see ``nonfinite_losses``)."""
        if isinstance(loss, Real) and not math.isfinite(loss) and not self._warned_nonfinite:
            self._warned_nonfinite = True
            warnings.warn(
                f"DWMGrad got the non-finite loss {loss!r}: the window holds still on "
                "non-finite losses (counted in opt.nonfinite_losses; warned once)",
                RuntimeWarning, stacklevel=3,
            )

    def _loss_tensor(self, loss: Tensor | float, like: Tensor) -> Tensor:
        if isinstance(loss, Tensor):
            loss_t = loss.detach().to(device=like.device, dtype=like.dtype)
        else:
            loss_t = torch.as_tensor(loss, device=like.device, dtype=like.dtype)
        if like.dim() == 0 and loss_t.numel() == 1:
            loss_t = loss_t.reshape(())
        if loss_t.shape != like.shape:
            raise ValueError(
                f"Invalid loss of shape {tuple(loss_t.shape)}; expected shape {tuple(like.shape)}"
                + (" (one loss per instance, per_instance=True)" if like.dim() else " (a scalar)")
            )
        return loss_t

    @torch.no_grad()
    def step(  # type: ignore[override]
        self,
        closure: Callable[[], Tensor | float] | None = None,
        *,
        loss: Tensor | float | None = None,
    ) -> Tensor | float:
        """One step; the loss comes from ``closure()`` or ``loss=`` (exactly one of them)."""
        if closure is not None and loss is not None:
            raise ValueError("DWMGrad.step got both a closure and loss=; pass only one of them")
        if closure is not None:
            loss = self._closure_loss(closure)
        if loss is None:
            raise ValueError(
                "DWMGrad.step needs the loss: pass step(closure) with a closure returning it, "
                "or step(loss=...)"
            )
        self._warn_once_if_nonfinite(loss)
        glob = self._global_state()
        groups: list[tuple[list[list[Tensor]], dict[str, Any], dict[str, str]]] = []
        for group in self.param_groups:
            params = self._params_with_grad(group)
            msm = group["max_second_moment"]
            keys = ("s", "v", "s_hat") if msm else ("s", "v")
            state = self._state_lists(params, keys, functools.partial(_init_state, msm=msm))
            groups.append(([params, [p.grad for p in params], *state],  # type: ignore[misc]
                           {k: coefficient(group[k]) for k in ("lr", "momentum", "eps",
                                                               "momentum_decay")},
                           {"lr_schedule": group["lr_schedule"],
                            "path": self._path(group, params) if params else "forloop"}))
        tensors = (glob, self._loss_tensor(loss, glob["window"]), groups)
        options = {"window_rule": self.defaults["window_rule"],
                   "max_window": self.defaults["max_window"]}
        paths = {settings["path"] for lists, _, settings in groups if lists[0]}
        drivers.call_step(dwmgrad_step, tensors, options, like=glob["window"],
                          fused=paths == {"fused"},
                          block_numel=self.cpu_block_numel or drivers.cpu_block_numel())
        return loss


def dwmgrad_step(tensors: tuple[dict[str, Tensor], Tensor,
                                list[tuple[list[list[Tensor]], dict[str, Any], dict[str, str]]]],
                 *, run: Callable[..., None], window_rule: str, max_window: int,
                 **_: Any) -> Tensor:
    r"""One DWMGrad step of every param group: the window (:func:`advance_window`), then per
    group :math:`\mu_t`, :math:`\alpha_t` and the elementwise update
    (:func:`dwmgrad_tensor_step`, through ``run``). ``tensors`` is (optimizer-wide state,
    loss, groups), a group (lists, coefficients lr/momentum/eps/momentum_decay, settings
    lr_schedule/path); on the fused path all of it is one compiled graph
    (:func:`dwmgrad.drivers.call_step`). Returns :math:`1/\omega_t`: an output of the
    compiled graph is stored once, where inductor otherwise recomputed the window's update
    and its reciprocal in every vector iteration of every tensor's loop (read in
    ``TORCH_LOGS=output_code``)."""
    glob, loss, groups = tensors
    advance_window(glob, loss, window_rule=window_rule, max_window=max_window)
    window, step = glob["window"], glob["step"]
    inv_window = window.reciprocal()
    for index, (lists, coefficients, settings) in enumerate(groups):
        momentum = momentum_at(window, step, momentum=coefficients["momentum"],
                               max_window=max_window,
                               momentum_decay=coefficients["momentum_decay"])
        if index == 0:
            glob["momentum_now"].copy_(momentum)
        lr = coefficients["lr"]
        run(dwmgrad_tensor_step, lists,
            {"inv_window": inv_window, "momentum": momentum, "eps": coefficients["eps"],
             "alpha": lr * step.rsqrt() if settings["lr_schedule"] == "inv_sqrt" else lr},
            # per-instance coefficients broadcast over rows: keep tensors whole
            path=settings["path"], split=window.dim() == 0)
    return inv_window


def _init_state(p: Tensor, *, msm: bool) -> dict[str, Tensor]:
    state = {"s": torch.zeros_like(p), "v": torch.zeros_like(p)}
    if msm:
        state["s_hat"] = torch.zeros_like(p)
    return state
