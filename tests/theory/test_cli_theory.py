"""`dwmgrad-verify theory`: every bound with assumptions and LaTeX; --out writes atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dwmgrad_verify.cli import main
from theory.cli import write_results

#: Pieces of theory.dwmgrad's regret bound written out by hand (the expected LaTeX is not taken
#: from the function that renders it): its sqrt(T) terms and every symbol.
REGRET_LATEX_PARTS = (r"\frac{D_\infty^{2} \sqrt{T}}{2 \alpha}", r"\left(2 \sqrt{T} - 1\right)",
                      r"\sqrt{\delta}", r"\gamma \lambda", r"\left(1 - \lambda\right)")


def test_json_lists_every_bound_with_assumptions_and_latex(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["theory", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"bounds", "derivations", "analysed_options", "paper_algorithm_gaps",
                         "missing_modules"}
    by_name = {b["name"]: b for b in data["bounds"]}
    regret = by_name["dwmgrad_regret"]
    assert regret["latex"].startswith(r"R_T \le d \left(G_\infty + \varepsilon\right)")
    assert all(part in regret["latex"] for part in REGRET_LATEX_PARTS), regret["latex"]
    assert regret["kind"] == "upper" and regret["reference"].startswith("derived here")
    assert {a["name"] for a in regret["assumptions"]} >= {
        "convex", "box", "bounded_gradients", "inv_sqrt_step", "momentum_decay",
        "monotone_second_moment", "window_range"}
    for bound in data["bounds"]:
        assert {"name", "kind", "latex", "assumptions", "reference", "symbols"} <= set(bound)
    assert data["analysed_options"]["lr_schedule"] == "inv_sqrt"
    assert len(data["paper_algorithm_gaps"]) == 4


def test_text_output_shows_latex_and_assumptions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["theory"]) == 0
    out = capsys.readouterr().out
    assert r"R_T \le d \left(G_\infty + \varepsilon\right)" in out
    assert all(part in out for part in REGRET_LATEX_PARTS)
    assert "monotone_second_moment" in out and "What the published DWMGrad breaks" in out


def test_write_results_writes_the_bounds_only(tmp_path: Path) -> None:
    path = write_results(tmp_path)
    assert path == tmp_path / "theory" / "bounds.json"
    assert json.loads(path.read_text())["bounds"]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["bounds.json"]


def test_out_must_be_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["theory", "--out", str(target)]) == 2
    assert "expected a directory" in capsys.readouterr().err
