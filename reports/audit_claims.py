"""The claims of an optimizer's audit (``dwmgrad-verify audit``): the properties the battery
measures for any optimizer, and one claim per bound the user registered.

They read the ``measurements/audit_*.json`` records (:mod:`experiments.measurements.audit`);
:func:`audit_claims` lists them, with one :func:`bound_claim` per bound found in
``audit_regret``'s record.
"""

from __future__ import annotations

import re

from experiments.measurements.audit import (
    AuditCostMetrics,
    AuditInvarianceMetrics,
    AuditLessardMetrics,
    AuditReddiMetrics,
    AuditRegretMetrics,
    AuditSearchMetrics,
    BoundRow,
)
from experiments.named.invariance import CLASSES, OFFSETS
from reports.claims.common import fmt, fmt_map
from reports.results import InvalidData, MissingResult, ResultSet
from reports.rules import interval_text
from reports.verdicts import Claim, ClaimSource, Counterexample, Evidence, Verdict, bound_ids

LINEAR_SLOPE = 0.95
"""A tail regret slope whose whole interval is at or above this is linear regret."""
X_ATOL = 0.1
"""How close to x* = -1 (or to Adam's +1) a final iterate on Reddi's games must be."""
LINEAR_COST = 1.15
"""Largest time-per-step exponent in d still read as linear (timings on a shared machine)."""
RATIO_TOL = 1e-9
"""R_T above bound·(1 + RATIO_TOL) is a violation (float64 rounding of the two sides)."""
PERMUTE_REFLECT = ("permute", "reflect")
REGRET_FILE = "measurements/audit_regret.json"
AUDIT = "audit of one optimizer (dwmgrad-verify audit)"


def _audit_source(says: str) -> ClaimSource:
    return ClaimSource("derived", AUDIT, says)


def regret_sublinear(r: ResultSet) -> Verdict:
    """Holds when every problem's tail regret slope is below :data:`LINEAR_SLOPE` (its whole
    interval), violated when one interval is at or above it, inconclusive otherwise."""
    m = r.record(AuditRegretMetrics)
    evidence, linear, open_ = [], [], []
    for problem, fit in m.tail_fits.items():
        top = max((p.regret_max for p in m.rows if p.problem == problem), default=0.0)
        evidence.append(Evidence(f"{problem}: tail slope of R_T [90 % CI]",
                                 interval_text(fit.slope, fit.ci_low, fit.ci_high, None)
                                 if fit.slope is not None else fit.note, REGRET_FILE))
        if fit.slope is None or fit.ci_low is None or fit.ci_high is None:
            if top > 0:
                open_.append(f"{problem}: {fit.note}")
        elif fit.ci_low >= LINEAR_SLOPE:
            linear.append(f"{problem} (slope {fit.slope:.3g})")
        elif fit.ci_high >= LINEAR_SLOPE:
            slope = interval_text(fit.slope, fit.ci_low, fit.ci_high, None, ".3g")
            open_.append(f"{problem}: slope {slope} reaches {LINEAR_SLOPE}")
    if linear:
        return Verdict("violated", "regret grows linearly on " + ", ".join(linear),
                       tuple(evidence))
    if open_:
        return Verdict("inconclusive", "; ".join(open_) + " (settled at full scale)",
                       tuple(evidence))
    return Verdict("holds", f"every tail slope is below {LINEAR_SLOPE}", tuple(evidence))


def reddi_minimiser(r: ResultSet) -> Verdict:
    """Holds when the final iterate is within :data:`X_ATOL` of x* = -1 on every
    construction; violated when one ends within it of +1 (Adam's failure); else inconclusive."""
    m = r.record(AuditReddiMetrics)
    evidence = [Evidence(f"{c}: final x / R_T/T at T = {run.T}",
                         f"{run.final_x:.4g} / {run.regret_over_T:.4g}",
                         "measurements/audit_reddi.json") for c, run in m.runs.items()]
    worst = [c for c, run in m.runs.items() if abs(run.final_x - 1.0) <= X_ATOL]
    away = [f"{c} ends at {run.final_x:.3g}" for c, run in m.runs.items()
            if abs(run.final_x - m.minimiser) > X_ATOL]
    if worst:
        return Verdict("violated", "ends at the worst point +1 like Adam on " + ", ".join(worst),
                       tuple(evidence))
    if away:
        return Verdict("inconclusive", "; ".join(away) + " (not at x* = -1 at this horizon)",
                       tuple(evidence))
    return Verdict("holds", "ends within 0.1 of x* = -1 on all three constructions",
                   tuple(evidence))


