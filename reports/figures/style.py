"""The one style every figure shares, and the machinery that draws and saves a figure.

Colours: the Okabe-Ito palette (colour-blind safe), combined with line styles so that more
optimizers than colours stay distinguishable; an optimizer keeps its colour in every figure.
Each figure is a :class:`FigureSpec` whose ``draw`` reads the result files (the measurements'
``series`` and ``metrics``) and fills a matplotlib ``Figure``; :func:`render` saves it as
vector PDF and PNG, or records why it could not be drawn.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import matplotlib
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reports.results import CONTRACT_ERRORS, InvalidData, MissingResult, ResultSet
from verify_io.files import atomic_write_with

OKABE_ITO: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7",
                              "#56B4E9", "#F0E442", "#000000")
LINESTYLES: tuple[str, ...] = ("-", "--", "-.", ":")
BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, YELLOW, BLACK = OKABE_ITO
KNOWN_STYLES: dict[str, tuple[str, str]] = {
    # one colour per family, line style within it: variants read as relatives
    "dwmgrad": (BLUE, "-"), "dwmgradanalysed": (BLUE, "--"),
    "adam": (ORANGE, "-"), "demonadam": (ORANGE, "--"), "adamahb": (ORANGE, ":"),
    "amsgrad": (VERMILLION, "-"),
    "adabelief": (GREEN, "-"), "aida": (PURPLE, "-"),
    "heavyball": (SKY, "-"), "adaptivehb": (SKY, "--"), "demonsgd": (SKY, "-."),
    "sgd": (BLACK, "-"), "gd": (BLACK, "-"),
}
"""Fixed colour and line style of each optimizer the package and its baselines name."""

RC: dict[str, Any] = {
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 7,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": cycler(color=list(OKABE_ITO)),
    "savefig.dpi": 150,
    "pdf.fonttype": 42,
    "svg.hashsalt": "dwmgrad-verify",
}


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def line_style(name: str) -> dict[str, Any]:
    """Colour and line style of optimizer (or series) ``name``, the same in every figure."""
    known = KNOWN_STYLES.get(_key(name))
    if known is None:
        index = sum(map(ord, _key(name))) % (len(OKABE_ITO) * len(LINESTYLES))
        known = (OKABE_ITO[index % len(OKABE_ITO)], LINESTYLES[index // len(OKABE_ITO)])
    return {"color": known[0], "linestyle": known[1]}


def fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, list | tuple):
        return "(" + ", ".join(fmt_value(x) for x in v) + ")"
    return str(v)


def legend_label(name: str, hyperparameters: Mapping[str, Any] | None = None,
                 width: int = 64) -> str:
    """``"Adam (lr=0.001, betas=(0.9, 0.999))"``: the optimizer and its hyperparameters,
    wrapped onto lines of at most ``width`` characters."""
    if not hyperparameters:
        return name
    text = f"{name} (" + ", ".join(f"{k}={fmt_value(v)}" for k, v in hyperparameters.items()) + ")"
    return textwrap.fill(text, width=width, subsequent_indent="  ", break_long_words=False)


def labelled_hyperparameters(results: ResultSet, name: str, *path: str
                             ) -> dict[str, Mapping[str, Any]]:
    """Label -> hyperparameters of the runs experiment ``name``'s measurement labels under
    ``run_labels.<path...>``, read from their spec files (``runs/<name>/<key>.json``). A label
    whose spec file cannot be read is left out (the legend then names the label only)."""
    node: Any = results.measurement(name).get("run_labels") or {}
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    out: dict[str, Mapping[str, Any]] = {}
    for label, key in (node.items() if isinstance(node, Mapping) else ()):
        spec = results.run_spec(name, str(key))
        if spec is not None:
            out[label] = dict(spec.get("hyperparameters") or {})
    return out


def merged_hyperparameters(per_panel: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """One legend entry for several panels: a value shared by all panels once, otherwise the
    panels' values in panel order joined by ' | '."""
    keys = list(dict.fromkeys(k for hp in per_panel for k in hp))
    out = {}
    for k in keys:
        values = [fmt_value(hp[k]) if k in hp else "-" for hp in per_panel]
        out[k] = values[0] if len(set(values)) == 1 else " | ".join(values)
    return out


def floats(values: Iterable[Any], what: str) -> list[float]:
    """A series as floats (``None``/strings such as "inf" become floats or NaN)."""
    if not isinstance(values, list | tuple):
        raise MissingResult(f"{what} is not a list")
    out = []
    for v in values:
        try:
            out.append(float(v) if v is not None else math.nan)
        except (TypeError, ValueError):
            out.append(math.nan)
    return out


def series_xy(entry: Mapping[str, Any], x: str, y: str, what: str) -> tuple[list[float],
                                                                               list[float]]:
    for key in (x, y):
        if key not in entry:
            raise MissingResult(f"{what}: no '{key}' array (keys: {sorted(entry)})")
    xs, ys = floats(entry[x], f"{what}.{x}"), floats(entry[y], f"{what}.{y}")
    if len(xs) != len(ys):
        raise MissingResult(f"{what}: '{x}' and '{y}' differ in length")
    return xs, ys


def positive_span_decades(values: Sequence[float]) -> float:
    pos = [v for v in values if v > 0 and math.isfinite(v)]
    return math.log10(max(pos) / min(pos)) if len(pos) >= 2 else 0.0


def auto_log(ax: Axes, axis: str, values: Sequence[float], decades: float = 2.0) -> None:
    """Log scale on ``axis`` ('x' or 'y') when the positive data span >= ``decades``."""
    if positive_span_decades(values) >= decades and all(v > 0 for v in values
                                                        if math.isfinite(v)):
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")


def legend(ax: Axes, **kwargs: Any) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(frameon=False, **kwargs)


Draw = Callable[[ResultSet, Figure], None]


@dataclass(frozen=True)
class FigureSpec:
    """A named figure of one experiment: its caption and the function that draws it."""

    name: str
    experiment: str
    title: str
    caption: str
    draw: Draw
    size: tuple[float, float] = (7.0, 3.6)


@dataclass(frozen=True)
class FigureResult:
    """A drawn figure (``png``, ``pdf``; ``note`` says what of the data it could not show) or
    the ``reason`` it was not drawn."""

    spec: FigureSpec
    png: Path | None = None
    pdf: Path | None = None
    reason: str = ""
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.png is not None


def render(spec: FigureSpec, results: ResultSet, out_dir: Path) -> FigureResult:
    """Draw ``spec`` and save ``out_dir/<name>.pdf`` and ``.png`` (no timestamps inside)."""
    with matplotlib.rc_context(cast(Any, RC)):
        fig = Figure(figsize=spec.size, layout="constrained")
        try:
            spec.draw(results, fig)
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
            _save_atomic(fig, png, {"Software": None})
        except ValueError as exc:       # e.g. a log axis left with no positive finite value
            for path in (pdf, png):
                path.unlink(missing_ok=True)
            return FigureResult(spec, reason=f"{source} cannot be drawn: {exc}")
    return FigureResult(spec, png, pdf, note=note)


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
