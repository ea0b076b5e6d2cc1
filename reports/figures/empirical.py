"""The small-scale empirical checks: loss curves, final losses with CIs, Rosenbrock paths,
step-size histograms (Adam / AdaBelief / Aida), and the robustness sweeps of Demon
(momentum) and the adaptive heavy ball (learning rate).

Reads ``empirical.series``: ``curves.<problem>.<label> = [f - f* per step]``,
``log10_step_multipliers.<optimizer> = [values]``, ``rosenbrock_paths.<start>.<label> =
{x, y}``; and the typed ``empirical`` record (final losses, the two robustness sweeps,
the step-size spreads).
Captions take the hyperparameters from the spec files of the runs that ``empirical.run_labels``
names (``problems.<problem>.<label>``, ``stepsize.<optimizer>``) and from the typed record.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from experiments.measurements.empirical import AhbSweep, EmpiricalMetrics, FinalLoss
from reports.figures.canvas import FigureSpec
from reports.figures.style import (
    COLUMN,
    FULL,
    MARK,
    MEASURED,
    band,
    canonical,
    floats,
    labelled_hyperparameters,
    look,
    mark,
    measured,
    positive_span_decades,
    series_xy,
    settings_caption,
    theory_vline,
)
from reports.results import MissingResult, ResultSet
from reports.rules import EMPIRICAL_TASKS
from theory.heavy_ball import stability_edge

CURVE_GROUPS = (
    ("DWMGrad, Adam, AMSGrad", ("dwmgrad", "dwmgradlossdecrease", "dwmgradlossincrease",
                                "dwmgradanalysed", "adam", "amsgrad")),
    ("AdaBelief, Aida, Demon Adam, Adam + AHB", ("adabelief", "aida", "demonadam", "adamahb")),
    ("heavy-ball family, SGD", ("heavyball", "adaptivehb", "demonsgd", "sgd", "gd")),
)
"""The columns of the convergence figure's small multiples; a label none names goes last."""


def _group(label: str) -> int:
    key = canonical(label)
    return next((i for i, (_, keys) in enumerate(CURVE_GROUPS) if key in keys),
                len(CURVE_GROUPS) - 1)


def seed_spread(entry: Any, what: str) -> tuple[list[float], np.ndarray, np.ndarray,
                                                np.ndarray]:
    """Steps, and the median, minimum and maximum over seeds at each step, of one
    ``curves.<problem>.<label> = {steps, per_seed}`` entry (a diverged seed's None is left
    out of that step's statistics)."""
    if not isinstance(entry, Mapping) or "steps" not in entry or "per_seed" not in entry:
        raise MissingResult(f"{what} has no per-seed curves (steps, per_seed)")
    steps = floats(entry["steps"], f"{what}.steps")
    rows = [floats(row, f"{what}.per_seed") for row in entry["per_seed"]]
    if not rows or any(len(row) != len(steps) for row in rows):
        raise MissingResult(f"{what}: per-seed curves do not match its {len(steps)} steps")
    values = np.array(rows, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)      # a step where every seed diverged
        return (steps, np.nanmedian(values, axis=0), np.nanmin(values, axis=0),
                np.nanmax(values, axis=0))


def draw_curves(results: ResultSet, fig: Figure) -> None:
    curves = results.series("empirical").get("curves")
    if not isinstance(curves, Mapping) or not curves:
        raise MissingResult("empirical.series.curves absent")
    problems = list(curves)
    grid = fig.subplots(len(problems), len(CURVE_GROUPS), squeeze=False, sharey="row")
    labels = list(dict.fromkeys(label for p in problems for label in curves[p]))
    handles: dict[str, Any] = {}
    for axes, problem in zip(grid, problems, strict=True):
        for label, entry in curves[problem].items():
            steps, median, low, high = seed_spread(entry, f"empirical.series.curves.{problem}."
                                                          f"{label}")
            ax = axes[_group(label)]
            band(ax, label, steps, low, high)
            handles.setdefault(label, measured(ax, label, steps, median, label, lw=1.0))
        for col, ax in enumerate(axes):
            ax.set_yscale("log")
            ax.set_xscale("log")
            ax.set_title(f"{problem}\n{CURVE_GROUPS[col][0]}", fontsize=6.5)
            ax.set_xlabel("step t")
        axes[0].set_ylabel(r"$f(x_t) - f^*$" if problem != "mlp" else "training loss")
    fig.legend([handles[label] for label in labels], labels, loc="outside lower center",
               ncols=5, frameon=False)


