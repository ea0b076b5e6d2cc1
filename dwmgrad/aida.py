r"""Aida (Zhang, Niwa, Kleijn, arXiv 2203.13273), following the authors' public code.

AdaBelief whose "belief" :math:`g_t - m_t` is replaced by the difference of :math:`g_t` and
:math:`m_t` after K mutual projections inside each layer (a layer = one parameter tensor,
or one row of it per problem instance when ``per_instance``):

.. math::
    \begin{aligned}
    &m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad a \leftarrow g_t,\ b \leftarrow m_t\\
    &\text{repeat } K \text{ times, simultaneously:}\quad c = \langle a, b\rangle,\quad
      a \leftarrow a\,\frac{c}{\|a\|^2 + \xi},\quad b \leftarrow b\,\frac{c}{\|b\|^2 + \xi}\\
    &s_t = \beta_2 s_{t-1} + (1-\beta_2)(b - a)^2 + \epsilon\\
    &\theta_t = \theta_{t-1} - \frac{\alpha}{1-\beta_1^t}\,\frac{m_t}{\sqrt{s_t}/\sqrt{1-\beta_2^t}}
    \end{aligned}

with :math:`\alpha` (lr), :math:`(\beta_1, \beta_2)` (betas), :math:`\epsilon` (eps), K (k),
:math:`\xi` (xi). As in the authors' code, :math:`\epsilon` is added to the state every step
and there is no outer :math:`\epsilon`; K = 0 gives AdaBelief without the outer
:math:`\epsilon`. With K = 2 and :math:`\xi \to 0`, :math:`b - a = \cos^2\angle(g_t, m_t)\,
(m_t - g_t)`. Since :math:`\hat s_t \ge \epsilon/(1-\beta_2)`, each coordinate's step
multiplier is at most :math:`(\alpha/(1-\beta_1^t))\sqrt{(1-\beta_2)/\epsilon}`.

Example::

    opt = Aida(model.parameters(), lr=1e-3, k=2)
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from dwmgrad.adabelief import apply_belief_step, update_first_moment
from dwmgrad.base import TensorListOptimizer, broadcast_rows, row_sum, zero_step
from dwmgrad.hyperparams import HyperParam, betas_row, eps_row, lr_row, per_instance_row, table

__all__ = ["HYPERPARAMETERS", "Aida", "aida_update", "project_pair"]

HYPERPARAMETERS = table(
    lr_row(),
    betas_row(),
    eps_row(),
    HyperParam("k", "int", low=0),
    eps_row("xi"),
    per_instance_row(),
)


def _row_coefficient(x: Tensor, y: Tensor, per_instance: bool) -> Tensor:
    """<x, y> per layer (or per instance row), shaped to broadcast against ``x``."""
    return broadcast_rows(row_sum(x * y, per_instance), x)


def project_pair(
    a: list[Tensor], b: list[Tensor], *, k: int, xi: float, per_instance: bool, foreach: bool
) -> tuple[list[Tensor], list[Tensor]]:
    """K simultaneous mutual projections of a onto b and b onto a, layer by layer.

    Each is computed as ``(x / (‖x‖² + xi)) * c``: dividing first keeps every intermediate
    bounded (``|x_i / ‖x‖²| <= 1 / |x_i|`` and the result ``<= ‖y‖``), whereas ``x * c``
    overflows float32 for |g| >= ~1e13 although the result is representable.
    """
    for _ in range(k):
        c = [_row_coefficient(x, y, per_instance) for x, y in zip(a, b, strict=True)]
        na = [_row_coefficient(x, x, per_instance) + xi for x in a]
        nb = [_row_coefficient(y, y, per_instance) + xi for y in b]
        if foreach:
            a = list(torch._foreach_mul(torch._foreach_div(a, na), c))
            b = list(torch._foreach_mul(torch._foreach_div(b, nb), c))
        else:
            a = [x / ni * ci for x, ci, ni in zip(a, c, na, strict=True)]
            b = [y / ni * ci for y, ci, ni in zip(b, c, nb, strict=True)]
    return a, b


def aida_update(
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
    k: int,
    xi: float,
    per_instance: bool = False,
    foreach: bool = False,
) -> None:
    """Apply one Aida step in place (for-loop reference or ``torch._foreach_*`` path)."""
    if len(params) == 0:
        return
    update_first_moment(grads, m, steps, beta1=beta1, foreach=foreach)
    a, b = project_pair(list(grads), list(m), k=k, xi=xi, per_instance=per_instance,
                        foreach=foreach)
    if foreach:
        r = list(torch._foreach_sub(b, a))
    else:
        r = [y - x for x, y in zip(a, b, strict=True)]
    apply_belief_step(
        params, m, s, steps, r, lr=lr, beta1=beta1, beta2=beta2, eps=eps, outer_eps=0.0,
        foreach=foreach,
    )


class Aida(TensorListOptimizer):
    __doc__ = __doc__

    hyperparameters = HYPERPARAMETERS
    state_keys = ("step", "m", "s")
    uses_instances = True

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        k: int = 2,
        xi: float = 1e-20,
        *,
        per_instance: bool = False,
        foreach: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr, betas=betas, eps=eps, k=k, xi=xi, per_instance=per_instance, foreach=foreach
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        m, s, steps = self._state_lists(
            params,
            ("m", "s", "step"),
            lambda p: {"step": zero_step(p), "m": torch.zeros_like(p), "s": torch.zeros_like(p)},
        )
        beta1, beta2 = group["betas"]
        aida_update(
            params, [p.grad for p in params], m, s, steps,  # type: ignore[misc]
            lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"], k=group["k"],
            xi=group["xi"], per_instance=group["per_instance"],
            foreach=self._use_foreach(group, params),
        )
