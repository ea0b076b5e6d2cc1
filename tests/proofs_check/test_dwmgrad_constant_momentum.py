"""The constant-momentum DWMGrad bound: every step verified, wrong versions of its lemmas are
caught, the shrinking-window gap is exhibited, and vacuity is measured against the trivial
comparator."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import proofs_check.dwmgrad_constant_momentum as pc
import theory.dwmgrad_constant_momentum as cm
from proofs_check.core import ProofStep


def _step(name: str) -> ProofStep:
    return next(s for s in pc.STEPS if s.name == name)


@pytest.mark.parametrize("step", pc.STEPS, ids=lambda s: f"{s.proof}:{s.name}")
def test_every_step_is_verified(step: ProofStep) -> None:
    result = step.check()
    assert result.status == "verified", result.detail
    if result.method == "numeric":
        assert result.instances >= 1000


#: (theory attribute, wrong value, step that must reject it)
MUTANTS = [
    ("VELOCITY_BOUND", cm.VELOCITY_BOUND * (1 - cm.gamma) ** sp.Rational(3, 2), "C3"),
    ("DISTANCE_FACTOR", 1 + cm.gamma, "C8"),            # C8 without the window's decrements
    ("PRECONDITIONER_LOG", sp.sqrt(2) + sp.Rational(1, 2), "C11"),   # the ln T dropped
    ("DISPLACEMENT_TERM", cm.DISPLACEMENT_TERM / 2, "C10"),
    ("STEP_TERM", cm.STEP_TERM / 2, "C9"),
    ("REGRET_DATA_EXPR", cm.REGRET_DATA_EXPR.subs(cm.gamma * cm.K / cm.delta, 0), "theorem"),
]


@pytest.mark.parametrize(("name", "wrong", "step_name"), MUTANTS, ids=[m[0] for m in MUTANTS])
def test_a_wrong_lemma_is_reported_violated(name: str, wrong: sp.Expr, step_name: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cm, name, wrong)
    result = _step(step_name).check()
    assert result.status == "violated", result.detail


def test_the_k_free_abel_step_fails_on_the_shrinking_window_instance() -> None:
    lhs, k_free, with_k = pc.shrinking_window_excess()
    assert lhs > 1.5 * k_free            # the K-free statement is false
    assert lhs <= with_k                 # C8 as stated covers it


def test_data_terms_match_a_direct_sum_at_one_horizon() -> None:
    rng = np.random.default_rng(0)
    T, D = 7, 2.0
    eta = np.sort(rng.uniform(0.1, 1.0, (T, 1)), axis=0)[::-1]         # nonincreasing
    v, mu = rng.normal(size=(T, 1)), rng.uniform(0, 0.9, T)
    inv = 1 / eta[:, 0]
    rho = [(1 - mu[k + 1]) * inv[k] for k in range(T - 1)] + [inv[-1]]
    distance = D**2 / 2 * (rho[0] + sum(max(rho[k] - rho[k - 1], 0) for k in range(1, T)))
    step = sum(v[k, 0] ** 2 * inv[k] / 2 for k in range(T))
    displacement = sum(mu[k] * v[k - 1, 0] ** 2 * inv[k] for k in range(1, T))
    precond = D * sum(mu[k + 1] * (inv[k + 1] - inv[k]) * abs(v[k, 0]) for k in range(T - 1))
    np.testing.assert_allclose(cm.data_terms(eta, v, mu, D)[-1],
                               [distance, step, displacement, precond], rtol=1e-12)


def _worst_case_values(gamma: float, delta: float, T: int) -> dict[str, float]:
    alpha = float(cm.TUNED_ALPHA.subs({cm.D_inf: 2, cm.gamma: gamma, cm.delta: delta, cm.K: 0}))
    return {"T": T, "d": 1, "D_inf": 2.0, "G_inf": 1.0, "alpha": alpha, "gamma": gamma,
            "epsilon": 1e-8, "delta": delta, "K": 0}


def test_vacuity_flags_the_gamma_09_setting_and_not_the_informative_one() -> None:
    vacuous = cm.REGRET_BOUND.vacuity(**_worst_case_values(0.9, 10, 5000))
    informative = cm.REGRET_BOUND.vacuity(**_worst_case_values(0.5, 4, 5000))
    assert vacuous is not None and vacuous >= 1
    assert informative is not None and informative <= 0.5


def test_informative_horizon_is_the_first_horizon_below_half_the_trivial_bound() -> None:
    values = _worst_case_values(0.9, 10, 1)
    del values["T"]
    horizon = cm.informative_horizon(cm.REGRET_BOUND, values)
    assert horizon is not None and horizon > 5000
    assert cm.REGRET_BOUND.vacuity(**values, T=horizon) <= 0.5 < cm.REGRET_BOUND.vacuity(
        **values, T=horizon - 1)
    assert cm.informative_horizon(cm.REGRET_BOUND, values, limit=1e4) is None


def test_tuned_alpha_minimises_the_rate_coefficient() -> None:
    values = {cm.D_inf: 2.0, cm.delta: 4.0, cm.gamma: 0.5, cm.K: 0, cm.N: 1.0}
    best = float(cm.TUNED_ALPHA_DATA.subs(values))
    coefficient = sp.lambdify(cm.alpha, cm.RATE_COEFFICIENT.subs(values))
    assert coefficient(best) < min(coefficient(0.9 * best), coefficient(1.1 * best))
    tuned = cm.TUNED_RATE_BOUND.evaluate(S_T=1.0, N=1.0, K=0.0, D_inf=2.0, gamma=0.5, delta=4.0)
    assert tuned == pytest.approx(coefficient(best))
    assert math.isfinite(tuned)
