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
:math:`\epsilon`. The K projections are computed in closed form
(:func:`projected_difference`: three inner products per layer whatever K). A step is two
passes over each layer, on every path (see :mod:`dwmgrad.drivers`):
:func:`aida_projection` (the layer's projection coefficients, from :math:`m_t` computed but
not stored) and :func:`aida_tensor_step` (m, s and θ; it computes :math:`m_t` again, which
costs no memory traffic compiled: both passes read m and g anyway, and storing m in the first
pass cost the fused path a loop of its own per tensor, inductor not fusing the store into the
loop of the sums). With K = 2 and
:math:`\xi \to 0`, :math:`b - a = \cos^2\angle(g_t, m_t)\,(m_t - g_t)`. Since
:math:`\hat s_t \ge \epsilon/(1-\beta_2)`, each coordinate's step
multiplier is at most :math:`(\alpha/(1-\beta_1^t))\sqrt{(1-\beta_2)/\epsilon}`.

Example::

    opt = Aida(model.parameters(), lr=1e-3, k=2)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from dwmgrad import drivers
from dwmgrad.adabelief import (
    belief_coefficients,
    belief_corrections,
    belief_step_,
    first_moment,
)
from dwmgrad.base import TensorListOptimizer, zero_step
from dwmgrad.hyperparams import HyperParam, betas_row, eps_row, lr_row, per_instance_row, table
from dwmgrad.tensor_list import Coef, Vec, as_dtype, dtype_of, row_sum, rows

__all__ = [
    "HYPERPARAMETERS",
    "Aida",
    "aida_projection",
    "aida_step",
    "aida_tensor_step",
    "projected_difference",
    "projection_coefficients",
]

HYPERPARAMETERS = table(
    lr_row(),
    betas_row(),
    eps_row(),
    HyperParam("k", "int", low=0),
    eps_row("xi"),
    per_instance_row(),
)


def projection_coefficients(g: Vec, m: Vec, *, k: int, xi: Coef, per_instance: bool
                            ) -> tuple[Vec, Vec]:
    r"""The coefficients :math:`(p_K, q_K)` of K >= 1 simultaneous mutual projections of
    a = g and b = m, layer by layer (per instance row if ``per_instance``), in closed form,
    in the layer's dtype: :math:`a_K = p_K g`, :math:`b_K = q_K m`.

    Every projection scales a and b, so with :math:`c = p q \langle g, m\rangle`,
    :math:`p \leftarrow p\,c/(p^2\|g\|^2 + \xi)`, :math:`q \leftarrow q\,c/(q^2\|m\|^2 + \xi)`:
    three reductions whatever K, and the K projections are O(1) work per layer (the direct
    form needs 3K reductions and 4K passes over the layer). Each coefficient divides first,
    ``p / (p²‖g‖² + ξ) · c``, as the direct form divides ``a / (‖a‖² + ξ)`` before multiplying
    by c: every intermediate stays bounded where the result is representable.
    """
    # p and q in float64: they span far more than the layer's own dtype (float32: |g| = 1e-30
    # after |m| = 1e17 gives p = 1e17 and q = 1e-48 while p·g and q·m are ordinary numbers);
    # overflowing them in float32 gave inf·0 = NaN. ξ too: on the fused path it is a
    # shape-(1,) tensor of the layer's dtype, and a 0-d float64 sum plus a (1,) float32 tensor
    # is float32 by torch's type promotion.
    gg, mm, gm = (as_dtype(row_sum(x * y, per_instance), torch.float64)  # type: ignore[operator]
                  for x, y in ((g, g), (m, m), (g, m)))
    xi = as_dtype(xi, torch.float64)
    p, q = gm / (gg + xi), gm / (mm + xi)  # the first projection (p_0 = q_0 = 1)
    for _ in range(k - 1):
        c = p * q * gm
        p, q = p / (p * p * gg + xi) * c, q / (q * q * mm + xi) * c
    return as_dtype(p, dtype_of(g)), as_dtype(q, dtype_of(m))


def _difference(g: Vec, m: Vec, p_k: Vec | None, q_k: Vec | None) -> Vec:
    """b_K - a_K = q_K m - p_K g (m - g without projections)."""
    if p_k is None or q_k is None:
        return m - g  # type: ignore[operator, no-any-return]
    return m * rows(q_k, m) - g * rows(p_k, g)  # type: ignore[operator, no-any-return]


