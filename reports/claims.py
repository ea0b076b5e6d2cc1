"""The claims registry: every checkable claim of the four seeds, and every derived claim.

Each :class:`~reports.verdicts.Claim` names its source (the seed file and the sentence it
makes, a paper the seeds rely on, or ``derived`` for what this toolkit itself derives), the
theory objects and experiments that test it, the figures that show it, and a rule: a
function of the loaded result files that returns a verdict of
:data:`~reports.verdicts.STATUSES` with its evidence. :func:`judge` evaluates all of them; a
claim whose results are missing is ``not run`` with the command that produces them, never
dropped.

Seeds: 000 DWMGrad (Wang, Li, Zeng), 001 adaptive heavy ball (Sun et al.), 002 Demon
(Chen et al.), 003 Aida (Zhang, Niwa, Kleijn), in ``shared/seeds/``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import sympy as sp

from reports.results import BOUNDS_FILE, CHECKS_FILE, InvalidData, MissingResult, ResultSet
from reports.rules import (
    Interval,
    better_or_matches,
    compare,
    faster_than,
    find_key,
    gather,
    is_analysed,
    is_dwmgrad,
    normalise,
    number,
    steps_evidence,
    steps_verdict,
)
from reports.verdicts import (
    Claim,
    ClaimSource,
    Counterexample,
    Evidence,
    JudgedClaim,
    Verdict,
)

SEED_DWMGRAD = "seeds/000_c498e3ceab1c8128.txt (Wang, Li, Zeng: DWMGrad, arXiv 2510.25042)"
SEED_AHB = "seeds/001_4d2d9f652b570652.txt (Sun et al.: adaptive heavy ball, arXiv 2110.09057)"
SEED_DEMON = "seeds/002_afff1032e3dc2cec.txt (Chen et al.: Demon, arXiv 1910.04952)"
SEED_AIDA = "seeds/003_a95d0e06363c2a78.txt (Zhang, Niwa, Kleijn: Aida, arXiv 2203.13273)"

LINEAR_REGRET_EXPONENT = 0.9
"""A fitted regret exponent whose CI lies above this means R_T grows linearly: R_T/T does
not shrink, so the algorithm does not converge in the online convex sense."""
EXPONENT_TOL = 0.05
"""Slack on fitted log-log exponents (finite horizons bias the fit by a few hundredths)."""
COST_EXPONENT_MAX = 1.15
"""Step time growing like d^a with the CI of a above this would contradict O(n*d), unless the
standard optimizer (Adam) shows an exponent within ``COST_EXPONENT_MAX - 1`` of it (then the
growth comes from the harness shared by all optimizers)."""
RATE_RTOL = 0.01
"""Relative tolerance of a measured linear rate against the theory's rate."""
CYCLE_ATOL = 1e-3
"""Absolute tolerance on Lessard et al.'s cycle points (published to four decimals)."""
REDDI_X_ATOL = 0.1
"""How close to +1 or -1 a final iterate must be on Reddi et al.'s constructions."""
REDDI_RATIO_ATOL = 0.05
"""Tolerance of R_T/T against its limit 2/3 on Reddi et al.'s Theorem 1."""
MEMORY_RTOL = 0.02
"""Measured state bytes per parameter may exceed the model by per-tensor scalars."""


def _fmt_map(d: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}: {_fmt(v)}" for k, v in d.items())


def _fmt(v: Any) -> str:
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


# --------------------------------------------------------------------------- DWMGrad

def _published_coverage(r: ResultSet) -> tuple[bool, list[Evidence]]:
    """Whether the derived bound covers the published algorithm: it does when the theory
    lists no assumption the published algorithm breaks (``paper_algorithm_gaps``)."""
    gaps = r.theory_field("paper_algorithm_gaps")
    status: dict[str, str] = {}
    try:
        status = {str(row.get("step")): str(row.get("status")) for row in r.check_rows()}
    except MissingResult:
        pass
    evidence = [
        Evidence(f"published algorithm breaks '{g.get('assumption')}' ({g.get('name')})",
                 f"fails at {g.get('failing_step')}; instance: {g.get('instance')}; exhibited "
                 f"on the optimizer: {status.get(str(g.get('check_step')), 'not checked')}",
                 "theory/bounds.json, checks/checks.json")
        for g in gaps if isinstance(g, Mapping)]
    return not gaps, evidence


def _calibrated(evidence_of: str, analysed_flagged: bool) -> str:
    return (f"{evidence_of} not used: the same finite-horizon test also flags the analysed "
            "algorithm, whose regret bound is proven and holds") if analysed_flagged else ""


