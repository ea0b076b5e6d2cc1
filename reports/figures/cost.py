"""Cost scaling: step time against the number of parameters d, log-log, with fitted slopes
and the cost model's linear line.

Reads ``cost_scaling.series = {d: [...], step_time_s: {<optimizer>: {median, min, max}},
<reference optimizer>: [median step times]}`` and the fitted exponents
``cost_scaling.metrics.<optimizer>.time_exponent_d``; hyperparameters come from the run specs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from experiments.measurements.cost_scaling import CostScalingMetrics
from reports.figures.style import FigureSpec, floats, legend_label, line_style
from reports.results import MissingResult, ResultSet


def _hyperparameters(results: ResultSet) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for spec in results.run_specs("cost_scaling"):
        out.setdefault(str(spec.get("optimizer")), dict(spec.get("hyperparameters") or {}))
    return out


def draw_cost(results: ResultSet, fig: Figure) -> None:
    series = results.series("cost_scaling")
    timings = series.get("step_time_s")
    if not isinstance(timings, Mapping) or not timings or "d" not in series:
        raise MissingResult("cost_scaling.series.step_time_s or .d absent")
    d = np.array(floats(series["d"], "cost_scaling.series.d"))
    fits = results.record(CostScalingMetrics).optimizers
    hps = _hyperparameters(results)
    ax = fig.subplots()
    anchor: tuple[float, float] | None = None
    for name, entry in sorted(timings.items()):
        median = np.array(floats(entry["median"], f"step_time_s.{name}.median"))
        fit = fits[name].time_exponent_d if name in fits else None
        slope = (f"; slope {fit.slope:.2f} [{fit.ci_low:.2f}, {fit.ci_high:.2f}]"
                 if fit is not None else "")
        style = line_style(name)
        ax.plot(d, median, marker="o", ms=3, label=legend_label(name, hps.get(name)) + slope,
                **style)
        if "min" in entry and "max" in entry:
            ax.fill_between(d, floats(entry["min"], name), floats(entry["max"], name),
                            alpha=0.15, lw=0, color=style["color"])
        if name == "DWMGrad":
            anchor = (float(d[-1]), float(median[-1]))
    for name, values in series.items():
        if name not in ("d", "n", "step_time_s", "state_bytes") and isinstance(values, list):
            ax.plot(d, floats(values, name), color="grey", ls=":", marker=".",
                    label=legend_label(f"{name} (reference)", hps.get(name)))
    if anchor is not None:
        grid = np.geomspace(d.min(), d.max(), 50)
        ax.plot(grid, anchor[1] * grid / anchor[0], color="black", ls="--", lw=1,
                label=r"cost model $\Theta(d)$ (slope 1, through DWMGrad at the largest $d$)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parameters $d$")
    ax.set_ylabel("time per step (s), median over repeats")
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right upper", frameon=False)


FIGURES = (
    FigureSpec("cost_scaling", "cost_scaling", "Step time vs number of parameters",
               "Wall-clock time per optimizer step against d (log-log), median over repeats "
               "(band: min to max), "
               "with the fitted exponent and its bootstrap CI in the legend; the dashed line is "
               "the cost model's Theta(d), anchored at DWMGrad's largest d.",
               draw_cost, (10.0, 4.6)),
)
