"""The outcome shares on Reddi's Theorem 1 game: exact counts over 21 starts and 21 loss
offsets per optimizer, in the claims' evidence; a start or an offset that decides where the
published DWMGrad ends is named in its verdict; counts that are not those of the recorded
final iterates are invalid data."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from reports.claims import judge
from reports.results import load_results
from reports.tables import reddi_outcomes_table
from reports.verdicts import Verdict


def _verdicts(root: Path) -> dict[str, Verdict]:
    return {j.claim.id: j.verdict for j in judge(load_results(root))}


def test_shares_are_exact_counts_in_the_evidence_and_the_deciding_condition_is_named(
        result_dir: Path) -> None:
    verdicts = _verdicts(result_dir)
    published = verdicts["dwmgrad-convergence-published"]
    texts = {e.label: str(e.value) for e in published.evidence}
    start = next(v for k, v in texts.items() if "DWMGrad (loss): where it ends over 21 starts"
                 in k)
    assert start == "10/21 end at +1, 11/21 at -1 (x*), 0/21 elsewhere (starts -1 .. 1)"
    assert ("where DWMGrad (loss) ends is decided by start (10 of 21 end at +1) and by loss "
            "offset (11 of 21 end at +1)") in published.reason
    adam = {e.label: str(e.value) for e in verdicts["reddi-adam-failure"].evidence}
    assert any(v.startswith("21/21 end at +1") for k, v in adam.items() if "Adam" in k)
    for verdict in verdicts.values():             # counts, never a degenerate interval
        for e in verdict.evidence:
            for low, high in re.findall(r"\[([-\d.e+]+), ([-\d.e+]+)\]", str(e.value)):
                assert float(low) != float(high), (e.label, e.value)


def test_the_table_lists_every_optimizer_and_condition(result_dir: Path) -> None:
    table = reddi_outcomes_table(load_results(result_dir))
    assert [row[:2] for row in table.rows] == [
        [label, condition] for label in ("DWMGrad (loss)", "Adam", "AMSGrad")
        for condition in ("start", "loss offset")]
    assert table.rows[0][3:] == ["21", "10", "11", "0"]


def _tamper(root: Path, edit: Any) -> Verdict:
    path = root / "measurements" / "reddi.json"
    doc = json.loads(path.read_text())
    edit(doc["metrics"]["outcomes"]["shares"]["DWMGrad (loss)"]["start"])
    path.write_text(json.dumps(doc))
    return _verdicts(root)["reddi-adam-failure"]


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda share: share.update(at_plus_one=0, at_minus_one=21), "are not those of its 21"),
    (lambda share: share["final_x"].pop(), "differ in length"),
    (lambda share: share.update(elsewhere="0"), "expected an integer"),
    (lambda share: share.pop("at_minus_one"), "no field 'at_minus_one'"),
])
def test_a_tampered_share_is_invalid_data(result_dir: Path, edit: Any, expected: str) -> None:
    verdict = _tamper(result_dir, edit)
    assert verdict.status == "invalid data" and expected in verdict.reason, verdict.reason