def problem_settings(results: ResultSet, problems: Sequence[str]) -> str:
    """The caption's settings of the empirical runs on ``problems`` (every problem the curves
    show when empty)."""
    if not problems:
        curves = results.series("empirical").get("curves")
        problems = list(curves) if isinstance(curves, Mapping) else []
    return settings_caption({p: labelled_hyperparameters(results, "empirical", "problems", p)
                             for p in problems})


def draw_rosenbrock(results: ResultSet, fig: Figure) -> None:
    paths = results.series("empirical").get("rosenbrock_paths")
    if not isinstance(paths, Mapping) or not paths:
        raise MissingResult("empirical.series.rosenbrock_paths absent (the Rosenbrock runs "
                            "do not record their iterates)")
    axes = fig.subplots(1, len(paths), squeeze=False)[0]
    for ax, (start, per_opt) in zip(axes, sorted(paths.items()), strict=True):
        xy = {n: series_xy(e, "x", "y", f"rosenbrock_paths.{start}.{n}")
              for n, e in per_opt.items()}
        xs = [v for p in xy.values() for v in p[0] if math.isfinite(v)] + [1.0]
        ys = [v for p in xy.values() for v in p[1] if math.isfinite(v)] + [1.0]
        pad_x, pad_y = 0.2 * (max(xs) - min(xs)) + 0.1, 0.2 * (max(ys) - min(ys)) + 0.1
        gx, gy = np.meshgrid(np.linspace(min(xs) - pad_x, max(xs) + pad_x, 200),
                             np.linspace(min(ys) - pad_y, max(ys) + pad_y, 200))
        rosenbrock = (1 - gx) ** 2 + 100 * (gy - gx**2) ** 2   # contour background only
        ax.contour(gx, gy, np.log10(rosenbrock + 1e-3), levels=15, colors="grey",
                   linewidths=0.4, alpha=0.6)
        for name, (px, py) in sorted(xy.items()):
            measured(ax, name, px, py, name, lw=1.0)
        mark(ax, [xy[n][0][0] for n in xy], [xy[n][1][0] for n in xy], "start", ms=4)
        mark(ax, [1.0], [1.0], "minimum (1, 1)", marker="*", ms=9)
        ax.set_title(f"start {start}")
        ax.set_xlabel("x (parameter 1)")
        ax.set_ylabel("y (parameter 2)")
    lines = axes[0].get_lines()
    series = [ln for ln in lines if str(ln.get_gid()).startswith(MEASURED)]
    marks = [ln for ln in lines if str(ln.get_gid()).startswith(MARK)]
    fig.legend([*series, *marks], [str(ln.get_label()) for ln in (*series, *marks)],
               loc="outside lower center", ncols=5, frameon=False)


def _interval(loss: FinalLoss) -> tuple[float, float, float]:
    med, low, high = loss.final_loss_median, loss.ci_low, loss.ci_high
    if med is None or low is None or high is None:
        return math.inf, math.inf, math.inf
    return med, low, high


def draw_final_loss(results: ResultSet, fig: Figure) -> None:
    record = results.record(EmpiricalMetrics)
    tasks = [(t, record.table(t)) for t in EMPIRICAL_TASKS]
    axes = fig.subplots(1, len(tasks), squeeze=False, sharey=True)[0]
    names = sorted({n for _, table in tasks for n in table})
    for ax, (task, table) in zip(axes, tasks, strict=True):
        finite = [v for n in table for v in _interval(table[n]) if math.isfinite(v) and v > 0]
        for i, name in enumerate(names):
            if name not in table:
                continue
            med, lo, hi = _interval(table[name])
            if math.isinf(med):
                edge = ax.get_yaxis_transform()
                mark(ax, [0.97], [i], f"{name}: diverged (right edge; step annotated)",
                     marker="x", ms=6, color=look(name).color, transform=edge)
                ax.annotate(f"diverged at step {table[name].diverged_at_step}", (0.93, i),
                            xycoords=edge, ha="right", va="center", fontsize=6,
                            color=look(name).color)
                continue
            ax.hlines(i, lo, hi, color=look(name).color, lw=1.2, gid=f"band:{name}")
            measured(ax, name, [med], [i], name, ls="none")
        ax.set_yticks(range(len(names)), names)
        if finite and positive_span_decades(finite) >= 1:
            ax.set_xscale("log")
        ax.set_title(task)
        ax.set_xlabel(r"final $f - f^*$ (loss for mlp)")
    axes[0].set_ylabel("optimizer (median over seeds, bar: 90% CI)")


