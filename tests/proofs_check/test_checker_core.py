"""The checker itself: it verifies true steps and reports false ones with a counterexample."""

from __future__ import annotations

import time

import numpy as np
import pytest
import sympy as sp

from proofs_check.core import (
    StepResult,
    check_inequality,
    check_numeric,
    check_symbolic,
    check_trajectory,
    combine,
    relative_slack,
)
from proofs_check.falsify import Domain, Var


def _unit_interval(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {"x": rng.uniform(0.0, 2.0, n)}


def test_false_numeric_step_is_violated_with_its_counterexample() -> None:
    # "x^2 <= x on [0, 2]" is false for x > 1; the worst instance is reported.
    result = check_numeric("demo", "false", "x^2 <= x", lambda x: x - x**2, _unit_interval)
    assert result.status == "violated"
    assert result.instances == 1000
    assert result.counterexample is not None
    x = result.counterexample["x"]
    assert isinstance(x, float) and x > 1.0
    assert result.worst_slack == pytest.approx(x - x**2)


def test_true_numeric_step_is_verified() -> None:
    result = check_numeric("demo", "true", "x^2 <= 2x on [0, 2]", lambda x: 2 * x - x**2,
                           _unit_interval)
    assert result.status == "verified" and result.counterexample is None


def test_numeric_checks_refuse_fewer_than_1000_instances() -> None:
    with pytest.raises(ValueError, match="n=10"):
        check_numeric("demo", "s", "x", lambda x: x, _unit_interval, n=10)


def test_false_symbolic_step_is_violated() -> None:
    x = sp.Symbol("x", nonnegative=True)
    assert check_symbolic("demo", "s", "x + 1 <= x", x + 1, x, "<=").status == "violated"
    assert check_symbolic("demo", "s", "(x+1)^2 = x^2 + 1", (x + 1) ** 2, x**2 + 1,
                          "==").status == "violated"
    assert check_symbolic("demo", "s", "x <= x + 1", x, x + 1, "<=").status == "verified"


def test_squares_trick_removes_square_roots() -> None:
    t = sp.Symbol("t", nonnegative=True)
    plain = check_symbolic("demo", "s", "sqrt(t) <= sqrt(t+1)", sp.sqrt(t), sp.sqrt(t + 1), "<=")
    squared = check_symbolic("demo", "s", "sqrt(t) <= sqrt(t+1)", sp.sqrt(t), sp.sqrt(t + 1),
                             "<=", squares=True)
    assert plain.status == "inconclusive"
    assert squared.status == "verified"
    y = sp.Symbol("y", real=True)
    assert check_symbolic("demo", "s", "y <= 1", y, sp.Integer(1), "<=",
                          squares=True).status == "inconclusive"


def test_false_trajectory_step_names_the_bad_record() -> None:
    records = {"t": np.arange(1.0, 6.0), "value": np.array([0.1, 0.2, 1.5, 0.3, 0.4])}
    result = check_trajectory("demo", "s", "value <= 1", lambda t, value: 1 - value, records)
    assert result.status == "violated"
    assert result.counterexample == {"t": 3.0, "value": 1.5}


def test_sequence_instances_are_reported_whole() -> None:
    def sample(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        return {"seq": rng.uniform(-1.0, 1.0, (n, 4))}

    result = check_numeric("demo", "s", "sum(seq) <= 3", lambda seq: 3 - seq.sum(axis=1) - 2.5,
                           sample)
    assert result.status == "violated"
    assert result.counterexample is not None
    seq = result.counterexample["seq"]
    assert isinstance(seq, list) and len(seq) == 4 and sum(seq) > 0.5


def _result(status: str, method: str = "symbolic", slack: float = 0.0) -> StepResult:
    return StepResult("p", "s", "part", method, status, slack, 5)  # type: ignore[arg-type]


def test_combine_is_verified_only_if_every_part_is() -> None:
    assert combine("p", "s", "all", [_result("verified")] * 3).status == "verified"
    mixed = combine("p", "s", "all", [_result("verified"), _result("inconclusive")])
    assert mixed.status == "inconclusive"
    bad = combine("p", "s", "all", [_result("verified", "numeric", 0.5),
                                    _result("violated", "symbolic", float("nan"))])
    assert bad.status == "violated" and bad.method == "numeric"
    assert bad.worst_slack == 0.5 and bad.instances == 10
    with pytest.raises(ValueError, match="at least one part"):
        combine("p", "s", "all", [])


def test_relative_slack_is_relative_for_large_values_only() -> None:
    assert relative_slack(1e6, 2e6) == pytest.approx(0.5)
    assert relative_slack(0.1, 0.3) == pytest.approx(0.2)


def test_a_bound_that_is_not_a_real_number_is_violated_not_a_crash() -> None:
    # (1 - gamma)^(3/2) with the 1 removed is imaginary: no inequality of reals holds.
    assert relative_slack(1.0, 2.0j)[()] == -np.inf
    result = check_numeric("demo", "complex", "x <= i x", lambda x: relative_slack(x, 1j * x),
                           _unit_interval)
    assert result.status == "violated" and result.counterexample is not None
    assert "not a real number" in result.detail


def test_an_undefined_side_is_violated_before_any_evaluation() -> None:
    # a dropped factor can make a denominator 1 - 1 = 0: sympy's zoo, which lambdify cannot
    # print (KeyError 'ComplexInfinity' crashed the falsification before)
    x = sp.Symbol("x", positive=True)
    for check in (lambda: check_symbolic("demo", "zoo", "x <= zoo", x, sp.zoo * x, "<="),
                  lambda: check_inequality("demo", "zoo", "x <= zoo", x, sp.zoo * x, "<=",
                                           Domain((Var(x, 1e-3, 2.0),)))):
        result = check()
        assert result.status == "violated" and "zoo" in result.detail


def test_sympy_out_of_its_cpu_budget_leaves_the_decision_to_falsification(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import proofs_check.core as core

    def sympy_that_never_finishes(*args: object, **kwargs: object) -> StepResult:
        while True:
            pass

    monkeypatch.setattr(core, "_symbolic", sympy_that_never_finishes)
    monkeypatch.setattr(core, "SYMBOLIC_CPU_LIMIT", 0.3)
    x = sp.Symbol("x", positive=True)
    box = Domain((Var(x, 1e-3, 2.0),))
    false = check_inequality("demo", "slow", "x^2 <= x", x**2, x, "<=", box)
    assert false.status == "violated" and "no decision within 0.3 s of CPU" in false.detail
    true = check_inequality("demo", "slow", "x <= 2x", x, 2 * x, "<=", box)
    assert true.status == "verified" and true.method == "falsification"


def test_no_instance_is_inconclusive_not_verified() -> None:
    result = check_trajectory("demo", "s", "value <= 1", lambda value: 1 - value,
                              {"value": np.array([])})
    assert (result.status, result.detail, result.instances) == ("inconclusive", "no instances", 0)


def test_a_non_finite_slack_is_inconclusive_at_its_instance() -> None:
    records = {"t": np.arange(1.0, 4.0), "value": np.array([0.1, np.nan, 0.3]),
               "run": np.array([7.0])}                     # neither per instance: left out
    result = check_trajectory("demo", "s", "value <= 1", lambda t, value, run: 1 - value,
                              records)
    assert result.status == "inconclusive" and result.detail == "1 non-finite slacks"
    assert result.counterexample is not None
    assert result.counterexample["t"] == 2.0 and set(result.counterexample) == {"t", "value"}


def test_the_cpu_budget_applies_in_the_main_thread_only_and_never_nests() -> None:
    import threading

    from proofs_check.core import CheckTimeout, cpu_budget

    def spend(seconds: float) -> None:
        start = time.process_time()
        while time.process_time() - start < seconds:
            pass

    with pytest.raises(CheckTimeout, match="no decision within 0.05 s of CPU"):
        with cpu_budget(0.05):
            spend(5.0)
    with cpu_budget(0.5):
        with cpu_budget(0.01):                     # a timer is armed already: unlimited
            spend(0.05)
    errors: list[BaseException] = []

    def in_a_thread() -> None:
        try:
            with cpu_budget(0.01):
                spend(0.05)
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert errors == []
