"""Cost claims: DWMGrad's O(n*d) time (seed 000) and the cost model's state memory.
"""

from __future__ import annotations

from experiments.measurements.cost_scaling import CostScalingMetrics, Fit
from reports.claims.common import SEED_DWMGRAD, fmt, seed
from reports.results import InvalidData, MissingResult, ResultSet
from reports.rules import Interval, entry, steps_verdict
from reports.verdicts import Claim, ClaimSource, Evidence, Verdict, bound_ids, proof_ids

COST_PROOFS = ("cost_model",)

ORDER_BAND = (0.9, 1.1)
"""Θ(n·d) is an order, an equality: each time exponent's CI (in d beyond the last-level
cache with the per-step overhead subtracted, and in n) must lie inside this band (two-sided);
a CI that reaches outside it decides nothing."""
WINDOW_BAND = (-0.1, 0.1)
"""Θ(n·d) says nothing grows with the window δ: the exponent of step time in δ lies here."""
MAX_OVERHEAD_SHARE = 0.5
"""Above this share of the step at the smallest fitted size, the overhead-subtracted fit rests
on a difference of near-equal times: it decides nothing."""
HARNESS_TOL = 0.15
"""A super-linear exponent that Adam shows too (within this of DWMGrad's) comes from the
measurement harness shared by every optimizer, not from DWMGrad."""
MEMORY_RTOL = 0.02
"""Measured state bytes per parameter may exceed the model by per-tensor scalars."""
COST_FILE = "measurements/cost_scaling.json"


def _cost_model_evidence(r: ResultSet, optimizer: str) -> list[Evidence]:
    """The theory's cost bound for ``optimizer`` and the cost-model proof steps, if present."""
    evidence = []
    try:
        for b in r.bound_list():
            if b.get("name") == f"cost_{optimizer}":
                evidence.append(Evidence("cost model (theory)", str(b.get("latex")),
                                         "theory/bounds.json"))
    except MissingResult:
        pass
    try:
        steps = steps_verdict(r, COST_PROOFS, "the cost model")
        evidence.append(Evidence("cost model proof steps", steps.reason, "checks/checks.json"))
    except MissingResult:
        pass
    return evidence


def _interval(fit: Fit) -> Interval:
    return Interval(fit.slope, fit.ci_low, fit.ci_high, int(fit.n_samples))


def order_position(iv: Interval, band: tuple[float, float] = ORDER_BAND) -> str:
    """Where an exponent lies against ``band``: "inside" (its CI within the band), "above"
    or "below" (entirely outside), "straddles"; "one instance" for a single timing
    repetition, which has no interval and decides nothing."""
    if iv.single:
        return "one instance"
    lo, hi = band
    low, high = iv.low, iv.high
    if lo <= low and high <= hi:
        return "inside"
    if low > hi:
        return "above"
    if high < lo:
        return "below"
    return "straddles"


def _text(band: tuple[float, float]) -> str:
    return f"[{band[0]}, {band[1]}]"


def _axis_reason(axis: str, p: str, iv: Interval, band: tuple[float, float]) -> str:
    if p == "above":
        return (f"{axis}: a = {iv.text()} above {_text(band)}, but Adam's is as steep "
                f"(within {HARNESS_TOL}): the harness, not DWMGrad")
    if p == "below":
        return (f"{axis}: a = {iv.text()} below {_text(band)}: per-step overhead dominates at "
                "the measured sizes, the Θ(d) regime is not reached")
    if p == "straddles":
        return f"{axis}: the CI of a = {iv.text()} reaches outside {_text(band)}"
    return f"{axis}: a = {iv.text()} from one timing repetition, no interval"


