"""Online convex optimization: DWMGrad's measured regret against the derived bound, and the
counterexample search's worst average regret over horizons.

Reads the typed ``dwmgrad_regret`` record (rows, exponents), its
``series.hyperparameters: {variant: {...}}`` for the legend, and the typed
``counterexample_search`` record (``targets.<label>.avg_regret_by_T``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from experiments.measurements.counterexample_search import CounterexampleSearchMetrics
from experiments.measurements.dwmgrad_regret import DwmgradRegretMetrics, PowerFit, RegretRow
from reports.figures.canvas import FigureSpec
from reports.figures.style import (
    FULL,
    VERMILLION,
    band,
    fit_line,
    indexed_look,
    labelled_hyperparameters,
    measured,
    power_law_through,
    series_xy,
    settings_caption,
    theory,
    theory_hline,
)
from reports.results import InvalidData, MissingResult, ResultSet
from reports.rules import interval_suffix

REGRET_FILE = "measurements/dwmgrad_regret.json"
GROUPS = (("settings without a derived bound", False), ("settings a derived bound covers", True))
"""The rows of the DWMGrad figures' small multiples (the authors' window rules have no bound;
the analysed algorithm's settings have a registered one): each group's variants share a hue."""


def _name(variant: str) -> str:
    return f"DWMGrad {variant}"


def _fit_line(T: np.ndarray, med: np.ndarray, fit: PowerFit | None) -> tuple[
        np.ndarray, np.ndarray, str] | None:
    """The experiment's fitted T^a over its fit range (intercept by least squares in log
    space with a fixed), or a fit made here over all horizons when it has none."""
    lo, hi = fit.fit_T if fit is not None and fit.fit_T is not None else (T.min(), T.max())
    keep = (T >= lo) & (T <= hi) & (med > 0)
    if keep.sum() < 2:
        return None
    x, y = np.log(T[keep]), np.log(med[keep])
    if fit is not None and fit.slope is not None:
        a = fit.slope
        label = f"fit $T^{{{a:.2f}}}$" + interval_suffix(fit.ci_low, fit.ci_high,
                                                          fit.n_samples, ".2f")
    else:
        a = float(np.polyfit(x, y, 1)[0])
        label = f"fit $T^{{{a:.2f}}}$ (fit here)"
    b = float(np.mean(y - a * x))
    return T[keep], np.exp(b) * T[keep] ** a, label


def variant_hyperparameters(results: ResultSet) -> dict[str, Mapping[str, Any]]:
    """Variant ("analysed", "paper:<window rule>", ...) -> the DWMGrad hyperparameters the
    experiment wrote for it (``series.hyperparameters``)."""
    node = results.series("dwmgrad_regret").get("hyperparameters")
    if not isinstance(node, Mapping):
        raise InvalidData(REGRET_FILE, "series.hyperparameters is not an object")
    return {str(k): v for k, v in node.items() if isinstance(v, Mapping)}


def variant_settings(results: ResultSet) -> str:
    return settings_caption({"": {_name(v): hp for v, hp in
                                  variant_hyperparameters(results).items()}})


def _groups(variants: set[str], record: DwmgradRegretMetrics) -> list[tuple[str, list[str]]]:
    bounded = {row.variant for row in record.rows if row.bound_name is not None}
    out = [(title, sorted(v for v in variants if (v in bounded) == has_bound))
           for title, has_bound in GROUPS]
    return [(title, vs) for title, vs in out if vs]


def _minimax_lower(rows: Sequence[RegretRow], problem: str) -> tuple[list[float], list[float]]:
    """(T, minimax lower bound) of one problem, as its rows record it (theory.online)."""
    points = sorted({(float(r.T), r.minimax_lower) for r in rows if r.problem == problem})
    return [t for t, _ in points], [v for _, v in points]


def draw_regret(results: ResultSet, fig: Figure) -> None:
    record = results.record(DwmgradRegretMetrics)
    rows = record.rows
    if not rows:
        raise MissingResult("dwmgrad_regret.metrics.rows is empty")
    problems = sorted({r.problem for r in rows})
    groups = _groups({r.variant for r in rows}, record)
    grid = fig.subplots(len(groups), len(problems), squeeze=False, sharex=True)
    handles: dict[str, Any] = {}
    for (group, variants), axes in zip(groups, grid, strict=True):
        for ax, problem in zip(axes, problems, strict=True):
            all_T: list[float] = []
            for variant in variants:
                vr = sorted((r for r in rows if r.problem == problem
                             and r.variant == variant), key=lambda r: r.T)
                if not vr:
                    continue
                T = np.array([r.T for r in vr], dtype=float)
                med = np.array([r.regret_median for r in vr], dtype=float)
                all_T += T.tolist()
                label = _name(variant)
                handles.setdefault(label, measured(ax, _name(variant), T, med, label))
                band(ax, _name(variant), T, [r.regret_q10 for r in vr],
                     [r.regret_q90 for r in vr])
                exponent = record.exponents.get(variant, {}).get(problem)
                fitted = _fit_line(T, med, exponent.whole if exponent is not None else None)
                if fitted is not None:
                    fit_line(ax, _name(variant), fitted[0], fitted[1])
                bounds = [(r.T, r.bound) for r in vr if r.bound is not None]
                if bounds:
                    label = f"derived bound, {variant}"
                    handles.setdefault(label, theory(
                        ax, [b[0] for b in bounds], [b[1] for b in bounds], label,
                        owner=_name(variant)))
                trivial = [(r.T, r.trivial) for r in vr if r.trivial is not None]
                if trivial:
                    label = "trivial bound T d G D"
                    handles.setdefault(label, theory(
                        ax, [t[0] for t in trivial], [t[1] for t in trivial], label,
                        kind="trivial"))
            slope = power_law_through(
                all_T, [r.regret_median for r in rows if r.problem == problem
                        and r.variant in variants], 0.5) if all_T else None
            if slope is not None:
                label = r"reference slope $\sqrt{T}$"
                handles.setdefault(label, theory(ax, *slope, label, kind="reference", lw=0.8))
            label = r"minimax lower bound $\frac{\sqrt{2}}{4} d G D \sqrt{T}$"
            handles.setdefault(label, theory(ax, *_minimax_lower(rows, problem), label,
                                             lw=1.4))
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(f"{problem}\n{group}")
            ax.set_ylabel(r"regret $R_T$ (loss units)")
    for ax in grid[-1]:
        ax.set_xlabel(r"horizon $T$ (rounds)")
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=3,
               frameon=False)
def momentum_rule(hp: Mapping[str, Any], t: np.ndarray, window: np.ndarray) -> np.ndarray:
    """mu_t = gamma (omega_t / delta) lambda^(t-1), DWMGrad's momentum rule (paper defaults
    gamma 0.9, delta 10, lambda 1 where the run's hyperparameters leave them out)."""
    gamma = float(hp.get("momentum", 0.9))
    delta = float(hp.get("max_window", 10))
    decay = float(hp.get("momentum_decay", 1.0))
    return gamma * window / delta * decay ** (t - 1)


