"""The house style and the artist-based figure check (:mod:`reports.figures.lint`).

Every figure is drawn from the synthetic result set (real producers where
``report_fake_results`` uses them) and its matplotlib artists are read: theory beside every
measurement where a theory exists, seed bands where there are seeds, axis labels, one look per
optimizer. Each rule is then shown to fail on a figure with that fault made on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from matplotlib.figure import Figure
from report_fake_results import write_fake_results

from experiments.optimizers import optimizer_names
from reports.figures import FIGURES
from reports.figures.canvas import FigureSpec, draw
from reports.figures.lint import faults
from reports.figures.style import LOOKS, THEORY_COLOUR, Look, look, measured, theory
from reports.results import ResultSet, load_results

SPECS = {spec.name: spec for spec in FIGURES}
WITH_THEORY = {"regret_vs_bound", "dwmgrad_window_momentum", "bound_tightness",
               "counterexample_avg_regret", "heavy_ball_rates", "heavy_ball_error_curves",
               "heavy_ball_pepit",
               "lessard_cycle", "reddi_trajectories", "cost_scaling", "ahb_lr_robustness"}
"""The figures whose data has a theory counterpart (rates, envelopes, bounds, edges, rules)."""


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> ResultSet:
    return load_results(write_fake_results(tmp_path_factory.mktemp("figs") / "out"))


@pytest.fixture(scope="module")
def drawn(results: ResultSet) -> dict[str, Figure]:
    return {spec.name: draw(spec, results) for spec in FIGURES}


def test_every_figure_is_drawn_and_passes_the_check(drawn: dict[str, Figure]) -> None:
    assert {name: faults(SPECS[name], fig) for name, fig in drawn.items()} == {
        name: [] for name in SPECS}


def test_the_figures_with_a_theory_declare_it() -> None:
    assert {spec.name for spec in FIGURES if spec.theory} == WITH_THEORY


def shared_looks(looks: Mapping[str, Look]) -> list[set[str]]:
    """The groups of registry keys that share one (colour, marker)."""
    by_look: dict[Look, set[str]] = {}
    for key, value in looks.items():
        by_look.setdefault(value, set()).add(key)
    return [keys for keys in by_look.values() if len(keys) > 1]


def test_every_optimizer_has_its_own_look() -> None:
    pairs = [(lk.color, lk.marker) for lk in LOOKS.values()]
    assert shared_looks(LOOKS) == []
    assert shared_looks({**LOOKS, "newopt": LOOKS["adam"]}) == [{"adam", "newopt"}]
    assert all(look(name) in LOOKS.values() for name in optimizer_names())
    # the spellings the result files use resolve to one look
    assert look("DWMGrad (analysed)") == look("analysed") == look("DWMGrad analysed")
    assert look("paper:loss_decrease") == look("DWMGrad:loss_decrease") == look(
        "DWMGrad (loss_decrease)") != look("DWMGrad")
    assert look("Adam (Reddi Thm 1: beta1=0, beta2=0.1)") == look("Adam")
    unknown = look("Some Plugin Optimizer")
    assert (unknown.color, unknown.marker) not in pairs and unknown.color != THEORY_COLOUR


def test_a_missing_theory_line_fails(results: ResultSet) -> None:
    fig = draw(SPECS["heavy_ball_error_curves"], results)
    for ax in fig.axes:
        for line in [ln for ln in ax.get_lines() if str(ln.get_gid()).startswith("theory")]:
            line.remove()
    found = faults(SPECS["heavy_ball_error_curves"], fig)
    assert found and all("without their theory line" in f for f in found)


def test_a_missing_band_fails(results: ResultSet) -> None:
    fig = draw(SPECS["regret_vs_bound"], results)
    ax = fig.axes[0]
    for band in [c for c in ax.collections if str(c.get_gid()).startswith("band")]:
        band.remove()
    title = " ".join(ax.get_title().split())
    assert faults(SPECS["regret_vs_bound"], fig) == [
        f"regret_vs_bound, axes 0 ({title}): several seeds but no seed-spread band"]


def test_a_missing_axis_label_fails(results: ResultSet) -> None:
    fig = draw(SPECS["stepsize_histograms"], results)
    fig.axes[0].set_ylabel("")
    assert [f for f in faults(SPECS["stepsize_histograms"], fig) if "no y axis label" in f]
    fig = draw(SPECS["heavy_ball_rates"], results)
    fig.axes[0].set_xlabel("")
    assert [f for f in faults(SPECS["heavy_ball_rates"], fig) if "no x axis label" in f]


def test_two_series_with_one_look_fail_and_unstyled_or_unnamed_lines_fail() -> None:
    spec = FigureSpec("probe", "none", "probe", "probe", lambda results, fig: None,
                      theory=True)
    fig = Figure()
    ax = fig.subplots()
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    measured(ax, "Adam", [1, 2], [1, 2], "Adam")
    theory(ax, [1, 2], [2, 3], "theory", owner="Adam")
    ax.legend()
    assert faults(spec, fig) == []
    measured(ax, "Adam (again, other settings)", [1, 2], [2, 1], "Adam again")
    ax.plot([1, 2], [3, 3], label="drawn by hand")
    theory(ax, [1, 2], [0, 1], "a bound no legend names")
    found = faults(spec, fig)
    assert len(found) == 3, found
    assert "house style" in found[0] and "'drawn by hand'" in found[0]
    assert "look the same" in found[1] and "Adam (again" in found[1]
    assert "named in no legend" in found[2]


def test_hyperparameters_in_a_legend_fail(results: ResultSet) -> None:
    for name, label in (("stepsize_histograms", "Adam (lr=0.001)"),
                        ("empirical_curves", "SGD (0.1 | 0.0002)")):
        fig = draw(SPECS[name], results)
        ax = fig.axes[0]
        ax.legend([ax.get_lines()[0] if ax.get_lines() else ax.patches[0]], [label])
        assert faults(SPECS[name], fig) == [
            f"{name}: legend entry {label!r} holds hyperparameters (they go to the caption)"]


def test_two_theory_lines_alike_fail(results: ResultSet) -> None:
    fig = draw(SPECS["regret_vs_bound"], results)
    ax = fig.axes[-1]
    bounds = [ln for ln in ax.get_lines() if str(ln.get_gid()) == "theory:theory"]
    assert len({str(ln.get_label()) for ln in bounds}) >= 2   # two variants' bounds, one hue
    for ln in bounds:
        ln.set_marker("none")
    found = faults(SPECS["regret_vs_bound"], fig)
    assert found and all("look the same" in f and "theory lines" in f for f in found), found


def test_a_diverged_run_at_a_made_up_value_or_without_its_step_fails(results: ResultSet) -> None:
    """Diverged runs sit at an axes edge with "diverged at step k" (demon_robustness marks
    HeavyBall at beta = 0.99); drawn at a data value, or without the note, it fails."""
    spec = SPECS["demon_robustness"]
    fig = draw(spec, results)
    ax = fig.axes[0]
    (diverged,) = [ln for ln in ax.get_lines() if "diverged" in str(ln.get_label())]
    assert [t.get_text() for t in ax.texts] == ["diverged at step 37"]
    ax.texts[0].set_text("diverged")
    assert faults(spec, fig) == [f"{spec.name}, axes 0 (untitled): 1 diverged points but 0 "
                                 "'diverged at step k' notes"]
    ax.texts[0].set_text("diverged at step 37")
    diverged.set_transform(ax.transData)          # e.g. at y = 1e12, a value never measured
    assert faults(spec, fig) == [f"{spec.name}, axes 0 (untitled): {diverged.get_label()!r} "
                                 "is drawn at data values, not at an axes edge"]
