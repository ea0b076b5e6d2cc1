"""Cost claims: DWMGrad's O(n*d) time (seed 000) and the cost model's state memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports.claims.common import SEED_DWMGRAD, fmt, seed
from reports.results import InvalidData, MissingResult, ResultSet
from reports.rules import Interval, find_key, normalise, number, steps_verdict
from reports.verdicts import Claim, ClaimSource, Evidence, Verdict

COST_EXPONENT_MAX = 1.15
"""Step time growing like d^a with the CI of a above this would contradict O(n*d), unless the
standard optimizer (Adam) shows an exponent within ``COST_EXPONENT_MAX - 1`` of it (then the
growth comes from the harness shared by all optimizers)."""
MEMORY_RTOL = 0.02
"""Measured state bytes per parameter may exceed the model by per-tensor scalars."""


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
                             f"{fmt(entry.get('state_bytes_per_param_measured'))} / "
                             f"{fmt(entry.get('state_bytes_per_param_model'))}",
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


CLAIMS: tuple[Claim, ...] = (
    Claim("dwmgrad-cost-linear", "DWMGrad costs O(n*d) time",
          seed(SEED_DWMGRAD, "analyze computational complexity, showing $O(n\\cdot d)$ time, "
                "comparable to standard optimizers"),
          "DWMGrad's time for n steps on d parameters grows at most linearly in d and in n, "
          "like the standard optimizers.",
          ("cost model",), ("cost_scaling",), ("cost_scaling",), dwmgrad_cost),
    Claim("cost-model-memory", "The cost model predicts every optimizer's state memory",
          ClaimSource("derived", "theory cost model", "state bytes per parameter per optimizer"),
          "The measured optimizer state per parameter equals the cost model's count for every "
          "optimizer.", ("cost model",), ("cost_scaling",), ("cost_scaling",), cost_model_memory),
)