RULE = r"rule $\mu_t = \gamma\,(\omega_t/\delta)\,\lambda^{t-1}$ on the measured window"
CAP = r"window cap $\delta$ (max_window)"


def draw_window_momentum(results: ResultSet, fig: Figure) -> None:
    series = results.series("dwmgrad_regret").get("window_momentum")
    if not isinstance(series, Mapping) or not series:
        raise MissingResult("dwmgrad_regret.series.window_momentum absent")
    hps = variant_hyperparameters(results)
    groups = _groups(set(series), results.record(DwmgradRegretMetrics))
    grid = fig.subplots(2, len(groups), squeeze=False, sharex=True)
    handles: dict[str, Any] = {}
    for col, (group, variants) in enumerate(groups):
        top, bottom = grid[0][col], grid[1][col]
        for variant in variants:
            where = f"dwmgrad_regret.series.window_momentum.{variant}"
            steps, window = series_xy(series[variant], "t", "window", where)
            _, momentum = series_xy(series[variant], "t", "momentum", where)
            hp = hps.get(variant, {})
            label = _name(variant)
            handles.setdefault(label, measured(top, _name(variant), steps, window, label,
                                               drawstyle="steps-post"))
            measured(bottom, _name(variant), steps, momentum, label)
            t, w = np.array(steps), np.array(window)
            handles.setdefault(RULE, theory(bottom, t, momentum_rule(hp, t, w), RULE,
                                            owner=_name(variant), lw=0.8))
            handles.setdefault(CAP, theory_hline(top, float(hp.get("max_window", 10)), CAP,
                                                 owner=_name(variant)))
        top.set_xscale("log")
        top.set_title(f"DWMGrad: {group}")
        top.set_ylabel(r"window $\omega_t$ (steps)")
        bottom.set_ylabel(r"momentum $\mu_t$")
        bottom.set_xlabel(r"round $t$ (median over seeds)")
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=2,
               frameon=False)


