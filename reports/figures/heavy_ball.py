"""Heavy ball: measured vs predicted rates over kappa, error curves, and Lessard's cycle.

Reads ``heavy_ball_rate.metrics.rows`` and ``series.curves`` (each
``{kappa, optimizer, hyperparameters, step, error}``), and ``lessard_cycle.metrics`` with
``series.trajectories`` (each ``{x0, optimizer, hyperparameters, step, x}``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from fractions import Fraction

import numpy as np
from matplotlib.figure import Figure

from experiments.measurements.heavy_ball_rate import HeavyBallRateMetrics
from experiments.measurements.lessard_cycle import LessardCycleMetrics
from reports.figures.style import (
    OKABE_ITO,
    FigureSpec,
    floats,
    legend,
    series_xy,
)
from reports.results import InvalidData, MissingResult, ResultSet


def draw_rates(results: ResultSet, fig: Figure) -> None:
    rows = sorted(results.record(HeavyBallRateMetrics).rows, key=lambda r: r.kappa)
    if not rows:
        raise InvalidData("measurements/heavy_ball_rate.json", "metrics.rows is empty")
    kappa = np.array([r.kappa for r in rows], dtype=float)

    def gap(field: str) -> np.ndarray:
        return 1.0 - np.array([getattr(r, field) for r in rows], dtype=float)

    ax = fig.subplots()
    ax.plot(kappa, gap("rho_star"), color=OKABE_ITO[0], lw=1.5,
            label=r"heavy ball theory: $\rho^* = (\sqrt{\kappa}-1)/(\sqrt{\kappa}+1)$")
    ax.plot(kappa, gap("rate_fit_jordan"), ls="none", marker="o", mfc="none",
            color=OKABE_ITO[0], label=r"heavy ball ($\alpha^*, \beta^*$): fit $C k \rho^k$")
    ax.plot(kappa, gap("rate_measured"), ls="none", marker="x", color=OKABE_ITO[0],
            label=r"heavy ball ($\alpha^*, \beta^*$): plain fit $C \rho^k$")
    ax.plot(kappa, gap("gd_rate_theory"), color=OKABE_ITO[3], lw=1.5, ls="--",
            label=r"GD theory: $(\kappa-1)/(\kappa+1)$")
    ax.plot(kappa, gap("gd_rate_measured"), ls="none", marker="s", mfc="none",
            color=OKABE_ITO[3], label=r"GD (lr $= 2/(L+\mu)$): measured")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"condition number $\kappa = L/\mu$")
    ax.set_ylabel(r"$1 -$ rate (error reduction per step)")
    legend(ax, loc="lower left")


CURVE_LABELS = {"heavy_ball": r"heavy ball (lr=$\alpha^*$, momentum=$\beta^*$)",
                "gd": r"GD (lr=$2/(L+\mu)$)"}


def draw_error_curves(results: ResultSet, fig: Figure) -> None:
    curves = results.series("heavy_ball_rate").get("error_curves")
    if not isinstance(curves, Mapping) or not curves:
        raise MissingResult("heavy_ball_rate.series.error_curves absent")
    kappas = sorted(curves, key=float)
    ax = fig.subplots()
    for i, kappa in enumerate(kappas):
        for method, entry in sorted(curves[kappa].items()):
            steps, err = series_xy(entry, "k", "error",
                                   f"heavy_ball_rate.series.error_curves.{kappa}.{method}")
            ax.plot(steps, err, color=OKABE_ITO[i % len(OKABE_ITO)],
                    ls="--" if method == "gd" else "-",
                    label=f"{CURVE_LABELS.get(method, method)}, $\\kappa$={float(kappa):g}")
    ax.set_yscale("log")
    ax.set_xlabel("iteration k")
    ax.set_ylabel(r"$\|x_k - x^*\|$ (median over seeds)")
    legend(ax, loc="upper left", bbox_to_anchor=(1.02, 1.0))


def _fraction(value: float) -> str:
    return str(Fraction(value).limit_denominator(100))


def draw_lessard(results: ResultSet, fig: Figure) -> None:
    metrics = results.record(LessardCycleMetrics)
    trajs = results.series("lessard_cycle").get("trajectories")
    if not isinstance(trajs, Mapping) or not trajs:
        raise MissingResult("lessard_cycle.series.trajectories absent")
    converged = {s.x0: s.converged for s in metrics.starts}
    hp = f"lr={_fraction(metrics.alpha)}, momentum={_fraction(metrics.beta)}"
    ax = fig.subplots()
    cycling = [x0 for x0 in trajs if not converged.get(float(x0), False)]
    for x0 in cycling:
        values = floats(trajs[x0], f"lessard_cycle.series.trajectories.{x0}")
        ax.plot(range(len(values)), values, lw=0.8, alpha=0.6, color=OKABE_ITO[0],
                label=(f"heavy ball ({hp}) from x0 = x1 in "
                       f"{{{', '.join(sorted(cycling, key=float))}}}: does not converge"
                       if x0 == cycling[0] else None))
    colours = iter([OKABE_ITO[3], OKABE_ITO[2], OKABE_ITO[1], OKABE_ITO[4]])
    for x0 in sorted((x for x in trajs if x not in cycling), key=float):
        values = floats(trajs[x0], f"lessard_cycle.series.trajectories.{x0}")
        ax.plot(range(len(values)), values, lw=1.4, marker=".", ms=3,
                color=next(colours, "black"),
                label=f"heavy ball ({hp}) from x0 = x1 = {x0}: converges")
    for j, p in enumerate(metrics.expected_cycle):
        ax.axhline(p, color="grey", ls=":", lw=1.2,
                   label="published 3-cycle (Lessard et al. 2016)" if j == 0 else None)
    ax.set_xlabel("iteration k")
    ax.set_ylabel(r"iterate $x_k$")
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, [textwrap.fill(t, 90) for t in labels], loc="outside lower center",
               frameon=False)


FIGURES = (
    FigureSpec("heavy_ball_rates", "heavy_ball_rate", "Heavy ball: measured vs predicted rate",
               "Per-step linear rate of Polyak-tuned heavy ball and of gradient descent on "
               "quadratics over the condition number, plotted as 1 - rate (log scale): theory "
               "(lines) against rates fitted from the runs (markers; circles allow the k rho^k "
               "Jordan term at the spectrum's ends).", draw_rates, (6.5, 4.0)),
    FigureSpec("heavy_ball_error_curves", "heavy_ball_rate", "Heavy ball and GD error curves",
               "Error of heavy ball (solid) and gradient descent (dashed) per iteration, one "
               "colour per condition number.", draw_error_curves, (8.0, 3.8)),
    FigureSpec("lessard_cycle", "lessard_cycle", "Heavy ball on Lessard et al.'s function",
               "Iterates of heavy ball (alpha = 1/9, beta = 4/9) on Lessard, Recht and Packard's "
               "function from several starts x0 = x1; dotted lines: the published 3-cycle.",
               draw_lessard, (8.0, 4.8)),
)