def lessard_converges(r: ResultSet) -> Verdict:
    """Violated when a start settles into a 3-cycle; holds when every start converges;
    inconclusive when some neither converge nor cycle by the horizon."""
    m = r.record(AuditLessardMetrics)
    source = "measurements/audit_lessard.json"
    evidence = [Evidence(f"x0 = {s.x0:g}: final x", s.final_x, source) for s in m.starts]
    cycling = [s for s in m.starts if s.cycling]
    if cycling:
        return Verdict("violated", f"{len(cycling)} of {len(m.starts)} starts settle into a "
                       "3-cycle", tuple(evidence),
                       tuple(Counterexample(f"start x0 = {s.x0:g}",
                                            f"last iterates {fmt(list(s.last_three))}")
                             for s in cycling))
    pending = [s for s in m.starts if not s.converged]
    if pending:
        return Verdict("inconclusive", f"{len(pending)} of {len(m.starts)} starts have not "
                       f"converged (|x_T| > 1e-8) by T = {m.horizon} and do not cycle",
                       tuple(evidence))
    return Verdict("holds", f"every start converges to x* = 0 by T = {m.horizon}",
                   tuple(evidence))


def no_counterexample(r: ResultSet) -> Verdict:
    """Violated (with the replayable sequence) when the calibrated search finds a sequence on
    which the average regret does not vanish; holds when it finds none."""
    m = r.record(AuditSearchMetrics)
    source = "measurements/audit_search.json"
    evidence = (Evidence("evaluations", m.evaluations, source),
                Evidence("R_T/T by T of the reported candidate", fmt_map(m.avg_regret_by_T),
                         source),
                Evidence("criterion", m.criterion, source))
    if m.found:
        return Verdict("violated", f"{m.n_found} sequence(s) keep the average regret from "
                       f"vanishing ({fmt_map(m.avg_regret_by_T)})", evidence,
                       (Counterexample(m.target.label, m.conditions, m.replay),))
    return Verdict("holds", f"no counterexample in {m.evaluations} evaluations (a search "
                   "result, not a proof)", evidence)


def invariances(r: ResultSet) -> Verdict:
    """Violated when a loss offset changes the run, or permutation / reflection changes it
    beyond float rounding of ε ('sensitive'); holds otherwise."""
    m = r.record(AuditInvarianceMetrics)
    unknown = sorted(set(m.table.values()) - set(CLASSES))
    if unknown:
        raise InvalidData("measurements/audit_invariance.json",
                          f"metrics.table has class(es) {unknown}; expected {CLASSES}")
    evidence = tuple(Evidence(t, kind, "measurements/audit_invariance.json")
                     for t, kind in m.table.items())
    broken = [f"{t} ({m.table[t]})" for t in OFFSETS if m.table.get(t) != "exact"]
    broken += [f"{t} ({m.table[t]})" for t in PERMUTE_REFLECT
               if m.table.get(t) == "sensitive"]
    if broken:
        return Verdict("violated", "the run changes under " + ", ".join(broken), evidence)
    return Verdict("holds", "loss offsets change nothing; permutation and reflection map the "
                   "run exactly (or up to eps)", evidence)


def cost_linear(r: ResultSet) -> Verdict:
    """The time per step's exponent in d (d >= 10^4): holds when its interval is at most
    :data:`LINEAR_COST`, violated when all of it is above, else inconclusive."""
    m = r.record(AuditCostMetrics)
    fit = m.time_exponent_d
    source = "measurements/audit_cost.json"
    evidence = (Evidence("time exponent in d [90 % CI]",
                         interval_text(fit.slope, fit.ci_low, fit.ci_high, fit.n_samples, ".3g"),
                         source),
                Evidence("state bytes per parameter", m.state_bytes_per_param, source),
                Evidence("step time at the largest d / SGD's",
                         m.step_time_s[-1] / m.reference_step_time_s[-1], source))
    if fit.ci_low > LINEAR_COST:
        return Verdict("violated", f"time per step grows like d^{fit.slope:.3g}", evidence)
    if fit.ci_high > LINEAR_COST:
        return Verdict("inconclusive", "exponent "
                       f"{interval_text(fit.slope, fit.ci_low, fit.ci_high, fit.n_samples, '.3g')}"
                       f" reaches {LINEAR_COST} (timings on a shared machine; settled at full "
                       "scale)", evidence)
    return Verdict("holds", f"time per step grows like d^{fit.slope:.3g}", evidence)


def _row_text(row: BoundRow) -> str:
    return (f"{row.problem}, T = {row.T}, seed {row.worst_seed}: R_T = "
            f"{row.regret_at_worst:.4g} vs bound {row.bound_at_worst:.4g}")


