r"""The minimax lower bound of online linear optimization on a box: no algorithm beats it.

On :math:`[-D_\infty/2, D_\infty/2]^d` (any box whose sides have length :math:`D_\infty`) with
gradients in :math:`[-G_\infty, G_\infty]^d`, let the adversary play
:math:`g_{t,i} = \varepsilon_{t,i} G_\infty` with independent Rademacher signs. Whatever the
algorithm plays, its expected loss is 0, and the best fixed corner earns
:math:`\tfrac{D_\infty}{2} G_\infty |\sum_t \varepsilon_{t,i}|` per coordinate, so some sign
sequence forces

.. math::  R_T \ge d \cdot \frac{D_\infty G_\infty}{2}\, \mathbb E\Big|\sum_{t=1}^T
           \varepsilon_t\Big| \ge \frac{\sqrt 2}{4}\, d\, G_\infty D_\infty \sqrt T,

by Khintchine's inequality with Szarek's optimal constant,
:math:`\mathbb E|\sum_t \varepsilon_t| \ge \sqrt{T/2}` (equality at T = 2).

Reference (Lower, worst case over the adversary): Orabona, "A Modern Introduction to Online
Learning" (arXiv:1912.13213), Theorem 5.1 (regret >= (sqrt 2/4) L D sqrt T on a set of
Euclidean diameter D with ||g||_2 <= L), applied to each coordinate of the box (an interval of
length D_inf, |g_i| <= G_inf) and summed; Szarek (1976), "On the best constants in the
Khinchin inequality", Studia Math. 58. The constant used here is :data:`KHINTCHINE` / 2 =
sqrt(2)/4 ~ 0.354; its step is checked in :mod:`proofs_check.online_lower` against the exact
E|S_T| (binomial sums).
"""

from __future__ import annotations

import sympy as sp

from theory.core import Assumption, Bound
from theory.dwmgrad import D_inf, G_inf, T, d

#: Szarek's constant: E|eps_1 + ... + eps_T| >= KHINTCHINE * sqrt(T) for Rademacher signs.
KHINTCHINE = 1 / sp.sqrt(2)
#: The randomized adversary's expected regret is d (D_inf G_inf / 2) E|S_T| >= this.
MINIMAX_LOWER = d * G_inf * D_inf * KHINTCHINE * sp.sqrt(T) / 2

MINIMAX_LOWER_BOUND = Bound(
    name="online_box_minimax_lower",
    quantity="R_T",
    expr=MINIMAX_LOWER,
    symbols={T: "horizon", d: "dimension", G_inf: "gradient bound per coordinate",
             D_inf: "side of the box"},
    assumptions=(Assumption("box", "decisions in a box with sides D_inf", sp.Gt(D_inf, 0)),
                 Assumption("linear_losses", "losses <g_t, x> with |g_t,i| <= G_inf",
                            sp.Gt(G_inf, 0))),
    kind="lower",
    reference="Orabona (2019), A Modern Introduction to Online Learning, Theorem 5.1, per "
              "coordinate of the box; Szarek (1976), Khintchine's constant 1/sqrt(2)",
    notes="for every algorithm some sequence of linear losses forces R_T at least this: the "
          "floor under every regret upper bound on the box (a worst case, so an easy game's "
          "measured regret may lie below it)",
    latex_names={D_inf: r"D_\infty", G_inf: r"G_\infty"},
)

BOUNDS: list[Bound] = [MINIMAX_LOWER_BOUND]
