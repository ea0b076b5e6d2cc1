"""Cost scaling: time per step against the number of parameters d, total run time against
the number of steps n, and optimizer state against d; each panel with the cost model's line.

Reads ``cost_scaling.series = {d: [...], n: [...], step_time_s: {<optimizer>: {median, min,
max}}, run_time_s: {<optimizer>: {median, min, max}} (at d = 10^3), state_bytes: {<optimizer>:
[...]}, <reference optimizer>: [median step times]}`` and the typed metrics (fitted exponents
``time_exponent_d`` / ``time_exponent_n`` with CIs, ``state_bytes_per_param_model``);
hyperparameters come from the run specs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from experiments.measurements.cost_scaling import CostScalingMetrics, Fit
from reports.figures.canvas import FigureSpec
from reports.figures.style import (
    FULL,
    band,
    floats,
    measured,
    power_law_through,
    settings_caption,
    theory,
)
from reports.results import MissingResult, ResultSet
from reports.rules import interval_suffix

ANCHOR = "DWMGrad"
"""The optimizer the claim is about: the cost model's line goes through its largest point."""


def _fit_text(fit: Fit | None) -> str:
    return (f" {fit.slope:.2f}" + interval_suffix(fit.ci_low, fit.ci_high, fit.n_samples, ".2f")
            if fit is not None else "")


def _timings(ax: Axes, x: np.ndarray, table: Mapping[str, Any], what: str,
             fits: Mapping[str, Fit | None], model: str) -> None:
    """Median over repeats (band min..max) per optimizer, labelled with its fitted exponent,
    and the cost model's linear line through ``ANCHOR``'s largest point."""
    for name, entry in sorted(table.items()):
        median = floats(entry["median"], f"cost_scaling.series.{what}.{name}.median")
        measured(ax, name, x, median, f"{name}:{_fit_text(fits.get(name))}")
        if "min" in entry and "max" in entry:
            band(ax, name, x, floats(entry["min"], name), floats(entry["max"], name))
        if name == ANCHOR:
            line = power_law_through(x.tolist(), median, 1.0)
            if line is not None:
                theory(ax, *line, model, owner=ANCHOR)
    ax.set_xscale("log")
    ax.set_yscale("log")


def draw_cost(results: ResultSet, fig: Figure) -> None:
    series = results.series("cost_scaling")
    for key in ("d", "n", "step_time_s", "run_time_s", "state_bytes"):
        if not series.get(key):
            raise MissingResult(f"cost_scaling.series.{key} absent (measured before the n "
                                "panel was recorded: rerun 'run cost_scaling')")
    d = np.array(floats(series["d"], "cost_scaling.series.d"))
    n = np.array(floats(series["n"], "cost_scaling.series.n"))
    fits = results.record(CostScalingMetrics).optimizers
    by_d, by_n, memory = fig.subplots(1, 3)
    _timings(by_d, d, series["step_time_s"], "step_time_s",
             {k: v.time_exponent_d for k, v in fits.items()},
             r"cost model $\Theta(d)$ through DWMGrad")
    reference = series.get("SGD")
    if isinstance(reference, list):
        measured(by_d, "SGD", d, floats(reference, "cost_scaling.series.SGD"),
                 "SGD: the problem's gradient and the loop (overhead)")
    by_d.set_xlabel("parameters $d$ (n fixed)")
    by_d.set_ylabel("time per step (s)")
    by_d.set_title("step time vs d (exponent, d >= 1e4)")
    _timings(by_n, n, series["run_time_s"], "run_time_s",
             {k: v.time_exponent_n for k, v in fits.items()},
             r"cost model $\Theta(n)$ through DWMGrad")
    by_n.set_xlabel("steps $n$ (d = 1e3)")
    by_n.set_ylabel("run time (s)")
    by_n.set_title("run time vs n (exponent)")
    for name, values in sorted(series["state_bytes"].items()):
        measured(memory, name, d, floats(values, f"cost_scaling.series.state_bytes.{name}"),
                 name)
        per_param = fits[name].state_bytes_per_param_model if name in fits else None
        if per_param is not None:
            theory(memory, d, per_param * d, "cost model: state bytes per parameter x d",
                   owner=name, lw=0.8)
    memory.set_xscale("log")
    memory.set_yscale("log")
    memory.set_xlabel("parameters $d$")
    memory.set_ylabel("optimizer state (bytes)")
    memory.set_title("state memory vs d")
    for ax in (by_d, by_n):     # below the panel: the exponents differ between panels
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=1,
                  fontsize=5.5)
    handles = {ln.get_label(): ln for ln in memory.get_lines()
               if str(ln.get_gid()).startswith("theory")}
    memory.legend(list(handles.values()), list(handles), frameon=False, loc="upper center",
                  bbox_to_anchor=(0.5, -0.2), fontsize=5.5)


def cost_settings(results: ResultSet) -> str:
    hps: dict[str, Mapping[str, Any]] = {}
    for spec in results.run_specs("cost_scaling"):
        hps.setdefault(str(spec.get("optimizer")), dict(spec.get("hyperparameters") or {}))
    return settings_caption({"": hps})


FIGURES = (
    FigureSpec("cost_scaling", "cost_scaling", "Cost: time vs d and n, state memory vs d",
               "Left: wall-clock time per optimizer step against d (n fixed), median over "
               "repeats (band: min to max), fitted exponent and bootstrap CI in the legend, and "
               "SGD's step on the same problem (the problem's gradient and the loop's fixed "
               "overhead); middle: total run time against the number of steps n at d = 10^3; "
               "right: optimizer state in bytes against d. Dashed: the cost model (Theta(d) "
               "and Theta(n) through DWMGrad's largest point; the modelled state bytes per "
               "parameter times d).", draw_cost, (FULL, 5.2), theory=True,
               bands=(0, 1), settings=cost_settings),
)