def draw_tightness(results: ResultSet, fig: Figure) -> None:
    """measured/bound against T for every (bound, setting, game) of ``bound_tightness``."""
    series = results.series("bound_tightness").get("ratio_by_T")
    if not isinstance(series, Mapping) or not series:
        raise MissingResult("bound_tightness.series.ratio_by_T absent")
    bounds = sorted({str(key).split("|")[0] for key in series})
    cases = sorted({tuple(str(key).split("|")[1:]) for key in series})
    settings = _tightness_settings(series)
    axes = fig.subplots(1, len(bounds), squeeze=False, sharey=True)[0]
    for ax, bound in zip(axes, bounds, strict=True):
        dropped = 0
        for key, entry in sorted(series.items()):
            name, setting, game = str(key).split("|")
            if name != bound:
                continue
            T, ratio = series_xy(entry, "T", "ratio", f"bound_tightness.series.{key}")
            positive = [(t, r) for t, r in zip(T, ratio, strict=True) if not r <= 0]
            dropped += len(T) - len(positive)
            case = indexed_look(cases.index((setting, game)))
            label = f"{game.split('{')[0]}, setting {settings[setting]}"
            measured(ax, label, [t for t, _ in positive], [r for _, r in positive],
                     label=label, color=case.color, marker=case.marker)
            T_low, low = series_xy(entry, "T", "lower_over_bound",
                                   f"bound_tightness.series.{key}")
            theory(ax, T_low, low, "minimax lower bound / bound (same colour)",
                   kind="reference", color=case.color)
        theory_hline(ax, 1.0, "measured = bound (a bound fails above)")
        if dropped:     # regret <= 0 has no place on a log axis: say so, never draw it at 0
            ax.text(0.02, 0.02, f"{dropped} ratio(s) <= 0 (regret <= 0) not drawn",
                    transform=ax.transAxes, fontsize=6, color=VERMILLION)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(textwrap.fill(bound.replace("_", " "), 30), fontsize=7)
        ax.set_xlabel(r"horizon $T$ (rounds)")
    axes[0].set_ylabel("measured regret / bound (max over seeds)")
    handles = {h.get_label(): h for ax in axes for h in ax.get_lines()}
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=3,
               frameon=False, fontsize=6)


def _tightness_settings(series: Mapping[str, Any]) -> dict[str, str]:
    """Setting ("gamma=0.5 delta=4") -> its short name in the legend (A, B, ...)."""
    found = sorted({str(key).split("|")[1] for key in series})
    return {setting: chr(ord("A") + i) for i, setting in enumerate(found)}


def tightness_settings(results: ResultSet) -> str:
    series = results.series("bound_tightness").get("ratio_by_T")
    names = _tightness_settings(series) if isinstance(series, Mapping) else {}
    return ("Settings: " + "; ".join(f"{n} {s}" for s, n in names.items()) + "."
            if names else "")


CONTROL_RATE = -0.5
"""AMSGrad's (and the analysed DWMGrad's) regret is O(sqrt T), so R_T/T falls like T^-1/2."""