def bound_verdict(rows: list[BoundRow], name: str) -> Verdict:
    """One user bound against every (problem, T) row: violated when some seed's R_T exceeds
    its bound (the worst row is the counterexample); holds when none does and some rows are
    informative (bound below the trivial comparator T·d·G∞·D∞); vacuous when none is."""
    if not rows:
        raise InvalidData(REGRET_FILE, f"metrics.bound_rows has no row of bound {name!r}")
    over = [row for row in rows if row.ratio_max > 1 + RATIO_TOL]
    informative = [row for row in rows if row.bound_over_trivial < 1]
    evidence = (Evidence("largest R_T / bound over rows and seeds",
                         max(row.ratio_max for row in rows), REGRET_FILE),
                Evidence("informative rows (bound < T d G_inf D_inf)",
                         f"{len(informative)} of {len(rows)}", REGRET_FILE))
    if over:
        worst = max(over, key=lambda row: row.ratio_max)
        return Verdict("violated", f"R_T exceeds the bound on {len(over)} of {len(rows)} rows; "
                       f"worst: {_row_text(worst)}", evidence,
                       tuple(Counterexample(f"{row.problem}, T = {row.T}", _row_text(row),
                                            row.run)
                             for row in sorted(over, key=lambda x: -x.ratio_max)[:3]))
    if not informative:
        return Verdict("vacuous", "the bound is at or above T d G_inf D_inf on every row, so "
                       "it cannot fail there", evidence)
    best = max(informative, key=lambda row: row.ratio_max)
    return Verdict("holds", f"R_T <= bound for every seed on all {len(rows)} rows; on the "
                   f"{len(informative)} informative rows R_T/bound is at most "
                   f"{best.ratio_max:.3g} ({best.problem}, T = {best.T})", evidence)


def bound_claim_id(name: str) -> str:
    """The claim id of user bound ``name`` (claim ids are lower-case letters, digits and -)."""
    return "audit-bound-" + (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unnamed")


def bound_claim(name: str, latex: str, reference: str) -> Claim:
    def rule(r: ResultSet) -> Verdict:
        m = r.record(AuditRegretMetrics)
        return bound_verdict([row for row in m.bound_rows if row.bound == name], name)

    return Claim(bound_claim_id(name), f"User bound {name}",
                 ClaimSource("literature", reference or "registered by the user", latex),
                 f"For every seed, problem and horizon of the regret suite, R_T <= {latex}.",
                 bound_ids(name), ("audit_regret",), ("audit_regret",), rule)


FIXED: tuple[Claim, ...] = (
    Claim("audit-regret-sublinear", "Regret is sublinear on the online suite",
          _audit_source("R_T / T -> 0 on online convex problems"),
          "On random linear and quadratic online losses (d = 10) and Reddi et al.'s Theorem 1 "
          f"game, the log-log slope of R_T over the last decade of horizons is below "
          f"{LINEAR_SLOPE}.", (), ("audit_regret",), ("audit_regret",), regret_sublinear),
    Claim("audit-reddi-minimiser", "Reaches x* = -1 on Reddi et al.'s constructions",
          ClaimSource("literature", "Reddi, Kale, Kumar, ICLR 2018, Theorem 1 and Section 5",
                      "Adam converges to the worst point +1; a convergent method reaches -1"),
          "On Reddi et al.'s three constructions the final iterate is within 0.1 of the "
          "minimiser -1 (Adam ends at +1).", (), ("audit_reddi",), ("audit_reddi",),
          reddi_minimiser),
    Claim("audit-lessard-converges", "Converges on Lessard et al.'s function",
          ClaimSource("literature", "Lessard, Recht, Packard, SIAM J. Optim. 2016, Section 4.6",
                      "heavy ball with Polyak's tuning cycles from x0 in [3.07, 3.46]"),
          "From every start where heavy ball cycles, and from 3.0 and 3.5, the iterate "
          "converges to x* = 0 (|x_T| <= 1e-8) and does not settle into a 3-cycle.",
          (), ("audit_lessard",), (), lessard_converges),
    Claim("audit-no-counterexample", "The counterexample search finds no failure",
          _audit_source("no periodic online convex sequence keeps R_T/T from vanishing"),
          "The calibrated CMA-ES search over periodic online convex sequences finds no "
          "sequence whose average regret persists at 100 T0 while AMSGrad's and the analysed "
          "DWMGrad's fall on it.", (), ("audit_search",), (), no_counterexample),
    Claim("audit-invariance", "Invariant to loss offsets, equivariant to permutation and "
          "reflection", _audit_source("an optimizer that reads only gradients ignores offsets"),
          "Adding a constant or per-round offset to the losses leaves the run unchanged "
          "(exact), and permuting or reflecting the coordinates maps it exactly or up to eps.",
          (), ("audit_invariance",), (), invariances),
    Claim("audit-cost-linear", "Time per step is linear in d",
          _audit_source("an elementwise optimizer's step costs O(d)"),
          f"The wall time per step grows with d like d^k, k <= {LINEAR_COST}, for d >= 10^4.",
          (), ("audit_cost",), ("audit_cost",), cost_linear),
)


def audit_claims(results: ResultSet) -> tuple[Claim, ...]:
    """The fixed claims, then one claim per user bound recorded in ``audit_regret``."""
    try:
        bounds = results.record(AuditRegretMetrics).bounds
    except (MissingResult, InvalidData):
        bounds = ()
    return FIXED + tuple(bound_claim(b.name, b.latex, b.reference) for b in bounds)
