"""Reddi et al.'s constructions (Adam fails, AMSGrad does not) and the counterexample
search's rediscovery of Adam's failure.
"""

from __future__ import annotations

from dataclasses import asdict

from experiments.measurements.counterexample_search import CounterexampleSearchMetrics, TargetEntry
from experiments.measurements.reddi import OutcomeShare, ReddiMetrics
from experiments.named.counterexample_search import ADAM_REDDI
from experiments.named.reddi import CONSTRUCTIONS
from reports.claims.common import deferred_at_quick, fmt, fmt_map
from reports.results import InvalidData, ResultSet
from reports.verdicts import Claim, ClaimSource, Counterexample, Evidence, Verdict

REDDI_X_ATOL = 0.1
"""How close to +1 or -1 a final iterate must be on Reddi et al.'s constructions."""
REDDI_RATIO_ATOL = 0.05
"""Tolerance of R_T/T against its limit 2/3 on Reddi et al.'s Theorem 1."""
REDDI_CONSTRUCTIONS: tuple[str, ...] = tuple(CONSTRUCTIONS)
SEARCH_FILE = "measurements/counterexample_search.json"


def reddi_adam_failure(r: ResultSet) -> Verdict:
    """Adam must end at +1 (and R_T/T near 2/3 on Theorem 1): otherwise violated. AMSGrad
    must end at -1; one that has not yet reached it but stays below Adam's iterate is
    'not converged at this horizon' (inconclusive), one at or above Adam's is violated."""
    evidence: list[Evidence] = []
    wrong: list[str] = []
    unfinished: list[str] = []
    metrics = r.record(ReddiMetrics)
    for construction in REDDI_CONSTRUCTIONS:
        table = metrics.table(construction)
        missing = [label for label in ("Adam", "AMSGrad") if label not in table]
        if missing:
            raise InvalidData("measurements/reddi.json",
                              f"metrics.{construction} has no '{missing[0]}' run")
        adam, ams = table["Adam"], table["AMSGrad"]
        x_adam, x_ams, horizon = adam.final_x, ams.final_x, adam.T
        evidence.append(Evidence(f"{construction}: final x of Adam / AMSGrad at T = {horizon} "
                                 "(published +1 / -1)", f"{x_adam:.4g} / {x_ams:.4g}",
                                 "measurements/reddi.json"))
        if abs(x_adam - 1.0) > REDDI_X_ATOL:
            wrong.append(f"Adam on {construction} ends at {x_adam:.3g}, not +1")
        if abs(x_ams + 1.0) > REDDI_X_ATOL:
            (unfinished if x_ams < x_adam else wrong).append(
                f"AMSGrad on {construction} ends at {x_ams:.3g}")
        if construction == "theorem1":
            ratio = adam.regret_over_T
            evidence.append(Evidence("theorem1: Adam R_T/T (published limit 2/3)", ratio,
                                     "measurements/reddi.json"))
            if abs(ratio - 2 / 3) > REDDI_RATIO_ATOL:
                wrong.append(f"Adam's R_T/T on theorem1 is {ratio:.3g}, not 2/3")
    evidence += [e for label in ("Adam", "AMSGrad") for e in outcome_evidence(metrics, label)]
    if wrong:
        return Verdict("violated", "; ".join(wrong + unfinished), tuple(evidence))
    if unfinished:
        return Verdict("inconclusive", deferred_at_quick(r, ReddiMetrics.EXPERIMENT)
                       + "Adam ends at +1 everywhere as published, but "
                       + "; ".join(unfinished) + " (not yet at -1 at this horizon)",
                       tuple(evidence))
    return Verdict("holds", "Adam ends at +1 (R_T/T near 2/3 on Theorem 1) and AMSGrad at -1 "
                   "on all three constructions", tuple(evidence))


def share_text(share: OutcomeShare) -> str:
    """Exact counts over the rows (deterministic runs: no interval)."""
    n = len(share.values)
    return (f"{share.at_plus_one}/{n} end at +1, {share.at_minus_one}/{n} at -1 (x*), "
            f"{share.elsewhere}/{n} elsewhere ({share.condition}s "
            f"{share.values[0]:g} .. {share.values[-1]:g})")


def outcome_evidence(metrics: ReddiMetrics, label: str) -> list[Evidence]:
    """The outcome shares of ``label`` on Theorem 1's game, one line per condition."""
    outcomes = metrics.outcomes
    return [Evidence(f"Reddi {outcomes.game}, {label}: where it ends over {len(share.values)} "
                     f"{condition}s (T = {outcomes.T}, within {outcomes.x_atol:g})",
                     share_text(share), "measurements/reddi.json")
            for condition, share in outcomes.shares.get(label, {}).items()]


def decided_by(metrics: ReddiMetrics, label: str) -> list[str]:
    """The conditions (start, loss offset) that alone decide where ``label`` ends: some rows
    end at +1 and others do not."""
    return [f"{condition} ({share.at_plus_one} of {len(share.values)} end at +1)"
            for condition, share in metrics.outcomes.shares.get(label, {}).items()
            if 0 < share.at_plus_one < len(share.values)]


def search_evidence(label: str, target: TargetEntry) -> Evidence:
    return Evidence(f"search against {label}: counterexample found; R_T/T by T; "
                    f"evaluations", f"{target.found}; {fmt_map(target.avg_regret_by_T)}; "
                    f"{target.evaluations}", SEARCH_FILE)


def adam_rediscovered(r: ResultSet) -> Verdict:
    """Holds when the calibrated search finds a counterexample for Adam in the setting of
    Reddi et al.'s Theorem 1 (AMSGrad falling on the same sequence is part of the criterion,
    so AMSGrad is not flagged there); violated when it finds none: the search has no power."""
    search = r.record(CounterexampleSearchMetrics)
    adam = search.targets.get(ADAM_REDDI)
    if adam is None:
        raise InvalidData(SEARCH_FILE, f"metrics.targets has no target {ADAM_REDDI!r}")
    evidence = [search_evidence(ADAM_REDDI, adam),
                Evidence("AMSGrad flagged on Adam's counterexamples",
                         fmt(list(search.amsgrad_flagged_on_adam_counterexamples)), SEARCH_FILE),
                Evidence("search", fmt_map(asdict(search.search)), SEARCH_FILE)]
    if search.adam_rediscovered and adam.found:
        return Verdict("holds", f"CMA-ES finds a sequence on which {ADAM_REDDI}'s average "
                       f"regret does not vanish ({fmt_map(adam.avg_regret_by_T)}, final x "
                       f"{adam.final_x:.3g}) while AMSGrad's and the analysed DWMGrad's fall "
                       "threefold on it; AMSGrad is not flagged", tuple(evidence),
                       (Counterexample(ADAM_REDDI, adam.conditions, adam.replay),))
    return Verdict("violated", f"the search did not rediscover Adam's known counterexample in "
                   f"{adam.evaluations} evaluations", tuple(evidence))


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
          "Searching periodic online convex sequences with CMA-ES, the search finds for Adam "
          "(beta1 = 0, beta2 = 0.1, alpha/sqrt t: Reddi et al.'s Theorem 1 setting) a sequence "
          "whose R_T/T, replayed at 100 T0, keeps half its value at T0 and stays above "
          "0.05 d G_inf D_inf, while AMSGrad's and the analysed DWMGrad's fall threefold on "
          "the same sequence (so a negative result for another optimizer means something).",
          (), ("counterexample_search",), ("counterexample_avg_regret",), adam_rediscovered),
)
