"""Parts of the report: figure style, missing series, Markdown/LaTeX rendering, README
section."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_fake_results import write_fake_results

from reports.build import ReportFiles
from reports.document import Math, Table, to_html
from reports.figures import FIGURES
from reports.figures.canvas import render
from reports.figures.style import settings_caption
from reports.markup import inline_latex, latex_escape, markdown_html, mathml
from reports.readme_snippet import COMMAND, write_section
from reports.results import load_results

# Every test of this module that uses the shared built_report runs in one xdist worker, so
# the report (about 23 s of CPU) is built once per run, not once per worker.
pytestmark = pytest.mark.xdist_group("built_report")


def test_the_caption_names_the_hyperparameters_once_or_per_panel() -> None:
    assert settings_caption({"a": {"Adam": {"lr": 0.001, "betas": (0.9, 0.999)}, "GD": {}},
                             "b": {"Adam": {"lr": 0.001, "betas": (0.9, 0.999)}}}) == (
        "Settings: Adam lr=0.001, betas=(0.9, 0.999); GD defaults.")
    assert settings_caption({"a": {"SGD": {"lr": 0.1}}, "b": {"SGD": {"lr": 0.0002}}}) == (
        "Settings: SGD lr=0.1 on a / lr=0.0002 on b.")
    assert settings_caption({"a": {}}) == ""


def test_a_figure_without_its_series_is_reported_not_drawn(tmp_path: Path) -> None:
    root = write_fake_results(tmp_path / "out", skip=("reddi",))
    doc = json.loads((root / "measurements" / "empirical.json").read_text())
    del doc["series"]["log10_step_multipliers"]
    (root / "measurements" / "empirical.json").write_text(json.dumps(doc))
    only = {"reddi_trajectories", "stepsize_histograms", "heavy_ball_rates"}
    results = load_results(root)
    drawn = {spec.name: render(spec, results, root / "figures") for spec in FIGURES
             if spec.name in only}
    assert drawn["heavy_ball_rates"].ok
    assert not drawn["reddi_trajectories"].ok
    assert "reddi.json not found" in drawn["reddi_trajectories"].reason
    assert "log10_step_multipliers" in drawn["stepsize_histograms"].reason
    assert not (root / "figures" / "stepsize_histograms.png").exists()
    assert {f.name for f in FIGURES} >= only


def test_latex_tables_escape_and_use_booktabs() -> None:
    tex = Table(["a_b", "100%"], [["x & y", "$5"]], "cap #1", "tab:x").latex()
    assert r"a\_b & 100\% \\" in tex and r"x \& y & \$5 \\" in tex
    assert tex.index(r"\toprule") < tex.index(r"\midrule") < tex.index(r"\bottomrule")
    assert latex_escape("~^") == r"\textasciitilde{}\textasciicircum{}"


def test_markdown_is_rendered_by_the_library_with_tables_emphasis_and_math() -> None:
    out = markdown_html("# Title\n\ntext <b> `code` *emph*\n\n$$\nR_T \\le 1\n$$\n\n- item\n\n"
                        "| step | status |\n|---|---|\n| L1 | $s_t \\ge 0$ |\n")
    assert "<h1>Title</h1>" in out and "<em>emph</em>" in out
    assert "&lt;b&gt;" in out and "<code>code</code>" in out  # raw HTML is escaped
    assert '<math display="block">' in out
    assert "<li>item</li>" in out
    assert "<table>" in out and "<th>step</th>" in out and "|---|" not in out
    assert "\\le" not in out and "\\ge" not in out  # no LaTeX source left


def test_math_cells_are_mathml_in_html_and_math_mode_in_latex() -> None:
    table = Table([Math(r"\kappa"), ["max ", Math(r"R_T/\text{bound}")]],
                  [["10", Math(r"\frac{1}{2}")]], "cap", "tab:x")
    page = to_html([table])
    assert page.count("<math ") == 3 and "\\frac" not in page
    tex = table.latex()
    assert r"$\kappa$ & max $R_T/\text{bound}$ \\" in tex
    assert r"10 & $\frac{1}{2}$ \\" in tex


def test_inline_markdown_becomes_latex_with_math_kept_and_text_escaped() -> None:
    assert inline_latex(r"the *window* $\omega_t$: R_T <= 5% & `x_y`") == (
        r"the \emph{window} $\omega_t$: R\_T \textless{}= 5\% \& \texttt{x\_y}")


def test_latex_math_cannot_read_is_shown_as_source_not_dropped() -> None:
    out = mathml(r"\frac{1}{")
    assert "<math" not in out and r"\frac{1}{" in out  # the Chromium test then flags it


def test_readme_section_has_the_table_the_figure_and_the_command(
        built_report: ReportFiles, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# title\n\n<!-- results:start -->\nstale section\n"
                      "<!-- results:end -->\n\n## after\n")
    write_section(built_report.root, readme)
    text = readme.read_text()
    assert COMMAND in text
    assert "stale section" not in text
    assert text.startswith("# title") and text.endswith("## after\n")
    assert "| DWMGrad (as published) converges on convex problems |" in text
    assert "![DWMGrad regret vs the derived bound](docs/figures/regret_vs_bound.png)" in text
    assert (tmp_path / "docs" / "figures" / "regret_vs_bound.png").read_bytes()[:4] == \
        b"\x89PNG"
    write_section(built_report.root, readme)            # idempotent: markers kept
    assert readme.read_text() == text


def test_search_claims_fail_when_nothing_is_found(tmp_path: Path) -> None:
    """The rediscovery claim is violated when the search finds nothing for Adam, and the
    published-DWMGrad claim cites no search counterexample then; a malformed entry is invalid
    data naming the file."""
    from experiments.named.counterexample_search import ADAM_REDDI
    from reports.claims.dwmgrad import dwmgrad_published_convergence
    from reports.claims.reddi import adam_rediscovered
    from reports.results import InvalidData

    root = write_fake_results(tmp_path / "out")
    path = root / "measurements" / "counterexample_search.json"
    doc = json.loads(path.read_text())
    for entry in doc["metrics"]["targets"].values():
        entry["found"] = False
    doc["metrics"]["adam_rediscovered"] = False
    path.write_text(json.dumps(doc))
    r = load_results(root)
    assert adam_rediscovered(r).status == "violated"
    assert not [c for c in dwmgrad_published_convergence(r).counterexamples
                if "DWMGrad" in c.subject and c.replay and "counterexamples" in c.replay]
    del doc["metrics"]["targets"][ADAM_REDDI]["evaluations"]
    path.write_text(json.dumps(doc))
    with pytest.raises(InvalidData, match="counterexample_search.json"):
        adam_rediscovered(load_results(root))


def test_invariance_claim_can_fail(tmp_path: Path) -> None:
    """Holds on the synthetic audit; violated when a known invariance is measured broken;
    invalid data when a class is not one of the audit's; the published-DWMGrad claim states
    the offset condition."""
    from reports.claims.dwmgrad import dwmgrad_published_convergence
    from reports.claims.invariance import invariance_audit
    from reports.results import InvalidData

    root = write_fake_results(tmp_path / "out")
    r = load_results(root)
    assert invariance_audit(r).status == "holds"
    assert any("not invariant to loss offsets" in e.label
               for e in dwmgrad_published_convergence(r).evidence)
    path = root / "measurements" / "invariance.json"
    doc = json.loads(path.read_text())
    doc["metrics"]["known_invariances"][0]["measured"] = "sensitive"
    path.write_text(json.dumps(doc))
    verdict = invariance_audit(load_results(root))
    assert verdict.status == "violated" and "Adam under offset +3" in verdict.reason
    doc["metrics"]["table"]["Adam"]["reflect"] = "roughly"
    path.write_text(json.dumps(doc))
    with pytest.raises(InvalidData, match="invariance.json"):
        invariance_audit(load_results(root))
