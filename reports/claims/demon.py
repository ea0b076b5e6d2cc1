"""Demon's claims (seed 002): the schedule identity, robustness to the momentum setting,
Demon Adam improving Adam.
"""

from __future__ import annotations

from experiments.measurements.empirical import EmpiricalMetrics
from reports.claims.common import SEED_DEMON, robustness, seed
from reports.results import ResultSet
from reports.rules import better_or_matches, steps_verdict
from reports.verdicts import Claim, Verdict, proof_ids

DEMON_PROOFS = ("demon_schedule",)


def demon_schedule(r: ResultSet) -> Verdict:
    return steps_verdict(r, DEMON_PROOFS, "the Demon schedule")


def demon_robustness(r: ResultSet) -> Verdict:
    sweep = r.record(EmpiricalMetrics).demon_momentum_robustness
    return robustness("demon_momentum_robustness", sweep.optimizers,
                      {"betas": sweep.betas, "lr": sweep.lr, "problem": sweep.problem},
                      "DemonSGD", "HeavyBall", "log10_spread", higher_is_better=False)


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
          "Over a sweep of the momentum parameter, Demon SGDM's final loss varies less (log10 "
          "spread) than heavy-ball SGD's.",
          (), ("empirical",), ("demon_robustness",), demon_robustness),
    Claim("demon-adam-improves", "Demon improves Adam",
          seed(SEED_DEMON, "Applying Demon to Adam leads to significantly improved training"),
          "On the small-scale tasks, Demon Adam's final loss is never significantly worse than "
          "Adam's and significantly better on at least one task.",
          (), ("empirical",), ("empirical_final_loss",), demon_adam),
)
