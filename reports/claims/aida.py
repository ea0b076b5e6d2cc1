"""Aida's claims (seed 003): narrower step sizes (and AdaBelief's), competitiveness, the
projection identities.
"""

from __future__ import annotations

import numpy as np

from experiments.measurements.empirical import EmpiricalMetrics
from reports.claims.common import SEED_AIDA, seed
from reports.comparison import (
    Decided,
    check_paired,
    competitive,
    paired_difference,
    universal_better,
)
from reports.results import InvalidData, ResultSet
from reports.rules import EMPIRICAL_FILE, entry, steps_verdict
from reports.verdicts import Claim, Verdict, proof_ids


def _narrower(r: ResultSet, challenger: str, baselines: tuple[str, ...]) -> Verdict:
    """The challenger's per-seed spread of step sizes against each baseline's, on the same
    logistic evaluation runs' seeds (each optimizer at its tuned lr), by the comparison
    rule."""
    record = r.record(EmpiricalMetrics)
    table = record.stepsize_range.optimizers
    where = "metrics.stepsize_range.optimizers"
    rows = []
    for base in baselines:
        a, b = (entry(table, n, EMPIRICAL_FILE, where) for n in (challenger, base))
        runs = [entry(record.logistic, n, EMPIRICAL_FILE, "metrics.logistic")
                for n in (challenger, base)]
        what = f"log10 spread of step sizes, {challenger} vs {base}"
        check_paired(EMPIRICAL_FILE, what, *runs)
        if len(a.spread_by_seed) != len(runs[0].seeds) or \
                len(b.spread_by_seed) != len(runs[1].seeds):
            raise InvalidData(EMPIRICAL_FILE, f"{where}: {what}: one spread per seed expected")
        rows.append(paired_difference(what, np.array(a.spread_by_seed),
                                      np.array(b.spread_by_seed)))
    return universal_better(Decided.of(rows), f"{challenger}'s step sizes are narrower",
                            f"{EMPIRICAL_FILE}: metrics.stepsize_range")


def aida_narrower(r: ResultSet) -> Verdict:
    return _narrower(r, "Aida", ("AdaBelief", "Adam"))


def adabelief_narrower(r: ResultSet) -> Verdict:
    return _narrower(r, "AdaBelief", ("Adam",))


def aida_competitive(r: ResultSet) -> Verdict:
    return competitive(r, "Aida", ["Adam", "AdaBelief"])


AIDA_PROOFS = ("aida_projection", "second_moment_floor")


def aida_identities(r: ResultSet) -> Verdict:
    return steps_verdict(r, AIDA_PROOFS, "Aida's projection closed forms and the epsilon floor")


CLAIMS: tuple[Claim, ...] = (
    Claim("aida-narrower-stepsizes", "Aida's per-coordinate step sizes are narrower",
          seed(SEED_AIDA, "Aida ... with the objective that the elementwise stepsizes within each "
                "layer have significantly smaller statistical variances"),
          "At the end of the logistic-regression runs (each optimizer at its tuned lr), the "
          "spread (log10 range) of Aida's per-coordinate step sizes is smaller than "
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
          "On every small-scale problem, each at its own tuned lr, Aida's final loss is never "
          "worse than Adam's or AdaBelief's by the comparison rule (Holm-corrected).",
          (), ("empirical",), ("empirical_final_loss",), aida_competitive),
    Claim("aida-identities", "Aida's projections have the stated closed forms",
          seed(SEED_AIDA, "Aida is designed by tracking a more conservative function of m_t and "
                "g_t than (m_t-g_t)^2 via layerwise vector projections"),
          "With K = 2, r = cos^2(theta) (m_t - g_t) (and the K-odd form); the epsilon in the "
          "state floors the second moment: every step is verified.",
          proof_ids(*AIDA_PROOFS), (), (), aida_identities),
)