def draw_counterexamples(results: ResultSet, fig: Figure) -> None:
    table = results.record(CounterexampleSearchMetrics).targets
    targets = sorted(n for n, e in table.items() if e.avg_regret_by_T)
    if not targets:
        raise MissingResult("counterexample_search.metrics has no avg_regret_by_T")
    axes = fig.subplots(1, len(targets), squeeze=False, sharey=True)[0]
    handles: dict[str, Any] = {}
    for ax, name in zip(axes, targets, strict=True):
        entry = table[name]
        pts = sorted((float(t), v) for t, v in entry.avg_regret_by_T.items())
        T = [p[0] for p in pts]
        short = name.split(" (")[0] if "=" in name else name   # settings: title, caption
        label = f"{short}: criterion {'met' if entry.found else 'not met'}"
        handles[label] = measured(ax, name, T, [p[1] for p in pts], label)
        label = r"$\propto 1/\sqrt{T}$ from $T_0$ (where $O(\sqrt{T})$ regret goes)"
        handles[label] = theory(
            ax, [T[0], T[-1]], [pts[0][1], pts[0][1] * (T[-1] / T[0]) ** CONTROL_RATE],
            label, kind="reference")
        for control in entry.candidates[0].controls if entry.candidates and len(T) == 2 else ():
            label = f"{control.label} (control, same sequence)"
            handles.setdefault(label, measured(ax, control.label, T,
                                               [control.r_T0, control.r_100T0], label))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(textwrap.fill(name, 26), fontsize=7)
        ax.set_xlabel(r"horizon $T$ (rounds)")
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=3,
               frameon=False)
    axes[0].set_ylabel(r"average regret $R_T/T$ of the reported sequence")


FIGURES = (
    FigureSpec("regret_vs_bound", "dwmgrad_regret", "DWMGrad regret vs the derived bound",
               "Measured regret R_T of DWMGrad (median over seeds, band = 10th-90th percentile) "
               "for the analysed algorithm and the paper's window rules, the derived upper bound "
               "(dashed), the trivial bound T d G D of any method in the box (dash-dotted), the "
               "minimax lower bound (sqrt(2)/4) d G D sqrt(T) that a worst-case adversary forces "
               "on any method (black dashed, thick: Orabona 2019, Thm 5.1 per coordinate, "
               "Khintchine's constant 1/sqrt(2)) and "
               "least-squares fits T^a (thin dotted, in the series' colour; CI of a in the "
               "exponent table) and the reference slope sqrt(T) (black dotted, through the "
               "largest horizon's median). Top row: the authors' window rules; bottom row: the "
               "analysed algorithm's settings; one column per problem.",
               draw_regret, (FULL, 6.0), theory=True, bands=True, settings=variant_settings),
    FigureSpec("dwmgrad_window_momentum", "dwmgrad_regret", "DWMGrad window and momentum",
               "DWMGrad's window omega_t (top) and momentum mu_t (bottom) over the rounds of "
               "the online runs (median over seeds), for each window rule of the authors' code "
               "(left) and the analysed algorithm's settings (right); dashed: the momentum rule "
               "mu_t = gamma (omega_t/delta) lambda^(t-1) evaluated on the measured window, and "
               "the window cap delta.", draw_window_momentum, (FULL, 4.6), theory=True,
               settings=variant_settings),
    FigureSpec("bound_tightness", "bound_tightness", "Tightness of the DWMGrad regret bounds",
               "Largest measured regret / bound over seeds against the horizon, for every "
               "registered DWMGrad regret bound (one panel each), on the problem suite and the "
               "adversarial block-sign game; the dashed line at 1 is where a bound would fail; "
               "dotted (same colour): the minimax lower bound over the bound, the ratio a "
               "worst-case adversary forces on any method.",
               draw_tightness, (FULL, 4.4), theory=True, settings=tightness_settings),
    FigureSpec("counterexample_avg_regret", "counterexample_search",
               "Counterexample search: worst average regret",
               "For each optimizer searched (CMA-ES over periodic online convex sequences, "
               "losses and offsets included), the average regret R_T/T of the reported sequence "
               "at T0 and 100 T0; 'criterion met': R_T/T kept half its value and stayed above "
               "0.05 d G_inf D_inf while AMSGrad's and the analysed DWMGrad's (the controls, "
               "drawn on the same sequence) fell threefold. Dotted: R_T/T falling like "
               "1/sqrt(T) from T0, where a method with O(sqrt T) regret goes.",
               draw_counterexamples, (FULL, 3.8), theory=True,
               settings=lambda results: settings_caption(
                   {"": labelled_hyperparameters(results, "counterexample_search")})),
)
