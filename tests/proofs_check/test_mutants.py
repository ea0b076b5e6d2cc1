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


def test_every_mutant_has_its_own_name() -> None:
    """Within its proof module (the report names the module)."""
    # REGRET_EXPR had three mutants named 'remove term 1' (the 1 of (1 - gamma lambda)^3, of
    # (1 - gamma lambda)^(3/2), and of 1 - lambda): a survivor could not be told apart
    every = mt.mutants()
    assert len({(m.proof_module, m.name) for m in every}) == len(every)
    regret = [m.name for m in every if m.name.startswith("REGRET_EXPR: remove term 1 [")]
    assert regret == [f"REGRET_EXPR: remove term 1 [{k} of 3]" for k in (1, 2, 3)]


def test_mutants_spread_over_every_derivation() -> None:
    chosen = mt.spread(mt.mutants(), 2)
    assert {m.theory for m in chosen} == {"theory.dwmgrad", "theory.dwmgrad_constant_momentum",
                                          "theory.heavy_ball", "theory.identities",
                                          "theory.online"}
    targets = {m.target for m in chosen}
    assert {"DEMON_BETA", "EVEN_P", "ALPHA_STAR", "STEP_BOUND"} <= targets  # Demon, Aida


def test_swap_relation_reverses_every_inequality() -> None:
    assert mt.swap_relation(sp.Le(x, y)) == sp.Ge(x, y, evaluate=False)
    assert mt.swap_relation(sp.Ge(x, y)) == sp.Le(x, y, evaluate=False)
    assert mt.swap_relation(sp.Lt(x, y)) == sp.Gt(x, y, evaluate=False)
    assert mt.swap_relation(sp.Gt(x, y)) == sp.Lt(x, y, evaluate=False)
    with pytest.raises(ValueError, match="not an inequality"):
        mt.swap_relation(sp.Eq(x, y))


def test_every_module_has_relation_mutants_and_the_sample_is_fixed() -> None:
    every = mt.mutants()
    swapped = {m.proof_module for m in every if m.operator == mt.SWAP_STEP}
    assert swapped == {module for _, module, _ in mt.TARGETS}
    constraints = {m.site for m in every if m.operator == mt.SWAP_CONSTRAINT}
    assert constraints == {"t <= T", "L >= mu"}
    first, again = mt.sample(every, 14), mt.sample(every, 14)
    per_module = {module: sum(m.proof_module == module for m in every)
                  for _, module, _ in mt.TARGETS}
    assert first == again and len(first) == sum(min(14, n) for n in per_module.values())
    assert sum(n >= 14 for n in per_module.values()) >= 4  # the four derivations: a full 14
    assert {m.operator for m in first} >= {mt.SWAP_STEP, mt.SWAP_CONSTRAINT, "drop factor"}
    assert mt.sample(every, 14, seed=1) != first


def test_a_reversed_lemma_is_false_and_caught() -> None:
    """Demon's beta_t is decreasing (d beta/dt <= 0); claimed increasing, the checker must
    report violated and the oracle exhibit an instance."""
    mutant = next(m for m in mt.mutants() if m.operator == mt.SWAP_STEP
                  and m.target == "decreasing")
    outcome = mt.run_mutant(mutant)
    assert outcome.truth == "false" and outcome.caught, outcome
    import proofs_check.identities as proof
    assert proof.check_inequality.__module__ == "proofs_check.core"  # restored


def test_report_gives_the_kill_rate_per_module() -> None:
    def outcome(module: str, truth: mt.Truth, reported: str) -> mt.Outcome:
        mutant = mt.Mutant("theory.x", module, "X", "halve", "", x)
        return mt.Outcome(mutant, truth, -1.0, "", reported, "", ())

    lines = mt.report([outcome("a", "false", "violated"), outcome("a", "false", "verified"),
                       outcome("b", "false", "violated"), outcome("b", "still true", "verified")])
    assert lines[0].startswith("mutation score: 2/3 false mutants reported violated (66.7 %)")
    assert lines[1:3] == ["  a: 1/2 killed (50.0 %), 0 still true",
                          "  b: 1/1 killed (100.0 %), 1 still true"]


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


def test_the_oracle_looks_past_a_degenerate_corner() -> None:
    """AIDA_CAP with beta1**t flipped to beta1**(-t) is false: 1 - beta1^(-t) < 0 for
    0 < beta1 < 1, so the 'cap' is negative and the step's identity cap = (alpha/(1 -
    beta1^t))/sqrt(floor) fails with relative slack -1 everywhere. The oracle called it still
    true (slack inf): the 5 worst grid points it confirmed were all at beta1 = 0, where sympy
    cannot evaluate 0**(-t), and the other 59,044 violations were never looked at."""
    import theory.identities as ids
    from proofs_check.identities import DOMAIN

    root = sp.sqrt(x)     # sqrt(1 - beta2), as the step writes it (beta2 = 1 - x)
    cap = ids.alpha * root / (sp.sqrt(ids.eps) * (1 - ids.beta1**ids.step_t))
    flipped = ids.alpha * root / (sp.sqrt(ids.eps) * (1 - ids.beta1**-ids.step_t))
    truth, slack, detail = mt.oracle([Statement(flipped - cap, sp.Integer(0), "==", DOMAIN)])
    assert truth == "false" and slack == pytest.approx(-1.0), detail
    same = ids.alpha * root * (1 + ids.beta1**ids.step_t) / (
        sp.sqrt(ids.eps) * (1 - ids.beta1 ** (2 * ids.step_t)))   # the cap, written otherwise
    truth, _, detail = mt.oracle([Statement(same - cap, sp.Integer(0), "==", DOMAIN)])
    assert truth == "still true", detail


