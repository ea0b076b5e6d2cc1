"""Reddi et al.'s constructions: the iterate x_t of every optimizer on each construction.

Reads ``reddi.series.<construction>.<optimizer> = {t, x}`` for the constructions
``theorem1``, ``section5_online`` and ``section5_stochastic``; the legends' hyperparameters from
the spec files of the runs ``reddi.run_labels.<construction>.<optimizer>`` names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matplotlib.figure import Figure

from reports.figures.style import (
    FigureSpec,
    labelled_hyperparameters,
    legend_label,
    line_style,
    merged_hyperparameters,
    series_xy,
)
from reports.results import MissingResult, ResultSet

CONSTRUCTIONS = {"theorem1": "Theorem 1 (C = 3)", "section5_online": "Section 5, online",
                 "section5_stochastic": "Section 5, stochastic"}


def draw_reddi(results: ResultSet, fig: Figure) -> None:
    series = results.series("reddi")
    present = [c for c in CONSTRUCTIONS if isinstance(series.get(c), Mapping) and series[c]]
    if not present:
        raise MissingResult(f"reddi.series has none of {list(CONSTRUCTIONS)}")
    per_panel = [labelled_hyperparameters(results, "reddi", c) for c in present]
    axes = fig.subplots(1, len(present), sharey=True, squeeze=False)[0]
    handles: dict[str, Any] = {}
    for ax, construction in zip(axes, present, strict=True):
        for name, entry in sorted(series[construction].items()):
            steps, xs = series_xy(entry, "t", "x", f"reddi.series.{construction}.{name}")
            (line,) = ax.plot(steps, xs, lw=1.2, **line_style(name))
            handles.setdefault(name, line)
        ax.axhline(-1.0, color="grey", ls=":", lw=1)
        ax.set_xscale("log")
        ax.set_ylim(-1.1, 1.1)
        ax.set_title(CONSTRUCTIONS[construction])
        ax.set_xlabel(r"round $t$")
    axes[0].set_ylabel(r"iterate $x_t$ (optimum $x^* = -1$, dotted)")
    labels = [legend_label(name, merged_hyperparameters([hp.get(name, {}) for hp in per_panel]))
              for name in handles]
    fig.legend(list(handles.values()), labels, loc="outside lower center", ncols=2,
               frameon=False, title="hyperparameters per panel, left to right")


FIGURES = (
    FigureSpec("reddi_trajectories", "reddi", "Reddi et al.'s constructions: every optimizer",
               "Iterate x_t on F = [-1, 1] for each optimizer on Reddi, Kale and Kumar's "
               "constructions; the optimum is x* = -1 and x = +1 is the worst point.",
               draw_reddi, (10.0, 5.2)),
)