def draw_stepsizes(results: ResultSet, fig: Figure) -> None:
    series = results.series("empirical").get("log10_step_multipliers")
    if not isinstance(series, Mapping) or not series:
        raise MissingResult("empirical.series.log10_step_multipliers absent")
    ax = fig.subplots()
    values = {n: [v for v in floats(e, n) if math.isfinite(v)] for n, e in sorted(series.items())}
    values = {n: v for n, v in values.items() if v}
    if not values:
        raise MissingResult("empirical.series.log10_step_multipliers has no finite value")
    bins = np.linspace(min(map(min, values.values())), max(map(max, values.values())), 30)
    spreads = results.record(EmpiricalMetrics).stepsize_range.optimizers
    for name, vals in values.items():
        spread = spreads.get(name)
        text = f"; spread {spread.log10_spread_median:.2f} decades" if spread else ""
        ax.hist(vals, bins=bins.tolist(), histtype="step", lw=1.5, density=True,
                label=name + text, color=look(name).color,
                gid=f"{MEASURED}:{name}")
    ax.set_title("l2-logistic regression, after the last step")
    ax.set_xlabel(r"$\log_{10}$ per-coordinate step multiplier (lr / denominator)")
    ax.set_ylabel("density (all coordinates and seeds)")
    fig.legend(loc="outside lower center", frameon=False,
               title="spread: width of the central 90%")


def mark_diverged(ax: Axes, name: str, xs: Sequence[float], steps: Sequence[int],
                  slot: int = 0) -> None:
    """``name``'s diverged runs at ``xs``: open markers at the axes' top edge (never at a
    made-up value), each with "diverged at step k" beside it (series ``slot`` further right,
    so that two series diverging at one setting keep their notes apart)."""
    edge = ax.get_xaxis_transform()
    mark(ax, list(xs), [0.97] * len(xs), f"{name}: diverged (top edge; step annotated)",
         marker=look(name).marker, mfc="none", ms=7, color=look(name).color, transform=edge)
    for x, step in zip(xs, steps, strict=True):
        ax.annotate(f"diverged at step {step}", (x, 0.93), xycoords=edge, rotation=90,
                    xytext=(3 + 7 * slot, 0), textcoords="offset points", ha="left",
                    va="top", fontsize=6, color=look(name).color)


Sweep = tuple[Sequence[float], Sequence[float | None], Sequence[int | None]]
"""One optimizer's sweep: settings, final values (None: diverged) and divergence steps."""