def dwmgrad_published_convergence(r: ResultSet) -> Verdict:
    """Violated on a finite-horizon sign of linear regret (a counterexample sequence, a fitted
    regret exponent near 1) for the published algorithm, but only from a test that does not
    also flag the analysed algorithm (provably convergent): such a test is uncalibrated."""
    missing: list[str] = []
    evidence: list[Evidence] = []
    found: list[Counterexample] = []
    notes: list[str] = []
    search = gather(missing, lambda: r.metric("counterexample_search"))
    analysed_found = any(is_analysed(n) and isinstance(e, Mapping) and e.get("found")
                         for n, e in (search or {}).items())
    for name, entry in (search or {}).items():
        if not isinstance(entry, Mapping) or not is_dwmgrad(name) or "found" not in entry:
            continue
        avg = entry.get("avg_regret_by_T") or {}
        evidence.append(Evidence(f"counterexample search, {name}: criterion met; worst R_T/T "
                                 "by T", f"{entry['found']}; {_fmt_map(avg)}",
                                 "measurements/counterexample_search.json"))
        if entry["found"] and not is_analysed(name) and not analysed_found:
            found.append(Counterexample(name, f"R_T/T does not shrink as T grows: {_fmt_map(avg)}",
                                        entry.get("replay")))
    if analysed_found:
        notes.append(_calibrated("the counterexample search", True))
    linear: list[str] = []
    exps = gather(missing, lambda: r.metric("dwmgrad_regret", "exponents"))
    analysed_exps: Mapping[str, Any] = next(
        (v for k, v in (exps or {}).items() if is_analysed(k)), {})
    for variant, per_problem in (exps or {}).items():
        if is_analysed(variant):
            continue
        for problem, fit in per_problem.items():
            iv = _fitted(fit)
            evidence.append(Evidence(f"regret exponent {variant} on {problem}",
                                     iv.text() if iv else f"no fit ({fit.get('note', '')})",
                                     "measurements/dwmgrad_regret.json"))
            reference = _fitted(analysed_exps.get(problem) or {})
            calibrated = reference is not None and reference.high <= LINEAR_REGRET_EXPONENT
            if iv is not None and iv.low > LINEAR_REGRET_EXPONENT and calibrated:
                linear.append(f"{variant} on {problem} (a = {iv.text()}; analysed "
                              f"{reference.text() if reference else '-'})")
    reddi = gather(missing, lambda: r.metric("reddi"))
    for construction in REDDI_CONSTRUCTIONS:
        for name, entry in ((reddi or {}).get(construction) or {}).items():
            if is_dwmgrad(name) and not is_analysed(name) and isinstance(entry, Mapping):
                evidence.append(Evidence(f"Reddi {construction}, {name}: final x (x* = -1), "
                                         "R_T/T", f"{_fmt(entry.get('final_x'))}, "
                                         f"{_fmt(entry.get('regret_over_T'))}",
                                         "measurements/reddi.json"))
    adam = gather(missing, lambda: r.metric("counterexample_search", "adam_rediscovered"))
    coverage = gather(missing, lambda: _published_coverage(r))
    if coverage:
        evidence.extend(coverage[1])
    missing = list(dict.fromkeys(missing))
    if found or linear:
        subjects = ", ".join(c.subject for c in found)
        parts = [f"counterexample loss sequences found for {subjects}"] if found else []
        if linear:
            parts.append(f"linear regret (R_T/T does not shrink) for {', '.join(linear)}")
        return Verdict("violated", "; ".join(parts + notes), tuple(evidence), tuple(found))
    if search is None and exps is None:
        raise MissingResult("; ".join(missing))
    if missing:
        return Verdict("not run", "; ".join(missing), tuple(evidence))
    if coverage and coverage[0]:
        return Verdict("holds", "a checked bound covers the published algorithm and no "
                       "counterexample was found", tuple(evidence))
    reason = ("no calibrated sign of linear regret, but no checked proof covers the published "
              "algorithm" + ("" if adam else " (and the search did not rediscover Adam's "
                             "counterexample, so its power is unproven)"))
    return Verdict("inconclusive", "; ".join([reason] + notes), tuple(evidence))


def _fitted(fit: Mapping[str, Any]) -> Interval | None:
    """A fitted exponent with its CI, or None where the experiment could not fit one."""
    if fit.get("slope") is None:
        return None
    return Interval.of(fit, "exponent")


def _analysed_rows(r: ResultSet) -> list[dict[str, Any]]:
    rows = [row for row in r.metric("dwmgrad_regret", "rows") if is_analysed(str(row["variant"]))]
    if not rows:
        raise InvalidData("measurements/dwmgrad_regret.json",
                          "metrics.rows has no 'analysed' variant")
    return rows


def _search_against_bound(r: ResultSet) -> tuple[list[Evidence], list[str]]:
    """The counterexample search's worst sequence for the analysed DWMGrad vs the bound
    (optional evidence: absent when the search has not run)."""
    try:
        search = r.metric("counterexample_search")
    except MissingResult:
        return [], []
    evidence, over = [], []
    for name, entry in search.items():
        if is_analysed(name) and isinstance(entry, Mapping) and "bound_at_100T0" in entry:
            regret = number(entry["regret_at_100T0"], f"{name}.regret_at_100T0")
            bound = number(entry["bound_at_100T0"], f"{name}.bound_at_100T0")
            evidence.append(Evidence(f"counterexample search, {name}: worst R_T vs bound",
                                     f"{regret:.4g} vs {bound:.4g}",
                                     "measurements/counterexample_search.json"))
            if regret > bound:
                over.append(f"the searched sequence {entry.get('replay')}")
    return evidence, over


def dwmgrad_analysed_convergence(r: ResultSet) -> Verdict:
    rows = _analysed_rows(r)
    bound_holds = r.metric("dwmgrad_regret", "bound_holds")
    metrics = r.metric("dwmgrad_regret")
    unbounded = [row for row in rows if row.get("bound") is None]
    ratios = [number(row["ratio"], "ratio") for row in rows if row.get("ratio") is not None]
    horizons = [row["T"] for row in rows]
    evidence = [
        Evidence("bound_holds (every seed, every horizon)", bool(bound_holds),
                 "measurements/dwmgrad_regret.json"),
        Evidence("largest R_T / bound (median over seeds)", max(ratios) if ratios else None,
                 "measurements/dwmgrad_regret.json"),
        Evidence("largest R_T / bound (worst seed)", metrics.get("max_ratio_analysed"),
                 "measurements/dwmgrad_regret.json"),
        Evidence("rows (problem x horizon)", len(rows), "measurements/dwmgrad_regret.json"),
        Evidence("horizons", f"{min(horizons)} to {max(horizons)}",
                 "measurements/dwmgrad_regret.json"),
    ]
    missing: list[str] = []
    steps = gather(missing, lambda: steps_verdict(r, _is_dwmgrad_proof, "the DWMGrad regret proof"))
    if steps is not None:
        evidence.extend(steps.evidence)
    counterexamples = steps.counterexamples if steps is not None else ()
    over = [f"{row['problem']} T={row['T']}" for row in rows
            if row.get("ratio") is not None and number(row["ratio"], "ratio") > 1]
    search_evidence, search_over = _search_against_bound(r)
    evidence.extend(search_evidence)
    over += search_over
    if bound_holds is False or over or (steps is not None and steps.status == "violated"):
        why = [f"R_T exceeds the bound on {', '.join(over)}"] if over else []
        why += ["bound_holds is false"] if bound_holds is False else []
        why += [steps.reason] if steps is not None and steps.status == "violated" else []
        return Verdict("violated", "; ".join(why), tuple(evidence), counterexamples)
    if missing:
        return Verdict("not run", "; ".join(missing), tuple(evidence))
    undecided = [f"{len(unbounded)} rows have no bound value"] if unbounded else []
    if bound_holds is True and steps is not None and steps.status == "holds" and not undecided:
        return Verdict("holds", f"R_T <= bound on all {len(rows)} rows and {steps.reason}",
                       tuple(evidence))
    why = [] if steps is None else [steps.reason]
    return Verdict("inconclusive", "; ".join(why + undecided) or "bound_holds is not true",
                   tuple(evidence))


