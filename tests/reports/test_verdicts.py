"""The verdict vocabulary: six statuses, one precedence order, used by every output."""

from __future__ import annotations

import itertools

import pytest

from reports.schema import load_schema
from reports.verdicts import (
    STATUSES,
    Counterexample,
    Evidence,
    Verdict,
    combine,
    count_statuses,
    decisive,
    tally_text,
)

ORDER = ("invalid data", "violated", "not run", "vacuous", "inconclusive", "holds")


def test_the_six_statuses_in_precedence_order() -> None:
    assert STATUSES == ORDER


@pytest.mark.parametrize(("a", "b"), list(itertools.product(ORDER, ORDER)))
def test_decisive_on_every_pair_picks_the_earlier_status(a: str, b: str) -> None:
    expected = ORDER[min(ORDER.index(a), ORDER.index(b))]
    assert decisive(a, b) == expected  # type: ignore[arg-type]
    assert decisive(b, a) == expected  # type: ignore[arg-type]


def test_decisive_needs_a_status() -> None:
    with pytest.raises(ValueError, match="at least one"):
        decisive()


def test_combine_keeps_the_decisive_reasons_and_all_evidence() -> None:
    ce = Counterexample("x", "y")
    parts = [Verdict("holds", "fine", (Evidence("a", 1),)),
             Verdict("not run", "run A", (Evidence("b", 2),)),
             Verdict("inconclusive", "unsure", (), (ce,)),
             Verdict("not run", "run B")]
    verdict = combine(parts)
    assert verdict.status == "not run"
    assert verdict.reason == "run A; run B"
    assert [e.label for e in verdict.evidence] == ["a", "b"]
    assert verdict.counterexamples == (ce,)
    assert combine([*parts, Verdict("invalid data", "f.json: NaN")]).status == "invalid data"


def test_an_unknown_status_is_rejected() -> None:
    with pytest.raises(ValueError, match="'inconclusive-ish'"):
        Verdict("inconclusive-ish", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'hold'"):
        count_statuses(["holds", "hold"])


def test_counts_and_summary_line_follow_the_order() -> None:
    counts = count_statuses(["holds", "violated", "holds", "not run"])
    assert list(counts) == list(ORDER)
    assert tally_text(counts) == "1 violated, 1 not run, 2 holds"
    assert tally_text(count_statuses([])) == "no claims"


def test_claims_schema_lists_exactly_the_statuses() -> None:
    schema = load_schema()["properties"]
    assert schema["summary"]["required"] == list(ORDER)
    assert schema["claims"]["items"]["properties"]["verdict"]["enum"] == list(ORDER)