def test_a_wrong_aida_cap_is_false_and_caught() -> None:
    mutant = next(m for m in mt.mutants() if m.target == "AIDA_CAP" and m.operator == "halve")
    outcome = mt.run_mutant(mutant)
    assert outcome.truth == "false" and outcome.caught
    import theory.identities as ids
    assert ids.AIDA_CAP != mutant.expr  # restored


@pytest.mark.slow  # 66 s of sympy and mpmath: the slow step (CI runs it)
def test_the_oracle_calls_an_imaginary_or_undefined_bound_false() -> None:
    """MOMENTUM_TERM_STEP without the 1 of (1 - gamma lambda)^(3/2) is imaginary: the checker
    reported it violated while the oracle, skipping non-real grid points, called it still true
    (the one false alarm of the last full run). A false constant statement and a side that is
    zoo (a denominator 1 - 1) were never classified false either."""
    box = Domain((Var(x, 1e-3, 2.0),))
    assert mt.oracle([Statement(x, sp.I * x, "<=", box)])[0] == "false"
    assert mt.oracle([Statement(sp.Integer(2), sp.Integer(1), "<=")])[0] == "false"
    assert mt.oracle([Statement(x, sp.zoo * x, "<=", box)])[0] == "false"
    assert mt.oracle([Statement(sp.I * x, sp.I * x, "==", box)])[0] == "still true"
    mutant = next(m for m in mt.mutants()
                  if m.name == "MOMENTUM_TERM_STEP: remove term 1")
    outcome = mt.run_mutant(mutant)
    assert outcome.truth == "false" and outcome.caught, outcome


@pytest.mark.slow  # 9 s: sympy gives up on the theorem's identity, falsification decides
def test_the_imaginary_regret_bound_is_caught() -> None:
    """REGRET_EXPR without the 1 of (1 - gamma lambda)^(3/2) (imaginary): the one surviving
    false mutant of the last full run, 'verified numerically' by the theorem step."""
    mutant = next(m for m in mt.mutants() if m.name == "REGRET_EXPR: remove term 1 [3 of 3]")
    assert mutant.expr is not None and mutant.expr.has(sp.I)
    outcome = mt.run_mutant(mutant)
    assert outcome.truth == "false" and outcome.caught, outcome
    assert "dwmgrad_regret:theorem" in outcome.steps


@pytest.mark.slow  # 25 s of CPU: sympy, then falsification
@pytest.mark.parametrize("name", ["BETA_STAR: flip exponent sqrt(L) [1 of 2]",
                                  "AIDA_CAP: flip exponent beta1**t"])
def test_mutants_that_timed_out_or_were_misclassified_are_decided(name: str) -> None:
    """The last full run: this BETA_STAR mutant timed out (sp.discriminant on the mutated
    beta*, outside any sympy budget) and was called still true (slack inf); the AIDA_CAP one
    was a 'false alarm' (still true by an oracle that looked only at a degenerate corner).
    Both are false and caught, well within the CPU limit."""
    mutant = next(m for m in mt.mutants() if m.name == name)
    outcome = mt.run_isolated(mutant, cpu_seconds=120)
    assert outcome.truth == "false" and outcome.caught, outcome


