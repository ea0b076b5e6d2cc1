"""Numeric falsification: finds a breaking instance where one exists, and only then."""

from __future__ import annotations

import pytest
import sympy as sp

import theory.dwmgrad as th
from proofs_check.core import check_inequality
from proofs_check.dwmgrad_regret import DOMAIN as DWMGRAD_DOMAIN
from proofs_check.falsify import Domain, Var, default_var, falsify

x = sp.Symbol("x", nonnegative=True)
y = sp.Symbol("y", positive=True)
ON_0_2 = Domain((Var(x, 0.0, 2.0, "linear"),))


def test_a_false_inequality_is_violated_at_its_worst_instance() -> None:
    found = falsify(x**2, x, "<=", ON_0_2)
    assert found.status == "violated"
    assert found.instance == {"x": 2.0}
    assert found.worst_slack == pytest.approx(-0.5)


def test_a_true_inequality_is_verified_numerically_with_its_count() -> None:
    found = falsify(x, x + 1, "<=", ON_0_2)
    assert found.status == "verified" and found.instance is None
    assert found.instances > 2000 and "verified numerically" in found.detail


def test_float_rounding_in_an_exact_identity_is_not_a_violation() -> None:
    # (sqrt(y) + 1)^2 - y - 2 sqrt(y) - 1 is exactly 0; in floats it is rounding noise
    expr = (sp.sqrt(y) + 1) ** 2 - y - 2 * sp.sqrt(y)
    assert falsify(expr, sp.Integer(1), "==", Domain()).status == "verified"
    assert falsify(expr, sp.Integer(1) + sp.Rational(1, 10**6), "==",
                   Domain()).status == "violated"


def test_a_violation_only_near_an_open_end_is_found() -> None:
    # 1/(1-g) <= 1e6 fails only for g > 1 - 1e-6: the gap scale reaches it
    g = sp.Symbol("g", positive=True)
    found = falsify(1 / (1 - g), sp.Integer(10**6), "<=", Domain((Var(g, 0.0, 1.0, "gap"),)))
    assert found.status == "violated" and found.instance is not None
    assert found.instance["g"] > 1 - 1e-6


def test_constraints_exclude_instances() -> None:
    # x <= y is false on the box, true under the constraint x <= y
    box = Domain((Var(x, 0.0, 2.0, "linear"), Var(y, 1e-3, 2.0)))
    assert falsify(x, y, "<=", box).status == "violated"
    assert falsify(x, y, "<=", box.with_vars(constraints=[sp.Le(x, y)])).status == "verified"


def test_not_finite_on_most_of_the_domain_is_inconclusive_with_the_reason() -> None:
    found = falsify(sp.log(x - 3), x, "<=", ON_0_2)
    assert found.status == "inconclusive" and "not finite" in found.detail


def test_bad_ranges_and_symbols_without_a_sign_are_refused() -> None:
    with pytest.raises(ValueError, match="lo < hi"):
        Var(x, 2.0, 1.0)
    with pytest.raises(ValueError, match="log scale"):
        Var(x, -1.0, 1.0)
    with pytest.raises(ValueError, match="no sign assumption"):
        default_var(sp.Symbol("free"))


def test_check_inequality_says_how_it_decided() -> None:
    symbolic = check_inequality("demo", "s", "x <= x + 1", x, x + 1, "<=", ON_0_2)
    assert symbolic.method == "symbolic" and symbolic.decided_by == {"symbolic": 1}
    # sympy cannot decide x^2 <= 2x + 1 for x >= 0 (false at x = 3): falsification can
    wide = Domain((Var(x, 0.0, 10.0, "linear"),))
    falsified = check_inequality("demo", "s", "x^2 <= 2x + 1", x**2, 2 * x + 1, "<=", wide)
    assert falsified.method == "falsification" and falsified.status == "violated"
    assert falsified.counterexample is not None and "sympy undecided" in falsified.detail
    numerically = check_inequality("demo", "s", "x^2 <= 2x + 1", x**2, 2 * x + 1, "<=", ON_0_2)
    assert numerically.status == "verified" and numerically.instances > 2000
    assert numerically.decision.startswith("numeric falsification 1 (n=")


