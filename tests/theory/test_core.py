"""Bound and Derivation: the numeric twin is the expression; bad definitions are refused."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from theory.core import Assumption, Bound, Derivation, DerivationLine, to_latex

x = sp.Symbol("x", real=True)
D = sp.Symbol("D_inf", real=True)


def _bound(**extra: object) -> Bound:
    return Bound("demo", "q", D**2 / x, {D: "side", x: "step"},
                 (Assumption("pos", "x > 0", sp.Gt(x, 0)),), "upper", "derived here",
                 **extra)  # type: ignore[arg-type]


def test_evaluate_is_the_lambdified_expression_for_scalars_and_arrays() -> None:
    b = _bound()
    assert b.evaluate(D_inf=3.0, x=2.0) == pytest.approx(4.5)
    values = b.evaluate(D_inf=np.array([1.0, 2.0]), x=2.0)
    assert isinstance(values, np.ndarray)
    np.testing.assert_allclose(values, [0.5, 2.0])


def test_evaluate_names_missing_and_unknown_arguments() -> None:
    with pytest.raises(ValueError, match=r"missing \['x'\], unknown \['y'\]"):
        _bound().evaluate(D_inf=1.0, y=2.0)


def test_symbols_without_meaning_are_refused() -> None:
    with pytest.raises(ValueError, match="symbols without a meaning"):
        Bound("bad", "q", D * x, {D: "side"}, (), "upper", "here")


def test_latex_uses_symbol_names_and_the_kind() -> None:
    b = _bound(latex_names={D: r"D_\infty"})
    assert b.latex() == r"q \le \frac{D_\infty^{2}}{x}"
    assert to_latex("already $tex$") == "already $tex$"
    assert b.describe()["assumptions"] == [{"name": "pos", "statement": "x > 0",
                                            "latex": "x > 0"}]


def test_derivation_lists_its_steps_once_and_needs_lines() -> None:
    der = Derivation("d", "T", "p", "setting", (
        DerivationLine("a", sp.Le(x, D), "s1"), DerivationLine("b", None, "s1"),
        DerivationLine("c", r"x \le 2"), DerivationLine("e", None, "s2")))
    assert der.steps == ["s1", "s2"]
    assert der.lines[0].latex() == r"x \leq D_{inf}"
    assert der.lines[0].latex({D: r"D_\infty"}) == r"x \leq D_\infty"
    assert der.lines[1].latex() == ""
    with pytest.raises(ValueError, match="no lines"):
        Derivation("d", "T", "p", "setting", ())


def test_vacuity_is_bound_over_trivial_and_flags_a_vacuous_bound() -> None:
    b = _bound(trivial=D * 10)
    assert b.trivial_value(D_inf=2.0, x=0.5) == pytest.approx(20.0)
    assert b.vacuity(D_inf=2.0, x=0.5) == pytest.approx(8.0 / 20.0)   # informative
    assert b.vacuity(D_inf=2.0, x=0.1) >= 1                            # 40 > 20: vacuous
    assert _bound().vacuity(D_inf=2.0, x=0.5) is None
    assert _bound().describe()["trivial"] is None


def test_trivial_comparator_needs_known_symbols_and_an_upper_bound() -> None:
    with pytest.raises(ValueError, match=r"trivial comparator's symbols without a meaning"):
        _bound(trivial=sp.Symbol("T") * D)
    with pytest.raises(ValueError, match="only an upper bound"):
        Bound("demo", "q", D, {D: "side"}, (), "lower", "here", trivial=D)


def test_growth_exponent_is_the_power_of_the_variable_the_bound_grows_like() -> None:
    from theory.dwmgrad import REGRET_BOUND

    T, d, a = sp.symbols("T d a")
    meanings = {T: "horizon", d: "dimension", a: "step"}
    sqrt_T = Bound("r", "R_T", d * sp.sqrt(T) / a + d * sp.log(T), meanings, (), "upper", "x")
    assert sqrt_T.growth_exponent("T") == sp.Rational(1, 2)
    linear = Bound("l", "R_T", d * T + sp.sqrt(T), meanings, (), "upper", "x")
    assert linear.growth_exponent("T") == 1                 # a linear bound is not O(sqrt T)
    assert linear.growth_exponent("d") == 1
    assert REGRET_BOUND.growth_exponent("T") == sp.Rational(1, 2)
    with pytest.raises(ValueError, match="has no symbol 'K'"):
        sqrt_T.growth_exponent("K")
