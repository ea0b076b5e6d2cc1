"""Demon's claims (seed 002): the schedule identity, robustness to the momentum setting,
Demon Adam improving Adam.
"""

from __future__ import annotations

import numpy as np

from experiments.measurements.empirical import DemonSweep, EmpiricalMetrics
from reports.claims.common import SEED_DEMON, fmt, seed
from reports.comparison import (
    Decided,
    Difference,
    better_than,
    paired_difference,
    universal_better,
)
from reports.results import InvalidData, ResultSet
from reports.rules import EMPIRICAL_FILE, entry, steps_verdict
from reports.verdicts import Claim, Evidence, Verdict, proof_ids

DEMON_PROOFS = ("demon_schedule",)
DEMON_COMPARATOR = "HeavyBall (lr decay)"
"""The seed's comparator: "momentum SGD with learning rate decay schedule" (lr/sqrt(t))."""
SAME_STEP_CONTROL = "HeavyBall"
"""Heavy ball with a constant lr: a control, not the claim's comparator."""


def demon_schedule(r: ResultSet) -> Verdict:
    return steps_verdict(r, DEMON_PROOFS, "the Demon schedule")


def spread_of_medians(values: np.ndarray) -> np.ndarray:
    """log10(max/min) over the settings (first axis) of the per-setting medians over seeds
    (last axis); +inf where a median is not finite and positive (a setting diverged)."""
    medians = np.median(values, axis=-1)
    ok = np.all(np.isfinite(medians) & (medians > 0), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.log10(medians.max(axis=0) / medians.min(axis=0))
    return np.where(ok, spread, np.inf)


def _per_seed(sweep: DemonSweep, name: str) -> np.ndarray:
    rows = sweep.final_by_beta_and_seed
    if not rows or any(len(row) != len(sweep.seeds) for row in rows):
        raise InvalidData(EMPIRICAL_FILE, f"metrics.demon_momentum_robustness.optimizers."
                          f"{name}: final losses per beta and seed do not match its "
                          f"{len(sweep.seeds)} seeds")
    shared = sorted(set(sweep.tuned.tuning_seeds) & set(sweep.seeds))
    if shared:
        raise InvalidData(EMPIRICAL_FILE, f"metrics.demon_momentum_robustness.optimizers."
                          f"{name}: the lr was tuned on evaluation seeds {shared} (a "
                          "confounded comparison)")
    return np.array([[np.inf if v is None else v for v in row] for row in rows])


def _row(sweeps: dict[str, DemonSweep], base: str) -> Difference:
    demon, other = sweeps["DemonSGD"], sweeps[base]
    if demon.seeds != other.seeds:
        raise InvalidData(EMPIRICAL_FILE, f"metrics.demon_momentum_robustness: DemonSGD and "
                          f"{base} ran on different seeds; a comparison needs paired runs")
    return paired_difference(
        f"log10 spread of the final loss over beta, DemonSGD (lr {demon.tuned.chosen_lr:g}) vs "
        f"{base} (lr {other.tuned.chosen_lr:g})",
        _per_seed(demon, "DemonSGD"), _per_seed(other, base), spread_of_medians)


def demon_robustness(r: ResultSet) -> Verdict:
    """DemonSGD's log10 spread of final loss over the momentum setting against the seed's
    comparator (heavy ball with a decaying lr), each at its own tuned lr, by the comparison
    rule (:mod:`reports.comparison`: paired seed bootstrap); heavy ball with a constant lr is
    reported as a control, outside the claim's family."""
    sweep = r.record(EmpiricalMetrics).demon_momentum_robustness
    where = "metrics.demon_momentum_robustness.optimizers"
    source = f"{EMPIRICAL_FILE}: metrics.demon_momentum_robustness"
    sweeps = {name: entry(sweep.optimizers, name, EMPIRICAL_FILE, where)
              for name in ("DemonSGD", DEMON_COMPARATOR, SAME_STEP_CONTROL)}
    control = Decided.of([_row(sweeps, SAME_STEP_CONTROL)])
    extra: tuple[Evidence, ...] = (Evidence("control (not in the claim's family)",
                      f"{control.rows[0].where}: {control.rows[0].text()} -> "
                      f"{control.outcome(0)}", source),)
    extra += tuple(Evidence(f"{name}: median final loss by beta {fmt(sweep.betas)} (lr "
                            f"{s.tuned.chosen_lr:g}, tuned at beta {s.tuned_at_beta:g})",
                            fmt(s.final_loss_by_beta), source) for name, s in sweeps.items())
    return universal_better(Decided.of([_row(sweeps, DEMON_COMPARATOR)]),
                            "Demon SGDM is less sensitive to its momentum setting", source, extra)


def demon_adam(r: ResultSet) -> Verdict:
    return better_than(r, "DemonAdam", ["Adam"])


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
          "Over a sweep of the momentum parameter (digits MLP), each method at its own lr "
          "tuned at beta = 0.9 on separate seeds, Demon SGDM's final loss varies less (log10 "
          "spread of per-beta medians) than that of heavy-ball SGD with a decaying lr "
          "(lr/sqrt(t)), the seed's comparator, by the comparison rule (paired seed-bootstrap "
          "CI of the difference); heavy ball with a constant lr is reported as a control.",
          (), ("empirical",), ("demon_robustness",), demon_robustness),
    Claim("demon-adam-improves", "Demon improves Adam",
          seed(SEED_DEMON, "Applying Demon to Adam leads to significantly improved training"),
          "On every small-scale problem, each at its own tuned lr, Demon Adam's final loss is "
          "lower than Adam's by the comparison rule (paired seed-bootstrap CI of the "
          "difference, Holm-corrected over the problems).",
          (), ("empirical",), ("empirical_final_loss",), demon_adam),
)