def _is_dwmgrad_proof(row: Mapping[str, Any]) -> bool:
    """The analysed algorithm's regret proof (not the published algorithm's gap instances)."""
    proof = str(row.get("proof", ""))
    return is_dwmgrad(proof) and "gap" not in normalise(proof)


def bound_growth_exponent(r: ResultSet, name: str = "dwmgrad_regret") -> sp.Expr:
    """lim_{T -> oo} log(bound)/log(T) of theory bound ``name``: the rate the theory claims
    (1/2 for O(sqrt T)), computed by sympy from the expression in ``theory/bounds.json``."""
    bound = next((b for b in r.bound_list()
                  if normalise(str(b.get("name"))) == normalise(name)), None)
    if bound is None or "expression" not in bound:
        raise InvalidData(BOUNDS_FILE, f"has no bound '{name}' with an expression")
    def safe(word: str) -> str:  # 'lambda' is a Python keyword
        return "lambda_" if word == "lambda" else word

    names = [safe(str(n)) for n in bound.get("symbols", {})]
    if "T" not in names:
        raise InvalidData(BOUNDS_FILE, f"bound '{name}' does not depend on T")
    local = {n: sp.Symbol(n, positive=True) for n in names}  # also shadows gamma, beta, ...
    expr = sp.sympify(re.sub(r"\blambda\b", "lambda_", str(bound["expression"])), locals=local)
    return sp.limit(sp.log(expr) / sp.log(local["T"]), local["T"], sp.oo)


def dwmgrad_analysed_rate(r: ResultSet) -> Verdict:
    """Finite horizons cannot refute an asymptotic rate while R_T stays below the bound:
    a measured exponent above the theory's is reported as pre-asymptotic (inconclusive)."""
    rows = _analysed_rows(r)
    exps = r.metric("dwmgrad_regret", "exponents")
    key = next((k for k in exps if is_analysed(k)), None)
    if key is None:
        raise InvalidData("measurements/dwmgrad_regret.json",
                          "metrics.exponents has no 'analysed' variant")
    rate = bound_growth_exponent(r)
    a_theory = float(rate)
    ratios = [number(row["ratio"], "ratio") for row in rows if row.get("ratio") is not None]
    evidence = [Evidence("theory's rate: lim log(bound)/log(T)", str(rate), "theory/bounds.json"),
                Evidence("largest R_T / bound (median over seeds)",
                         max(ratios) if ratios else None, "measurements/dwmgrad_regret.json")]
    steeper, fitted = [], 0
    for problem, fit in exps[key].items():
        iv = _fitted(fit)
        span = fit.get("fit_T")
        evidence.append(Evidence(f"{problem}: measured exponent a (R_T ~ T^a)"
                                 + (f", T in {span}" if span else ""),
                                 iv.text() if iv else f"no fit ({fit.get('note', '')})",
                                 "measurements/dwmgrad_regret.json"))
        if iv is not None:
            fitted += 1
            if iv.low > a_theory + EXPONENT_TOL:
                steeper.append(problem)
    if not fitted:
        return Verdict("inconclusive", "no fitted exponent for the analysed variant",
                       tuple(evidence))
    if steeper:
        return Verdict("inconclusive", f"the measured exponent exceeds the theory's {rate} on "
                       f"{', '.join(steeper)} at these horizons (pre-asymptotic: R_T stays below "
                       "the bound, so no violation)", tuple(evidence))
    return Verdict("holds", f"every measured regret exponent is at most the theory's {rate} "
                   f"(tolerance {EXPONENT_TOL})", tuple(evidence))


def _cost_model_evidence(r: ResultSet, optimizer: str) -> list[Evidence]:
    """The theory's cost bound for ``optimizer`` and the cost-model proof steps, if present."""
    evidence = []
    try:
        for b in r.bound_list():
            if normalise(str(b.get("name"))) == normalise(f"cost_{optimizer}"):
                evidence.append(Evidence("cost model (theory)", str(b.get("latex")),
                                         "theory/bounds.json"))
    except MissingResult:
        pass
    try:
        steps = steps_verdict(r, lambda row: "cost" in normalise(str(row.get("proof"))),
                              "the cost model")
        evidence.append(Evidence("cost model proof steps", steps.reason, "checks/checks.json"))
    except MissingResult:
        pass
    return evidence


def dwmgrad_cost(r: ResultSet) -> Verdict:
    table = r.metric("cost_scaling")
    key = find_key(table, "DWMGrad", "cost_scaling.metrics")
    entry = table[key]
    fits = {axis: Interval.of(entry[f"time_exponent_{axis}"], f"{key}.time_exponent_{axis}")
            for axis in ("d", "n") if f"time_exponent_{axis}" in entry}
    if "d" not in fits:
        raise InvalidData("measurements/cost_scaling.json",
                          f"metrics.{key}.time_exponent_d absent")
    evidence = [Evidence(f"{key}: step time ~ {axis}^a, a", iv.text(),
                         "measurements/cost_scaling.json") for axis, iv in fits.items()]
    for name, other in table.items():
        if name != key and isinstance(other, Mapping) and "time_exponent_d" in other:
            evidence.append(Evidence(f"{name}: time exponents in d, n (for comparison)",
                                     " ; ".join(Interval.of(other[f"time_exponent_{a}"], name)
                                                .text() for a in ("d", "n")
                                                if f"time_exponent_{a}" in other),
                                     "measurements/cost_scaling.json"))
    evidence.append(Evidence(f"{key}: state bytes per parameter, measured / model",
                             f"{_fmt(entry.get('state_bytes_per_param_measured'))} / "
                             f"{_fmt(entry.get('state_bytes_per_param_model'))}",
                             "measurements/cost_scaling.json"))
    evidence += _cost_model_evidence(r, key)
    steep = [axis for axis, iv in fits.items() if iv.low > COST_EXPONENT_MAX]
    if steep:
        baseline = _cost_baseline(table, key)
        worse = [a for a in steep if baseline is None or f"time_exponent_{a}" not in baseline
                 or fits[a].value > Interval.of(baseline[f"time_exponent_{a}"], a).value
                 + COST_EXPONENT_MAX - 1]
        text = ", ".join(f"{a} (a = {fits[a].text()})" for a in steep)
        if worse:
            return Verdict("violated", f"time grows faster than linearly in {text}, and faster "
                           "than for Adam", tuple(evidence))
        return Verdict("inconclusive", f"time grows faster than linearly in {text}, but about "
                       f"as fast for Adam (within {COST_EXPONENT_MAX - 1:.2f}): an effect of the "
                       "measurement harness, not of DWMGrad", tuple(evidence))
    return Verdict("holds", "time grows at most linearly: the fitted exponent in d" +
                   (" and in n" if "n" in fits else "") +
                   f" has its CI reaching below {COST_EXPONENT_MAX}", tuple(evidence))