def _sweep(ax: Axes, sweeps: Mapping[str, Sweep], xlabel: str, ylabel: str) -> Axes:
    if not sweeps:
        raise MissingResult(f"empirical.metrics: no sweep for {xlabel}")
    every_x: list[float] = []
    for slot, (name, (xs, ys, steps)) in enumerate(sorted(sweeps.items())):
        if not len(xs) == len(ys) == len(steps):
            raise MissingResult(f"empirical.metrics: {name}'s sweep over {xlabel} has "
                                f"{len(xs)} settings, {len(ys)} values, {len(steps)} steps")
        every_x += list(xs)
        points = sorted(zip(xs, ys, steps, strict=True))
        kept = [(x, y) for x, y, k in points if k is None and y is not None]
        measured(ax, name, [x for x, _ in kept], [y for _, y in kept], name)
        gone = [(x, k) for x, _, k in points if k is not None]
        if gone:
            mark_diverged(ax, name, [x for x, _ in gone], [k for _, k in gone], slot)
    if positive_span_decades(every_x) >= 1 and min(every_x) > 0:
        ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def _seed_range(rows: tuple[tuple[float | None, ...], ...]) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and maximum over seeds per setting; +inf where a seed diverged."""
    values = np.array([[math.inf if v is None else v for v in row] for row in rows], dtype=float)
    return values.min(axis=1), values.max(axis=1)


def draw_demon(results: ResultSet, fig: Figure) -> None:
    sweep = results.record(EmpiricalMetrics).demon_momentum_robustness
    ax = fig.subplots()
    for name, e in sorted(sweep.optimizers.items()):
        low, high = _seed_range(e.final_by_beta_and_seed)
        ok = np.isfinite(high)
        band(ax, name, np.array(sweep.betas)[ok], low[ok], high[ok])
    _sweep(ax, {n: (sweep.betas, e.final_loss_by_beta, e.diverged_at_step_by_beta)
                for n, e in sweep.optimizers.items()},
           r"momentum $\beta$ ($\beta_{init}$ for Demon)", "final MLP loss")
    fig.legend(loc="outside lower center", frameon=False)


def demon_settings(results: ResultSet) -> str:
    sweeps = results.record(EmpiricalMetrics).demon_momentum_robustness.optimizers
    return settings_caption({"": {n: {"lr": s.tuned.chosen_lr, "tuned at beta": s.tuned_at_beta}
                                  for n, s in sweeps.items()}})


def ahb_settings(results: ResultSet) -> str:
    sweep = results.record(EmpiricalMetrics).ahb_lr_robustness
    return settings_caption({"": {
        n: {"momentum": sweep.heavy_ball_momentum if canonical(n) == "heavyball"
            else "adaptive"} for n in sweep.optimizers}}) + (
        f" A seed converges when f - f* <= {sweep.converged_below:g} (f(x0) - f*) at T = "
        f"{sweep.horizon}; a run diverged at step k when f - f* first exceeds "
        f"{sweep.blowup:g} times its start (or is not finite) at step k, and is stable when no "
        f"seed diverged and each ends below its start; bisection to {sweep.tolerance:g} of the "
        "lr.")


def draw_ahb(results: ResultSet, fig: Figure) -> None:
    """Left: the coarse grid; right: near the edges, the grid's settings there and every probe
    of both bisections. Each optimizer's bisected stability edge (dotted) and heavy ball's
    theoretical edge 2(1 + beta) (dashed) on both."""
    sweep = results.record(EmpiricalMetrics).ahb_lr_robustness
    coarse, near = fig.subplots(1, 2, sharey=True)

    def grid(e: AhbSweep) -> Sweep:
        return sweep.lr_over_L, e.final_gap_by_lr, e.diverged_at_step_by_lr

    def probed(e: AhbSweep, low: float, high: float) -> Sweep:
        """The grid's settings in [low, high] and every probe, each setting once."""
        rows = {x: (v, k) for x, v, k in zip(*grid(e), strict=True) if low <= x <= high}
        for edge in (e.stable_edge, e.converging_edge):
            rows |= dict(zip(edge.probe_lr_over_L, zip(
                edge.probe_final_gap, edge.probe_diverged_at_step, strict=True), strict=True))
        return list(rows), [v for v, _ in rows.values()], [k for _, k in rows.values()]

    xlabel, ylabel = r"learning rate $\times L$", r"final $f - f^*$ (median over seeds)"
    _sweep(coarse, {n: grid(e) for n, e in sweep.optimizers.items()}, xlabel, ylabel)
    edge_value = stability_edge(sweep.heavy_ball_momentum)
    probes = [x for e in sweep.optimizers.values() for edge in (e.stable_edge,
              e.converging_edge) for x in edge.probe_lr_over_L] + [edge_value]
    above = [x for x in sweep.lr_over_L if x > max(probes)]   # the grid setting past them
    low, high = min(probes), min(above, default=max(probes))
    _sweep(near, {n: probed(e, low, high) for n, e in sweep.optimizers.items()}, xlabel, "")
    near.set_xscale("linear")
    coarse.set_title("coarse grid", fontsize=9)
    near.set_title("near the edges: bisection probes", fontsize=9)
    for ax in (coarse, near):
        for name, entry in sorted(sweep.optimizers.items()):
            edge = entry.stable_edge
            if edge.low is not None:
                bracket = "above the grid" if edge.high is None else f"< {edge.high:.4g}"
                mark(ax, [edge.low, edge.low], [0.0, 1.0],
                     f"{name}: largest stable lr L (bisected) {edge.low:.4g}, {bracket}",
                     marker="none", linestyle=":", lw=1.2, color=look(name).color,
                     transform=ax.get_xaxis_transform())
        theory_vline(ax, edge_value, rf"heavy ball stability edge lr$\,L = 2(1+\beta)$ = "
                     f"{edge_value:.3g}", owner="HeavyBall")
    handles = {str(ln.get_label()): ln for ax in (coarse, near) for ln in ax.get_lines()
               if not str(ln.get_label()).startswith("_")}
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=2,
               frameon=False)


