"""The small-scale empirical checks: Rosenbrock paths, final losses with CIs, step-size
histograms (Adam / AdaBelief / Aida), and the robustness sweeps of Demon (momentum) and the
adaptive heavy ball (learning rate).

Reads ``empirical.series``: ``rosenbrock_paths.<start>.<optimizer> = {x, y,
hyperparameters?}``, ``stepsizes.<optimizer> = {log10_stepsizes}``; and ``empirical.metrics``:
``<task>.<optimizer>.{final_loss_median, ci_low, ci_high}``,
``demon_momentum_robustness.<optimizer>.final_loss_by_momentum``,
``ahb_lr_robustness.<optimizer>.final_loss_by_lr``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from reports.figures.style import (
    FigureSpec,
    floats,
    legend,
    legend_label,
    line_style,
    positive_span_decades,
    series_xy,
)
from reports.results import MissingResult, ResultSet
from reports.rules import EMPIRICAL_TASKS


def _rosenbrock(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, drawn only as the contour background."""
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def draw_rosenbrock(results: ResultSet, fig: Figure) -> None:
    paths = results.series("empirical").get("rosenbrock_paths")
    if not isinstance(paths, Mapping) or not paths:
        raise MissingResult("empirical.series.rosenbrock_paths absent")
    axes = fig.subplots(1, len(paths), squeeze=False)[0]
    for ax, (start, per_opt) in zip(axes, sorted(paths.items()), strict=True):
        xy = [series_xy(e, "x", "y", f"rosenbrock_paths.{start}.{n}") for n, e in per_opt.items()]
        xs = [v for p in xy for v in p[0] if math.isfinite(v)] + [1.0]
        ys = [v for p in xy for v in p[1] if math.isfinite(v)] + [1.0]
        pad_x, pad_y = 0.2 * (max(xs) - min(xs)) + 0.1, 0.2 * (max(ys) - min(ys)) + 0.1
        gx, gy = np.meshgrid(np.linspace(min(xs) - pad_x, max(xs) + pad_x, 200),
                             np.linspace(min(ys) - pad_y, max(ys) + pad_y, 200))
        ax.contour(gx, gy, np.log10(_rosenbrock(gx, gy) + 1e-3), levels=15, colors="grey",
                   linewidths=0.4, alpha=0.6)
        for (name, entry), (px, py) in zip(sorted(per_opt.items()), xy, strict=False):
            ax.plot(px, py, lw=1.2, label=legend_label(name, entry.get("hyperparameters")),
                    **line_style(name))
            ax.plot(px[:1], py[:1], marker="o", ms=4, color="black")
        ax.plot([1.0], [1.0], marker="*", ms=9, color="black", ls="none",
                label="minimum (1, 1)")
        ax.set_title(f"start {start}")
        ax.set_xlabel("x (parameter 1)")
        ax.set_ylabel("y (parameter 2)")
    legend(axes[-1], loc="upper left", bbox_to_anchor=(1.02, 1.0))


def draw_final_loss(results: ResultSet, fig: Figure) -> None:
    tasks = []
    for task in EMPIRICAL_TASKS:
        table = results.measurement("empirical").get("metrics", {}).get(task)
        if isinstance(table, Mapping) and table:
            tasks.append((task, table))
    if not tasks:
        raise MissingResult(f"empirical.metrics has none of {list(EMPIRICAL_TASKS)}")
    axes = fig.subplots(1, len(tasks), squeeze=False)[0]
    for ax, (task, table) in zip(axes, tasks, strict=True):
        names = sorted(table)
        med = np.array([float(table[n]["final_loss_median"]) for n in names])
        lo = np.array([float(table[n].get("ci_low", m)) for n, m in zip(names, med, strict=True)])
        hi = np.array([float(table[n].get("ci_high", m)) for n, m in zip(names, med, strict=True)])
        ypos = np.arange(len(names))
        for i, n in enumerate(names):
            ax.errorbar(med[i], ypos[i], xerr=[[med[i] - lo[i]], [hi[i] - med[i]]], fmt="o",
                        ms=4, capsize=2, color=line_style(n)["color"])
        ax.set_yticks(ypos, names)
        finite = [v for v in np.concatenate([lo, hi]) if math.isfinite(v)]
        if positive_span_decades(finite) >= 1 and min(finite) > 0:
            ax.set_xscale("log")
        ax.set_title(task)
        ax.set_xlabel("final training loss (median, 95% CI)")


