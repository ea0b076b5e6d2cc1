"""Cost claims: DWMGrad's O(n*d) time (seed 000) and the cost model's state memory.
"""

from __future__ import annotations

from experiments.measurements.cost_scaling import CostScalingMetrics, Fit
from reports.claims.common import SEED_DWMGRAD, fmt, seed
from reports.results import InvalidData, MissingResult, ResultSet
from reports.rules import Interval, entry, steps_verdict
from reports.verdicts import Claim, ClaimSource, Evidence, Verdict, bound_ids, proof_ids

COST_PROOFS = ("cost_model",)

COST_EXPONENT_MAX = 1.15
"""Step time growing like d^a with the CI of a above this would contradict O(n*d), unless the
standard optimizer (Adam) shows an exponent within ``COST_EXPONENT_MAX - 1`` of it (then the
growth comes from the harness shared by all optimizers)."""
MEMORY_RTOL = 0.02
COST_FILE = "measurements/cost_scaling.json"
"""Measured state bytes per parameter may exceed the model by per-tensor scalars."""


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
    return Interval(fit.slope, fit.ci_low, fit.ci_high)


def dwmgrad_cost(r: ResultSet) -> Verdict:
    table = r.record(CostScalingMetrics).optimizers
    key = "DWMGrad"
    mine = entry(table, key, COST_FILE, "metrics.optimizers")
    fits = {"d": _interval(mine.time_exponent_d), "n": _interval(mine.time_exponent_n)}
    evidence = [Evidence(f"{key}: step time ~ {axis}^a, a", iv.text(), COST_FILE)
                for axis, iv in fits.items()]
    for name, other in table.items():
        if name != key:
            evidence.append(Evidence(f"{name}: time exponents in d, n (for comparison)",
                                     f"{_interval(other.time_exponent_d).text()} ; "
                                     f"{_interval(other.time_exponent_n).text()}", COST_FILE))
    evidence.append(Evidence(f"{key}: state bytes per parameter, measured / model",
                             f"{fmt(mine.state_bytes_per_param_measured)} / "
                             f"{fmt(mine.state_bytes_per_param_model)}", COST_FILE))
    evidence += _cost_model_evidence(r, key)
    steep = [axis for axis, iv in fits.items() if iv.low > COST_EXPONENT_MAX]
    if steep:
        adam = table.get("Adam")
        baseline = None if adam is None else {"d": _interval(adam.time_exponent_d),
                                              "n": _interval(adam.time_exponent_n)}
        worse = [a for a in steep if baseline is None
                 or fits[a].value > baseline[a].value + COST_EXPONENT_MAX - 1]
        text = ", ".join(f"{a} (a = {fits[a].text()})" for a in steep)
        if worse:
            return Verdict("violated", f"time grows faster than linearly in {text}, and faster "
                           "than for Adam", tuple(evidence))
        return Verdict("inconclusive", f"time grows faster than linearly in {text}, but about "
                       f"as fast for Adam (within {COST_EXPONENT_MAX - 1:.2f}): an effect of the "
                       "measurement harness, not of DWMGrad", tuple(evidence))
    return Verdict("holds", "time grows at most linearly: the fitted exponent in d and in n "
                   f"has its CI reaching below {COST_EXPONENT_MAX}", tuple(evidence))


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
          "DWMGrad's time for n steps on d parameters grows at most linearly in d and in n, "
          "like the standard optimizers.",
          bound_ids("cost_DWMGrad") + proof_ids(*COST_PROOFS), ("cost_scaling",),
          ("cost_scaling",), dwmgrad_cost),
    Claim("cost-model-memory", "The cost model predicts every optimizer's state memory",
          ClaimSource("derived", "theory cost model", "state bytes per parameter per optimizer"),
          "The measured optimizer state per parameter equals the cost model's count for every "
          "optimizer.", proof_ids(*COST_PROOFS), ("cost_scaling",), ("cost_scaling",),
          cost_model_memory),
)