def test_a_side_that_is_not_real_is_a_violation_confirmed_exactly() -> None:
    # what sympy makes of sqrt(2)(-gamma lambda)^(-3/2)...: an explicit imaginary bound
    found = falsify(x, sp.I * (x + 1), "<=", ON_0_2)
    assert found.status == "violated" and "not real" in found.detail
    assert found.instance is not None
    # only an order needs reals: an identity between equal complex values is not violated
    assert falsify(sp.I * x, sp.I * x, "==", ON_0_2).status != "violated"


def test_an_identity_with_a_side_that_is_not_real_is_violated() -> None:
    """`check --mutants`' one surviving false mutant: REGRET_EXPR without the 1 of
    (1 - gamma lambda)^(3/2) has the imaginary term sqrt(2) I D sqrt(delta)/(sqrt(gamma
    lambda)(1 - lambda)). The theorem's identity was 'verified numerically, worst slack
    -8.6e-10': non-real values were dropped as 'not finite', the rest compared by real part
    only, and the 20 float violations (relative slack -1) were dismissed as rounding because
    their exact difference was not real."""
    assembled = th.d * (th.DISTANCE_TERM + th.STEP_TERM + th.MOMENTUM_TERM)
    ratio = (1 - th.MOMENTUM_RATIO) ** sp.Rational(3, 2)
    mutant = th.REGRET_EXPR.subs(ratio, (-th.MOMENTUM_RATIO) ** sp.Rational(3, 2))
    assert mutant.has(sp.I)
    found = falsify(assembled, mutant, "==", DWMGRAD_DOMAIN)
    assert found.status == "violated" and found.instance is not None, found.detail
    # the registered bound is still verified (it is the same expression, factored)
    assert falsify(assembled, th.REGRET_EXPR, "==", DWMGRAD_DOMAIN).status == "verified"


def test_a_small_imaginary_part_is_compared_not_dropped() -> None:
    # 1/y^2 + 1 == 1/y^2 + I: where 1/y^2 > 1e12 the float imaginary part looks negligible and
    # the real parts agree within 1e-12; elsewhere the sides differ by |1 - I| (slack -1e-8 at
    # y = 1e-4). Comparing real parts only and skipping non-real values, this was 'verified'.
    box = Domain((Var(y, 1e-9, 1e-4),))
    found = falsify(1 / y**2 + 1, 1 / y**2 + sp.I, "==", box)
    assert found.status == "violated" and found.worst_slack < -1e-9, found.detail
    assert falsify(1 / y**2 + sp.I, 1 / y**2 + sp.I, "==", box).status == "verified"
    # an order needs reals: a side that is not real at the worst float instance is violated
    assert falsify(1 / y**2, 1 / y**2 + sp.I, "<=", box).status == "violated"


def test_an_exact_identity_written_as_a_difference_equal_to_zero_is_verified() -> None:
    # a - b == 0 with a = b exactly: sympy evaluates the difference to a residue without
    # significant digits (0.e-165 at 30 digits, 0.e-190 at 60) that was its own scale, so
    # the relative slack was -1 at both precisions: 'violated, confirmed at 30 and 60 digits'
    import theory.identities as ids
    from proofs_check.identities import DOMAIN

    cap = ids.alpha * sp.sqrt(y) / (sp.sqrt(ids.eps) * (1 - ids.beta1**ids.step_t))
    same = ids.alpha * sp.sqrt(y) * (1 + ids.beta1**ids.step_t) / (
        sp.sqrt(ids.eps) * (1 - ids.beta1 ** (2 * ids.step_t)))
    assert falsify(same - cap, sp.Integer(0), "==", DOMAIN).status == "verified"
    flipped = cap.subs(ids.beta1**ids.step_t, ids.beta1**-ids.step_t)   # AIDA_CAP's mutant
    found = falsify(flipped - cap, sp.Integer(0), "==", DOMAIN)
    assert found.status == "violated" and found.worst_slack == pytest.approx(-1.0)
