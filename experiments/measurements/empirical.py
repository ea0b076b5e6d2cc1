"""The typed metrics of ``measurements/empirical.json``
(written by ``experiments.named.empirical``)."""

from __future__ import annotations

from dataclasses import dataclass

from experiments.measurements import (
    InvalidData,
    MeasurementRecord,
    NamedTables,
    check_same_length,
)

TASKS: tuple[str, ...] = ("rosenbrock", "logistic", "mlp")
"""The tasks with a final-loss table (``EmpiricalMetrics.table(task)``)."""


@dataclass(frozen=True)
class TunedLr:
    """The lr of one optimizer on one problem, chosen from ``grid`` on ``tuning_seeds``
    (disjoint from the evaluation seeds): ``scores[i]`` is the mean over the tuning seeds of
    log10 of the final value at ``grid[i]`` (None: a tuning seed diverged); the smallest score
    wins (ties: the smaller lr). ``at_grid_edge``: the chosen lr is the grid's smallest or
    largest, so the best lr may lie outside the grid."""

    grid: tuple[float, ...]
    scores: tuple[float | None, ...]
    chosen_lr: float
    at_grid_edge: bool
    tuning_seeds: tuple[int, ...]


@dataclass(frozen=True)
class FinalLoss:
    """One optimizer on one problem at ``lr`` (its tuned lr, ``tuned``; None: its default lr,
    not tuned because no claim compares it), on the evaluation seeds: the final f - f* (the
    loss where f* is unknown; the mean of the last steps on stochastic problems), median over
    seeds with its bootstrap CI over ``n_samples`` seeds, all None when ``diverged_seeds`` > 0,
    the first of which diverged at step ``diverged_at_step``; the median steps to reach
    ``threshold`` (None when a seed never does). Per evaluation seed (in ``seeds`` order):
    ``final_by_seed`` (None: diverged) and ``steps_by_seed`` (None: never reached within the
    horizon), which the comparison rules resample."""

    final_loss_median: float | None
    ci_low: float | None
    ci_high: float | None
    n_samples: int | None
    diverged_seeds: int
    diverged_at_step: int | None
    steps_to_threshold_median: float | None
    threshold: float
    seeds: tuple[int, ...]
    final_by_seed: tuple[float | None, ...]
    steps_by_seed: tuple[int | None, ...]
    horizon: int
    lr: float
    tuned: TunedLr | None


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
    """Final MLP loss per momentum setting (None: diverged, at the step
    ``diverged_at_step_by_beta`` gives, ``experiments.metrics.first_divergence``) and its log10
    spread (None:
    infinite, a setting diverged), with a bootstrap interval over the ``n_samples`` seeds
    (resampled jointly across the settings: paired runs; None: infinite); the final loss per
    setting and evaluation seed (``seeds``) (``final_by_beta_and_seed[i][j]``: beta i, seed j; None:
    diverged); the lr, tuned at beta = ``tuned_at_beta`` (``tuned``)."""

    final_loss_by_beta: tuple[float | None, ...]
    diverged_at_step_by_beta: tuple[int | None, ...]
    log10_spread: float | None
    log10_spread_ci_low: float | None
    log10_spread_ci_high: float | None
    n_samples: int
    seeds: tuple[int, ...]
    final_by_beta_and_seed: tuple[tuple[float | None, ...], ...]
    tuned: TunedLr
    tuned_at_beta: float


@dataclass(frozen=True)
class DemonRobustness:
    betas: tuple[float, ...]
    problem: str
    optimizers: dict[str, DemonSweep]


@dataclass(frozen=True)
class LrEdge:
    """The largest lr·L that passes a criterion (stable, or converging), refined by bisection
    (``experiments.named.ahb_lr``): it passes at ``low``, not at ``high``, and high - low ≤
    tolerance · high. ``low`` None: not even the grid's smallest lr passes; ``high`` None: the
    grid's largest does (the edge lies above the grid). Every probe of the bisection, in
    order: its lr·L, whether it passed, its final f - f* (None: diverged) and the step it
    diverged at (None: it did not)."""

    low: float | None
    high: float | None
    probe_lr_over_L: tuple[float, ...]
    probe_passed: tuple[bool, ...]
    probe_final_gap: tuple[float | None, ...]
    probe_diverged_at_step: tuple[int | None, ...]


@dataclass(frozen=True)
class AhbSweep:
    """Final f - f* per learning rate of the coarse grid (None: diverged, at
    ``diverged_at_step_by_lr``), the fraction of seeds converged at each, how many converge on
    every seed, the largest such, and the bisected edges: the largest stable lr (the claim
    decides on it) and the largest converging lr."""

    final_gap_by_lr: tuple[float | None, ...]
    fraction_converged_by_lr: tuple[float, ...]
    diverged_at_step_by_lr: tuple[int | None, ...]
    n_lr_converged: int
    largest_converging_lr_over_L: float | None
    stable_edge: LrEdge
    converging_edge: LrEdge


@dataclass(frozen=True)
class AhbRobustness:
    """The learning-rate sweep: the grid (lr·L), the problem, heavy ball's momentum (its
    theoretical edge is 2(1+β)), per optimizer its sweep; a seed converges at f - f* ≤
    ``converged_below`` · (f(x_0) - f*) by step ``horizon``, diverges above ``blowup`` times
    its start (or non-finite); the bisection's relative ``tolerance``."""

    lr_over_L: tuple[float, ...]
    problem: str
    heavy_ball_momentum: float
    optimizers: dict[str, AhbSweep]
    converged_below: float
    blowup: float
    tolerance: float
    horizon: int
    ahb_more_robust: bool


