"""The invariance audit: the worst normalised change of each optimizer under each
transformation (``invariance.series``: ``optimizers``, ``transforms``, ``worst_change``)."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from reports.figures.canvas import FigureSpec
from reports.figures.style import FULL
from reports.results import InvalidData, ResultSet

FLOOR = 1e-16
"""Changes below this (exactly 0 included) are drawn at this value on the log colour scale."""


def draw_invariance(results: ResultSet, fig: Figure) -> None:
    series = results.series("invariance")
    try:
        rows, cols = list(series["optimizers"]), list(series["transforms"])
        values = np.array([[np.nan if v is None else float(v) for v in row]
                           for row in series["worst_change"]], dtype=float)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidData("measurements/invariance.json", f"series: {exc!r}") from None
    if values.shape != (len(rows), len(cols)):
        raise InvalidData("measurements/invariance.json",
                          f"series.worst_change has shape {values.shape}, expected "
                          f"({len(rows)}, {len(cols)})")
    ax = fig.subplots()
    shown = np.where(np.isnan(values), 1.0, np.maximum(values, FLOOR))
    image = ax.imshow(shown, norm=LogNorm(vmin=FLOOR, vmax=max(1.0, float(shown.max()))),
                      cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("transformation of the online game")
    ax.set_ylabel("optimizer")
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, "n/a" if np.isnan(v) else f"{v:.0e}", ha="center", va="center",
                fontsize=6, color="white" if shown[i, j] < 1e-6 else "black")
    fig.colorbar(image, ax=ax, label="worst change (iterate / D_inf, R_T/T / (G_inf D_inf))")


FIGURES = (
    FigureSpec("invariance_audit", "invariance", "Invariance audit",
               "For each optimizer and transformation of the online games, the largest change "
               "of the mapped-back iterate (over t, / D_inf) or of R_T/T (rescaled, / G_inf "
               "D_inf), worst over the games; below 1e-10 is exact, below 1e-5 'up to eps'.",
               draw_invariance, (FULL, 5.0)),
)
