"""The DWMGrad regret bound: it holds on online convex problems for the analysed algorithm at
several horizons (ratio R_T/bound recorded), its rate limits evaluate as claimed, and the
numeric twin is the sympy expression."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import pytest
import sympy as sp
import torch

import theory.dwmgrad as th
from proofs_check import dwmgrad_regret as dr
from proofs_check import dwmgrad_trajectories as runs

HORIZONS = (100, 1000, 5000)
PROBLEMS = {
    "linear": runs.RunConfig("linear", "online_linear", {"d": 5, "bias": 0.3}, 11, 0, lr=0.05,
                             momentum=0.9, max_window=10, init_window=5, window_rule="loss"),
    "least_squares": runs.RunConfig("least_squares", "online_least_squares", {"d": 5}, 12, 0,
                                    lr=0.1, momentum=0.5, max_window=4, init_window=2,
                                    window_rule="loss_decrease", momentum_decay=0.9),
}


@pytest.mark.parametrize("horizon", [h if h <= 1000 else pytest.param(h, marks=pytest.mark.slow)
                                     for h in HORIZONS])   # T = 5000: seconds per problem
@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_regret_bound_holds_for_the_analysed_algorithm(
    name: str, horizon: int, record_property: Callable[[str, object], None],
) -> None:
    run = runs.record_run(PROBLEMS[name], horizon)
    regret, bound = run.final_regret(), run.final_bound()
    ratio = regret / bound
    record_property("ratio_R_T_over_bound", ratio)
    print(f"{name} T={horizon}: R_T={regret:.4g} bound={bound:.4g} R_T/bound={ratio:.3g}")
    assert math.isfinite(ratio)
    assert regret <= bound
    refinement = th.data_dependent_bound(run.eta, run.v, run.mu, run.problem.D_inf)[-1]
    assert regret <= refinement <= bound


def test_rate_limits_evaluate_as_claimed() -> None:
    by_sqrt = th.RATE_LIMITS["bound/sqrt(T)"][0].doit()
    by_t = th.RATE_LIMITS["bound/T"][0].doit()
    assert sp.simplify(by_sqrt - th.RATE_CONSTANT) == 0
    assert by_t == 0
    values = {th.d: 5, th.D_inf: 2, th.G_inf: 1, th.alpha: sp.Rational(1, 10),
              th.gamma: sp.Rational(9, 10), th.epsilon: sp.Rational(1, 10**8), th.delta: 10,
              th.lam: sp.Rational(99, 100)}
    constant = th.RATE_CONSTANT.subs(values)
    assert constant.is_positive and constant.is_finite
    # The same limit numerically, from the twin, at a large horizon.
    kwargs = dict(lr=0.1, momentum=0.9, eps=1e-8, max_window=10, momentum_decay=0.99)
    big = 10**14
    assert th.regret_bound(big, 5, 2.0, 1.0, **kwargs) / math.sqrt(big) == pytest.approx(
        float(constant), rel=1e-5)


def test_numeric_twin_equals_the_sympy_expression() -> None:
    kwargs = dict(lr=0.03, momentum=0.7, eps=1e-3, max_window=6, momentum_decay=0.95)
    exact = th.REGRET_EXPR.subs({th.T: 777, th.d: 3, th.D_inf: sp.Rational(3, 2),
                                 th.G_inf: sp.Rational(5, 2), th.alpha: sp.Rational(3, 100),
                                 th.gamma: sp.Rational(7, 10), th.epsilon: sp.Rational(1, 1000),
                                 th.delta: 6, th.lam: sp.Rational(95, 100)})
    assert th.regret_bound(777, 3, 1.5, 2.5, **kwargs) == pytest.approx(float(exact), rel=1e-12)


def test_bound_is_the_sum_of_the_lemma_terms() -> None:
    total = th.d * (th.DISTANCE_TERM + th.STEP_TERM + th.MOMENTUM_TERM)
    assert sp.simplify(total - th.REGRET_BOUND.expr) == 0


def test_tuned_step_minimises_the_sqrt_t_coefficient() -> None:
    values = {th.D_inf: 2.0, th.delta: 10.0, th.gamma: 0.9, th.lam: 0.99}
    best = float(th.TUNED_ALPHA.subs(values))
    coefficient = sp.lambdify(th.alpha, (th.RATE_CONSTANT / (th.d * (th.G_inf + th.epsilon)))
                              .subs(values))
    assert coefficient(best) < min(coefficient(best * 0.9), coefficient(best * 1.1))
    tuned = th.TUNED_RATE_BOUND.evaluate(d=1, D_inf=2.0, G_inf=1.0, epsilon=0.0, delta=10.0,
                                         gamma=0.9, **{"lambda": 0.99})
    assert tuned == pytest.approx(coefficient(best))


def test_step_term_shrinks_as_the_momentum_decay_falls() -> None:
    """The momentum products are bounded by (gamma lambda)^(t-k), not gamma^(t-k): at
    lambda -> 0 the step term loses its momentum factor (1-gamma)^(-3)."""
    step = sp.lambdify(th.lam, th.STEP_TERM.subs({th.alpha: 0.1, th.delta: 10, th.G_inf: 1,
                                                  th.epsilon: 0, th.T: 5000, th.gamma: 0.9}))
    values = [step(x) for x in (0.99, 0.9, 0.5, 0.0)]
    assert values == sorted(values, reverse=True)
    assert values[-1] == pytest.approx(0.1 * 10 * (2 * math.sqrt(5000) - 1) / 2)
    assert values[0] / values[-1] == pytest.approx((1 - 0.9 * 0.99) ** -3)  # < (1-gamma)^-3


@pytest.mark.parametrize(("name", "value", "message"), [
    ("T", 0, "Invalid T"), ("d", 2.5, "Invalid d"), ("D_inf", -1.0, "Invalid D_inf"),
    ("G_inf", float("nan"), "Invalid G_inf"), ("lr", 0.0, "Invalid lr"),
    ("momentum", 1.0, "Invalid momentum"), ("momentum_decay", 1.0, "Invalid momentum_decay"),
    ("max_window", 0.5, "Invalid max_window"), ("eps", 0.0, "Invalid eps"),
])
def test_regret_bound_rejects_bad_input(name: str, value: float, message: str) -> None:
    args: dict[str, float] = {"T": 10, "d": 2, "D_inf": 1.0, "G_inf": 1.0, "lr": 0.1,
                              "momentum": 0.9, "eps": 1e-8, "max_window": 10,
                              "momentum_decay": 0.99}
    args[name] = value
    positional = [args.pop(k) for k in ("T", "d", "D_inf", "G_inf")]
    with pytest.raises(ValueError, match=message):
        th.regret_bound(*positional, **args)  # type: ignore[arg-type]


def test_analysed_options_configure_the_optimizer_as_analysed() -> None:
    from dwmgrad import DWMGrad

    x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = DWMGrad([x], lr=0.1, **th.ANALYSED_OPTIONS)  # type: ignore[arg-type]
    group = opt.param_groups[0]
    assert group["lr_schedule"] == "inv_sqrt"
    assert group["max_second_moment"] is True
    assert 0 < group["momentum_decay"] < 1
    # Defaults keep the paper's algorithm: none of the analysed options is on by default.
    default = DWMGrad([x]).param_groups[0]
    assert any(default[k] != v for k, v in th.ANALYSED_OPTIONS.items())


def test_every_gap_names_a_failing_step_and_a_checked_instance() -> None:
    steps = {s.name: s for s in dr.GAP_STEPS}
    assumptions = {a.name for a in th.ASSUMPTIONS}
    for gap in th.PAPER_ALGORITHM_GAPS:
        assert gap.assumption in assumptions
        assert gap.check_step in steps
        assert gap.failing_step.split()[0] in th.DERIVATION.steps
    assert {g.name for g in th.PAPER_ALGORITHM_GAPS} == {
        "shrinking_second_moment", "constant_step", "non_decaying_momentum", "no_projection"}


def test_shrinking_second_moment_instance_decreases_inverse_step() -> None:
    gap = next(g for g in th.PAPER_ALGORITHM_GAPS if g.name == "shrinking_second_moment")
    run = runs.record_run(runs.gap_config(gap), 50)
    inv_eta = 1 / run.eta[:, 0]
    assert (inv_eta[1:] / inv_eta[:-1]).min() < 0.5   # 1/eta_t more than halves: L3 fails
    analysed = runs.record_run(dataclasses.replace(runs.gap_config(gap), name="analysed",
                                                   options={}), 50)
    assert (1 / analysed.eta[1:, 0] >= 1 / analysed.eta[:-1, 0]).all()
