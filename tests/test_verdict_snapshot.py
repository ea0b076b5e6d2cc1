"""Verdicts of ``all --scale quick`` against the snapshot taken before round 2's redesign.

``tests/data/verdicts_round1.json`` holds every claim's verdict at 892f1c6; every verdict that
changed since, every claim added or removed, must be listed in
``tests/data/verdict_changes.json`` with the commit that changed it on purpose and why. An
unlisted difference fails: a redesign may not move a verdict silently.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


def unexplained_differences(before: dict[str, str], after: dict[str, str],
                            changes: dict[str, dict[str, str]]) -> list[str]:
    """Every claim whose verdict moved (or that appeared / vanished) without a matching entry."""
    problems = []
    for claim in sorted(set(before) | set(after)):
        old, new = before.get(claim, "absent"), after.get(claim, "absent")
        if old == new:
            continue
        entry = changes.get(claim)
        if entry is None or entry.get("from") != old or entry.get("to") != new:
            problems.append(f"{claim}: {old} -> {new} is not listed in verdict_changes.json")
        elif not entry.get("commit") or not entry.get("why"):
            problems.append(f"{claim}: the listed change has no commit or no reason")
    return problems


def test_an_unlisted_change_is_reported() -> None:
    before = {"a": "holds", "b": "violated"}
    after = {"a": "violated", "b": "violated", "c": "holds"}
    assert unexplained_differences(before, after, {}) == [
        "a: holds -> violated is not listed in verdict_changes.json",
        "c: absent -> holds is not listed in verdict_changes.json",
    ]
    listed = {"a": {"from": "holds", "to": "violated", "commit": "abc", "why": "x"},
              "c": {"from": "absent", "to": "holds", "commit": "abc", "why": "new claim"}}
    assert unexplained_differences(before, after, listed) == []
    wrong_direction = {**listed, "a": {"from": "violated", "to": "holds", "commit": "abc",
                                       "why": "x"}}
    assert unexplained_differences(before, after, wrong_direction) == [
        "a: holds -> violated is not listed in verdict_changes.json"]


@pytest.mark.slow
def test_quick_verdicts_match_the_snapshot_or_are_explained(tmp_path: Path) -> None:
    out = tmp_path / "report"
    subprocess.run([sys.executable, "-m", "dwmgrad_verify.cli", "all", "--scale", "quick",
                    "--out", str(out)], check=True, capture_output=True, timeout=1800)
    claims = json.loads((out / "claims.json").read_text())["claims"]
    after = {c["id"]: c["verdict"] for c in claims}
    before = json.loads((DATA / "verdicts_round1.json").read_text())["verdicts"]
    changes = json.loads((DATA / "verdict_changes.json").read_text())["changes"]
    assert unexplained_differences(before, after, changes) == []
