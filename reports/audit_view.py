"""The report of one optimizer's audit: its figures, tables and :func:`contents`.

Figures read the ``series`` of the ``measurements/audit_*.json`` files, tables their typed
records (:mod:`experiments.measurements.audit`); claims are :mod:`reports.audit_claims`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from experiments.measurements.audit import (
    AuditCostMetrics,
    AuditInvarianceMetrics,
    AuditLessardMetrics,
    AuditReddiMetrics,
    AuditRegretMetrics,
    AuditSearchMetrics,
    RateFit,
)
from reports.audit_claims import audit_claims
from reports.contents import ReportContents
from reports.document import Cell, Math, Table
from reports.figures.canvas import FigureSpec
from reports.figures.online import CONSTRUCTIONS
from reports.figures.style import floats, series_xy
from reports.results import MissingResult, ResultSet
from reports.rules import interval_suffix, interval_text
from reports.tables import TableSpec, num

SECTIONS: dict[str, str] = {
    "audit_regret": "Online regret suite and user bounds",
    "audit_reddi": "Reddi et al.'s constructions",
    "audit_lessard": "Lessard et al.'s function",
    "audit_search": "Counterexample search",
    "audit_invariance": "Invariance audit",
    "audit_cost": "Cost scaling in d",
}


def draw_regret(results: ResultSet, fig: Figure) -> None:
    series = results.series("audit_regret")
    problems = [p for p, entry in series.items() if isinstance(entry, Mapping)]
    if not problems:
        raise MissingResult("audit_regret.series has no problem")
    axes = fig.subplots(1, len(problems), squeeze=False)[0]
    for ax, problem in zip(axes, problems, strict=True):
        entry = series[problem]
        steps, median = series_xy(entry, "T", "median", f"audit_regret.series.{problem}")
        ax.plot(steps, median, color="black", label="R_T, median over seeds")
        ax.fill_between(steps, floats(entry["q10"], "q10"), floats(entry["q90"], "q90"),
                        color="black", alpha=0.15, lw=0, label="10-90 % band")
        for name, values in sorted(entry.get("bounds", {}).items()):
            ax.plot(steps, floats(values, f"bounds.{name}"), ls="--", label=f"bound {name}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(problem)
        ax.set_xlabel("horizon $T$")
    axes[0].set_ylabel("regret $R_T$")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False)


def draw_reddi(results: ResultSet, fig: Figure) -> None:
    series = results.series("audit_reddi")
    present = [c for c in CONSTRUCTIONS if isinstance(series.get(c), Mapping)]
    if not present:
        raise MissingResult(f"audit_reddi.series has none of {list(CONSTRUCTIONS)}")
    axes = fig.subplots(1, len(present), sharey=True, squeeze=False)[0]
    for ax, construction in zip(axes, present, strict=True):
        steps, xs = series_xy(series[construction], "t", "x", f"audit_reddi.{construction}")
        ax.plot(steps, xs, color="black")
        ax.axhline(-1.0, color="grey", ls=":", lw=1)
        ax.set_xscale("log")
        ax.set_ylim(-1.1, 1.1)
        ax.set_title(CONSTRUCTIONS[construction])
        ax.set_xlabel(r"round $t$")
    axes[0].set_ylabel(r"iterate $x_t$ (optimum $x^* = -1$, dotted)")


def draw_cost(results: ResultSet, fig: Figure) -> None:
    series = results.series("audit_cost")
    timings = series.get("step_time_s")
    if not isinstance(timings, Mapping) or "d" not in series:
        raise MissingResult("audit_cost.series.step_time_s or .d absent")
    d = np.array(floats(series["d"], "audit_cost.series.d"))
    ax = fig.subplots()
    for name, values in timings.items():
        ax.plot(d, floats(values, f"step_time_s.{name}"), marker="o", ms=3, label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parameters $d$")
    ax.set_ylabel("time per step (s), median over repeats")
    ax.legend(frameon=False)


FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("audit_regret", "audit_regret", "Regret against horizon, with user bounds",
               "R_T of the audited optimizer (median and 10-90 % band over seeds) on each "
               "problem of the online suite, log-log; dashed: each user bound (its largest "
               "value over seeds).", draw_regret, (10.0, 4.0)),
    FigureSpec("audit_reddi", "audit_reddi", "Reddi et al.'s constructions",
               "Iterate x_t (median over seeds) of the audited optimizer on Reddi, Kale and "
               "Kumar's constructions; the optimum is -1, Adam ends at +1.", draw_reddi,
               (10.0, 3.6)),
    FigureSpec("audit_cost", "audit_cost", "Step time against d",
               "Wall time per step against d (log-log), median over repeats, beside SGD on "
               "the same problem (the problem's share); measured on a shared machine.",
               draw_cost, (7.0, 3.6)),
)


def regret_table(r: ResultSet) -> Table:
    m = r.record(AuditRegretMetrics)
    last = {p.problem: p for p in m.rows}
    rows = [[problem, str(p.T), num(p.regret_median),
             interval_suffix(p.regret_q10, p.regret_q90, None).strip(), num(p.trivial),
             _slope(m.tail_fits[problem])] for problem, p in last.items()]
    return Table(["problem", Math("T"), [Math("R_T"), " median"], "10-90 %",
                  Math("T d G_\\infty D_\\infty"), "tail slope [90 % CI]"], rows,
                 f"{m.target.label}: regret at the longest horizon and its tail slope.",
                 "tab:audit-regret")


def bounds_table(r: ResultSet) -> Table:
    m = r.record(AuditRegretMetrics)
    if not m.bounds:
        raise MissingResult("no user bound was registered for this audit")
    rows: list[list[Cell]] = []
    for bound in m.bounds:
        mine = [row for row in m.bound_rows if row.bound == bound.name]
        worst = max(mine, key=lambda row: row.ratio_max)
        rows.append([bound.name, [Math(bound.latex)], num(worst.ratio_max),
                     f"{worst.problem}, T = {worst.T}",
                     f"{sum(row.bound_over_trivial < 1 for row in mine)} of {len(mine)}"])
    return Table(["bound", "statement", [Math("\\max R_T/\\text{bound}")], "at",
                  "informative rows"], rows,
                 "User bounds: the largest ratio of measured regret to the bound over seeds, "
                 "problems and horizons (above 1: violated).", "tab:audit-bounds")


def reddi_table(r: ResultSet) -> Table:
    m = r.record(AuditReddiMetrics)
    rows = [[c, str(run.T), num(run.final_x), num(run.regret_over_T)]
            for c, run in m.runs.items()]
    return Table(["construction", Math("T"), ["final ", Math("x")], Math("R_T/T")], rows,
                 f"{m.target.label} on Reddi et al.'s constructions (x* = -1).",
                 "tab:audit-reddi")


def lessard_table(r: ResultSet) -> Table:
    m = r.record(AuditLessardMetrics)
    rows = [[f"{s.x0:g}", num(s.final_x), str(s.converged), str(s.cycling)] for s in m.starts]
    return Table([Math("x_0"), ["final ", Math("x")], "converged", "3-cycle"], rows,
                 f"{m.target.label} on Lessard et al.'s function, T = {m.horizon}.",
                 "tab:audit-lessard")


def search_table(r: ResultSet) -> Table:
    m = r.record(AuditSearchMetrics)
    rows = [[str(m.found), str(m.evaluations),
             ", ".join(f"T = {t}: {num(v)}" for t, v in m.avg_regret_by_T.items()),
             m.conditions, m.replay]]
    return Table(["counterexample", "evaluations", Math("R_T/T"), "conditions", "replay"],
                 rows, f"Counterexample search against {m.target.label}.", "tab:audit-search")


def invariance_table(r: ResultSet) -> Table:
    m = r.record(AuditInvarianceMetrics)
    return Table(["transformation", "worst class over the games"],
                 [[t, kind] for t, kind in m.table.items()],
                 f"Invariance audit of {m.target.label}, T = {m.horizon}.",
                 "tab:audit-invariance")


def _slope(fit: RateFit) -> str:
    return "-" if fit.slope is None else interval_text(fit.slope, fit.ci_low, fit.ci_high, None,
                                                       ".3g")


def cost_table(r: ResultSet) -> Table:
    m = r.record(AuditCostMetrics)
    fit = m.time_exponent_d
    exponent = interval_text(fit.slope, fit.ci_low, fit.ci_high, fit.n_samples, ".3g")
    rows = [[str(d), num(t), num(ref)] for d, t, ref in
            zip(m.dims, m.step_time_s, m.reference_step_time_s, strict=True)]
    return Table([Math("d"), "step time (s)", "SGD step time (s)"], rows,
                 f"{m.target.label}: time per step, exponent {exponent} for d >= 10^4; "
                 f"state {num(m.state_bytes_per_param)} bytes per parameter.",
                 "tab:audit-cost")


TABLES: tuple[TableSpec, ...] = (
    TableSpec("audit_regret", "audit_regret", regret_table),
    TableSpec("audit_bounds", "audit_regret", bounds_table),
    TableSpec("audit_reddi", "audit_reddi", reddi_table),
    TableSpec("audit_lessard", "audit_lessard", lessard_table),
    TableSpec("audit_search", "audit_search", search_table),
    TableSpec("audit_invariance", "audit_invariance", invariance_table),
    TableSpec("audit_cost", "audit_cost", cost_table),
)


def contents(label: str, rerun: str) -> ReportContents:
    """The audit report of optimizer ``label``; ``rerun`` writes every missing input."""
    return ReportContents(f"Audit of {label}", SECTIONS, audit_claims, FIGURES, TABLES,
                          derivations=False, rerun=rerun)
