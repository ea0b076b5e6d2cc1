"""Non-finite numbers in the measurements the figures draw (issue 14 §2): each figure draws
what is finite and marks the rest (a null in a series, which is how an experiment writes a
value that is not finite), or, when the file itself holds NaN/inf (invalid data), is not drawn
with the file named; the report always leaves a claims.json that agrees with the figures
beside it (a failed build removes the stale one).

On 892f1c6, NaN/inf anywhere in heavy_ball_rate, dwmgrad_regret or counterexample_search made
``build_report`` raise ("Data cannot be log-scaled") while saving a figure, after which the
previous build's claims.json stayed in place.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from report_fake_results import EXPERIMENTS, write_fake_results

from reports import build
from reports.build import build_report
from reports.figures import FIGURES, FigureResult
from reports.figures.canvas import render
from reports.results import load_results

POISONED = ("heavy_ball_rate", "dwmgrad_regret", "counterexample_search")


def poison(node: Any, value: float | None) -> Any:
    """``node`` with every float replaced by ``value``."""
    if isinstance(node, float):
        return value
    if isinstance(node, list):
        return [poison(item, value) for item in node]
    if isinstance(node, dict):
        return {key: poison(item, value) for key, item in node.items()}
    return node


def draw(root: Path, experiments: tuple[str, ...]) -> dict[str, FigureResult]:
    """The figures of ``experiments`` only (drawing all of them takes many seconds)."""
    results = load_results(root)
    return {spec.name: render(spec, results, root / "figures") for spec in FIGURES
            if spec.experiment in experiments}


def rewrite(root: Path, name: str, change: Any) -> None:
    path = root / "measurements" / f"{name}.json"
    measurement = json.loads(path.read_text())
    change(measurement)
    path.write_text(json.dumps(measurement))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
def test_all_non_finite_measurements_never_crash_the_figures(result_dir: Path,
                                                             value: float) -> None:
    def spoil(measurement: dict[str, Any]) -> None:
        measurement["metrics"] = poison(measurement["metrics"], value)
        measurement["series"] = poison(measurement["series"], value)

    for name in POISONED:
        rewrite(result_dir, name, spoil)
    figures = list(draw(result_dir, POISONED).values())
    assert figures
    for figure in figures:      # drawn with a note, or not drawn with the file named
        assert (figure.ok and "not drawn" in figure.note) or (
            not figure.ok and figure.reason), figure
        assert f"measurements/{figure.spec.experiment}.json" in figure.note + figure.reason


@pytest.mark.slow  # 4-13 s each on the idle machine: the slow step
def test_a_figure_draws_the_finite_values_and_says_how_many_it_left_out(
        result_dir: Path) -> None:
    def spoil(measurement: dict[str, Any]) -> None:
        measurement["metrics"]["rows"][1]["rate_fit_jordan"] = None
        measurement["series"]["error_curves"]["10"]["gd"]["error"][3] = None

    rewrite(result_dir, "heavy_ball_rate", spoil)
    figures = draw(result_dir, ("heavy_ball_rate", "lessard_cycle"))
    for name in ("heavy_ball_rates", "heavy_ball_error_curves"):
        assert figures[name].ok
        assert figures[name].note.startswith("1 value(s) of measurements/heavy_ball_rate.json"
                                             " that are not finite"), figures[name].note
    assert figures["lessard_cycle"].ok and not figures["lessard_cycle"].note


@pytest.mark.slow  # 4-13 s each on the idle machine: the slow step
def test_the_report_with_non_finite_figures_writes_claims_json(tmp_path: Path) -> None:
    # Only the two poisoned experiments beside theory and checks: the other figures take
    # most of a full build's 20 s of CPU and play no part here.
    result_dir = write_fake_results(tmp_path / "out", skip=tuple(
        name for name in EXPERIMENTS if name not in ("dwmgrad_regret", "heavy_ball_rate")))
    (result_dir / "claims.json").write_text("{\"stale\": true}\n")
    rewrite(result_dir, "dwmgrad_regret", lambda m: m.update(
        series=poison(m["series"], None)))
    rewrite(result_dir, "heavy_ball_rate", lambda m: m.update(
        series=poison(m["series"], math.inf)))
    files = build_report(result_dir)
    assert "stale" not in json.loads(files.claims_json.read_text())
    report = files.report_md.read_text()
    assert "of measurements/dwmgrad_regret.json that are not finite numbers" in report
    assert "invalid data** — measurements/heavy_ball_rate.json: non-finite number" in report


def test_a_failed_build_removes_the_stale_claims(result_dir: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for name in build.SUMMARY_FILES:
        (result_dir / name).write_text("from an earlier build\n")

    def broken(*args: Any) -> Any:
        raise RuntimeError("figures broke")

    monkeypatch.setattr(build, "render_all", broken)
    with pytest.raises(RuntimeError, match="figures broke"):
        build_report(result_dir)
    assert not any((result_dir / name).exists() for name in build.SUMMARY_FILES)
