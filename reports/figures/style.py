"""The house style: the one place that decides how every figure looks.

* **Optimizers**: :data:`LOOKS` gives each optimizer and DWMGrad variant one colour (Okabe-Ito,
  colour-blind safe; a family shares a hue) and one marker, used in every figure; no two entries
  share a (colour, marker) pair, so no two series of one axes look alike. :func:`look` resolves
  the spellings the result files use ("DWMGrad (analysed)", "paper:loss_decrease",
  "Adam (Reddi Thm 1: ...)").
* **Roles**: a measurement is a solid line with its optimizer's markers; theory is drawn
  without markers in a role's line style (:data:`THEORY_STYLES`: a prediction or bound dashed,
  a reference slope or a fit dotted, a trivial comparator dash-dotted); seed spread is a band
  in the series' colour. The drawing helpers (:func:`measured`, :func:`theory`, :func:`band`)
  tag each artist with its role (``gid``) so that :mod:`reports.figures.lint` can check a
  figure from its artists.
* **Sizes and fonts** for a two-column appendix (:data:`COLUMN`, :data:`FULL` inches wide,
  8-9 pt text at print size, TrueType fonts embedded in the PDF): :data:`RC`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from cycler import cycler
from matplotlib import cbook
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from reports.results import MissingResult, ResultSet

OKABE_ITO: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7",
                              "#56B4E9", "#F0E442", "#000000")
BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, YELLOW, BLACK = OKABE_ITO
GREY = "#7F7F7F"
THEORY_COLOUR = BLACK
"""Colour of a theory line that belongs to no one series (a trivial bound, an edge)."""
SERIES_COLOURS: tuple[str, ...] = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, GREY)
"""Colours of series the registry does not name (never black, the theory colour, nor the
Okabe-Ito yellow, too light for a line on white)."""

COLUMN, FULL = 3.4, 7.0
"""Widths in inches of one column and of the full text of a two-column appendix."""


@dataclass(frozen=True)
class Look:
    """How one optimizer's series is drawn: colour and marker (the line style is the role's)."""

    color: str
    marker: str


LOOKS: dict[str, Look] = {
    # DWMGrad: the paper's window rules in blue, the analysed algorithm's settings in sky blue
    "dwmgrad": Look(BLUE, "o"), "dwmgradlossdecrease": Look(BLUE, "s"),
    "dwmgradlossincrease": Look(BLUE, "^"),
    "dwmgradanalysed": Look(SKY, "D"), "dwmgradanalysedtuned": Look(SKY, "v"),
    "dwmgradconstantmomentum": Look(SKY, "P"),
    # Adam and its relatives in orange, AMSGrad apart in vermillion
    "adam": Look(ORANGE, "o"), "demonadam": Look(ORANGE, "s"), "adamahb": Look(ORANGE, "^"),
    "amsgrad": Look(VERMILLION, "o"),
    "adabelief": Look(GREEN, "o"), "aida": Look(PURPLE, "o"),
    # heavy ball and the momentum schedules compared against it: different hues
    "heavyball": Look(BLACK, "o"), "adaptivehb": Look(GREEN, "^"), "demonsgd": Look(PURPLE, "s"),
    "heavyballlrdecay": Look(BLACK, "v"),  # heavy ball with lr/sqrt(t): Demon's comparator
    "sgd": Look(GREY, "o"), "gd": Look(GREY, "s"),
}
"""One look per optimizer and DWMGrad variant (keys as :func:`canonical` writes them)."""

ALIASES: dict[str, str] = {
    "paperloss": "dwmgrad", "dwmgradpaperloss": "dwmgrad", "dwmgradloss": "dwmgrad",
    "published": "dwmgrad", "heavyballgd": "heavyball",
}
"""Other spellings of a key of :data:`LOOKS`."""

FALLBACK_MARKERS = ("X", "*", "h", "<", ">", "p", "d", "H")
"""Markers no entry of :data:`LOOKS` uses: a name the registry does not know (a plugin's
optimizer) gets one of these, so it never looks like a registered optimizer."""

THEORY_STYLES: dict[str, str] = {"theory": "--", "reference": ":", "trivial": "-."}
"""Line style of each kind of theory line: a prediction/bound/envelope/edge ("theory"), a
reference slope or fitted power law ("reference"), a trivial comparator ("trivial")."""

MARKERS_PER_LINE = 8
"""About how many markers a long line carries (see :func:`mark_every`)."""

MEASURED, BAND, FIT, MARK = "measured", "band", "fit", "mark"
"""The ``gid`` prefixes of measurements, seed-spread bands, power laws fitted to a
measurement and marks (a start, a minimum, a diverged run); theory lines: ``theory:<kind>``."""

RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "mathtext.fontset": "dejavusans",
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "legend.fontsize": 6.5,
    "legend.title_fontsize": 6.5,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "lines.linewidth": 1.2,
    "lines.markersize": 3.5,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": cycler(color=list(OKABE_ITO)),
    "savefig.dpi": 200,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.hashsalt": "dwmgrad-verify",
}
"""Matplotlib settings of every figure (TrueType fonts embedded: ``pdf.fonttype`` 42)."""


def canonical(name: str) -> str:
    """The registry key of ``name``: lower-case letters and digits, DWMGrad variants prefixed
    with ``dwmgrad``, known aliases resolved."""
    key = "".join(ch for ch in name.lower() if ch.isalnum())
    for prefix in ("dwmgradpaper", "paper"):
        if key.startswith(prefix) and key != prefix + "loss":
            key = "dwmgrad" + key[len(prefix):]
    if key.startswith(("analysed", "constantmomentum")):
        key = "dwmgrad" + key
    return ALIASES.get(key, key)


def look(name: str) -> Look:
    """The look of optimizer (or variant) ``name``, the same in every figure.

    Tried in order: the whole name, then the name before a parenthesis ("Adam (Reddi Thm 1:
    ...)" is Adam); a name the registry does not know gets a fallback marker (deterministic in
    the name) that no registered optimizer uses."""
    for candidate in (name, name.split(" (")[0]):
        known = LOOKS.get(canonical(candidate))
        if known is not None:
            return known
    index = sum(map(ord, canonical(name)))
    return Look(SERIES_COLOURS[index % len(SERIES_COLOURS)],
                FALLBACK_MARKERS[index // len(SERIES_COLOURS) % len(FALLBACK_MARKERS)])


def mark_every(n: int) -> list[int] | None:
    """Which of a line's ``n`` points carry markers: all of a short line; of a long one
    :data:`MARKERS_PER_LINE` evenly spaced indices and as many geometrically spaced ones, so
    markers are spread on a linear axis and on a log axis alike (series are in step order)."""
    if n <= 2 * MARKERS_PER_LINE:
        return None
    linear = np.linspace(0, n - 1, MARKERS_PER_LINE)
    geometric = np.geomspace(1, n, MARKERS_PER_LINE) - 1
    return sorted({int(round(i)) for i in (*linear, *geometric)})


def _length(x: Any) -> int:
    return len(x) if hasattr(x, "__len__") else 0


def line_style(name: str) -> dict[str, Any]:
    """Matplotlib keywords of a measured series of ``name``: its colour and marker, solid."""
    known = look(name)
    return {"color": known.color, "marker": known.marker, "linestyle": "-"}


def measured(ax: Axes, name: str, x: Any, y: Any, label: str | None = None,
             **kwargs: Any) -> Line2D:
    """Draw a measured series of optimizer ``name`` in its look (markers evenly spaced on
    the page, on linear and log axes alike); tagged ``measured:<name>``."""
    options = {**line_style(name), "markevery": mark_every(_length(x)),
               **cbook.normalize_kwargs(kwargs, Line2D)}
    (line,) = ax.plot(x, y, label=label, gid=f"{MEASURED}:{name}", **options)
    return line


def theory(ax: Axes, x: Any, y: Any, label: str | None, kind: str = "theory",
           owner: str | None = None, **kwargs: Any) -> Line2D:
    """Draw a theory line (no markers) of ``kind`` (:data:`THEORY_STYLES`), in the colour of
    the series it belongs to (``owner``) or in :data:`THEORY_COLOUR`; tagged ``theory:<kind>``."""
    options = {**_theory_look(kind, owner), "markevery": mark_every(_length(x)),
               "linewidth": 1.0,
               **cbook.normalize_kwargs(kwargs, Line2D)}
    (line,) = ax.plot(x, y, label=label, gid=f"theory:{kind}", **options)
    return line


def _theory_look(kind: str, owner: str | None) -> dict[str, Any]:
    """A theory line of ``owner``'s series: its colour and its marker, hollow and sparse (so
    the bounds of two variants of one hue differ); of no series: black, no marker."""
    if owner is None:
        return {"color": THEORY_COLOUR, "linestyle": THEORY_STYLES[kind], "marker": "none"}
    known = look(owner)
    return {"color": known.color, "linestyle": THEORY_STYLES[kind], "marker": known.marker,
            "markerfacecolor": "none"}


def theory_hline(ax: Axes, y: float, label: str | None, kind: str = "theory",
                 owner: str | None = None) -> Line2D:
    return ax.axhline(y, **_theory_look(kind, owner), linewidth=1.0, label=label,
                      gid=f"theory:{kind}")


def theory_vline(ax: Axes, x: float, label: str | None, kind: str = "theory",
                 owner: str | None = None) -> Line2D:
    return ax.axvline(x, **_theory_look(kind, owner), linewidth=1.0, label=label,
                      gid=f"theory:{kind}")


def band(ax: Axes, name: str, x: Any, low: Any, high: Any, label: str | None = None) -> Any:
    """Seed spread of ``name``'s series between ``low`` and ``high``; tagged ``band:<name>``."""
    return ax.fill_between(x, low, high, color=look(name).color, alpha=0.18, linewidth=0,
                           label=label, gid=f"{BAND}:{name}")


