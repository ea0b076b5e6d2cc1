"""Cost scaling: optimizer step time against d (the per-step overhead subtracted, the fit
beyond the last-level cache), total time against the number of steps n, DWMGrad's step time
against its window δ, and optimizer state against d; each panel with the cost model's line and
the fitted exponents with their CIs.

Reads ``cost_scaling.series = {d, n, window, window_dim, llc_bytes, step_time_s,
net_step_time_s, run_time_s: {<optimizer>: {median, min, max}}, window_step_time_s: {median,
min, max}, fitted_dims, overhead_s: {<optimizer>: ...}, state_bytes: {<optimizer>: [...]}}``
and the typed metrics (exponents ``time_exponent_d`` / ``time_exponent_n`` /
``window.time_exponent_window`` with CIs, ``state_bytes_per_param_model``); hyperparameters
come from the run specs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from experiments.measurements.cost_scaling import CostEntry, CostScalingMetrics, Fit, WindowCost
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
            if fit is not None else " (no fit)")


def _spread(ax: Axes, name: str, x: np.ndarray, entry: Mapping[str, Any], what: str,
            label: str) -> list[float]:
    """Median over repeats (band: min..max) of ``name``; returns the medians."""
    median = floats(entry["median"], f"cost_scaling.series.{what}.{name}.median")
    measured(ax, name, x, median, label)
    if "min" in entry and "max" in entry:
        band(ax, name, x, floats(entry["min"], name), floats(entry["max"], name))
    return median


def _timings(ax: Axes, x: np.ndarray, table: Mapping[str, Any], what: str,
             fits: Mapping[str, Fit | None], model: str, exponent: float = 1.0) -> None:
    """Every optimizer's medians labelled with its fitted exponent, and the cost model's
    line x^exponent through ``ANCHOR``'s largest point."""
    for name, entry in sorted(table.items()):
        median = _spread(ax, name, x, entry, what, f"{name}:{_fit_text(fits.get(name))}")
        if name == ANCHOR:
            line = power_law_through(x.tolist(), median, exponent)
            if line is not None:
                theory(ax, *line, model, owner=ANCHOR)
    ax.set_xscale("log")
    ax.set_yscale("log")


def _d_panel(ax: Axes, series: Mapping[str, Any], fits: Mapping[str, CostEntry]) -> None:
    d = np.array(floats(series["d"], "cost_scaling.series.d"))
    _timings(ax, d, series["net_step_time_s"], "net_step_time_s",
             {k: v.time_exponent_d for k, v in fits.items()},
             r"cost model $\Theta(d)$ through DWMGrad")
    fitted = [float(v) for v in series["fitted_dims"].get(ANCHOR, [])]
    if fitted:
        ax.axvspan(min(fitted), max(fitted), color="0.85", alpha=0.5, linewidth=0,
                   gid="mark:fitted sizes", label="fitted: working set >= 2 x LLC")
    llc = series.get("llc_bytes")
    overhead = series["overhead_s"].get(ANCHOR)
    notes = [f"LLC {llc / 2**20:g} MiB" if isinstance(llc, int | float) else "LLC unknown"]
    if isinstance(overhead, int | float):
        notes.append(f"DWMGrad overhead {overhead * 1e6:.0f} µs/step (subtracted)")
    ax.text(0.98, 0.02, "\n".join(notes), transform=ax.transAxes, ha="right", va="bottom",
            fontsize=6)
    ax.set_xlabel("parameters $d$ (n fixed)")
    ax.set_ylabel("step time minus overhead (s)")
    ax.set_title("step time minus overhead vs d")


def _window_panel(ax: Axes, series: Mapping[str, Any], window: WindowCost) -> None:
    x = np.array(floats(series["window"], "cost_scaling.series.window"))
    median = _spread(ax, window.optimizer, x, series["window_step_time_s"],
                     "window_step_time_s",
                     f"{window.optimizer}:{_fit_text(window.time_exponent_window)}")
    line = power_law_through(x.tolist(), median, 0.0)
    if line is not None:
        theory(ax, *line, r"cost model: independent of $\delta$", owner=window.optimizer)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(rf"window $\delta$ (init = max; d = {window.dim:.3g})")
    ax.set_ylabel("step time (s)")
    ax.set_title(r"step time vs the window $\delta$")


def draw_cost(results: ResultSet, fig: Figure) -> None:
    series = results.series("cost_scaling")
    for key in ("d", "n", "window", "net_step_time_s", "run_time_s", "window_step_time_s",
                "state_bytes", "fitted_dims", "overhead_s"):
        if not series.get(key):
            raise MissingResult(f"cost_scaling.series.{key} absent (measured before the "
                                "overhead-subtracted, beyond-cache sweep was recorded: rerun "
                                "'run cost_scaling')")
    record = results.record(CostScalingMetrics)
    fits = record.optimizers
    d = np.array(floats(series["d"], "cost_scaling.series.d"))
    n = np.array(floats(series["n"], "cost_scaling.series.n"))
    (by_d, by_n), (by_window, memory) = fig.subplots(2, 2)
    _d_panel(by_d, series, fits)
    _timings(by_n, n, series["run_time_s"], "run_time_s",
             {k: v.time_exponent_n for k, v in fits.items()},
             r"cost model $\Theta(n)$ through DWMGrad")
    by_n.set_xlabel("timed steps $n - 1$ (d = 1e3; the first step excluded)")
    by_n.set_ylabel("run time (s)")
    by_n.set_title("run time vs n")
    _window_panel(by_window, series, record.window)
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
    for ax in (by_d, by_n, by_window):     # below the panel: the exponents differ by panel
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=2,
                  fontsize=5.5)
    handles = {ln.get_label(): ln for ln in memory.get_lines()
               if str(ln.get_gid()).startswith("theory")}
    memory.legend(list(handles.values()), list(handles), frameon=False, loc="upper center",
                  bbox_to_anchor=(0.5, -0.18), fontsize=5.5)


def cost_settings(results: ResultSet) -> str:
    hps: dict[str, Mapping[str, Any]] = {}
    for spec in results.run_specs("cost_scaling"):
        hps.setdefault(str(spec.get("optimizer")), dict(spec.get("hyperparameters") or {}))
    return settings_caption({"": hps})


FIGURES = (
    FigureSpec("cost_scaling", "cost_scaling", "Cost: time vs d, n and the window; state vs d",
               "Top left: wall-clock time of one optimizer step minus the per-step overhead "
               "(the step time at d = 10, same repeat) against d (n fixed), median over "
               "interleaved repeats (band: min to max); the exponent and its bootstrap CI "
               "(legend) are fitted on the shaded sizes, whose working set (parameters, "
               "gradient, state) is at least twice the last-level cache read from the machine. "
               "Top right: total time of the steps after the first against their number at "
               "d = 10^3. Bottom left: DWMGrad's step time against its window delta at a size "
               "beyond the cache. Bottom right: optimizer state in bytes against d. Dashed: the "
               "cost model (Theta(d), Theta(n) and no growth in delta through DWMGrad's "
               "largest point; the modelled state bytes per parameter times d).", draw_cost,
               (FULL, 8.6), theory=True, bands=(0, 1, 2), settings=cost_settings),
)
