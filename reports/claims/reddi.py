"""Reddi et al.'s constructions (Adam fails, AMSGrad does not) and the counterexample
search's rediscovery of Adam's failure.
"""

from __future__ import annotations

from collections.abc import Mapping

from reports.claims.common import fmt, fmt_map
from reports.results import ResultSet
from reports.rules import find_key, number
from reports.verdicts import Claim, ClaimSource, Counterexample, Evidence, Verdict

REDDI_X_ATOL = 0.1
"""How close to +1 or -1 a final iterate must be on Reddi et al.'s constructions."""
REDDI_RATIO_ATOL = 0.05
"""Tolerance of R_T/T against its limit 2/3 on Reddi et al.'s Theorem 1."""
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
            by_t = fmt_map(entry.get("avg_regret_by_T") or {})
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
            f"{fmt(c.get('adam_avg_regret'))} / {fmt(c.get('amsgrad_avg_regret'))}; "
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


CLAIMS: tuple[Claim, ...] = (
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
)