def _cost_baseline(table: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    """The standard optimizer (Adam) that DWMGrad's cost is 'comparable to'."""
    try:
        entry = table[find_key(table, "Adam", "cost_scaling.metrics")]
    except KeyError:
        return None
    return entry if isinstance(entry, Mapping) else None


def cost_model_memory(r: ResultSet) -> Verdict:
    table = r.metric("cost_scaling")
    evidence, off = [], []
    for name, entry in table.items():
        if not isinstance(entry, Mapping) or "state_bytes_per_param_model" not in entry:
            continue
        measured = number(entry.get("state_bytes_per_param_measured"), f"{name} measured bytes")
        model = number(entry["state_bytes_per_param_model"], f"{name} model bytes")
        evidence.append(Evidence(f"{name}: state bytes per parameter, measured / model",
                                 f"{measured:.4g} / {model:.4g}", "measurements/cost_scaling.json"))
        if abs(measured - model) > MEMORY_RTOL * max(model, 1.0):
            off.append(name)
    if not evidence:
        raise InvalidData("measurements/cost_scaling.json",
                          "metrics has no state_bytes_per_param_model")
    if off:
        return Verdict("violated", f"measured state memory differs from the model for "
                       f"{', '.join(off)}", tuple(evidence))
    return Verdict("holds", f"measured state memory matches the model for all {len(evidence)} "
                   f"optimizers (tolerance {MEMORY_RTOL:.0%})", tuple(evidence))


def dwmgrad_faster(r: ResultSet) -> Verdict:
    return faster_than(r, "DWMGrad", "Adam")


# --------------------------------------------------------------------------- heavy ball

def _hb_rows(r: ResultSet) -> list[dict[str, Any]]:
    rows = r.metric("heavy_ball_rate", "rows")
    if not rows:
        raise InvalidData("measurements/heavy_ball_rate.json", "metrics.rows is empty")
    return sorted(rows, key=lambda row: row["kappa"])


def polyak_rate(r: ResultSet) -> Verdict:
    evidence, slow, devs = [], [], []
    for row in _hb_rows(r):
        rho = number(row["rho_star"], "rho_star")
        fit = number(row["rate_fit_jordan"], "rate_fit_jordan")
        devs.append((fit - rho) / rho)
        evidence.append(Evidence(f"kappa = {row['kappa']:g}: rho* vs fitted (Jordan) vs plain fit",
                                 f"{rho:.5f} vs {fit:.5f} vs {_fmt(row.get('rate_measured'))}",
                                 "measurements/heavy_ball_rate.json"))
        if fit > rho * (1 + RATE_RTOL):
            slow.append(f"kappa={row['kappa']:g}")
    worst = max(devs, key=abs)
    if slow:
        return Verdict("violated", f"heavy ball converges slower than rho* at {', '.join(slow)}",
                       tuple(evidence))
    return Verdict("holds", f"fitted rate matches rho* within {abs(worst):.2%} at every kappa "
                   f"(tolerance {RATE_RTOL:.0%})", tuple(evidence))


def heavy_ball_acceleration(r: ResultSet) -> Verdict:
    evidence, not_faster, gd_off = [], [], []
    for row in _hb_rows(r):
        hb = number(row["rate_fit_jordan"], "rate_fit_jordan")
        gd = number(row["gd_rate_measured"], "gd_rate_measured")
        gd_th = number(row["gd_rate_theory"], "gd_rate_theory")
        evidence.append(Evidence(f"kappa = {row['kappa']:g}: steps per decade HB vs GD",
                                 f"{_decade(hb):.3g} vs {_decade(gd):.3g} (GD theory "
                                 f"{_decade(gd_th):.3g})", "measurements/heavy_ball_rate.json"))
        if row["kappa"] > 1 and hb >= gd:
            not_faster.append(f"kappa={row['kappa']:g}")
        if gd > gd_th * (1 + RATE_RTOL):
            gd_off.append(f"kappa={row['kappa']:g}")
    if not_faster or gd_off:
        why = [f"heavy ball is not faster than GD at {', '.join(not_faster)}"] if not_faster else []
        why += [f"GD slower than (kappa-1)/(kappa+1) at {', '.join(gd_off)}"] if gd_off else []
        return Verdict("violated", "; ".join(why), tuple(evidence))
    return Verdict("holds", "heavy ball needs fewer steps per decade than GD at every kappa > 1, "
                   "and GD attains (kappa-1)/(kappa+1)", tuple(evidence))


def _decade(rate: float) -> float:
    """Steps to reduce the error tenfold at linear rate ``rate``."""
    return math.inf if rate >= 1 else math.log(0.1) / math.log(rate) if rate > 0 else 0.0


def lessard_cycle(r: ResultSet) -> Verdict:
    m = r.metric("lessard_cycle")
    points = sorted(number(x, "cycle_points") for x in m["cycle_points"])
    expected = sorted(number(x, "expected_cycle") for x in m["expected_cycle"])
    err = max(abs(a - b) for a, b in zip(points, expected, strict=True))
    evidence = [Evidence("cycle detected", bool(m["cycle_detected"]),
                         "measurements/lessard_cycle.json"),
                Evidence("cycle points (measured vs published)",
                         f"{[round(p, 4) for p in points]} vs {expected}",
                         "measurements/lessard_cycle.json"),
                Evidence("largest deviation", err, "measurements/lessard_cycle.json")]
    wrong = []
    for start in m.get("starts", []):
        x0 = number(start["x0"], "x0")
        evidence.append(Evidence(f"start x0 = {x0:g}", "converges" if start["converged"] else
                                 f"does not converge (ends at {_fmt(start.get('final_x'))})",
                                 "measurements/lessard_cycle.json"))
        published = _lessard_published(x0)
        if published is not None and bool(start["converged"]) != published:
            wrong.append(f"x0={x0:g}")
    if not m["cycle_detected"] or err > CYCLE_ATOL or wrong:
        why = ["no cycle detected"] if not m["cycle_detected"] else []
        why += [f"cycle points off by {err:.2g}"] if err > CYCLE_ATOL else []
        why += [f"unexpected behaviour from {', '.join(wrong)}"] if wrong else []
        return Verdict("violated", "; ".join(why), tuple(evidence))
    return Verdict("holds", f"heavy ball settles into the published 3-cycle (within {err:.1e}); "
                   "the converging starts converge", tuple(evidence))


def _lessard_published(x0: float) -> bool | None:
    """Published behaviour from x0 = x1: cycles on [3.07, 3.46], converges at 3.0 and 3.5."""
    if 3.07 <= x0 <= 3.46:
        return False
    if x0 in (3.0, 3.5):
        return True
    return None


def adaptive_hb_beta(r: ResultSet) -> Verdict:
    return steps_verdict(r, lambda row: "adaptive" in normalise(str(row.get("proof"))),
                         "the adaptive heavy-ball momentum bound")


def heavy_ball_derivation(r: ResultSet) -> Verdict:
    return steps_verdict(
        r, lambda row: ("heavy" in normalise(str(row.get("proof")))
                        and "adaptive" not in normalise(str(row.get("proof")))),
        "the heavy-ball optimal tuning")


def _robustness(r: ResultSet, metric: str, challenger: str, baseline: str,
                higher_is_better: tuple[str, ...], lower_is_better: tuple[str, ...]) -> Verdict:
    """Compare one robustness score of two optimizers in ``empirical.metrics.<metric>``."""
    table = r.metric("empirical", metric)
    where = f"empirical.metrics.{metric}"
    ch = table[find_key(table, challenger, where)]
    base = table[find_key(table, baseline, where)]
    for key in higher_is_better + lower_is_better:
        if key in ch and key in base:
            a, b = _score(ch[key], key), _score(base[key], key)
            better = a > b if key in higher_is_better else a < b
            evidence: tuple[Evidence, ...] = (
                Evidence(f"{key}: {challenger} vs {baseline}", f"{a:.4g} vs {b:.4g}",
                         f"measurements/empirical.json: metrics.{metric}"),)
            evidence += tuple(Evidence(f"{name}", _fmt_map(v) if isinstance(v, Mapping) else
                                       _fmt(v), f"measurements/empirical.json: metrics.{metric}")
                              for name, v in table.items())
            if a == b:
                return Verdict("inconclusive", f"equal {key} ({a:.4g})", evidence)
            return Verdict("holds" if better else "violated",
                           f"{challenger} {'is' if better else 'is not'} more robust than "
                           f"{baseline}: {key} {a:.4g} vs {b:.4g}", evidence)
    raise InvalidData("measurements/empirical.json", f"metrics.{metric}: no common score "
                      f"among {list(higher_is_better + lower_is_better)}")


def _score(value: Any, key: str) -> float:
    """A robustness score; ``None`` stands for an infinite spread (a diverged setting)."""
    return math.inf if value is None else number(value, key)


def ahb_lr_robustness(r: ResultSet) -> Verdict:
    # "large learning rates": the largest converging lr, not the count of converging lrs (a
    # slow start at the smallest lr would otherwise count against the baseline)
    return _robustness(r, "ahb_lr_robustness", "AdaptiveHB", "HeavyBall",
                       ("largest_converging_lr_over_L",), ())


def ahb_faster(r: ResultSet) -> Verdict:
    return faster_than(r, "AdaptiveHB", "HeavyBall")


# --------------------------------------------------------------------------- Reddi

REDDI_CONSTRUCTIONS = ("theorem1", "section5_online", "section5_stochastic")


def reddi_adam_failure(r: ResultSet) -> Verdict:
    """Adam must end at +1 (and R_T/T near 2/3 on Theorem 1): otherwise violated. AMSGrad
    must end at -1; one that has not yet reached it but stays below Adam's iterate is
    'not converged at this horizon' (inconclusive), one at or above Adam's is violated."""
    evidence: list[Evidence] = []
    wrong: list[str] = []
    unfinished: list[str] = []
    for construction in REDDI_CONSTRUCTIONS:
        table = r.metric("reddi", construction)
        where = f"reddi.metrics.{construction}"
        adam = table[find_key(table, "Adam", where)]
        ams = table[find_key(table, "AMSGrad", where)]
        x_adam = number(adam["final_x"], f"{where}.Adam.final_x")
        x_ams = number(ams["final_x"], f"{where}.AMSGrad.final_x")
        horizon = adam.get("T", "?")
        evidence.append(Evidence(f"{construction}: final x of Adam / AMSGrad at T = {horizon} "
                                 "(published +1 / -1)", f"{x_adam:.4g} / {x_ams:.4g}",
                                 "measurements/reddi.json"))
        if abs(x_adam - 1.0) > REDDI_X_ATOL:
            wrong.append(f"Adam on {construction} ends at {x_adam:.3g}, not +1")
        if abs(x_ams + 1.0) > REDDI_X_ATOL:
            (unfinished if x_ams < x_adam else wrong).append(
                f"AMSGrad on {construction} ends at {x_ams:.3g}")
        if construction == "theorem1":
            ratio = number(adam["regret_over_T"], "regret_over_T")
            evidence.append(Evidence("theorem1: Adam R_T/T (published limit 2/3)", ratio,
                                     "measurements/reddi.json"))
            if abs(ratio - 2 / 3) > REDDI_RATIO_ATOL:
                wrong.append(f"Adam's R_T/T on theorem1 is {ratio:.3g}, not 2/3")
    if wrong:
        return Verdict("violated", "; ".join(wrong + unfinished), tuple(evidence))
    if unfinished:
        return Verdict("inconclusive", "Adam ends at +1 everywhere as published, but "
                       + "; ".join(unfinished) + " (not yet at -1 at this horizon)",
                       tuple(evidence))
    return Verdict("holds", "Adam ends at +1 (R_T/T near 2/3 on Theorem 1) and AMSGrad at -1 "
                   "on all three constructions", tuple(evidence))


def adam_rediscovered(r: ResultSet) -> Verdict:
    flag = r.metric("counterexample_search", "adam_rediscovered")
    table = r.metric("counterexample_search")
    evidence: list[Evidence] = [Evidence("adam_rediscovered", bool(flag),
                                         "measurements/counterexample_search.json")]
    found = []
    for name, entry in table.items():
        if isinstance(entry, Mapping) and "found" in entry:
            by_t = _fmt_map(entry.get("avg_regret_by_T") or {})
            evidence.append(Evidence(f"{name}: found, worst R_T/T by T",
                                     f"{entry['found']}; {by_t}",
                                     "measurements/counterexample_search.json"))
            if entry["found"]:
                found.append(Counterexample(name, "loss sequence whose R_T/T does not shrink",
                                            entry.get("replay")))
    candidates = table.get("adam_reddi_type_candidates") or []
    for c in candidates:
        evidence.append(Evidence(
            f"Reddi-type sequence (candidate {c.get('candidate_seed')}): R_T/T at 100 T0 of "
            "Adam / AMSGrad; AMSGrad also a counterexample",
            f"{_fmt(c.get('adam_avg_regret'))} / {_fmt(c.get('amsgrad_avg_regret'))}; "
            f"{c.get('amsgrad_counterexample')}", "measurements/counterexample_search.json"))
    if flag:
        return Verdict("holds", "the search finds a Reddi-type sequence on which Adam's average "
                       "regret does not shrink while AMSGrad's does", tuple(evidence),
                       tuple(found))
    if candidates:
        return Verdict("inconclusive", f"the search finds {len(candidates)} Reddi-type "
                       "sequence(s) on which Adam's average regret does not shrink, but AMSGrad, "
                       "which converges on such games, passes the same finite-horizon test on "
                       "each of them: at this horizon the test does not separate a failing "
                       "method from a slow one", tuple(evidence), tuple(found))
    return Verdict("violated", "the search did not rediscover Adam's known counterexample",
                   tuple(evidence), tuple(found))


# --------------------------------------------------------------------------- Demon, Aida

def demon_schedule(r: ResultSet) -> Verdict:
    return steps_verdict(r, lambda row: "demon" in normalise(str(row.get("proof"))),
                         "the Demon schedule")


def demon_robustness(r: ResultSet) -> Verdict:
    return _robustness(r, "demon_momentum_robustness", "DemonSGD", "HeavyBall", (),
                       ("log10_spread",))


def demon_adam(r: ResultSet) -> Verdict:
    return better_or_matches(r, "DemonAdam", ["Adam"], need_one_win=True)


def _spread(table: Mapping[str, Any], name: str) -> Interval:
    entry = table[find_key(table, name, "empirical.metrics.stepsize_range")]
    value = number(entry["log10_spread_median"], f"{name}.log10_spread_median")
    return Interval(value, float(entry.get("ci_low", value)), float(entry.get("ci_high", value)))


def _narrower(r: ResultSet, challenger: str, baselines: tuple[str, ...]) -> Verdict:
    table = r.metric("empirical", "stepsize_range")
    ch = _spread(table, challenger)
    evidence = [Evidence(f"{name}: log10 spread of per-coordinate step sizes (median [CI])",
                         _spread(table, name).text(), "measurements/empirical.json")
                for name in (challenger, *baselines)]
    outcomes = {b: compare(ch, _spread(table, b)) for b in baselines}
    if any(o == "worse" for o in outcomes.values()):
        return Verdict("violated", f"{challenger}'s step sizes are not narrower than "
                       f"{', '.join(b for b, o in outcomes.items() if o == 'worse')}",
                       tuple(evidence))
    if all(o == "better" for o in outcomes.values()):
        return Verdict("holds", f"{challenger}'s step sizes span fewer decades than "
                       f"{' and '.join(baselines)}", tuple(evidence))
    return Verdict("inconclusive", "the spreads overlap within their confidence intervals",
                   tuple(evidence))


def aida_narrower(r: ResultSet) -> Verdict:
    return _narrower(r, "Aida", ("AdaBelief", "Adam"))


def adabelief_narrower(r: ResultSet) -> Verdict:
    return _narrower(r, "AdaBelief", ("Adam",))


def aida_competitive(r: ResultSet) -> Verdict:
    return better_or_matches(r, "Aida", ["Adam", "AdaBelief"], need_one_win=False)


def aida_identities(r: ResultSet) -> Verdict:
    return steps_verdict(r, lambda row: any(w in normalise(str(row.get("proof")))
                                            for w in ("aida", "floor")),
                         "Aida's projection closed forms and the epsilon floor")


def all_proof_steps(r: ResultSet) -> Verdict:
    rows = r.check_rows()
    if not rows:
        raise InvalidData(CHECKS_FILE, "lists no proof step")
    evidence, counterexamples = steps_evidence(rows)
    bad = [row for row in rows if row.get("status") != "verified"]
    if any(row.get("status") == "violated" for row in bad):
        return Verdict("violated", f"{len(bad)} of {len(rows)} steps are not verified",
                       evidence, counterexamples)
    if bad:
        return Verdict("inconclusive", f"{len(bad)} of {len(rows)} steps are undecided", evidence)
    return Verdict("holds", f"all {len(rows)} proof steps are verified", evidence)


# --------------------------------------------------------------------------- registry

def _seed(doc: str, says: str) -> ClaimSource:
    return ClaimSource("seed", doc, says)


CLAIMS: tuple[Claim, ...] = (
    Claim("dwmgrad-convergence-published", "DWMGrad (as published) converges on convex problems",
          _seed(SEED_DWMGRAD, "The authors provide theoretical convergence proofs under convexity "
                "via a potential function"),
          "DWMGrad with the paper's defaults and each published window rule (loss, "
          "loss_decrease, loss_increase) has sublinear regret (R_T/T -> 0) on online convex "
          "problems over a box.",
          ("dwmgrad regret bound (assumptions the published algorithm breaks)",),
          ("counterexample_search", "dwmgrad_regret", "reddi"),
          ("counterexample_avg_regret", "regret_vs_bound", "reddi_trajectories"),
          dwmgrad_published_convergence),
    Claim("dwmgrad-convergence-analysed", "The analysed DWMGrad satisfies the derived regret bound",
          ClaimSource("derived", "theory.dwmgrad (derived here from seed 000's claim)",
                      "R_T <= regret_bound(T, d, D_inf, G_inf) for "
                      "theory.dwmgrad.ANALYSED_OPTIONS"),
          "DWMGrad with the analysed options has R_T below the derived bound at every horizon "
          "and seed, and every step of the potential-function proof is verified.",
          ("dwmgrad regret bound", "dwmgrad regret proof steps"),
          ("dwmgrad_regret",), ("regret_vs_bound",), dwmgrad_analysed_convergence),
    Claim("dwmgrad-analysed-rate", "The analysed DWMGrad's regret grows like the bound's rate",
          ClaimSource("derived", "theory.dwmgrad", "R_T = O(sqrt T): lim log(bound)/log(T)"),
          "The fitted log-log exponent of measured regret (bootstrap CI over seeds) is at most "
          "the growth exponent of the derived bound (1/2 for O(sqrt T)).",
          ("dwmgrad regret bound",), ("dwmgrad_regret",), ("regret_vs_bound",),
          dwmgrad_analysed_rate),
    Claim("dwmgrad-cost-linear", "DWMGrad costs O(n*d) time",
          _seed(SEED_DWMGRAD, "analyze computational complexity, showing $O(n\\cdot d)$ time, "
                "comparable to standard optimizers"),
          "DWMGrad's time for n steps on d parameters grows at most linearly in d and in n, "
          "like the standard optimizers.",
          ("cost model",), ("cost_scaling",), ("cost_scaling",), dwmgrad_cost),
    Claim("cost-model-memory", "The cost model predicts every optimizer's state memory",
          ClaimSource("derived", "theory cost model", "state bytes per parameter per optimizer"),
          "The measured optimizer state per parameter equals the cost model's count for every "
          "optimizer.", ("cost model",), ("cost_scaling",), ("cost_scaling",), cost_model_memory),
    Claim("dwmgrad-faster-small-scale", "DWMGrad converges faster than Adam at small scale",
          _seed(SEED_DWMGRAD, "demonstrates DWMGrad's ability to achieve faster convergence rates "
                "and higher accuracies under a multitude of scenarios ... as well as on synthetic "
                "benchmarks like the Rosenbrock function"),
          "On Rosenbrock (two starts), l2-logistic regression (breast cancer) and the digits "
          "MLP, DWMGrad reaches each problem's threshold on f - f* in no more steps than Adam, "
          "and in fewer on at least one (medians over seeds; final losses with CIs as "
          "evidence).",
          (), ("empirical",), ("empirical_final_loss", "rosenbrock_paths"), dwmgrad_faster),
    Claim("polyak-rate", "Polyak-tuned heavy ball converges at rho* = (sqrt k - 1)/(sqrt k + 1)",
          ClaimSource("literature", "Polyak 1964, the starting point of " + SEED_AHB,
                      "the optimal choice of the heavy ball momentum for quadratic optimization"),
          "On quadratics with spectrum in [mu, L], heavy ball with alpha*, beta* has linear rate "
          "rho* (fitted allowing the k*rho^k Jordan term).",
          ("heavy ball alpha*, beta*, rho*",), ("heavy_ball_rate",),
          ("heavy_ball_rates", "heavy_ball_error_curves"), polyak_rate),
    Claim("heavy-ball-derivation", "Polyak's tuning is derived and every step verified",
          ClaimSource("derived", "theory.heavy_ball", "alpha*, beta*, rho* from the 2x2 iteration "
                      "matrix, the GD rate, the Jordan block at the interval ends"),
          "Every proof step of the heavy-ball derivation is verified.",
          ("heavy ball proof steps",), (), (), heavy_ball_derivation),
    Claim("heavy-ball-acceleration", "Heavy ball accelerates gradient descent",
          _seed(SEED_AHB, "Heavy ball momentum is crucial in accelerating (stochastic) "
                "gradient-based optimization algorithms"),
          "At every condition number kappa > 1, tuned heavy ball needs fewer steps per decade of "
          "error than gradient descent with step 2/(L+mu), which attains (kappa-1)/(kappa+1).",
          ("heavy ball rho*", "gradient descent rate"), ("heavy_ball_rate",),
          ("heavy_ball_rates",), heavy_ball_acceleration),
    Claim("lessard-cycle", "Heavy ball fails on Lessard et al.'s function",
          ClaimSource("literature", "Lessard, Recht, Packard, SIAM J. Optim. 2016, section 4.6",
                      "heavy ball with alpha = 1/9, beta = 4/9 from x0 in [3.07, 3.46] settles "
                      "into the 3-cycle {0.6465, -1.8024, 2.1159}"),
          "Heavy ball with Polyak's tuning does not converge on this smooth strongly convex "
          "function: it cycles through the published three points; starts at 3.0 and 3.5 "
          "converge.", (), ("lessard_cycle",), ("lessard_cycle",), lessard_cycle),
    Claim("adaptive-hb-beta",
          "The adaptive momentum stays below beta* on quadratics when the secant is exact",
          ClaimSource("derived", "theory.heavy_ball, the rule of " + SEED_AHB,
                      "at alpha = alpha*, h_k in [mu, L] implies beta_k <= beta*"),
          "Every proof step of the adaptive heavy-ball momentum bounds is verified: beta_k <= "
          "beta* at alpha = alpha* when h_k is the exact secant (in [mu, L]); the implemented "
          "secant ||g_k - g_{k-1}|| / (||d|| + 1e-6) obeys only the weaker derived bound "
          "min(beta_max, (1 - (1 - rho*) sqrt(||d||/(||d|| + 1e-6)))^2), which exceeds beta* "
          "once ||d|| is small (a finding: on AdaptiveHB runs at lr = alpha* beta_k reaches "
          "beta_max = 0.99; tests/theory/test_heavy_ball.py reports the naive beta_k <= beta* "
          "check violated with its counterexample).",
          ("adaptive heavy-ball proof steps",), (), (), adaptive_hb_beta),
    Claim("ahb-lr-robustness", "Adaptive heavy ball is more robust to large learning rates",
          _seed(SEED_AHB, "SGD and Adam with the newly designed adaptive momentum are more robust "
                "to large learning rates"),
          "Over a sweep of learning rates (multiples of 1/L on a quadratic), the largest learning "
          "rate from which SGD with the adaptive momentum converges on every seed is larger than "
          "heavy ball's with a fixed momentum (equal at the sweep's resolution: inconclusive).",
          (), ("empirical",), ("ahb_lr_robustness",), ahb_lr_robustness),
    Claim("ahb-faster", "Adaptive heavy ball converges faster than fixed-momentum SGD",
          _seed(SEED_AHB, "SGD and Adam with the newly designed adaptive momentum ... converge "
                "faster ... than the baselines"),
          "On the small-scale problems, SGD with the adaptive momentum reaches each threshold on "
          "f - f* in no more steps than heavy ball, and in fewer on at least one.",
          (), ("empirical",), ("empirical_final_loss",), ahb_faster),
    Claim("reddi-adam-failure", "Adam fails on Reddi et al.'s constructions; AMSGrad does not",
          ClaimSource("literature", "Reddi, Kale, Kumar, ICLR 2018, Theorem 1 and Section 5",
                      "Adam converges to x = +1 with R_T/T -> 2/3; AMSGrad converges to x* = -1"),
          "On Theorem 1 (C = 3) and the Section 5 online and stochastic constructions, Adam's "
          "final iterate is +1 (the worst point) and AMSGrad's is -1.",
          (), ("reddi",), ("reddi_trajectories",), reddi_adam_failure),
    Claim("adam-counterexample-rediscovered", "The counterexample search can find a failure",
          ClaimSource("derived", "experiments counterexample_search",
                      "the search rediscovers Adam's known non-convergence"),
          "Searching the online convex class, the search finds for Adam a Reddi-type loss "
          "sequence whose R_T/T does not shrink as T grows ten- and hundredfold while "
          "AMSGrad's does on the same sequence (so a negative result for another optimizer "
          "means something).",
          (), ("counterexample_search",), ("counterexample_avg_regret",), adam_rediscovered),
    Claim("demon-schedule", "Demon's schedule decays the total contribution of a gradient",
          _seed(SEED_DEMON, "We propose a decaying momentum (Demon) rule, motivated by decaying "
                "the total contribution of a gradient to all future updates"),
          "beta_t/(1-beta_t) = (1-t/T) * beta_init/(1-beta_init), beta_0 = beta_init, beta_T = 0, "
          "beta_t decreasing: every step of the identity is verified.",
          ("Demon schedule identity",), (), (), demon_schedule),
    Claim("demon-robustness", "Demon SGDM is less sensitive to its momentum setting",
          _seed(SEED_DEMON, "Demon momentum SGD is observed to be significantly less sensitive to "
                "parameter tuning than momentum SGD with learning rate decay schedule"),
          "Over a sweep of the momentum parameter, Demon SGDM's final loss varies less (log10 "
          "spread) than heavy-ball SGD's.",
          (), ("empirical",), ("demon_robustness",), demon_robustness),
    Claim("demon-adam-improves", "Demon improves Adam",
          _seed(SEED_DEMON, "Applying Demon to Adam leads to significantly improved training"),
          "On the small-scale tasks, Demon Adam's final loss is never significantly worse than "
          "Adam's and significantly better on at least one task.",
          (), ("empirical",), ("empirical_final_loss",), demon_adam),
    Claim("aida-narrower-stepsizes", "Aida's per-coordinate step sizes are narrower",
          _seed(SEED_AIDA, "Aida ... with the objective that the elementwise stepsizes within each "
                "layer have significantly smaller statistical variances"),
          "The spread (log10 range) of Aida's per-coordinate step sizes is smaller than "
          "AdaBelief's and Adam's.",
          (), ("empirical",), ("stepsize_histograms",), aida_narrower),
    Claim("adabelief-conservative", "AdaBelief's step sizes are narrower than Adam's",
          _seed(SEED_AIDA, "(m_t-g_t)^2 in AdaBelief is conservative in comparison to g_t^2 in "
                "Adam in terms of layerwise statistical averages and variances"),
          "The spread of AdaBelief's per-coordinate step sizes is smaller than Adam's.",
          (), ("empirical",), ("stepsize_histograms",), adabelief_narrower),
    Claim("aida-competitive", "Aida is competitive with Adam and AdaBelief",
          _seed(SEED_AIDA, "Aida produces either competitive or better performance with respect "
                "to a number of existing methods including Adam and AdaBelief"),
          "On the small-scale tasks, Aida's final loss is never significantly worse than Adam's "
          "or AdaBelief's.", (), ("empirical",), ("empirical_final_loss",), aida_competitive),
    Claim("aida-identities", "Aida's projections have the stated closed forms",
          _seed(SEED_AIDA, "Aida is designed by tracking a more conservative function of m_t and "
                "g_t than (m_t-g_t)^2 via layerwise vector projections"),
          "With K = 2, r = cos^2(theta) (m_t - g_t) (and the K-odd form); the epsilon in the "
          "state floors the second moment: every step is verified.",
          ("Aida projection identities",), (), (), aida_identities),
    Claim("all-proof-steps-verified", "Every proof step of every derivation is verified",
          ClaimSource("derived", "proofs_check", "one row per proof step"),
          "Every step in checks/checks.json (symbolic, numeric on >= 1000 seeded instances, or on "
          "recorded trajectories) is verified.", ("all proofs",), (), (), all_proof_steps),
)


def judge(results: ResultSet) -> list[JudgedClaim]:
    """Every claim of :data:`CLAIMS` with its verdict, in registry order."""
    ids = [c.id for c in CLAIMS]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate claim ids in the registry: {ids}")
    return [JudgedClaim(c, c.evaluate(results)) for c in CLAIMS]
