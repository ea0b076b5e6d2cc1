"""The report builds from result files alone: every file exists, claims.json follows its
schema, missing results make claims "not run" with the command (never dropped), corrupt
ones "invalid data" naming the file, and builds are deterministic."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from report_fake_results import (
    SMALL_SKIP,
    checks,
    counterexample_search,
    dwmgrad_regret,
    write_fake_results,
)

from reports.build import ReportFiles, build_report
from reports.claims import CLAIMS, judge
from reports.figures import FIGURES
from reports.results import load_results
from reports.schema import load_schema, validate_claims
from reports.tables import TABLES

# Every test of this module that uses the shared built_report runs in one xdist worker, so
# the report (about 23 s of CPU) is built once per run, not once per worker.
pytestmark = pytest.mark.xdist_group("built_report")

REQUIRED_CLAIMS = {
    "dwmgrad-convergence-published", "dwmgrad-convergence-analysed", "dwmgrad-cost-linear",
    "dwmgrad-faster-small-scale", "polyak-rate", "lessard-cycle", "reddi-adam-failure",
    "demon-schedule", "demon-robustness", "ahb-lr-robustness", "aida-narrower-stepsizes",
}


def test_every_required_file_exists(built_report: ReportFiles) -> None:
    root = built_report.root
    for name in ("index.html", "report.md", "claims.json", "figures/cost_scaling.png"):
        assert (root / name).stat().st_size > 0, name
        assert (root / name).stat().st_mode & 0o044 == 0o044, f"{name} is not world-readable"
    for spec in FIGURES:
        for ext in ("pdf", "png"):
            path = root / "figures" / f"{spec.name}.{ext}"
            assert path.stat().st_size > 1000, path
    assert (root / "figures" / "regret_vs_bound.pdf").read_bytes().startswith(b"%PDF")
    assert (root / "figures" / "regret_vs_bound.png").read_bytes().startswith(b"\x89PNG")
    for table in TABLES:
        tex = (root / "tables" / f"{table.name}.tex").read_text()
        assert r"\toprule" in tex and r"\bottomrule" in tex, table.name
    claims_tex = (root / "tables" / "claims.tex").read_text()
    assert claims_tex.count(r"\\") >= len(CLAIMS)


def test_claims_json_validates_and_lists_every_claim(built_report: ReportFiles) -> None:
    doc = json.loads(built_report.claims_json.read_text())
    validate_claims(doc)
    ids = [c["id"] for c in doc["claims"]]
    assert ids == [c.id for c in CLAIMS]
    assert REQUIRED_CLAIMS <= set(ids)
    assert sum(doc["summary"].values()) == len(CLAIMS)
    assert all(f["status"] == "drawn" for f in doc["figures"])


def test_synthetic_verdicts(built_report: ReportFiles) -> None:
    verdicts = {c["id"]: c for c in json.loads(built_report.claims_json.read_text())["claims"]}
    published = verdicts["dwmgrad-convergence-published"]
    assert published["verdict"] == "violated"
    assert published["counterexamples"][0]["replay"].endswith("DWMGrad-0.json")
    assert "loss offsets" in published["counterexamples"][0]["detail"]
    assert verdicts["adam-counterexample-rediscovered"]["verdict"] == "holds"
    assert verdicts["dwmgrad-convergence-analysed"]["verdict"] == "holds"
    assert verdicts["polyak-rate"]["verdict"] == "holds"
    assert verdicts["reddi-adam-failure"]["verdict"] == "holds"


@pytest.mark.parametrize("broken", [
    lambda d: d["claims"][0].pop("verdict"),
    lambda d: d["claims"][0].update(verdict="maybe"),
    lambda d: d["claims"][0]["evidence"].append({"label": "x", "value": [1], "source": ""}),
    lambda d: d.update(extra=1),
    lambda d: d["summary"].update(holds=-1),
])
def test_schema_rejects_broken_documents(built_report: ReportFiles, broken: object,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    doc = json.loads(built_report.claims_json.read_text())
    broken(doc)  # type: ignore[operator]
    with pytest.raises(ValueError, match="schema"):
        validate_claims(doc)
    # the fallback validator (used when jsonschema is absent) rejects it too
    monkeypatch.setitem(__import__("sys").modules, "jsonschema", None)
    with pytest.raises(ValueError, match="schema"):
        validate_claims(doc, load_schema())


def test_missing_results_make_claims_not_run_with_the_command(tmp_path: Path) -> None:
    root = write_fake_results(tmp_path / "out", skip=("empirical", "checks"))
    judged = {j.claim.id: j.verdict for j in judge(load_results(root))}
    assert set(judged) == {c.id for c in CLAIMS}
    for cid in ("dwmgrad-faster-small-scale", "demon-robustness", "aida-narrower-stepsizes"):
        assert judged[cid].status == "not run"
        assert (f"measurements/empirical.json not found: run `dwmgrad-verify run empirical "
                f"--out {root}`") in judged[cid].reason
    assert judged["demon-schedule"].status == "not run"
    assert (f"checks/checks.json not found: run `dwmgrad-verify check --out {root}`"
            in judged["demon-schedule"].reason)
    # the analysed-convergence claim needs both its measurement and the proof's checks
    assert judged["dwmgrad-convergence-analysed"].status == "not run"
    assert judged["polyak-rate"].status == "holds"


def test_report_builds_from_an_empty_directory(tmp_path: Path) -> None:
    files = build_report(tmp_path)
    doc = json.loads(files.claims_json.read_text())
    validate_claims(doc)
    assert doc["summary"]["not run"] == len(CLAIMS)
    assert all("`dwmgrad-verify " in c["reason"] for c in doc["claims"])
    assert all(f["status"] == "missing" and f["reason"] for f in doc["figures"])
    assert "not found" in files.report_md.read_text()


def test_violations_are_reported_with_evidence(result_dir: Path) -> None:
    (result_dir / "measurements" / "dwmgrad_regret.json").write_text(
        json.dumps(dwmgrad_regret(bound_holds=False)))
    doc = checks()
    doc["results"][0].update(status="violated", worst_slack=-0.5,
                             counterexample={"T": 3.0, "g": 1.0})
    (result_dir / "checks" / "checks.json").write_text(json.dumps(doc))
    judged = {j.claim.id: j.verdict for j in judge(load_results(result_dir))}
    analysed = judged["dwmgrad-convergence-analysed"]
    assert analysed.status == "violated"
    assert "exceeds the bound" in analysed.reason
    assert any("'T': 3.0" in c.detail for c in analysed.counterexamples)
    assert judged["all-proof-steps-verified"].status == "violated"


@pytest.mark.parametrize(("found", "rediscovered", "expected"), [
    (True, True, "holds"),
    (True, False, "violated"),
    (False, False, "violated"),
])
def test_adam_rediscovery_needs_a_calibrated_counterexample(
        result_dir: Path, found: bool, rediscovered: bool, expected: str) -> None:
    """Holds only with a calibrated counterexample for Adam (AMSGrad falling on it);
    otherwise the search has shown no power."""
    from experiments.named.counterexample_search import ADAM_REDDI

    doc = counterexample_search()
    doc["metrics"]["adam_rediscovered"] = rediscovered
    doc["metrics"]["targets"][ADAM_REDDI]["found"] = found
    (result_dir / "measurements" / "counterexample_search.json").write_text(json.dumps(doc))
    judged = {j.claim.id: j.verdict for j in judge(load_results(result_dir))}
    verdict = judged["adam-counterexample-rediscovered"]
    assert verdict.status == expected, verdict.reason
    assert bool(verdict.counterexamples) == (expected == "holds")


def test_malformed_measurement_is_invalid_data_naming_the_file(result_dir: Path) -> None:
    (result_dir / "measurements" / "lessard_cycle.json").write_text("{not json")
    (result_dir / "measurements" / "heavy_ball_rate.json").write_text(
        json.dumps({"metrics": {"rows": [{"kappa": 10}]}}))
    judged = {j.claim.id: j.verdict for j in judge(load_results(result_dir))}
    assert judged["lessard-cycle"].status == "invalid data"
    assert "measurements/lessard_cycle.json: unreadable" in judged["lessard-cycle"].reason
    assert judged["polyak-rate"].status == "invalid data"
    assert "measurements/heavy_ball_rate.json" in judged["polyak-rate"].reason


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_a_non_finite_number_is_invalid_data_never_a_verdict(result_dir: Path,
                                                             token: str) -> None:
    """A rule "violated if fit > rho*(1+tol) else holds" would pass NaN: the file is rejected
    on load instead, naming it and the field."""
    path = result_dir / "measurements" / "heavy_ball_rate.json"
    doc = json.loads(path.read_text())
    doc["metrics"]["rows"][0]["rate_fit_jordan"] = "@"
    path.write_text(json.dumps(doc).replace('"@"', token))
    results = load_results(result_dir)
    judged = {j.claim.id: j.verdict for j in judge(results)}
    for cid in ("polyak-rate", "heavy-ball-acceleration"):
        assert judged[cid].status == "invalid data", judged[cid]
        assert judged[cid].reason == ("measurements/heavy_ball_rate.json: non-finite number at "
                                      "metrics.rows[0].rate_fit_jordan")
    assert judged["lessard-cycle"].status == "holds"
    inventory = {row["name"]: row for row in results.inventory()}
    assert inventory["heavy_ball_rate"]["status"] == "invalid"


@pytest.mark.slow  # 4-13 s each on the idle machine: the slow step
def test_build_is_deterministic(tmp_path: Path) -> None:
    """Two builds from the same files in the same place are byte-identical (the "not run"
    reasons name the directory in their command, so the place is part of the input)."""
    names = ("claims.json", "report.md", "index.html", "tables/claims.tex",
             "figures/heavy_ball_rates.pdf", "figures/heavy_ball_rates.png")
    first = build_report(write_fake_results(tmp_path / "a", skip=SMALL_SKIP))
    before = {name: (first.root / name).read_bytes() for name in names}
    shutil.rmtree(first.root)
    again = build_report(write_fake_results(tmp_path / "a", skip=SMALL_SKIP))
    for name in names:
        assert (again.root / name).read_bytes() == before[name], name


def test_html_is_self_contained_and_links_verdicts(built_report: ReportFiles) -> None:
    text = built_report.index_html.read_text()
    assert text.index('id="claims"') < text.index('id="evidence"') \
        < text.index('id="derivations"') < text.index('id="experiments"')
    for claim in CLAIMS:
        assert f'href="#claim-{claim.id}"' in text and f'id="claim-{claim.id}"' in text
    assert text.count("data:image/png;base64,") == len(FIGURES)
    assert "http://" not in text and "https://" not in text and "<script" not in text
    md = built_report.report_md.read_text()
    assert md.index("## <a id=\"claims\"></a>Claims") < md.index("Evidence")
    assert "(figures/regret_vs_bound.png)" in md


def test_an_uncalibrated_search_is_not_evidence(result_dir: Path) -> None:
    """A finite-horizon test that also flags the provably convergent analysed DWMGrad cannot
    convict the published one."""
    path = result_dir / "measurements" / "counterexample_search.json"
    doc = json.loads(path.read_text())
    targets = doc["metrics"]["targets"]
    targets["DWMGrad (analysed)"] = dict(targets["DWMGrad"], replay="analysed-0.json")
    path.write_text(json.dumps(doc))
    verdict = {j.claim.id: j.verdict for j in judge(load_results(result_dir))}[
        "dwmgrad-convergence-published"]
    assert verdict.counterexamples == ()
    assert "counterexample search not used" in verdict.reason
    assert verdict.status == "violated" and "linear regret" in verdict.reason


@pytest.mark.parametrize("garbage", [
    {"metrics": [1, 2], "series": "x"},
    {"metrics": {"rows": "x", "theorem1": 3, "rosenbrock": [1], "cycle_points": None},
     "series": {"curves": 1, "error_curves": [1], "trajectories": {"3": "a"}}},
])
def test_malformed_results_never_crash_the_build(tmp_path: Path, garbage: dict[str, object],
                                                 ) -> None:
    root = tmp_path / "out"
    for name in ("heavy_ball_rate", "lessard_cycle", "reddi", "dwmgrad_regret",
                 "counterexample_search", "cost_scaling", "empirical"):
        (root / "measurements").mkdir(parents=True, exist_ok=True)
        (root / "measurements" / f"{name}.json").write_text(json.dumps(garbage))
    (root / "checks").mkdir()
    (root / "checks" / "checks.json").write_text(json.dumps({"results": [{"proof": 1}]}))
    files = build_report(root)
    doc = json.loads(files.claims_json.read_text())
    validate_claims(doc)
    assert doc["summary"]["holds"] == 0
    assert all(f["status"] == "missing" for f in doc["figures"])
