"""Mutation testing of the checker: sites, the independent oracle, the score kept >= 90 %."""

from __future__ import annotations

import importlib

import pytest
import sympy as sp

from dwmgrad_verify.cli import main
from proofs_check import mutants as mt
from proofs_check.core import Statement
from proofs_check.falsify import Domain, Var

x = sp.Symbol("x", positive=True)
y = sp.Symbol("y", positive=True)


def test_sites_cover_every_operator_without_repeats() -> None:
    found = mt.sites(2 * x * sp.sqrt(y) + x)
    operators = {op for op, _, _ in found}
    assert operators == {"double", "halve", "drop factor", "remove term", "flip exponent"}
    exprs = [e for _, _, e in found]
    assert len(exprs) == len(set(exprs)) and 2 * x * sp.sqrt(y) + x not in exprs
    assert x * sp.sqrt(y) * 2 in exprs or 2 * x * sp.sqrt(y) in exprs  # "+ x" removed
    assert 2 * x / sp.sqrt(y) + x in exprs  # sqrt(y) flipped


def test_at_least_40_mutants_over_the_four_derivations() -> None:
    chosen = mt.spread(mt.mutants(), 2)
    assert len(chosen) >= 40
    assert {m.theory for m in chosen} == {"theory.dwmgrad", "theory.heavy_ball",
                                          "theory.identities"}
    targets = {m.target for m in chosen}
    assert {"DEMON_BETA", "EVEN_P", "ALPHA_STAR", "STEP_BOUND"} <= targets  # Demon, Aida


def test_dependent_steps_are_the_ones_reading_the_target() -> None:
    (mutant,) = [m for m in mt.mutants() if m.target == "STEP_BOUND"][:1]
    module = importlib.import_module(mutant.proof_module)
    assert [s.name for s in mt.dependent_steps(mutant, module)] == ["L2", "L4"]


def test_the_oracle_exhibits_a_violation_and_measures_slack() -> None:
    box = Domain((Var(x, 1e-3, 2.0),))
    truth, slack, detail = mt.oracle([Statement(x**2, x, "<=", box)])
    assert truth == "false" and slack < 0 and "fails at" in detail
    truth, slack, _ = mt.oracle([Statement(x, 2 * x, "<=", box)])
    assert truth == "still true" and slack == pytest.approx(0.5)


def test_a_wrong_aida_cap_is_false_and_caught() -> None:
    mutant = next(m for m in mt.mutants() if m.target == "AIDA_CAP" and m.operator == "halve")
    outcome = mt.run_mutant(mutant)
    assert outcome.truth == "false" and outcome.caught
    import theory.identities as ids
    assert ids.AIDA_CAP != mutant.expr  # restored


def test_a_mutant_whose_checks_run_out_of_cpu_survives_as_timeout() -> None:
    mutant = next(m for m in mt.mutants() if m.target == "STEP_TERM_STEP")
    outcome = mt.run_isolated(mutant, cpu_seconds=1)
    assert outcome.reported == "timeout" and not outcome.caught
    assert outcome.truth == "false"  # counted against the score, never for it


def test_mutants_options_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--per-target", "2"]) == 2
    assert main(["check", "--mutants", "--proof", "demon_schedule"]) == 2
    with pytest.raises(SystemExit):
        main(["check", "--mutants", "--per-target", "0"])
    assert "per-target" in capsys.readouterr().err


@pytest.mark.slow
def test_mutation_score_stays_at_least_90_percent() -> None:
    outcomes = mt.run_all(mt.spread(mt.mutants(), 2))
    score = mt.score(outcomes)
    assert score.false >= 30
    assert score.value >= 0.9, "\n".join(mt.report(outcomes))
