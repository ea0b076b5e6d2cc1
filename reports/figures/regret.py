"""Online convex optimization: DWMGrad's measured regret against the derived bound, and the
counterexample search's worst average regret over horizons.

Reads ``dwmgrad_regret.metrics.rows`` / ``.exponents`` (optional
``series.hyperparameters: {variant: {...}}`` for the legend) and
``counterexample_search.metrics.<optimizer>.avg_regret_by_T``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from reports.figures.style import (
    FigureSpec,
    labelled_hyperparameters,
    legend_label,
    line_style,
    series_xy,
)
from reports.results import MissingResult, ResultSet
from reports.rules import is_analysed

VARIANT_COLOURS = {"analysed": "#0072B2", "paper:loss": "#D55E00",
                   "paper:loss_decrease": "#E69F00", "paper:loss_increase": "#CC79A7"}


def _variant_style(variant: str) -> dict[str, Any]:
    return {"color": VARIANT_COLOURS.get(variant, line_style(variant)["color"])}


def _fit_line(T: np.ndarray, med: np.ndarray, fit: Mapping[str, Any]) -> tuple[
        np.ndarray, np.ndarray, str] | None:
    """The experiment's fitted T^a over its fit range (intercept by least squares in log
    space with a fixed), or a fit made here over all horizons when it has none."""
    lo, hi = (fit.get("fit_T") or [T.min(), T.max()])[:2]
    keep = (T >= lo) & (T <= hi) & (med > 0)
    if keep.sum() < 2:
        return None
    x, y = np.log(T[keep]), np.log(med[keep])
    if fit.get("slope") is not None:
        a = float(fit["slope"])
        label = f"$T^{{{a:.2f}}}$ [{fit['ci_low']:.2f}, {fit['ci_high']:.2f}]"
    else:
        a = float(np.polyfit(x, y, 1)[0])
        label = f"$T^{{{a:.2f}}}$ (fit here)"
    b = float(np.mean(y - a * x))
    return T[keep], np.exp(b) * T[keep] ** a, label


def variant_hyperparameters(results: ResultSet) -> dict[str, Mapping[str, Any]]:
    """Variant ("analysed", "paper:<window rule>") -> DWMGrad hyperparameters of its runs."""
    out: dict[str, Mapping[str, Any]] = {}
    for spec in results.run_specs("dwmgrad_regret"):
        hp = dict(spec.get("hyperparameters") or {})
        analysed = "lr_schedule" in hp or "momentum_decay" in hp
        variant = "analysed" if analysed else f"paper:{hp.get('window_rule', 'loss')}"
        out.setdefault(variant, hp)
    return out


def draw_regret(results: ResultSet, fig: Figure) -> None:
    rows = results.metric("dwmgrad_regret", "rows")
    if not rows:
        raise MissingResult("dwmgrad_regret.metrics.rows is empty")
    hps = variant_hyperparameters(results)
    exps = results.measurement("dwmgrad_regret").get("metrics", {}).get("exponents", {})
    problems = sorted({str(r["problem"]) for r in rows})
    axes = fig.subplots(1, len(problems), squeeze=False)[0]
    handles: dict[str, Any] = {}
    for ax, problem in zip(axes, problems, strict=True):
        prob_rows = [r for r in rows if r["problem"] == problem]
        fits = []
        for variant in sorted({str(r["variant"]) for r in prob_rows},
                              key=lambda v: (not is_analysed(v), v)):
            vr = sorted((r for r in prob_rows if r["variant"] == variant), key=lambda r: r["T"])
            T = np.array([r["T"] for r in vr], dtype=float)
            med = np.array([r["regret_median"] for r in vr], dtype=float)
            style = _variant_style(variant)
            (line,) = ax.plot(T, med, marker="o", ms=3, **style)
            handles.setdefault(legend_label(f"DWMGrad {variant}", hps.get(variant)) +
                               ": median, 10-90% band", line)
            ax.fill_between(T, [r["regret_q10"] for r in vr], [r["regret_q90"] for r in vr],
                            alpha=0.2, lw=0, **style)
            fitted = _fit_line(T, med, exps.get(variant, {}).get(problem) or {})
            if fitted is not None:
                (fit_line,) = ax.plot(fitted[0], fitted[1], ls=":", lw=1.2, color=style["color"],
                                      label=fitted[2])
                fits.append(fit_line)
            bounds = [(r["T"], r["bound"]) for r in vr if r.get("bound") is not None]
            if bounds:
                (bline,) = ax.plot(*zip(*bounds, strict=True), color=style["color"], ls="--",
                                   lw=1.2)
                handles.setdefault(f"derived upper bound ({variant})", bline)
            trivial = [(r["T"], r["trivial"]) for r in vr if r.get("trivial") is not None]
            if trivial:
                (tline,) = ax.plot(*zip(*trivial, strict=True), color="grey", ls="-.", lw=1.0)
                handles.setdefault("trivial bound T d G D (any method in the box)", tline)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(r"horizon $T$ (rounds)")
        ax.set_ylabel(r"regret $R_T$ (loss units)")
        ax.set_title(problem)
        if fits:
            ax.legend(handles=fits, loc="lower right", fontsize=6, frameon=False,
                      title="fitted (dotted)", title_fontsize=6)
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=2,
               frameon=False)


def draw_window_momentum(results: ResultSet, fig: Figure) -> None:
    series = results.series("dwmgrad_regret").get("window_momentum")
    if not isinstance(series, Mapping) or not series:
        raise MissingResult("dwmgrad_regret.series.window_momentum absent")
    hps = variant_hyperparameters(results)
    top, bottom = fig.subplots(2, 1, sharex=True)
    for variant, entry in sorted(series.items(), key=lambda kv: (not is_analysed(kv[0]), kv[0])):
        where = f"dwmgrad_regret.series.window_momentum.{variant}"
        steps, window = series_xy(entry, "t", "window", where)
        _, momentum = series_xy(entry, "t", "momentum", where)
        label = legend_label(f"DWMGrad {variant}", hps.get(variant))
        top.step(steps, window, where="post", label=label, **_variant_style(variant))
        bottom.plot(steps, momentum, label=label, **_variant_style(variant))
    top.set_xscale("log")
    top.set_ylabel(r"window $\omega_t$ (steps)")
    bottom.set_ylabel(r"momentum $\mu_t$")
    bottom.set_xlabel(r"round $t$ (median over seeds)")
    handles, labels = top.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)


def draw_tightness(results: ResultSet, fig: Figure) -> None:
    """measured/bound against T for every (bound, setting, game) of ``bound_tightness``."""
    series = results.series("bound_tightness").get("ratio_by_T")
    if not isinstance(series, Mapping) or not series:
        raise MissingResult("bound_tightness.series.ratio_by_T absent")
    bounds = sorted({str(key).split("|")[0] for key in series})
    axes = fig.subplots(1, len(bounds), squeeze=False, sharey=True)[0]
    for ax, bound in zip(axes, bounds, strict=True):
        for key, entry in sorted(series.items()):
            name, setting, game = str(key).split("|")
            if name != bound:
                continue
            T, ratio = series_xy(entry, "T", "ratio", f"bound_tightness.series.{key}")
            ax.plot(T, ratio, marker="o", ms=2, lw=1, label=f"{game}, {setting}",
                    **line_style(f"{setting}{game}"))
        ax.axhline(1.0, color="black", lw=1, ls="--")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(bound, fontsize=7)
        ax.set_xlabel(r"horizon $T$ (rounds)")
        ax.legend(fontsize=4, frameon=False, loc="lower right")
    axes[0].set_ylabel("measured regret / bound (max over seeds)")


def draw_counterexamples(results: ResultSet, fig: Figure) -> None:
    table = results.metric("counterexample_search")
    hps = labelled_hyperparameters(results, "counterexample_search")
    ax = fig.subplots()
    drawn = 0
    for name, entry in sorted(table.items()):
        if not isinstance(entry, Mapping) or not entry.get("avg_regret_by_T"):
            continue
        pts = sorted((float(t), float(v)) for t, v in entry["avg_regret_by_T"].items())
        found = bool(entry.get("found"))
        ax.plot(*zip(*pts, strict=True), marker="o" if found else "x", ms=4,
                label=legend_label(name, hps.get(name)) +
                f": criterion {'met' if found else 'not met'}", **line_style(name))
        drawn += 1
    if not drawn:
        raise MissingResult("counterexample_search.metrics has no avg_regret_by_T")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"horizon $T$ (rounds)")
    ax.set_ylabel(r"average regret $R_T/T$ of the reported sequence")
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right upper", frameon=False)


FIGURES = (
    FigureSpec("regret_vs_bound", "dwmgrad_regret", "DWMGrad regret vs the derived bound",
               "Measured regret R_T of DWMGrad (median over seeds, band = 10th-90th percentile) "
               "for the analysed algorithm and the paper's window rules, the derived upper bound "
               "(dashed), the trivial bound T d G D of any method in the box (dash-dotted) and "
               "least-squares fits T^a (dotted; CI of a from the bootstrap).",
               draw_regret, (10.0, 5.4)),
    FigureSpec("dwmgrad_window_momentum", "dwmgrad_regret", "DWMGrad window and momentum",
               "DWMGrad's window omega_t and momentum mu_t = gamma (omega_t/delta) (times "
               "lambda^(t-1) for the analysed algorithm) over the rounds of the online runs, "
               "for the analysed algorithm and each window rule of the authors' code.",
               draw_window_momentum, (9.0, 6.0)),
    FigureSpec("bound_tightness", "bound_tightness", "Tightness of the DWMGrad regret bounds",
               "Largest measured regret / bound over seeds against the horizon, for every "
               "registered DWMGrad regret bound (one panel each), on the problem suite and the "
               "adversarial block-sign game; the dashed line at 1 is where a bound would fail.",
               draw_tightness, (10.0, 4.0)),
    FigureSpec("counterexample_avg_regret", "counterexample_search",
               "Counterexample search: worst average regret",
               "For each optimizer searched (CMA-ES over periodic online convex sequences, "
               "losses and offsets included), the average regret R_T/T of the reported sequence "
               "at T0 and 100 T0; 'criterion met': R_T/T kept half its value and stayed above "
               "0.05 d G_inf D_inf while AMSGrad's and the analysed DWMGrad's fell threefold.",
               draw_counterexamples, (10.0, 4.6)),
)