def draw_stepsizes(results: ResultSet, fig: Figure) -> None:
    series = results.series("empirical").get("stepsizes")
    if not isinstance(series, Mapping) or not series:
        raise MissingResult("empirical.series.stepsizes absent")
    ax = fig.subplots()
    values = {n: [v for v in floats(e["log10_stepsizes"], n) if math.isfinite(v)]
              for n, e in sorted(series.items())}
    lo = min(min(v) for v in values.values() if v)
    hi = max(max(v) for v in values.values() if v)
    bins = np.linspace(lo, hi, 50)
    for name, vals in values.items():
        entry = series[name]
        ax.hist(vals, bins=bins.tolist(), histtype="step", lw=1.5, density=True,
                label=legend_label(f"{name}: spread {np.ptp(vals):.2f} decades",
                                   entry.get("hyperparameters")),
                color=line_style(name)["color"])
    ax.set_xlabel("log10 per-coordinate step size (lr / denominator)")
    ax.set_ylabel("density")
    legend(ax, loc="upper left")


def _sweep(results: ResultSet, fig: Figure, metric: str, key: str, xlabel: str) -> None:
    table = results.measurement("empirical").get("metrics", {}).get(metric)
    if not isinstance(table, Mapping) or not table:
        raise MissingResult(f"empirical.metrics.{metric} absent")
    ax = fig.subplots()
    top = 0.0
    curves: list[tuple[str, list[float], list[float]]] = []
    for name, entry in sorted(table.items()):
        sweep: Any = entry.get(key) if isinstance(entry, Mapping) else None
        if not isinstance(sweep, Mapping):
            continue
        pts = sorted((float(k), float(v)) for k, v in sweep.items())
        curves.append((name, [p[0] for p in pts], [p[1] for p in pts]))
        top = max([top] + [v for _, v in pts if math.isfinite(v)])
    if not curves:
        raise MissingResult(f"empirical.metrics.{metric}: no '{key}' sweep")
    for name, xs, ys in curves:
        ax.plot(xs, ys, marker="o", ms=3, label=name, **line_style(name))
        bad = [x for x, y in zip(xs, ys, strict=True) if not math.isfinite(y)]
        if bad:
            ax.plot(bad, [top * 2] * len(bad), marker="x", ls="none", ms=7,
                    color=line_style(name)["color"], label=f"{name}: diverged")
    xs_all = [x for _, xs, _ in curves for x in xs]
    if positive_span_decades(xs_all) >= 1.5 and min(xs_all) > 0:
        ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("final training loss (median over seeds)")
    legend(ax, loc="upper left")


def draw_demon(results: ResultSet, fig: Figure) -> None:
    _sweep(results, fig, "demon_momentum_robustness", "final_loss_by_momentum",
           "momentum parameter (beta_init for Demon)")


def draw_ahb(results: ResultSet, fig: Figure) -> None:
    _sweep(results, fig, "ahb_lr_robustness", "final_loss_by_lr", "learning rate")


FIGURES = (
    FigureSpec("rosenbrock_paths", "empirical", "Rosenbrock paths",
               "Paths of the optimizers on the Rosenbrock function from the authors' start "
               "(1, 2) and the standard start (-1.2, 1) (black dot), over log-spaced contours; "
               "star: the minimum (1, 1).", draw_rosenbrock, (9.5, 4.0)),
    FigureSpec("empirical_final_loss", "empirical", "Final training loss per optimizer",
               "Final training loss (median over seeds with its 95% bootstrap CI) on "
               "Rosenbrock, l2-logistic regression (breast cancer) and the digits MLP.",
               draw_final_loss, (9.5, 3.8)),
    FigureSpec("stepsize_histograms", "empirical", "Per-coordinate step sizes",
               "Histogram of log10 per-coordinate step sizes of Adam, AdaBelief and Aida at the "
               "end of training (the spread in decades in the legend).", draw_stepsizes,
               (6.5, 3.8)),
    FigureSpec("demon_robustness", "empirical", "Sensitivity to the momentum setting",
               "Final loss against the momentum parameter for Demon SGDM and heavy-ball SGD "
               "(crosses at the top: diverged).", draw_demon, (6.5, 3.8)),
    FigureSpec("ahb_lr_robustness", "empirical", "Sensitivity to the learning rate",
               "Final loss against the learning rate for SGD with the adaptive heavy-ball "
               "momentum and heavy-ball SGD with fixed momentum (crosses at the top: "
               "diverged).", draw_ahb, (6.5, 3.8)),
)
