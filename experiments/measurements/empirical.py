"""The typed metrics of ``measurements/empirical.json``
(written by ``experiments.named.empirical``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from experiments.measurements import MeasurementRecord

TASKS: tuple[str, ...] = ("rosenbrock", "logistic", "mlp")
"""The tasks with a final-loss table (:meth:`EmpiricalMetrics.task`)."""


@dataclass(frozen=True)
class FinalLoss:
    """One optimizer on one problem: the final f - f* (the loss where f* is unknown; the mean
    of the last steps on stochastic problems), median over seeds with its bootstrap CI over
    ``n_samples`` seeds, all None when ``diverged_seeds`` > 0; the median steps to reach
    ``threshold`` (None when a seed never does)."""

    final_loss_median: float | None
    ci_low: float | None
    ci_high: float | None
    n_samples: int | None
    diverged_seeds: int
    steps_to_threshold_median: float | None
    threshold: float


@dataclass(frozen=True)
class RosenbrockLoss(FinalLoss):
    """The authors' start's final loss, and the final loss from each start."""

    by_start: dict[str, FinalLoss]


@dataclass(frozen=True)
class Faster:
    """Steps to each problem's threshold per optimizer label (None: never reached), and
    DWMGrad's rank among ``n_optimizers`` (None when it never reaches it)."""

    steps_to_threshold: dict[str, float | None]
    dwmgrad_rank: int | None
    n_optimizers: int


@dataclass(frozen=True)
class DemonSweep:
    """Final MLP loss per momentum setting (None: diverged) and its log10 spread (None:
    infinite, a setting diverged), with a bootstrap interval over the ``n_samples`` seeds
    (resampled jointly across the settings: paired runs; None: infinite)."""

    final_loss_by_beta: tuple[float | None, ...]
    log10_spread: float | None
    log10_spread_ci_low: float | None
    log10_spread_ci_high: float | None
    n_samples: int


@dataclass(frozen=True)
class DemonRobustness:
    betas: tuple[float, ...]
    lr: float
    problem: str
    optimizers: dict[str, DemonSweep]
    demon_more_robust: bool


@dataclass(frozen=True)
class AhbSweep:
    """Final f - f* per learning rate (None: diverged), the fraction of seeds converged at
    each, how many converge on every seed, and the largest such (None: none does)."""

    final_gap_by_lr: tuple[float | None, ...]
    fraction_converged_by_lr: tuple[float, ...]
    n_lr_converged: int
    largest_converging_lr_over_L: float | None


@dataclass(frozen=True)
class AhbRobustness:
    lr_over_L: tuple[float, ...]
    problem: str
    heavy_ball_momentum: float
    optimizers: dict[str, AhbSweep]
    ahb_more_robust: bool


@dataclass(frozen=True)
class StepsizeSpread:
    """Decades spanned by the per-coordinate step multipliers (median over seeds, bootstrap
    CI over ``n_samples`` seeds) and quantiles (0, 5, 50, 95, 100 %) of their log10."""

    log10_spread_median: float
    ci_low: float
    ci_high: float
    n_samples: int
    log10_multiplier_quantiles: tuple[float, ...]


@dataclass(frozen=True)
class StepsizeRange:
    optimizers: dict[str, StepsizeSpread]
    aida_narrowest: bool
    problem: str


@dataclass(frozen=True)
class EmpiricalMetrics(MeasurementRecord):
    """Final losses per task and optimizer label, steps to threshold per problem, the
    momentum and learning-rate robustness sweeps, and the step-size spreads."""

    EXPERIMENT = "empirical"
    VERSION = 2
    rosenbrock: dict[str, RosenbrockLoss]
    logistic: dict[str, FinalLoss]
    mlp: dict[str, FinalLoss]
    faster_convergence: dict[str, Faster]
    demon_momentum_robustness: DemonRobustness
    ahb_lr_robustness: AhbRobustness
    stepsize_range: StepsizeRange

    def task(self, name: str) -> Mapping[str, FinalLoss]:
        """The final-loss table of task ``name`` (one of :data:`TASKS`)."""
        tables: dict[str, Mapping[str, FinalLoss]] = {
            "rosenbrock": self.rosenbrock, "logistic": self.logistic, "mlp": self.mlp}
        return tables[name]
