"""The report's figures: one module per family, one shared style (:mod:`.style`).

:data:`FIGURES` lists every figure in report order; :func:`render_all` draws each from the
result files into ``out_dir`` as PDF and PNG, and records the reason for any it cannot draw.
"""

from __future__ import annotations

from pathlib import Path

from reports.figures import cost, empirical, heavy_ball, invariance, online, regret
from reports.figures.canvas import FigureResult, FigureSpec, render
from reports.results import ResultSet

FIGURES: tuple[FigureSpec, ...] = (
    *regret.FIGURES, *heavy_ball.FIGURES, *online.FIGURES, *invariance.FIGURES, *cost.FIGURES,
    *empirical.FIGURES,
)


def render_all(results: ResultSet, out_dir: Path,
               specs: tuple[FigureSpec, ...] = FIGURES) -> list[FigureResult]:
    names = [f.name for f in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate figure names: {names}")
    return [render(spec, results, Path(out_dir)) for spec in specs]


__all__ = ["FIGURES", "FigureResult", "FigureSpec", "render_all"]
