"""Heavy ball: measured vs predicted rates over kappa, error curves, and Lessard's cycle.

Reads ``heavy_ball_rate.metrics.rows`` and ``series.curves`` (each
``{kappa, optimizer, hyperparameters, step, error}``), and ``lessard_cycle.metrics`` with
``series.trajectories`` (each ``{x0, optimizer, hyperparameters, step, x}``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from experiments.measurements.heavy_ball_rate import HeavyBallRateMetrics
from experiments.measurements.lessard_cycle import LessardCycleMetrics
from reports.figures.canvas import FigureSpec
from reports.figures.style import (
    COLUMN,
    FULL,
    OKABE_ITO,
    VERMILLION,
    band,
    floats,
    legend,
    measured,
    series_xy,
    theory,
    theory_hline,
)
from reports.results import InvalidData, MissingResult, ResultSet

HEAVY_BALL, GD = "HeavyBall", "GD"


def _gap(values: Sequence[float | None]) -> np.ndarray:
    return 1.0 - np.array([np.nan if v is None else v for v in values], dtype=float)


def draw_rates(results: ResultSet, fig: Figure) -> None:
    rows = sorted(results.record(HeavyBallRateMetrics).rows, key=lambda r: r.kappa)
    if not rows:
        raise InvalidData("measurements/heavy_ball_rate.json", "metrics.rows is empty")
    kappa = np.array([r.kappa for r in rows], dtype=float)
    ax = fig.subplots()
    for name, theory_field, field, seeds, label in (
            (HEAVY_BALL, "rho_star", "rate_fit_jordan", "rate_fit_jordan_seeds",
             r"heavy ball ($\alpha^*, \beta^*$): fit $C k \rho^k$"),
            (GD, "gd_rate_theory", "gd_rate_measured", "gd_rate_measured_seeds",
             r"GD (lr $= 2/(L+\mu)$): fit $C \rho^k$")):
        theory(ax, kappa, _gap([getattr(r, theory_field) for r in rows]),
               r"heavy ball theory $\rho^* = (\sqrt{\kappa}-1)/(\sqrt{\kappa}+1)$"
               if name == HEAVY_BALL else r"GD theory $(\kappa-1)/(\kappa+1)$", owner=name)
        measured(ax, name, kappa, _gap([getattr(r, field) for r in rows]), label, ls="none")
        per_seed = [_gap(list(getattr(r, seeds))) for r in rows]
        band(ax, name, kappa, [np.nanmin(s) if np.isfinite(s).any() else np.nan
                               for s in per_seed],
             [np.nanmax(s) if np.isfinite(s).any() else np.nan for s in per_seed],
             label=f"{'heavy ball' if name == HEAVY_BALL else 'GD'}: range over seeds")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"condition number $\kappa = L/\mu$")
    ax.set_ylabel(r"$1 -$ rate (error reduction per step)")
    legend(ax, loc="lower left")


FLOOR = 1e-10
"""An error curve is compared with its theory rate only while it is above this fraction of
its start (below, float64 rounding, not the method, sets the curve)."""


def _kappa_panels(results: ResultSet, fig: Figure) -> tuple[
        HeavyBallRateMetrics, list[tuple[Axes, str, Any, Mapping[str, Any]]]]:
    """One axes per κ of the error curves, sharing y: (metrics, [(ax, κ, its metrics row,
    its curves by method)]); a κ without a metrics row is invalid data."""
    curves = results.series("heavy_ball_rate").get("error_curves")
    if not isinstance(curves, Mapping) or not curves:
        raise MissingResult("heavy_ball_rate.series.error_curves absent")
    metrics = results.record(HeavyBallRateMetrics)
    rows = {r.kappa: r for r in metrics.rows}
    kappas = sorted(curves, key=float)
    axes = fig.subplots(1, len(kappas), squeeze=False, sharey=True)[0]
    panels = []
    for ax, kappa in zip(axes, kappas, strict=True):
        row = rows.get(float(kappa))
        if row is None:
            raise InvalidData("measurements/heavy_ball_rate.json",
                              f"series.error_curves has kappa {kappa}, metrics.rows has not")
        panels.append((ax, kappa, row, curves[kappa]))
    return metrics, panels


def draw_error_curves(results: ResultSet, fig: Figure) -> None:
    _, panels = _kappa_panels(results, fig)
    axes = [ax for ax, *_ in panels]
    for ax, kappa, row, by_method in panels:
        for method, entry in sorted(by_method.items()):
            name = HEAVY_BALL if method == "heavy_ball" else GD
            steps, err = series_xy(entry, "k", "error",
                                   f"heavy_ball_rate.series.error_curves.{kappa}.{method}")
            measured(ax, name, steps, err, CURVE_LABELS.get(method, method))
            k, e = np.array(steps), np.array(err)
            if name == GD:      # exact: ||x_k - x*|| <= ((kappa-1)/(kappa+1))^k ||x_0 - x*||
                theory(ax, k, e[0] * row.gd_rate_theory ** k,
                       r"GD bound $((\kappa-1)/(\kappa+1))^k \|x_0 - x^*\|$", owner=GD)
                continue
            above = np.flatnonzero(np.isfinite(e) & (e > FLOOR * e[0]))
            if above.size:      # rho*^k has no constant: its slope, through the last point
                last = int(above[-1])
                theory(ax, k[: last + 1], e[last] * row.rho_star ** (k[: last + 1] - k[last]),
                       r"heavy ball theory rate $\propto \rho^{*k}$ (through the last point)",
                       kind="reference", owner=HEAVY_BALL)
        ax.set_yscale("log")
        ax.set_title(rf"$\kappa$ = {float(kappa):g}")
        ax.set_xlabel("iteration k")
    axes[0].set_ylabel(r"$\|x_k - x^*\|$ (median over seeds)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)


PEPIT_LINES = (("heavy ball", "quadratic", HEAVY_BALL,
                "heavy ball: PEPit worst case over quadratics (agrees with the exact one)"),
               ("heavy ball", "smooth_strongly_convex", None,
                "heavy ball: PEPit worst case over smooth strongly convex f"),
               ("GD", "smooth_strongly_convex", GD,
                "GD: PEPit worst case over smooth strongly convex f"))
"""The PEPit lines drawn: (method, function class, owner of the colour, label)."""


def draw_pepit(results: ResultSet, fig: Figure) -> None:
    """Per κ, the first N steps: measured errors (median over seeds, relative to the start),
    ρ*^k, and PEPit's accepted worst cases sqrt(τ_N); rejected solves counted on the panel."""
    metrics, panels = _kappa_panels(results, fig)
    if not metrics.pepit:
        raise MissingResult("heavy_ball_rate.metrics.pepit is empty")
    last = max(p.steps for p in metrics.pepit)
    axes = [ax for ax, *_ in panels]
    for ax, kappa, row, by_method in panels:
        for method, entry in sorted(by_method.items()):
            steps, err = series_xy(entry, "k", "error",
                                   f"heavy_ball_rate.series.error_curves.{kappa}.{method}")
            k, e = np.array(steps), np.array(err)
            early = k <= last
            measured(ax, HEAVY_BALL if method == "heavy_ball" else GD, k[early],
                     e[early] / e[0], CURVE_LABELS.get(method, method) + " (measured)")
        k = np.arange(0, last + 1)
        theory(ax, k, row.rho_star**k, r"heavy ball rate $\rho^{*k}$", kind="reference",
               owner=HEAVY_BALL)
        pepit = [p for p in metrics.pepit if p.kappa == float(kappa)]
        for method, function_class, owner, label in PEPIT_LINES:
            accepted = sorted((p.steps, p.worst_case) for p in pepit
                              if p.method == method and p.function_class == function_class
                              and p.accepted and p.worst_case is not None)
            if accepted:
                theory(ax, [n for n, _ in accepted], [tau**0.5 for _, tau in accepted], label,
                       owner=owner, **({"marker": "s"} if owner is None else {}))
        rejected = sum(not p.accepted for p in pepit)
        if rejected:
            ax.text(0.02, 0.02, f"{rejected} PEPit solve(s) rejected (inaccurate; see table)",
                    transform=ax.transAxes, fontsize=6, color=VERMILLION)
        ax.set_yscale("log")
        ax.set_title(rf"$\kappa$ = {float(kappa):g}")
        ax.set_xlabel("iteration k = N")
    axes[0].set_ylabel(r"$\|x_k - x^*\| / \|x_0 - x^*\|$")
    handles = {str(h.get_label()): h for ax in axes for h in ax.get_lines()}
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=2,
               frameon=False)


