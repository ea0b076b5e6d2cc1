"""The bound sign descent settles under: f(x_T) - f* <= d L lr^2 / 2 once T >= ||x_0||_inf/lr."""

from __future__ import annotations

import sympy as sp

from theory.core import Assumption, Bound
from theory.registry import register_bound

d, L, lr = sp.symbols("d L lr", positive=True)
PLATEAU = Bound(
    name="sign_descent_plateau",
    quantity="f(x_T) - f*",
    expr=d * L * lr**2 / 2,
    symbols={d: "dimension", L: "largest curvature a_j", lr: "step size"},
    assumptions=(Assumption("separable", "f = 1/2 sum_j a_j x_j^2 with 0 < a_j <= L"),
                 Assumption("horizon", "T >= ||x_0||_inf / lr")),
    kind="upper",
    reference="test plugin (each |x_j| <= lr after ||x_0||_inf / lr steps)",
)


def register() -> None:
    register_bound(PLATEAU)
