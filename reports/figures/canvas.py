"""Drawing and saving a figure: :class:`FigureSpec` (what a figure is), :func:`draw` (fill a
matplotlib ``Figure`` from the result files in the house style), :func:`render` (save it as
vector PDF and PNG, or record why it could not be drawn)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from reports.figures.style import RC, VERMILLION, mark_every
from reports.results import CONTRACT_ERRORS, InvalidData, MissingResult, ResultSet
from verify_io.files import atomic_write_with

Draw = Callable[[ResultSet, Figure], None]
Settings = Callable[[ResultSet], str]


@dataclass(frozen=True)
class FigureSpec:
    """A named figure of one experiment: its caption and the function that draws it."""

    name: str
    experiment: str
    title: str
    caption: str
    draw: Draw
    size: tuple[float, float] = (7.0, 3.6)
    theory: bool = False
    """Whether a theory counterpart exists: every data axes then draws a theory line."""
    bands: bool | tuple[int, ...] = False
    """Whether the data has several seeds (or repeats): every axes with measurements then
    draws a spread band (a tuple: only the axes of these indices; the others hold exact
    values)."""
    settings: Settings | None = None
    """The hyperparameters of the figure's series as a caption sentence (legends name the
    series only; :func:`reports.figures.style.settings_caption`)."""


@dataclass(frozen=True)
class FigureResult:
    """A drawn figure (``png``, ``pdf``; ``note`` says what of the data it could not show) or
    the ``reason`` it was not drawn."""

    spec: FigureSpec
    png: Path | None = None
    pdf: Path | None = None
    reason: str = ""
    note: str = ""
    settings: str = ""

    @property
    def ok(self) -> bool:
        return self.png is not None


def draw(spec: FigureSpec, results: ResultSet) -> Figure:
    """``spec``'s figure drawn from ``results`` in the house style (not saved); raises what
    its ``draw`` raises (:class:`MissingResult`, :class:`InvalidData`, ...)."""
    with matplotlib.rc_context(cast(Any, RC)):
        fig = Figure(figsize=spec.size, layout="constrained")
        fig.suptitle(spec.title, fontsize=9, fontweight="bold")
        spec.draw(results, fig)
    return fig


def render(spec: FigureSpec, results: ResultSet, out_dir: Path) -> FigureResult:
    """Draw ``spec`` and save ``out_dir/<name>.pdf`` and ``.png`` (no timestamps inside)."""
    with matplotlib.rc_context(cast(Any, RC)):
        try:
            fig = draw(spec, results)
            settings = spec.settings(results) if spec.settings is not None else ""
        except MissingResult as exc:
            return FigureResult(spec, reason=str(exc))
        except InvalidData as exc:
            return FigureResult(spec, reason=f"invalid data: {exc}")
        except CONTRACT_ERRORS as exc:
            return FigureResult(spec, reason=f"results do not follow the contract: "
                                             f"{type(exc).__name__}: {exc}")
        source = f"measurements/{spec.experiment}.json"
        hidden = hide_non_finite(fig)
        note = (f"{hidden} value(s) of {source} that are not finite numbers (null, NaN or "
                f"inf) are not drawn."
                if hidden else "")
        pdf, png = out_dir / f"{spec.name}.pdf", out_dir / f"{spec.name}.png"
        try:
            _save_atomic(fig, pdf, {"CreationDate": None, "ModDate": None})
            fig.set_layout_engine("none")   # the PNG keeps the PDF's layout: not solved twice
            _save_atomic(fig, png, {"Software": None})
        except ValueError as exc:       # e.g. a log axis left with no positive finite value
            for path in (pdf, png):
                path.unlink(missing_ok=True)
            return FigureResult(spec, reason=f"{source} cannot be drawn: {exc}")
    return FigureResult(spec, png, pdf, note=note, settings=settings)


def _finite_rows(points: np.ndarray) -> np.ndarray:
    """Which rows of an (n, 2) array of x, y are both finite."""
    return np.all(np.isfinite(points), axis=1)


def hide_non_finite(fig: Figure) -> int:
    """Drop the non-finite points of every line and scatter of ``fig``, write on each axes
    that lost some how many it lost, rescale, and return the total count.

    Matplotlib leaves a NaN as a gap but lets an inf into the axis limits, and a log axis
    whose values are all non-finite or non-positive fails when saved: so the data goes, a mark
    says so, and an axis with nothing positive left to show on a log scale becomes linear.
    """
    total = 0
    for ax in fig.axes:
        hidden = 0
        for line in ax.get_lines():
            try:
                x = np.asarray(line.get_xdata(), dtype=float)
                y = np.asarray(line.get_ydata(), dtype=float)
            except (TypeError, ValueError):     # categorical data: nothing numeric to hide
                continue
            if x.shape != y.shape or x.ndim != 1:
                continue
            keep = _finite_rows(np.stack([x, y], axis=1))
            if not keep.all():
                hidden += int((~keep).sum())
                line.set_data(x[keep], y[keep])
                if isinstance(line.get_markevery(), list):   # indices into the old data
                    line.set_markevery(mark_every(int(keep.sum())))
        for collection in ax.collections:
            offsets = np.asarray(collection.get_offsets(), dtype=float)
            if offsets.ndim == 2 and offsets.shape[1] == 2 and len(offsets) > 1:
                keep = _finite_rows(offsets)
                if not keep.all():
                    hidden += int((~keep).sum())
                    collection.set_offsets(offsets[keep])
        if hidden:
            ax.text(0.99, 0.99, f"{hidden} non-finite value(s) not drawn", ha="right",
                    va="top", transform=ax.transAxes, color=VERMILLION, fontsize=7)
            ax.relim()
            ax.autoscale_view()
        for axis, scale, lim in (("x", ax.get_xscale(), ax.dataLim.intervalx),
                                 ("y", ax.get_yscale(), ax.dataLim.intervaly)):
            if scale == "log" and not (np.isfinite(lim).all() and lim.max() > 0):
                (ax.set_xscale if axis == "x" else ax.set_yscale)("linear")
        total += hidden
    return total


def _save_atomic(fig: Figure, path: Path, metadata: dict[str, Any]) -> None:
    """Save through a temporary file and a rename, so no reader sees a partial figure."""
    atomic_write_with(path, lambda tmp: fig.savefig(tmp, format=path.suffix[1:],
                                                    metadata=metadata))