def fit_line(ax: Axes, name: str, x: Any, y: Any, label: str | None = None) -> Line2D:
    """A curve fitted to ``name``'s measurement (thin, dotted, its colour); tagged ``fit:``."""
    (line,) = ax.plot(x, y, color=look(name).color, linestyle=":", linewidth=0.8,
                      marker="none", label=label, gid=f"{FIT}:{name}")
    return line


def mark(ax: Axes, x: Any, y: Any, label: str | None = None, **kwargs: Any) -> Line2D:
    """Points that are neither a series nor theory (a start, a minimum, a diverged run)."""
    options = {"color": BLACK, "linestyle": "none", "marker": "o",
               **cbook.normalize_kwargs(kwargs, Line2D)}
    (line,) = ax.plot(x, y, label=label, gid=f"{MARK}:{label or ''}", **options)
    return line


def indexed_look(i: int) -> Look:
    """The ``i``-th look for series that are not optimizers (settings, games): the palette
    without black, then the next marker; distinct for distinct ``i`` below 7 x 9."""
    markers = ("o", *FALLBACK_MARKERS)
    return Look(SERIES_COLOURS[i % len(SERIES_COLOURS)],
                markers[i // len(SERIES_COLOURS) % len(markers)])


def power_law_through(x: Sequence[float], y: Sequence[float], exponent: float
                      ) -> tuple[np.ndarray, np.ndarray] | None:
    """A reference line c x^exponent through the last positive finite point of (x, y) (the
    largest x, where the asymptotic regime is), over the range of x; None without one."""
    pts = [(a, b) for a, b in zip(x, y, strict=True)
           if math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0]
    if len(pts) < 2:
        return None
    x0, y0 = max(pts)
    grid = np.geomspace(min(p[0] for p in pts), x0, 32)
    return grid, y0 * (grid / x0) ** exponent


def fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, list | tuple):
        return "(" + ", ".join(fmt_value(x) for x in v) + ")"
    return str(v)


def settings_text(hyperparameters: Mapping[str, Any]) -> str:
    """``"lr=0.001, betas=(0.9, 0.999)"``; ``"defaults"`` when there are none."""
    return ", ".join(f"{k}={fmt_value(v)}" for k, v in hyperparameters.items()) or "defaults"


def settings_caption(per_panel: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> str:
    """The hyperparameters of every series of a figure, for its caption (legends name the
    series only): panel -> series -> hyperparameters, written as "Settings: Adam lr=0.01;
    SGD lr=0.1 on logistic / lr=0.0002 on mlp." A series with the same settings in every
    panel it appears in is given once; "" when no series has any."""
    names = list(dict.fromkeys(n for series in per_panel.values() for n in series))
    parts = []
    for name in names:
        per = {panel: settings_text(series[name]) for panel, series in per_panel.items()
               if name in series}
        if len(set(per.values())) == 1:
            parts.append(f"{name} {next(iter(per.values()))}")
        else:
            parts.append(f"{name} " + " / ".join(f"{text} on {panel}"
                                                 for panel, text in per.items()))
    return f"Settings: {'; '.join(parts)}." if parts else ""


def labelled_hyperparameters(results: ResultSet, name: str, *path: str
                             ) -> dict[str, Mapping[str, Any]]:
    """Label -> hyperparameters of the runs experiment ``name``'s measurement labels under
    ``run_labels.<path...>``, read from their spec files (``runs/<name>/<key>.json``). A label
    whose spec file cannot be read is left out (the caption then names the label only)."""
    node: Any = results.measurement(name).get("run_labels") or {}
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    out: dict[str, Mapping[str, Any]] = {}
    for label, key in (node.items() if isinstance(node, Mapping) else ()):
        spec = results.run_spec(name, str(key))
        if spec is not None:
            out[label] = dict(spec.get("hyperparameters") or {})
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