FIGURES = (
    FigureSpec("empirical_curves", "empirical", "Convergence on the small-scale problems",
               "Suboptimality f(x_t) - f* (training loss for the digits MLP) of every optimizer "
               "on Rosenbrock from the authors' start (1, 2) and the standard start (-1.2, 1), "
               "l2-logistic regression (breast cancer) and the digits MLP (rows); median over "
               "seeds (line) and the minimum to maximum over the evaluation seeds (band), one "
               "column per optimizer family; each optimizer at its own lr tuned on separate "
               "seeds.", draw_curves, (FULL, 8.6), bands=True,
               settings=lambda results: problem_settings(results, ())),
    FigureSpec("empirical_final_loss", "empirical", "Final loss per optimizer",
               "Final suboptimality (loss for the MLP): median over seeds with its 90% "
               "bootstrap CI (bar); a cross at the right edge marks a run with diverged seeds, "
               "with the step the first diverged at.",
               draw_final_loss, (FULL, 3.4), bands=True),
    FigureSpec("rosenbrock_paths", "empirical", "Rosenbrock paths",
               "Paths of the optimizers on the Rosenbrock function from the authors' start "
               "(1, 2) and the standard start (-1.2, 1) (black dot), over log-spaced contours; "
               "star: the minimum (1, 1).", draw_rosenbrock, (FULL, 4.4),
               settings=lambda results: problem_settings(
                   results, ("rosenbrock_authors", "rosenbrock_standard"))),
    FigureSpec("stepsize_histograms", "empirical", "Per-coordinate step sizes",
               "Histogram of log10 per-coordinate step multipliers of Adam, AdaBelief and Aida "
               "at the end of a logistic-regression run (the spread, width of the central 90% "
               "in decades, in the legend).", draw_stepsizes, (COLUMN, 3.6),
               settings=lambda results: settings_caption(
                   {"": labelled_hyperparameters(results, "empirical", "stepsize")})),
    FigureSpec("demon_robustness", "empirical", "Sensitivity to the momentum setting",
               "Final MLP loss (median over seeds; band: minimum to maximum over the seeds) "
               "against the momentum parameter for Demon SGDM, heavy-ball SGD and heavy ball "
               "with lr/sqrt(t), each at its own lr tuned at beta = 0.9 on separate seeds (open "
               "markers at the top edge: diverged, with the step).",
               draw_demon, (COLUMN, 3.4), bands=True, settings=demon_settings),
    FigureSpec("ahb_lr_robustness", "empirical", "Sensitivity to the learning rate",
               "Final suboptimality on a quadratic (kappa = 100) against the learning rate for "
               "SGD with the adaptive heavy-ball momentum and heavy ball with a fixed momentum: "
               "the coarse grid (left) and the bisections' probes near the edges (right; open "
               "markers at the top edge: diverged, with the step); dotted: each optimizer's "
               "largest stable lr L found by bisection; dashed: heavy ball's stability edge "
               "lr L = 2(1 + beta) on a quadratic.", draw_ahb, (FULL, 4.2), theory=True,
               settings=ahb_settings),
)
