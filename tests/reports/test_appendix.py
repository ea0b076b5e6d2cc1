"""The appendix is generated from the checked objects: every step's statement and result is
in it, every derivation line names a real proof step, and the LaTeX is escaped."""

from __future__ import annotations

from pathlib import Path

import pytest

from proofs_check import checks_file
from proofs_check.core import StepResult
from proofs_check.registry import steps
from reports import appendix
from reports.markup import inline_latex, latex_escape
from theory.registry import bounds, derivations
from verify_io.files import TEMP_SUFFIX


@pytest.fixture(scope="module")
def results() -> list[StepResult]:
    # Stand-in results for every registered step (the real ones are tested in
    # tests/proofs_check); the appendix must carry each one.
    return [StepResult(s.proof, s.name, s.statement, "numeric", "verified", 0.25, 1000)
            for s in steps()]


def test_every_derivation_line_names_an_existing_step_and_covers_its_proof() -> None:
    registered = {(s.proof, s.name) for s in steps()}
    for der in derivations():
        for name in der.steps:
            assert any(p == der.proof and (s == name or s.startswith(name + "-"))
                       for p, s in registered), f"{der.name}: no step {name!r}"
        for proof, step in registered:
            if proof == der.proof:
                assert step.split("-")[0] in der.steps, f"step {step} not in {der.name}"


def test_markdown_and_latex_contain_every_step_statement(results: list[StepResult]) -> None:
    md = appendix.markdown(derivations(), bounds(), results)
    tex = appendix.latex(derivations(), bounds(), results)
    for r in results:
        assert r.statement.replace("|", "\\|") in md
        assert latex_escape(r.statement) in tex
    for b in bounds():
        assert b.latex() in md and b.latex() in tex
    assert "not checked in this run" not in md


def test_without_results_every_line_says_so() -> None:
    md = appendix.markdown(derivations(), bounds(), None)
    assert "not checked in this run" in md
    assert "Every checked step" not in md


def test_tex_escapes_prose_but_keeps_math() -> None:
    assert inline_latex("a_b & 50% $x_1^2$") == r"a\_b \& 50\% $x_1^2$"
    assert latex_escape("s^_t <= G^2") == (
        r"s\textasciicircum{}\_t \textless{}= G\textasciicircum{}2")


def test_write_appendix_writes_both_files_atomically(tmp_path: Path,
                                                      results: list[StepResult]) -> None:
    md, tex = appendix.write_appendix(tmp_path, results)
    assert md == tmp_path / "theory" / "derivations.md"
    assert tex == tmp_path / "tables" / "derivations.tex"
    assert md.read_text().startswith("# Appendix")
    assert r"\begin{longtable}" in tex.read_text()
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(TEMP_SUFFIX)]
    assert leftovers == []


def test_results_round_trip_through_json(tmp_path: Path) -> None:
    import json

    rows = [StepResult("p", "s", "x <= y", "symbolic", "inconclusive", float("nan"), 0)]
    path = tmp_path / "checks.json"
    path.write_text(json.dumps({"results": checks_file.results_to_json(rows)}))
    (back,) = checks_file.read_results(path)
    assert back.status == "inconclusive" and back.worst_slack != back.worst_slack  # NaN


def test_appendix_shows_the_results_stored_in_checks_json(tmp_path: Path) -> None:
    import json

    row = StepResult("dwmgrad_regret", "L1", "stub statement for L1", "symbolic", "verified",
                     0.0, 0)
    stored = tmp_path / checks_file.CHECKS_PATH
    stored.parent.mkdir(parents=True)
    stored.write_text(json.dumps({"results": checks_file.results_to_json([row])}))
    md, tex = appendix.write_appendix(tmp_path)
    assert "L1: verified, decided by symbolic 1" in md.read_text()
    assert "stub statement for L1" in tex.read_text()
    (tmp_path / checks_file.CHECKS_PATH).unlink()
    md, _ = appendix.write_appendix(tmp_path)
    assert "L1: verified, decided by symbolic 1" not in md.read_text()
    assert "not checked in this run" in md.read_text()


def test_an_invalid_checks_file_is_named_in_the_appendix(tmp_path: Path) -> None:
    stored = tmp_path / checks_file.CHECKS_PATH
    stored.parent.mkdir(parents=True)
    stored.write_text('{"results": [{"proof": 1}]')          # truncated JSON
    md, tex = appendix.write_appendix(tmp_path)
    assert md.read_text().startswith(f"> invalid data: {stored} is not a checks file")
    assert "invalid data" in tex.read_text().splitlines()[0]
