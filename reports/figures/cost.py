"""Cost scaling: step time against the number of parameters d, log-log, with fitted slopes
and the cost model's linear line.

Reads ``cost_scaling.series.time_vs_d.<optimizer> = {d, time_per_step}`` (seconds) and the
fitted exponents ``cost_scaling.metrics.<optimizer>.time_exponent_d``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from reports.figures.style import FigureSpec, legend, line_style, series_xy
from reports.results import MissingResult, ResultSet
from reports.rules import is_dwmgrad


def draw_cost(results: ResultSet, fig: Figure) -> None:
    series = results.series("cost_scaling").get("time_vs_d")
    if not isinstance(series, Mapping) or not series:
        raise MissingResult("cost_scaling.series.time_vs_d absent")
    metrics = results.measurement("cost_scaling").get("metrics", {})
    ax = fig.subplots()
    anchor: tuple[float, float] | None = None
    for name, entry in sorted(series.items()):
        d, t = series_xy(entry, "d", "time_per_step", f"cost_scaling.series.time_vs_d.{name}")
        fit = metrics.get(name, {}).get("time_exponent_d")
        label = name + (f": slope {fit['slope']:.2f} [{fit['ci_low']:.2f}, {fit['ci_high']:.2f}]"
                        if isinstance(fit, Mapping) else "")
        ax.plot(d, t, marker="o", ms=3, label=label, **line_style(name))
        if is_dwmgrad(name) or anchor is None:
            anchor = (max(d), t[int(np.argmax(d))])
    assert anchor is not None
    d_all = [x for e in series.values() for x in e["d"]]
    grid = np.geomspace(min(d_all), max(d_all), 50)
    ax.plot(grid, anchor[1] * grid / anchor[0], color="black", ls="--", lw=1,
            label="cost model: time proportional to d (slope 1)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parameters d")
    ax.set_ylabel("time per step (s)")
    legend(ax, loc="upper left")


FIGURES = (
    FigureSpec("cost_scaling", "cost_scaling", "Step time vs number of parameters",
               "Wall-clock time per optimizer step against d (log-log), median over repeats, "
               "with the fitted exponent and its bootstrap CI in the legend; the dashed line is "
               "the cost model's Theta(d), anchored at DWMGrad's largest d.",
               draw_cost, (6.5, 4.2)),
)
