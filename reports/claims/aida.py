"""Aida's claims (seed 003): narrower step sizes (and AdaBelief's), competitiveness, the
projection identities.
"""

from __future__ import annotations

from collections.abc import Mapping

from experiments.measurements.empirical import EmpiricalMetrics, StepsizeSpread
from reports.claims.common import SEED_AIDA, seed
from reports.results import ResultSet
from reports.rules import (
    EMPIRICAL_FILE,
    Interval,
    better_or_matches,
    compare,
    entry,
    steps_verdict,
)
from reports.verdicts import Claim, Evidence, Verdict, proof_ids


def _spread(table: Mapping[str, StepsizeSpread], name: str) -> Interval:
    spread = entry(table, name, EMPIRICAL_FILE, "metrics.stepsize_range.optimizers")
    return Interval(spread.log10_spread_median, spread.ci_low, spread.ci_high, spread.n_samples)


def _narrower(r: ResultSet, challenger: str, baselines: tuple[str, ...]) -> Verdict:
    table = r.record(EmpiricalMetrics).stepsize_range.optimizers
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
    single = [b for b, o in outcomes.items() if o == "one instance"]
    if single:
        return Verdict("inconclusive", f"one instance: no interval to compare {challenger} with "
                       f"{', '.join(single)}", tuple(evidence))
    return Verdict("inconclusive", "the spreads overlap within their confidence intervals",
                   tuple(evidence))


def aida_narrower(r: ResultSet) -> Verdict:
    return _narrower(r, "Aida", ("AdaBelief", "Adam"))


def adabelief_narrower(r: ResultSet) -> Verdict:
    return _narrower(r, "AdaBelief", ("Adam",))


def aida_competitive(r: ResultSet) -> Verdict:
    return better_or_matches(r, "Aida", ["Adam", "AdaBelief"], need_one_win=False)


AIDA_PROOFS = ("aida_projection", "second_moment_floor")


def aida_identities(r: ResultSet) -> Verdict:
    return steps_verdict(r, AIDA_PROOFS, "Aida's projection closed forms and the epsilon floor")


CLAIMS: tuple[Claim, ...] = (
    Claim("aida-narrower-stepsizes", "Aida's per-coordinate step sizes are narrower",
          seed(SEED_AIDA, "Aida ... with the objective that the elementwise stepsizes within each "
                "layer have significantly smaller statistical variances"),
          "The spread (log10 range) of Aida's per-coordinate step sizes is smaller than "
          "AdaBelief's and Adam's.",
          (), ("empirical",), ("stepsize_histograms",), aida_narrower),
    Claim("adabelief-conservative", "AdaBelief's step sizes are narrower than Adam's",
          seed(SEED_AIDA, "(m_t-g_t)^2 in AdaBelief is conservative in comparison to g_t^2 in "
                "Adam in terms of layerwise statistical averages and variances"),
          "The spread of AdaBelief's per-coordinate step sizes is smaller than Adam's.",
          (), ("empirical",), ("stepsize_histograms",), adabelief_narrower),
    Claim("aida-competitive", "Aida is competitive with Adam and AdaBelief",
          seed(SEED_AIDA, "Aida produces either competitive or better performance with respect "
                "to a number of existing methods including Adam and AdaBelief"),
          "On the small-scale tasks, Aida's final loss is never significantly worse than Adam's "
          "or AdaBelief's.", (), ("empirical",), ("empirical_final_loss",), aida_competitive),
    Claim("aida-identities", "Aida's projections have the stated closed forms",
          seed(SEED_AIDA, "Aida is designed by tracking a more conservative function of m_t and "
                "g_t than (m_t-g_t)^2 via layerwise vector projections"),
          "With K = 2, r = cos^2(theta) (m_t - g_t) (and the K-odd form); the epsilon in the "
          "state floors the second moment: every step is verified.",
          proof_ids(*AIDA_PROOFS), (), (), aida_identities),
)
