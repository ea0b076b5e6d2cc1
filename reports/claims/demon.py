"""Demon's claims (seed 002): the schedule identity, robustness to the momentum setting,
Demon Adam improving Adam.
"""

from __future__ import annotations

import math

from experiments.measurements.empirical import DemonSweep, EmpiricalMetrics
from reports.claims.common import SEED_DEMON, fmt, seed
from reports.results import ResultSet
from reports.rules import EMPIRICAL_FILE, Interval, better_or_matches, compare, entry, steps_verdict
from reports.verdicts import Claim, Evidence, Verdict, proof_ids

DEMON_PROOFS = ("demon_schedule",)
DEMON_COMPARATOR = "HeavyBall (lr decay)"
"""The seed's comparator: "momentum SGD with learning rate decay schedule" (lr/sqrt(t))."""
SAME_STEP_CONTROL = "HeavyBall"
"""Heavy ball at Demon's constant lr: a control, not the claim's comparator (its effective step
lr/(1-beta) grows with beta, a confound of the momentum sweep)."""


def demon_schedule(r: ResultSet) -> Verdict:
    return steps_verdict(r, DEMON_PROOFS, "the Demon schedule")


def spread_interval(sweep: DemonSweep) -> Interval:
    """A log10 spread with its seed-bootstrap CI (None = inf: a setting diverged)."""
    def value(v: float | None) -> float:
        return math.inf if v is None else v
    return Interval(value(sweep.log10_spread), value(sweep.log10_spread_ci_low),
                    value(sweep.log10_spread_ci_high), sweep.n_samples)


def _spread_text(iv: Interval) -> str:
    if iv.single:
        return f"{fmt(iv.value)} (one instance)"
    return f"{fmt(iv.value)} [{fmt(iv.low)}, {fmt(iv.high)}]"


def demon_robustness(r: ResultSet) -> Verdict:
    """DemonSGD's log10 spread of final loss over the momentum setting against the seed's
    comparator (heavy ball with a decaying lr), on seed-bootstrap CIs: holds when Demon's CI
    lies below the comparator's, violated when above (disjoint), inconclusive when they
    overlap or rest on one instance. Heavy ball at Demon's constant lr is reported as a
    control (its step lr/(1-beta) grows with beta)."""
    sweep = r.record(EmpiricalMetrics).demon_momentum_robustness
    where = "metrics.demon_momentum_robustness.optimizers"
    source = f"{EMPIRICAL_FILE}: metrics.demon_momentum_robustness"
    sweeps = {name: entry(sweep.optimizers, name, EMPIRICAL_FILE, where)
              for name in ("DemonSGD", DEMON_COMPARATOR, SAME_STEP_CONTROL)}
    spreads = {name: spread_interval(s) for name, s in sweeps.items()}
    evidence = tuple(Evidence(f"{name}: log10 spread over beta (seed-bootstrap CI)",
                              _spread_text(iv), source) for name, iv in spreads.items())
    evidence += tuple(Evidence(f"{name}: final loss by beta {fmt(sweep.betas)} (lr {sweep.lr:g}, "
                               f"{sweep.problem})", fmt(s.final_loss_by_beta), source)
                      for name, s in sweeps.items())
    demon = spreads["DemonSGD"]
    control = compare(demon, spreads[SAME_STEP_CONTROL])
    outcome = compare(demon, spreads[DEMON_COMPARATOR])
    said = (f"DemonSGD {_spread_text(demon)} vs {DEMON_COMPARATOR} "
            f"{_spread_text(spreads[DEMON_COMPARATOR])} (control, heavy ball at the same "
            f"constant lr: {control})")
    if outcome == "better":
        return Verdict("holds", f"Demon SGDM is less sensitive to its momentum setting: {said}",
                       evidence)
    if outcome == "worse":
        return Verdict("violated", f"Demon SGDM is more sensitive to its momentum setting "
                       f"(disjoint CIs): {said}", evidence)
    why = "one instance: no interval" if outcome == "one instance" else "the CIs overlap"
    return Verdict("inconclusive", f"{why}: {said}", evidence)


def demon_adam(r: ResultSet) -> Verdict:
    return better_or_matches(r, "DemonAdam", ["Adam"], need_one_win=True)


CLAIMS: tuple[Claim, ...] = (
    Claim("demon-schedule", "Demon's schedule decays the total contribution of a gradient",
          seed(SEED_DEMON, "We propose a decaying momentum (Demon) rule, motivated by decaying "
                "the total contribution of a gradient to all future updates"),
          "beta_t/(1-beta_t) = (1-t/T) * beta_init/(1-beta_init), beta_0 = beta_init, beta_T = 0, "
          "beta_t decreasing: every step of the identity is verified.",
          proof_ids(*DEMON_PROOFS), (), (), demon_schedule),
    Claim("demon-robustness", "Demon SGDM is less sensitive to its momentum setting",
          seed(SEED_DEMON, "Demon momentum SGD is observed to be significantly less sensitive to "
                "parameter tuning than momentum SGD with learning rate decay schedule"),
          "Over a sweep of the momentum parameter (MLP, lr 0.05), Demon SGDM's final loss "
          "varies less (log10 spread of per-beta medians, seed-bootstrap CI) than that of "
          "heavy-ball SGD with a decaying lr (lr/sqrt(t)), the seed's comparator; decided on "
          "disjoint CIs; heavy ball at the same constant lr is reported as a control.",
          (), ("empirical",), ("demon_robustness",), demon_robustness),
    Claim("demon-adam-improves", "Demon improves Adam",
          seed(SEED_DEMON, "Applying Demon to Adam leads to significantly improved training"),
          "On the small-scale tasks, Demon Adam's final loss is never significantly worse than "
          "Adam's and significantly better on at least one task.",
          (), ("empirical",), ("empirical_final_loss",), demon_adam),
)