def dwmgrad_cost(r: ResultSet) -> Verdict:
    record = r.record(CostScalingMetrics)
    table = record.optimizers
    key = "DWMGrad"
    mine = entry(table, key, COST_FILE, "metrics.optimizers")
    llc = ("unknown" if record.llc_bytes is None else f"{record.llc_bytes / 2**20:g} MiB")
    evidence = [Evidence("last-level cache (fit on working sets >= "
                         f"{record.cache_margin:g} x LLC)", f"{llc} ({record.llc_source})",
                         COST_FILE),
                Evidence(f"{key}: per-step overhead (d = 10), its share at the smallest "
                         "fitted size", f"{fmt(mine.overhead_step_s)} s; "
                         f"{fmt(mine.overhead_share_at_fit)}", COST_FILE),
                Evidence(f"{key}: sizes fitted in d", ", ".join(map(str, mine.fitted_dims))
                         or "none", COST_FILE),
                Evidence("step times read (the runner's timings key)", record.clock, COST_FILE),
                Evidence("C allocator of the timed runs", record.allocator, COST_FILE),
                Evidence(f"{key}: wall-time exponent in d (for comparison; counts the time "
                         "other processes ran)", "none" if mine.wall_time_exponent_d is None
                         else _interval(mine.wall_time_exponent_d).text(), COST_FILE)]
    fits: dict[str, Interval | None] = {
        "d": None if mine.time_exponent_d is None else _interval(mine.time_exponent_d),
        "n": _interval(mine.time_exponent_n)}
    window = record.window
    window_fit = (None if window.time_exponent_window is None
                  else _interval(window.time_exponent_window))
    names = {"d": "step time minus overhead ~ d^a (beyond the cache)",
             "n": "time of n steps ~ n^a"}
    evidence += [Evidence(f"{key}: {names[axis]}, a", "none: " + mine.time_exponent_d_note
                          if iv is None else iv.text(), COST_FILE) for axis, iv in fits.items()]
    evidence.append(Evidence(f"{window.optimizer}: step time minus overhead ~ δ^a at d = "
                             f"{window.dim}, δ in {list(window.windows)}, a",
                             "none: " + window.note if window_fit is None else window_fit.text(),
                             COST_FILE))
    for name, other in table.items():
        if name != key:
            d_text = ("none" if other.time_exponent_d is None
                      else _interval(other.time_exponent_d).text())
            evidence.append(Evidence(f"{name}: time exponents in d, n (for comparison)",
                                     f"{d_text} ; {_interval(other.time_exponent_n).text()}",
                                     COST_FILE))
    evidence.append(Evidence(f"{key}: state bytes per parameter, measured / model",
                             f"{fmt(mine.state_bytes_per_param_measured)} / "
                             f"{fmt(mine.state_bytes_per_param_model)}", COST_FILE))
    evidence += _cost_model_evidence(r, key)
    fitted = {axis: iv for axis, iv in fits.items() if iv is not None}
    position = {axis: order_position(iv) for axis, iv in fitted.items()}
    adam = table.get("Adam")
    baseline: dict[str, Interval] = {}
    if adam is not None:
        baseline["n"] = _interval(adam.time_exponent_n)
        if adam.time_exponent_d is not None:
            baseline["d"] = _interval(adam.time_exponent_d)

    def steeper_than_adam(axis: str) -> bool:
        base = baseline.get(axis)
        return base is None or fitted[axis].value > base.value + HARNESS_TOL

    violations = [f"{a} (a = {fitted[a].text()}, CI above {_text(ORDER_BAND)}, and faster "
                  f"than for Adam by more than {HARNESS_TOL})"
                  for a, p in position.items() if p == "above" and steeper_than_adam(a)]
    window_position = None if window_fit is None else order_position(window_fit, WINDOW_BAND)
    if window_fit is not None and window_position == "above":
        violations.append(f"the window δ (a = {window_fit.text()}, CI above "
                          f"{_text(WINDOW_BAND)})")
    if violations:
        return Verdict("violated", "time grows faster than Θ(n·d) allows in "
                       + "; ".join(violations), tuple(evidence))
    share = mine.overhead_share_at_fit
    overhead_ok = share is not None and share <= MAX_OVERHEAD_SHARE
    if (overhead_ok and window_fit is not None and window_position == "inside"
            and len(fitted) == len(fits) and all(p == "inside" for p in position.values())):
        return Verdict("holds", "time is linear in d and in n and flat in the window: the "
                       f"exponents' CIs lie in {_text(ORDER_BAND)} (d, beyond the {llc} "
                       f"cache, overhead subtracted: {fitted['d'].text()}; n: "
                       f"{fitted['n'].text()}) and in {_text(WINDOW_BAND)} (δ: "
                       f"{window_fit.text()})", tuple(evidence))
    reasons = []
    if not overhead_ok:
        reasons.append("d: the per-step overhead is "
                       + ("unknown" if share is None else f"{share:.0%}")
                       + " of the step at the smallest fitted size (more than "
                       f"{MAX_OVERHEAD_SHARE:.0%}): the subtracted fit decides nothing")
    for axis in fits:
        if axis not in fitted:
            reasons.append(f"{axis}: no fit ({mine.time_exponent_d_note})")
        elif position[axis] != "inside":
            reasons.append(_axis_reason(axis, position[axis], fitted[axis], ORDER_BAND))
    if window_fit is None:
        reasons.append(f"δ: no fit ({window.note})")
    elif window_position != "inside":
        reasons.append(_axis_reason("δ", str(window_position), window_fit, WINDOW_BAND))
    return Verdict("inconclusive", "; ".join(reasons), tuple(evidence))


def cost_model_memory(r: ResultSet) -> Verdict:
    table = r.record(CostScalingMetrics).optimizers
    evidence, off = [], []
    for name, e in table.items():
        model = e.state_bytes_per_param_model
        if model is None:
            continue
        measured = e.state_bytes_per_param_measured
        evidence.append(Evidence(f"{name}: state bytes per parameter, measured / model",
                                 f"{measured:.4g} / {model:.4g}", COST_FILE))
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


CLAIMS: tuple[Claim, ...] = (
    Claim("dwmgrad-cost-linear", "DWMGrad costs O(n*d) time",
          seed(SEED_DWMGRAD, "analyze computational complexity, showing $O(n\\cdot d)$ time, "
                "comparable to standard optimizers"),
          "DWMGrad's time for n steps on d parameters is Theta(n*d): the log-log exponents of "
          "step time in d (beyond the last-level cache, per-step overhead subtracted) and of "
          "total time in n have CIs inside [0.9, 1.1] (two-sided: an order is an equality), "
          "the exponent in the window delta inside [-0.1, 0.1], and the overhead is at most "
          "half the step where d is fitted; a steeper growth that Adam shows too is the "
          "harness's.",
          bound_ids("cost_DWMGrad") + proof_ids(*COST_PROOFS), ("cost_scaling",),
          ("cost_scaling",), dwmgrad_cost),
    Claim("cost-model-memory", "The cost model predicts every optimizer's state memory",
          ClaimSource("derived", "theory cost model", "state bytes per parameter per optimizer"),
          "The measured optimizer state per parameter equals the cost model's count for every "
          "optimizer.", proof_ids(*COST_PROOFS), ("cost_scaling",), ("cost_scaling",),
          cost_model_memory),
)