def test_a_step_that_crashes_is_an_error_still_classified(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash of the checker (the 7 'timeouts' of the last run were a TypeError on a complex
    value and KeyErrors on zoo) is reported as an error, and the oracle still classifies."""
    box = Domain((Var(x, 1e-3, 2.0),))

    def crashing_step() -> mt.StepResult:
        from proofs_check.core import check_inequality
        check_inequality("demo", "s", "x^2 <= x", x**2, x, "<=", box)   # recorded
        raise TypeError("float() argument must be a string or a real number, not 'complex'")

    step = mt.ProofStep("demo", "s", "x^2 <= x", crashing_step)
    monkeypatch.setattr(mt, "dependent_steps", lambda mutant, module: [step])
    mutant = next(m for m in mt.mutants() if m.target == "STEP_TERM_STEP")
    outcome = mt.run_mutant(mutant)
    assert outcome.reported == "error" and "TypeError" in outcome.checker_detail, outcome
    assert outcome.truth == "false" and "fails at" in outcome.oracle_detail


def test_checks_out_of_cpu_are_a_timeout_the_oracle_still_classifies(
        monkeypatch: pytest.MonkeyPatch) -> None:
    box = Domain((Var(x, 1e-3, 2.0),))

    def step_that_never_finishes() -> mt.StepResult:
        from proofs_check.core import check_inequality
        check_inequality("demo", "s", "x^2 <= x", x**2, x, "<=", box)   # recorded
        while True:
            pass

    step = mt.ProofStep("demo", "s", "x^2 <= x", step_that_never_finishes)
    monkeypatch.setattr(mt, "dependent_steps", lambda mutant, module: [step])
    mutant = next(m for m in mt.mutants() if m.target == "STEP_TERM_STEP")
    outcome = mt.run_isolated(mutant, cpu_seconds=2)
    assert outcome.reported == "timeout" and not outcome.caught, outcome
    assert outcome.truth == "false" and "fails at" in outcome.oracle_detail


def test_a_timeout_after_true_statements_counts_against_the_score(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks stopped after a step whose statement holds: the oracle has seen nothing
    false, but the steps not run stated nothing. Called 'still true' before, such a mutant left
    the score's denominator (three BETA_STAR mutants in the last full run, all false)."""
    from proofs_check.core import CheckTimeout, check_inequality

    box = Domain((Var(x, 1e-3, 2.0),))

    def true_step() -> mt.StepResult:
        return check_inequality("demo", "s", "x <= 2x", x, 2 * x, "<=", box)

    def step_out_of_cpu() -> mt.StepResult:
        raise CheckTimeout("the checker did not finish within 240 s of CPU")

    steps = [mt.ProofStep("demo", "s", "x <= 2x", true_step),
             mt.ProofStep("demo", "t", "never decided", step_out_of_cpu)]
    monkeypatch.setattr(mt, "dependent_steps", lambda mutant, module: steps)
    mutant = next(m for m in mt.mutants() if m.target == "STEP_TERM_STEP")
    outcome = mt.run_mutant(mutant)
    assert outcome.reported == "timeout" and not outcome.caught, outcome
    assert outcome.truth == "false" and "not classified" in outcome.oracle_detail
    assert mt.score([outcome]).false == 1


def test_workers_run_mutants_side_by_side_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    def quick(mutant: mt.Mutant) -> mt.Outcome:
        return mt.Outcome(mutant, "false", -1.0, "", "violated", "", ())

    monkeypatch.setattr(mt, "run_mutant", quick)
    chosen = mt.mutants()[:5]
    seen: list[str] = []
    outcomes = mt.run_all(chosen, progress=lambda o: seen.append(o.mutant.name), workers=2)
    assert [o.mutant for o in outcomes] == chosen and sorted(seen) == sorted(
        m.name for m in chosen)


def test_a_mutant_whose_checks_run_out_of_cpu_survives_as_timeout(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The forked child runs this stand-in for the checker, which never finishes: whether the
    # real checks of a mutant take over 1 s depends on what earlier tests left in sympy's caches.
    def checks_that_never_finish(mutant: mt.Mutant) -> mt.Outcome:
        while True:
            pass

    monkeypatch.setattr(mt, "run_mutant", checks_that_never_finish)
    mutant = next(m for m in mt.mutants() if m.target == "STEP_TERM_STEP")
    outcome = mt.run_isolated(mutant, cpu_seconds=1)
    assert outcome.reported == "timeout" and not outcome.caught
    assert outcome.truth == "false"  # counted against the score, never for it


def test_mutants_options_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--per-target", "2"]) == 2
    assert main(["check", "--mutants", "--proof", "demon_schedule"]) == 2
    assert main(["check", "--per-module", "2"]) == 2
    assert main(["check", "--mutants", "--per-module", "2", "--per-target", "2"]) == 2
    assert main(["check", "--mutants", "--seed", "3"]) == 2
    assert main(["check", "--workers", "2"]) == 2                       # without --mutants
    for bad in ("0", "two", "100000"):
        assert main(["check", "--mutants", "--workers", bad]) == 2
    assert "--workers" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["check", "--mutants", "--per-target", "0"])
    assert "per-target" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["check", "--mutants", "--per-module", "2", "--seed", "-1"])
    assert "--seed" in capsys.readouterr().err


#: CI's fixed sample: mutants per proof module (the full set: `check --mutants`).
CI_PER_MODULE = 14


@pytest.mark.slow
def test_mutation_score_stays_at_least_90_percent() -> None:
    outcomes = mt.run_all(mt.sample(mt.mutants(), CI_PER_MODULE))
    score = mt.score(outcomes)
    assert score.false >= 30
    assert score.value >= 0.9, "\n".join(mt.report(outcomes))
    by_module = mt.scores_by_module(outcomes)
    assert set(by_module) == {module for _, module, _ in mt.TARGETS}
    assert {o.mutant.operator for o in outcomes} >= {mt.SWAP_STEP, "drop factor", "halve"}
