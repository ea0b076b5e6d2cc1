"""Claims resting on a regret bound say "holds" only where the bound is informative
(bound/trivial < 1): all-vacuous rows give "vacuous", a row above its bound "violated", a
mix "holds" naming the vacuous rows, and a bad bound/trivial "invalid data"."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from report_fake_results import bound_tightness, dwmgrad_regret

from reports.claims import judge
from reports.results import load_results
from reports.verdicts import Verdict

BOUND_CLAIMS = ("dwmgrad-convergence-analysed", "dwmgrad-constant-momentum-bound")


def _judge_with(result_dir: Path, change: Callable[[dict[str, Any]], None]) -> dict[str, Verdict]:
    doc = dwmgrad_regret()
    for row in doc["metrics"]["rows"]:
        if row["bound"] is not None:
            change(row)
    (result_dir / "measurements" / "dwmgrad_regret.json").write_text(json.dumps(doc))
    return {j.claim.id: j.verdict for j in judge(load_results(result_dir))}


def _vacuous(row: dict[str, Any]) -> None:
    row["trivial"] = row["bound"] / 2
    row["bound_over_trivial"], row["vacuous"] = 2.0, True


@pytest.mark.parametrize("claim", BOUND_CLAIMS)
def test_every_row_vacuous_is_vacuous_never_holds(result_dir: Path, claim: str) -> None:
    verdict = _judge_with(result_dir, _vacuous)[claim]
    assert verdict.status == "vacuous"
    assert "would become informative" in verdict.reason and "T = 420" in verdict.reason


def test_a_series_with_no_informative_horizon_says_why(result_dir: Path) -> None:
    """informative_T None (K_T still growing, or no T below 1e12) reads as such, never as a
    horizon 'None'."""
    doc = dwmgrad_regret()
    for row in doc["metrics"]["rows"]:
        if row["bound"] is not None:
            _vacuous(row)
    doc["metrics"]["informative_T"]["constant_momentum"]["online_linear"] = None
    (result_dir / "measurements" / "dwmgrad_regret.json").write_text(json.dumps(doc))
    verdict = {j.claim.id: j.verdict for j in judge(load_results(result_dir))}[
        "dwmgrad-constant-momentum-bound"]
    assert verdict.status == "vacuous"
    assert "online_linear at T = none (none below 1e12, or K_T still growing" in verdict.reason
    assert "T = None" not in verdict.reason


@pytest.mark.parametrize("claim", BOUND_CLAIMS)
def test_a_row_above_its_bound_is_violated(result_dir: Path, claim: str) -> None:
    def above(row: dict[str, Any]) -> None:
        if row["T"] == 1000 and row["problem"] == "online_linear":
            row["ratio_max"] = 1.5

    verdict = _judge_with(result_dir, above)[claim]
    assert verdict.status == "violated"
    assert "online_linear T=1000" in verdict.reason


@pytest.mark.parametrize("claim", BOUND_CLAIMS)
def test_a_mix_holds_on_the_informative_rows_and_names_the_vacuous(result_dir: Path,
                                                                    claim: str) -> None:
    verdict = _judge_with(result_dir, lambda row: None)[claim]
    assert verdict.status == "holds"
    assert "on all 4 informative rows" in verdict.reason   # T = 1000, 10000 on two problems
    assert "vacuous (not counted)" in verdict.reason and "online_linear T=10," in verdict.reason
    labels = {e.label: e.value for e in verdict.evidence}
    assert any(label.startswith("tightness of dwmgrad") and "on " in str(value)
               for label, value in labels.items())
    assert any("bound/trivial over T" in label for label in labels)


@pytest.mark.parametrize("claim", BOUND_CLAIMS)
@pytest.mark.parametrize("bad", [math.nan, None, "0.5"])
def test_a_bad_bound_over_trivial_is_invalid_data(result_dir: Path, claim: str,
                                                  bad: object) -> None:
    def corrupt(row: dict[str, Any]) -> None:
        row["bound_over_trivial"] = bad

    verdict = _judge_with(result_dir, corrupt)[claim]
    assert verdict.status == "invalid data"
    assert "dwmgrad_regret.json" in verdict.reason


def test_the_tuned_variant_is_not_read_as_the_analysed_one(result_dir: Path) -> None:
    """Exact variant reading: rows of 'analysed:tuned' count for the λ < 1 bound's claim
    (same bound), rows of 'constant_momentum' do not."""
    def constant_only_vacuous(row: dict[str, Any]) -> None:
        if row["variant"] == "constant_momentum":
            _vacuous(row)

    judged = _judge_with(result_dir, constant_only_vacuous)
    assert judged["dwmgrad-constant-momentum-bound"].status == "vacuous"
    assert judged["dwmgrad-convergence-analysed"].status == "holds"


@pytest.mark.parametrize("ratio", [1.5, 1.0001])
def test_a_bound_exceeded_on_a_searched_sequence_is_violated(result_dir: Path,
                                                             ratio: float) -> None:
    """"No instance exceeds 1" is a real check: bound_tightness fed a sequence of the
    counterexample search on which the constant-momentum bound is exceeded makes the claim
    violated, naming the sequence's replay file, while the λ < 1 bound's claim still holds."""
    doc = bound_tightness(exceeded=ratio)
    (result_dir / "measurements" / "bound_tightness.json").write_text(json.dumps(doc))
    judged = _judge_with(result_dir, lambda row: None)
    verdict = judged["dwmgrad-constant-momentum-bound"]
    assert verdict.status == "violated"
    assert "measurements/counterexamples/DWMGrad-0.json (counterexample search" in verdict.reason
    assert judged["dwmgrad-convergence-analysed"].status == "holds"
    below = bound_tightness(exceeded=0.99)
    (result_dir / "measurements" / "bound_tightness.json").write_text(json.dumps(below))
    assert _judge_with(result_dir, lambda row: None)[
        "dwmgrad-constant-momentum-bound"].status == "holds"