@dataclass(frozen=True)
class StepsizeSpread:
    """Decades spanned by the per-coordinate step multipliers (median over seeds, bootstrap
    CI over ``n_samples`` seeds; per seed in ``spread_by_seed``) and quantiles (0, 5, 50, 95,
    100 %) of their log10, at the end of the optimizer's logistic-regression evaluation run
    (its tuned lr)."""

    log10_spread_median: float
    ci_low: float
    ci_high: float
    n_samples: int
    log10_multiplier_quantiles: tuple[float, ...]
    spread_by_seed: tuple[float, ...]


@dataclass(frozen=True)
class StepsizeRange:
    optimizers: dict[str, StepsizeSpread]
    problem: str


@dataclass(frozen=True)
class AhbControls:
    """Why adaptive heavy ball lags on the minibatch MLP, one option changed at a time.

    ``momentum_median``: median over steps and evaluation seeds of AdaptiveHB's beta_k in its
    minibatch MLP evaluation run (its secant h_k = ||g_k - g_{k-1}|| / ||x_k - x_{k-1}|| mixes
    two minibatches' gradients); ``full_batch``: AdaptiveHB and heavy ball each at its tuned
    minibatch lr with the one option changed to full-batch gradients (label -> final loss on
    the evaluation seeds), with AdaptiveHB's median beta_k there
    (``full_batch_momentum_median``)."""

    momentum_median: float | None
    full_batch: dict[str, FinalLoss]
    full_batch_momentum_median: float | None


@dataclass(frozen=True)
class EmpiricalMetrics(MeasurementRecord, NamedTables[FinalLoss]):
    """Final losses per task and optimizer label (each at its tuned lr), steps to threshold
    per problem, the momentum and learning-rate robustness sweeps, the step-size spreads and
    the adaptive heavy ball's controls."""

    EXPERIMENT = "empirical"
    VERSION = 4
    TABLES = TASKS
    rosenbrock: dict[str, RosenbrockLoss]
    logistic: dict[str, FinalLoss]
    mlp: dict[str, FinalLoss]
    faster_convergence: dict[str, Faster]
    demon_momentum_robustness: DemonRobustness
    ahb_lr_robustness: AhbRobustness
    stepsize_range: StepsizeRange
    ahb_controls: AhbControls

    def check(self, file: str) -> None:
        """Every diverged sweep setting has its step (1 ≤ k), and only those: a final value
        None without a step, or a step beside a final value, is invalid data."""
        horizon = self.ahb_lr_robustness.horizon
        sweeps: list[tuple[str, tuple[float | None, ...], tuple[int | None, ...],
                           int | None]] = []
        for name, demon in self.demon_momentum_robustness.optimizers.items():
            sweeps.append((f"demon_momentum_robustness.optimizers.{name}",
                           demon.final_loss_by_beta, demon.diverged_at_step_by_beta, None))
        for name, ahb in self.ahb_lr_robustness.optimizers.items():
            where = f"ahb_lr_robustness.optimizers.{name}"
            sweeps.append((where, ahb.final_gap_by_lr, ahb.diverged_at_step_by_lr, horizon))
            for key, edge in (("stable_edge", ahb.stable_edge),
                              ("converging_edge", ahb.converging_edge)):
                sweeps.append((f"{where}.{key}", edge.probe_final_gap,
                               edge.probe_diverged_at_step, horizon))
                if edge.low is not None and edge.high is not None and not edge.low < edge.high:
                    raise InvalidData(file, f"metrics.{where}.{key}: low {edge.low!r} is not "
                                            f"below high {edge.high!r}")
                check_same_length(file, f"metrics.{where}.{key}",
                                  probe_lr_over_L=edge.probe_lr_over_L,
                                  probe_passed=edge.probe_passed,
                                  probe_final_gap=edge.probe_final_gap)
        for task in TASKS:
            for label, loss in self.table(task).items():
                losses = [(f"{task}.{label}", loss)] + [
                    (f"{task}.{label}.by_start.{start}", by_start) for start, by_start in
                    (loss.by_start.items() if isinstance(loss, RosenbrockLoss) else ())]
                for where, one in losses:
                    sweeps.append((where, (one.final_loss_median,), (one.diverged_at_step,),
                                   None))
                    if (one.diverged_seeds > 0) != (one.diverged_at_step is not None):
                        raise InvalidData(file, f"metrics.{where}: {one.diverged_seeds} "
                                                f"diverged seeds and divergence step "
                                                f"{one.diverged_at_step!r}")
        for where, finals, steps, last in sweeps:
            check_diverged_steps(file, f"metrics.{where}", finals, steps, last)


def check_diverged_steps(file: str, where: str, finals: tuple[float | None, ...],
                         steps: tuple[int | None, ...], horizon: int | None) -> None:
    """``steps[i]`` is the step at which setting i diverged (None: it did not): one per
    setting, an integer in [1, horizon], given exactly where ``finals[i]`` is None."""
    if len(steps) != len(finals):
        raise InvalidData(file, f"{where}: {len(steps)} divergence steps for {len(finals)} "
                                "settings")
    for i, (final, step) in enumerate(zip(finals, steps, strict=True)):
        if step is not None and (step < 1 or (horizon is not None and step > horizon)):
            raise InvalidData(file, f"{where}: setting {i} diverged at step {step}, expected "
                                    f"a step in [1, {horizon or 'T'}]")
        if (final is None) != (step is not None):
            raise InvalidData(file, f"{where}: setting {i} has final value {final!r} and "
                                    f"divergence step {step!r}; a diverged setting has no "
                                    "final value and a step, any other a final value and none")