def projected_difference(g: Vec, m: Vec, *, k: int, xi: Coef, per_instance: bool) -> Vec:
    """:math:`b_K - a_K` after K simultaneous mutual projections of a = g and b = m, layer
    by layer (per instance row if ``per_instance``), from :func:`projection_coefficients`."""
    if k == 0:
        return _difference(g, m, None, None)
    return _difference(g, m, *projection_coefficients(g, m, k=k, xi=xi,
                                                      per_instance=per_instance))


def aida_projection(g: Vec, m: Vec, *, beta1: Coef, k: int, xi: Coef, per_instance: bool
                    ) -> tuple[Vec, Vec]:
    """The first pass of one Aida step over a layer (or a list of layers), K >= 1: the
    layer's (p_K, q_K) for g and m_t = beta1 m + (1 - beta1) g (m itself unchanged)."""
    m_t = first_moment(g, m, beta1=beta1, in_place=False)
    return projection_coefficients(g, m_t, k=k, xi=xi, per_instance=per_instance)


def aida_tensor_step(
    p: Vec, g: Vec, m: Vec, s: Vec, step_size: Vec, root_bc2: Vec, p_k: Vec | None = None,
    q_k: Vec | None = None, *, beta1: Coef, beta2: Coef, eps: Coef,
) -> None:
    """The second pass of one Aida step over a layer (or a list of layers), in place: m <-
    m_t, s and θ, given the step's coefficients
    (:func:`dwmgrad.adabelief.belief_corrections`) and the layer's projections
    (:func:`aida_projection`; none for K = 0)."""
    first_moment(g, m, beta1=beta1)
    belief_step_(p, m, s, _difference(g, m, p_k, q_k), step_size, root_bc2, beta2=beta2,
                 eps=eps, outer_eps=None)


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
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr, betas=betas, eps=eps, k=k, xi=xi, per_instance=per_instance, foreach=foreach,
            fused=fused,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        m, s, steps = self._state_lists(
            params,
            ("m", "s", "step"),
            lambda p: {"step": zero_step(p), "m": torch.zeros_like(p), "s": torch.zeros_like(p)},
        )
        corrections, coefficients = belief_coefficients(group)
        path = self._path(group, params)
        drivers.call_step(
            aida_step, ([params, [p.grad for p in params], m, s, steps], corrections,  # type: ignore[misc]
                        {**coefficients, "xi": float(group["xi"])}),
            {"path": path, "k": group["k"], "per_instance": group["per_instance"]},
            fused=path == "fused", like=steps[0],
            block_numel=self.cpu_block_numel or drivers.cpu_block_numel())


def aida_step(tensors: tuple[list[list[Tensor]], dict[str, Any], dict[str, Any]], *,
              run: Callable[..., None], per_tensor: Callable[..., Any],
              per_layer: Callable[..., Any], path: str, k: int, per_instance: bool, **_: Any
              ) -> list[Tensor]:
    """One Aida step of a param group: its coefficients
    (:func:`dwmgrad.adabelief.belief_corrections`, through ``per_tensor``), its layers'
    projections (:func:`aida_projection`, first pass, through ``per_layer``; none for K = 0),
    then :func:`aida_tensor_step` (second pass, through ``run``). ``tensors`` is (lists:
    parameters, gradients, m, s, step counters; the corrections' coefficients; beta1, beta2,
    eps, xi).

    Returns the per-tensor coefficients and projections: as outputs of the compiled graph
    (:func:`dwmgrad.drivers.call_step`) they are stored once, where inductor otherwise
    recomputed them in every vector iteration of the update's loop."""
    (params, grads, m, s, steps), corrections, coefficients = tensors
    step_size, root_bc2 = per_tensor(belief_corrections, steps, corrections, path=path)
    projections = per_layer(
        aida_projection, [grads, m],
        {"beta1": coefficients["beta1"], "k": k, "xi": coefficients["xi"],
         "per_instance": per_instance}, path=path) if k else []
    run(aida_tensor_step, [params, grads, m, s, step_size, root_bc2, *projections],
        {key: coefficients[key] for key in ("beta1", "beta2", "eps")}, path=path,
        split=False)  # the projections are per layer (and per instance row)
    return [*step_size, *root_bc2, *(x for column in projections for x in column)]
