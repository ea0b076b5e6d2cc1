"""Numeric falsification: finds a breaking instance where one exists, and only then."""

from __future__ import annotations

import pytest
import sympy as sp

from proofs_check.core import check_inequality
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
