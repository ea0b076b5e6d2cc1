"""Reddi et al.'s constructions: the iterate x_t of every optimizer on each construction.

Reads ``reddi.series.<construction>.<optimizer> = {t, x}`` for the constructions
``theorem1``, ``section5_online`` and ``section5_stochastic``; the legends' hyperparameters from
the spec files of the runs ``reddi.run_labels.<construction>.<optimizer>`` names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matplotlib.figure import Figure

from reports.figures.canvas import FigureSpec
from reports.figures.style import (
    FULL,
    canonical,
    labelled_hyperparameters,
    measured,
    series_xy,
    settings_caption,
    theory_hline,
)
from reports.results import MissingResult, ResultSet

CONSTRUCTIONS = {"theorem1": "Theorem 1 (C = 3)", "section5_online": "Section 5, online",
                 "section5_stochastic": "Section 5, stochastic"}
CLAIMED = ("adam", "amsgrad", "dwmgrad", "dwmgradanalysed")
"""The optimizers Reddi et al.'s claims and ours are about: the left column; the others right."""


def draw_reddi(results: ResultSet, fig: Figure) -> None:
    series = results.series("reddi")
    present = [c for c in CONSTRUCTIONS if isinstance(series.get(c), Mapping) and series[c]]
    if not present:
        raise MissingResult(f"reddi.series has none of {list(CONSTRUCTIONS)}")
    grid = fig.subplots(len(present), 2, sharex=True, sharey=True, squeeze=False)
    handles: dict[str, Any] = {}
    marks: dict[str, Any] = {}
    for axes, construction in zip(grid, present, strict=True):
        for name, entry in sorted(series[construction].items()):
            steps, xs = series_xy(entry, "t", "x", f"reddi.series.{construction}.{name}")
            ax = axes[0] if canonical(name) in CLAIMED else axes[1]
            handles.setdefault(name, measured(ax, name, steps, xs, name, lw=1.0))
        for col, ax in enumerate(axes):
            for y, label, kind in ((-1.0, "optimum $x^* = -1$", "theory"),
                                   (1.0, "$x = +1$: where Reddi et al. prove Adam goes",
                                    "reference")):
                marks.setdefault(label, theory_hline(ax, y, label, kind=kind))
            ax.set_xscale("log")
            ax.set_ylim(-1.1, 1.1)
            ax.set_title(f"{CONSTRUCTIONS[construction]}: "
                         f"{'Adam, AMSGrad, DWMGrad' if col == 0 else 'the others'}")
        axes[0].set_ylabel(r"iterate $x_t$")
    for ax in grid[-1]:
        ax.set_xlabel(r"round $t$")
    fig.legend([*handles.values(), *marks.values()], [*handles, *marks],
               loc="outside lower center", ncols=4, frameon=False)


def reddi_settings(results: ResultSet) -> str:
    series = results.series("reddi")
    return settings_caption({CONSTRUCTIONS[c]: labelled_hyperparameters(results, "reddi", c)
                             for c in CONSTRUCTIONS if isinstance(series.get(c), Mapping)})


FIGURES = (
    FigureSpec("reddi_trajectories", "reddi", "Reddi et al.'s constructions: every optimizer",
               "Iterate x_t on F = [-1, 1] for each optimizer on Reddi, Kale and Kumar's "
               "constructions (rows); left: the optimizers the claims are about, right: the "
               "others. Dashed: the optimum x* = -1; dotted: x = +1, the worst point, where "
               "Reddi et al. prove Adam converges on Theorem 1.",
               draw_reddi, (FULL, 6.4), theory=True, settings=reddi_settings),
)
