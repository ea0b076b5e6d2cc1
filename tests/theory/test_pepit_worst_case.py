"""PEPit's worst case is drawn only where it is accurate: the acceptance rule rejects an
inaccurate solve (and names why), and the accepted values agree with the exact worst case."""

from __future__ import annotations

import pytest

from experiments.named.heavy_ball_rate import gd_step, polyak_tuning
from theory import pepit_worst_case as pw

KAPPA = 10.0
ALPHA, BETA, _ = polyak_tuning(1.0, KAPPA)


def test_pepits_own_quadratic_class_at_l_kappa_is_rejected() -> None:
    """The solve behind the benchmark's finding (SCS, mu = 1, L = 10, N = 8): status
    'optimal', yet 0.136 of the exact worst case; rejected because its dual certificate does
    not add up and its Gram matrix is not feasible."""
    solve = pw.worst_case(ALPHA, BETA, 1.0, KAPPA, 8, normalise=False, formulation="pepit",
                          solver="SCS")
    exact = pw.quadratic_worst_case(ALPHA, BETA, 1.0, KAPPA, 8)
    assert solve.diagnostics is not None and solve.diagnostics.status == "optimal"
    assert solve.diagnostics.dual < 0.2 * exact          # the under-report
    assert not solve.accepted
    assert any("dual certificate does not add up" in p for p in solve.problems)


def test_a_solve_stopped_early_is_rejected_with_every_reason() -> None:
    solve = pw.worst_case(ALPHA, BETA, 1.0, KAPPA, 8, solver="SCS", max_iters=5)
    problems = " | ".join(solve.problems)
    assert not solve.accepted
    for reason in ("solver status", "duality gap", "dual certificate", "primal infeasible"):
        assert reason in problems


@pytest.mark.parametrize("d, reason", [
    (pw.Diagnostics("optimal_inaccurate", 1.0, 1.0, 0.0, 0.0, 0.0, 0.0), "solver status"),
    (pw.Diagnostics("optimal", 1.0, 1.1, 0.1, 0.0, 0.0, 0.0), "duality gap"),
    (pw.Diagnostics("optimal", 1.0, 1.0, 0.0, 1e-2, 0.0, 0.0), "dual certificate"),
    (pw.Diagnostics("optimal", 1.0, 1.0, 0.0, 0.0, 1e-4, 0.0), "primal infeasible"),
    (pw.Diagnostics("optimal", 1.0, 1.0, 0.0, 0.0, 0.0, 1e-4), "dual infeasible"),
    (pw.Diagnostics("optimal", float("nan"), 1.0, 0.0, 0.0, 0.0, 0.0), "non-finite"),
])
def test_each_accuracy_criterion_rejects_alone(d: pw.Diagnostics, reason: str) -> None:
    (problem,) = pw.accuracy_problems(d)
    assert reason in problem
    assert pw.accuracy_problems(pw.Diagnostics("optimal", 1.0, 1.0, 0.0, 0.0, 0.0, 0.0)) == []


@pytest.mark.parametrize("kappa, steps", [(10.0, 8), (100.0, 4), (1000.0, 8)])
def test_accepted_values_agree_with_the_exact_worst_case_over_quadratics(
        kappa: float, steps: int) -> None:
    alpha, beta, _ = polyak_tuning(1.0, kappa)
    ref = pw.reference(alpha, beta, 1.0, kappa, steps, "quadratic")
    assert ref.accepted, ref.problems
    assert ref.worst_case == pytest.approx(ref.exact_quadratic, rel=pw.EXACT_TOL)
    # GD over the whole smooth strongly convex class: its known tight rate q^(2N)
    gd = pw.reference(gd_step(1.0, kappa), 0.0, 1.0, kappa, steps, "smooth_strongly_convex")
    q = (kappa - 1) / (kappa + 1)
    assert gd.accepted and gd.worst_case == pytest.approx(q ** (2 * steps), rel=1e-4)


def test_a_value_that_contradicts_the_exact_worst_case_is_rejected() -> None:
    assert pw.exact_problem(0.99, 1.0, "quadratic") is not None
    assert pw.exact_problem(1.0005, 1.0, "quadratic") is None
    assert pw.exact_problem(0.5, 1.0, "smooth_strongly_convex") is not None
    assert pw.exact_problem(5.0, 1.0, "smooth_strongly_convex") is None


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="0 < mu <= L"):
        pw.worst_case(ALPHA, BETA, 2.0, 1.0, 4)
    with pytest.raises(ValueError, match="function_class"):
        pw.worst_case(ALPHA, BETA, 1.0, KAPPA, 4, "convex")  # type: ignore[arg-type]
