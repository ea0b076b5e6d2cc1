"""What a reader needs from a figure, checked on its matplotlib artists.

:func:`faults` reads a drawn ``Figure`` (never its pixels) and lists what is wrong:

* a line drawn outside the house style (no role ``gid`` from :mod:`reports.figures.style`);
* two measured series of different optimizers in one axes with the same colour, marker and
  line style;
* an axes with data but no x or y label (a label on an axes it shares that axis with counts);
* a figure whose spec says a theory exists, with an axes of measurements and no theory line
  beside them, or with a theory line whose look no legend names;
* a figure whose spec says the data has several seeds, with an axes of measurements and no
  seed-spread band;
* two theory lines in one axes that look the same (colour, line style, marker) but say
  different things;
* a hyperparameter in a legend (``name=value``, or panels' values joined by ``|``): settings
  belong to the caption (:attr:`FigureSpec.settings`);
* a diverged run drawn at a made-up value: a mark whose label says "diverged" must sit at
  an axes edge (one of its coordinates in axes units), and the axes must say "diverged at
  step k" beside each of its points.
"""

from __future__ import annotations

import re

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from reports.figures.canvas import FigureSpec
from reports.figures.style import BAND, FIT, MARK, MEASURED

HYPERPARAMETER = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*=[^\s=]| \| ")
"""A setting written into a legend: ``lr=0.01`` (no spaces round the sign, as code writes
it; mathematics is spaced: ``$x = +1$``) or values of several panels joined by ``|``."""

DIVERGED_AT_STEP = re.compile(r"diverged at step \d+")
"""The annotation every diverged point carries."""

ROLES = (MEASURED, "theory", BAND, FIT, MARK)
"""The ``gid`` prefixes a line of a figure may carry (:mod:`reports.figures.style`)."""


def _role(gid: str | None) -> str:
    return (gid or "").split(":")[0]


def _has_data(ax: Axes) -> bool:
    return bool(ax.get_lines() or ax.collections or ax.images or ax.patches)


def _labelled(ax: Axes, axis: str) -> bool:
    group = ax.get_shared_x_axes() if axis == "x" else ax.get_shared_y_axes()
    return any((sib.get_xlabel() if axis == "x" else sib.get_ylabel()).strip()
               for sib in group.get_siblings(ax))


def _legend_texts(fig: Figure) -> set[str]:
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
    return {t.get_text() for lg in legends if lg is not None for t in lg.get_texts()}


def _measured(ax: Axes) -> list[Line2D]:
    return [ln for ln in ax.get_lines() if _role(ln.get_gid()) == MEASURED]


def _diverged_faults(ax: Axes, where: str) -> list[str]:
    """A diverged run is marked at an axes edge, each point with its step."""
    marks = [ln for ln in ax.get_lines() if _role(ln.get_gid()) == MARK
             and "diverged" in str(ln.get_label())]
    out = [f"{where}: {ln.get_label()!r} is drawn at data values, not at an axes edge"
           for ln in marks if ln.get_transform() == ax.transData]
    points = sum(int(np.size(ln.get_xdata())) for ln in marks)
    steps = sum(bool(DIVERGED_AT_STEP.search(t.get_text())) for t in ax.texts)
    if steps < points:
        out.append(f"{where}: {points} diverged points but {steps} 'diverged at step k' notes")
    return out


def faults(spec: FigureSpec, fig: Figure) -> list[str]:
    """Every fault of ``fig`` (drawn for ``spec``), one line each naming the axes; [] if none.

    A theory line is named when a legend shows its label (copies of one line in several
    panels carry the same label and share one legend entry)."""
    out: list[str] = []
    legend_texts = _legend_texts(fig)
    out += [f"{spec.name}: legend entry {text!r} holds hyperparameters (they go to the "
            f"caption)" for text in sorted(legend_texts) if HYPERPARAMETER.search(text)]
    for i, ax in enumerate(fig.axes):
        title = " ".join(ax.get_title().split()) or "untitled"
        where = f"{spec.name}, axes {i} ({title})"
        if hasattr(ax, "_colorbar") or not _has_data(ax):
            continue
        for ln in ax.get_lines():
            if _role(ln.get_gid()) not in ROLES:
                out.append(f"{where}: line {ln.get_label()!r} is not drawn through the house "
                           f"style (gid {ln.get_gid()!r})")
        looks: dict[tuple[str, str, str, str], str] = {}
        for ln in _measured(ax):
            key = (str(ln.get_color()), str(ln.get_marker()), str(ln.get_linestyle()),
                   str(ln.get_markerfacecolor()))
            name = str(ln.get_gid())
            if looks.setdefault(key, name) != name:
                out.append(f"{where}: {looks[key]} and {name} look the same {key}")
        for axis in ("x", "y"):
            if not _labelled(ax, axis):
                out.append(f"{where}: no {axis} axis label")
        theory_lines = [ln for ln in ax.get_lines() if _role(ln.get_gid()) == "theory"]
        out += [f"{where}: theory line ({ln.get_color()}, {ln.get_linestyle()}) is named in "
                f"no legend" for ln in theory_lines if ln.get_label() not in legend_texts]
        theory_looks: dict[tuple[str, str, str], str] = {}
        for ln in theory_lines:
            drawn_as = (str(ln.get_color()), str(ln.get_linestyle()), str(ln.get_marker()))
            label = str(ln.get_label())
            if theory_looks.setdefault(drawn_as, label) != label:
                out.append(f"{where}: theory lines {theory_looks[drawn_as]!r} and {label!r} "
                           f"look the same {drawn_as}")
        if spec.theory and _measured(ax) and not theory_lines:
            out.append(f"{where}: measurements without their theory line")
        out += _diverged_faults(ax, where)
        wants_band = spec.bands is True or (isinstance(spec.bands, tuple) and i in spec.bands)
        if wants_band and _measured(ax) and not any(
                _role(c.get_gid()) == BAND for c in ax.collections):
            out.append(f"{where}: several seeds but no seed-spread band")
    return out