CURVE_LABELS = {"heavy_ball": r"heavy ball ($\alpha^*, \beta^*$)",
                "gd": r"GD (step $2/(L+\mu)$)"}


def _fraction(value: float) -> str:
    return str(Fraction(value).limit_denominator(100))


def draw_lessard(results: ResultSet, fig: Figure) -> None:
    metrics = results.record(LessardCycleMetrics)
    trajs = results.series("lessard_cycle").get("trajectories")
    if not isinstance(trajs, Mapping) or not trajs:
        raise MissingResult("lessard_cycle.series.trajectories absent")
    converged = {s.x0: s.converged for s in metrics.starts}
    ax = fig.subplots()
    cycling = [x0 for x0 in trajs if not converged.get(float(x0), False)]
    for x0 in cycling:
        values = floats(trajs[x0], f"lessard_cycle.series.trajectories.{x0}")
        measured(ax, "HeavyBall: cycling starts", range(len(values)), values, lw=0.8,
                 alpha=0.6, color=OKABE_ITO[0], marker="none",
                 label=(f"heavy ball from x0 = x1 in "
                        f"{{{', '.join(sorted(cycling, key=float))}}}: does not converge"
                        if x0 == cycling[0] else None))
    colours = iter([OKABE_ITO[3], OKABE_ITO[2], OKABE_ITO[1], OKABE_ITO[4]])
    for x0 in sorted((x for x in trajs if x not in cycling), key=float):
        values = floats(trajs[x0], f"lessard_cycle.series.trajectories.{x0}")
        measured(ax, f"HeavyBall from {x0}", range(len(values)), values, marker=".",
                 color=next(colours, "black"),
                 label=f"heavy ball from x0 = x1 = {x0}: converges")
    for p in metrics.expected_cycle:
        theory_hline(ax, p, "published 3-cycle (Lessard et al. 2016)", kind="reference")
    ax.set_xlabel("iteration k")
    ax.set_ylabel(r"iterate $x_k$")
    handles = dict(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
    fig.legend(list(handles.values()), [textwrap.fill(t, 90) for t in handles],
               loc="outside lower center", frameon=False)


def lessard_settings(results: ResultSet) -> str:
    metrics = results.record(LessardCycleMetrics)
    return (f"Settings: heavy ball lr={_fraction(metrics.alpha)}, "
            f"momentum={_fraction(metrics.beta)}.")


FIGURES = (
    FigureSpec("heavy_ball_rates", "heavy_ball_rate", "Heavy ball: measured vs predicted rate",
               "Per-step linear rate of Polyak-tuned heavy ball and of gradient descent on "
               "quadratics over the condition number, plotted as 1 - rate (log scale): theory "
               "(lines) against rates fitted from the runs (markers; circles allow the k rho^k "
               "Jordan term at the spectrum's ends; band: range of the per-seed fits).",
               draw_rates, (COLUMN, 3.0), theory=True, bands=True),
    FigureSpec("heavy_ball_error_curves", "heavy_ball_rate", "Heavy ball and GD error curves",
               "Error of heavy ball and gradient descent per iteration (median over seeds), "
               "one panel per condition number; dashed: GD's contraction bound "
               "((kappa-1)/(kappa+1))^k ||x_0 - x*||; dotted: heavy ball's theory rate rho*^k "
               "(a rate without a constant, drawn through the last point above 1e-10 of the "
               "start).", draw_error_curves, (FULL, 2.8), theory=True),
    FigureSpec("heavy_ball_pepit", "heavy_ball_rate", "Heavy ball: measured, rho* and PEPit",
               "The first steps of the error curves (median over seeds, relative to the start) "
               "beside heavy ball's rate rho*^k and PEPit's worst case of ||x_N - x*|| / "
               "||x_0 - x*|| at the same tuning (dashed): heavy ball over quadratics (each "
               "solve accepted only if its solver status, duality gap, dual certificate and "
               "feasibility are accurate and it agrees with the exact worst case "
               "max_lambda |p_N(lambda)|), heavy ball over smooth strongly convex functions "
               "(black squares: not a contraction at Polyak's tuning) and GD over them. "
               "Rejected solves are counted on the panel and listed in the PEPit table.",
               draw_pepit, (FULL, 3.0), theory=True),
    FigureSpec("lessard_cycle", "lessard_cycle", "Heavy ball on Lessard et al.'s function",
               "Iterates of heavy ball (alpha = 1/9, beta = 4/9) on Lessard, Recht and Packard's "
               "function from several starts x0 = x1; dotted lines: the published 3-cycle.",
               draw_lessard, (FULL, 3.6), theory=True, settings=lessard_settings),
)
