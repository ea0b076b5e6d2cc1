"""all-proof-steps-verified counts per proof: an empty or partially checked proof, or a step
that says verified with no decided sub-check, is never "all verified"."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from report_fake_results import bounds, checks

from proofs_check.registry import steps
from reports.claims.proofs import all_proof_steps
from reports.results import load_results
from reports.verdicts import Verdict
from theory.registry import derivations


def _verdict(result_dir: Path, derivations_: list[dict[str, Any]],
             change: Callable[[list[dict[str, Any]]], None] = lambda rows: None) -> Verdict:
    theory = bounds()
    theory["derivations"] = derivations_
    (result_dir / "theory" / "bounds.json").write_text(json.dumps(theory))
    doc = checks()
    change(doc["results"])
    (result_dir / "checks" / "checks.json").write_text(json.dumps(doc))
    return all_proof_steps(load_results(result_dir))


def _derivation(proof: str, cited: list[str]) -> dict[str, Any]:
    return {"name": proof, "title": proof, "proof": proof, "steps": cited, "bounds": []}


def test_every_cited_step_checked_holds_and_counts_per_method(result_dir: Path) -> None:
    verdict = _verdict(result_dir, [_derivation("dwmgrad_regret", ["L1", "L2", "L3", "L4"])])
    assert verdict.status == "holds", verdict.reason
    assert "symbolic 7" in verdict.reason and "random instances 5" in verdict.reason
    per_proof = {e.label: e.value for e in verdict.evidence}
    assert per_proof["proof dwmgrad_regret"] == "4 steps (symbolic 2, random instances 2)"


@pytest.mark.parametrize("cited", [[], ["A1", "A2"]])
def test_a_proof_with_no_checked_step_is_not_verified(result_dir: Path,
                                                      cited: list[str]) -> None:
    verdict = _verdict(result_dir, [_derivation("empty_proof", cited)])
    assert verdict.status == "not run"
    assert "empty_proof: 0 checked steps" in verdict.reason
    assert "dwmgrad-verify check --out" in verdict.reason


def test_a_cited_step_is_checked_by_its_trajectory_run(result_dir: Path) -> None:
    def rename(rows: list[dict[str, Any]]) -> None:
        rows[0]["step"] = "L1-run"

    verdict = _verdict(result_dir, [_derivation("dwmgrad_regret", ["L1", "L2"])], rename)
    assert verdict.status == "holds", verdict.reason


def test_a_partially_checked_proof_is_not_verified(result_dir: Path) -> None:
    verdict = _verdict(result_dir, [_derivation("dwmgrad_regret",
                                                ["L1", "L2", "L3", "L4", "L5", "L6"])])
    assert verdict.status == "not run"
    assert "2 of 6 steps its derivation cites have no check (L5, L6)" in verdict.reason


@pytest.mark.parametrize("decided, instances", [({}, 0), (None, 0), ({"numeric": 1}, 0),
                                                ({"symbolic": 0}, 0)])
def test_verified_without_a_decided_subcheck_is_inconclusive(
        result_dir: Path, decided: dict[str, int] | None, instances: int) -> None:
    def undecided(rows: list[dict[str, Any]]) -> None:
        rows[0]["decided_by"], rows[0]["instances"] = decided, instances

    verdict = _verdict(result_dir, [], undecided)
    assert verdict.status == "inconclusive"
    assert "dwmgrad_regret: 1 of 4 steps not decided by any sub-check (L1)" in verdict.reason


def test_a_violated_step_wins(result_dir: Path) -> None:
    def violate(rows: list[dict[str, Any]]) -> None:
        rows[1]["status"] = "violated"

    verdict = _verdict(result_dir, [_derivation("empty_proof", [])], violate)
    assert verdict.status == "violated"


def test_every_registered_derivation_cites_only_registered_steps() -> None:
    """So the real checks.json can pass: each cited step (or its -run check) is registered."""
    registered = {(s.proof, s.name) for s in steps()}
    for d in derivations():
        assert d.steps, f"derivation {d.name} cites no step"
        missing = [s for s in d.steps
                   if (d.proof, s) not in registered and (d.proof, f"{s}-run") not in registered]
        assert not missing, f"{d.name}: {missing}"
