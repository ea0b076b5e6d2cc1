"""``empirical``: the seeds' empirical claims at small scale, over seeds, with intervals.

Every optimizer a claim compares (:data:`TUNED`) runs at its own learning rate, tuned on
seeds that are never evaluated (:mod:`experiments.named.tuning`; the others at their default
lr): the static specs are the tuning runs (every grid lr on the
tuning seeds); :func:`search` then extends a grid whose choice is at its edge, runs the
evaluation specs at the chosen lrs on the evaluation seeds (:data:`SEEDS`, ≥ 10 at quick),
and :func:`measure` re-derives the same choice from the stored tuning runs. The grid, the
scores and the chosen lr are kept per optimizer and problem (:class:`TunedLr`).

* Rosenbrock (the authors' start (1, 2) and the standard (-1.2, 1), start noise 0.01 per
  seed), ℓ2-logistic regression on breast cancer (random start) and the digits MLP
  (minibatches of 128, random init per seed), for every optimizer: final f - f* (for the MLP
  the minibatch loss averaged over the last 10 % of steps) per seed, its median with a 90 %
  bootstrap interval over seeds, and the steps to reach a threshold per seed
  (``faster_convergence``: DWMGrad's rank among all optimizers, seed 000's claim). The
  Rosenbrock runs record their iterates; series ``rosenbrock_paths.<start>.<label> = {x, y}``
  is seed 0's path per optimizer, thinned to at most ``PATH_POINTS`` points; series
  ``curves.<problem>.<label> = {steps, per_seed}`` keeps every seed's f - f* at up to
  ``CURVE_POINTS`` log-spaced steps (the figure's seed bands).
* ``demon_momentum_robustness`` (seed 002): final MLP loss across β_init ∈
  {0.5, 0.7, 0.9, 0.95, 0.99} for DemonSGD, for SGD with constant momentum (heavy ball), and
  for heavy ball with a decaying lr (lr/√t, the seed's comparator "momentum SGD with learning
  rate decay schedule"; :data:`DEMON_BASELINES`), each at its own lr tuned at β = 0.9, on
  every evaluation seed; spread = log10(max/min) of the per-β medians (null = inf when a
  setting diverged; the step it diverged at is recorded, ``experiments.metrics.
  first_divergence``), with a 90 % bootstrap interval that resamples the seeds (the same seeds
  for every β: paired), ``log10_spread_ci``, and the per-β, per-seed final losses.
* ``ahb_lr_robustness`` (seed 001): final f - f* on a quadratic (d = 10, κ = 100) across
  lr ∈ {0.1, 0.5, 1, 2, 3, 4, 8}/L for AdaptiveHB and heavy ball with β = 0.9 (stable for
  lr < 2(1+β)/L = 3.8/L), and each one's largest converging lr refined by bisection
  (:mod:`experiments.named.ahb_lr`, run by :func:`search`); ``ahb_more_robust`` compares the
  bisected edges. (The lr is the swept variable here, so nothing is tuned.)
* ``ahb_controls`` (seed 001, ahb-faster): AdaptiveHB's momentum β_k on the minibatch MLP,
  and AdaptiveHB and heavy ball at their tuned lrs with the one option changed to full-batch
  gradients (the secant h_k of a minibatch run mixes two minibatches' gradients), on the
  first :data:`CONTROL_SEEDS` evaluation seeds.
* ``stepsize_range`` (seed 003): at the end of the logistic-regression evaluation runs, the
  per-coordinate step multipliers (α/(1-β1^t))/(√(ŝ_t/(1-β2^t)) + ε) of Adam (ŝ = v),
  AdaBelief (ŝ = s) and Aida (ŝ = s, no outer ε) (algorithms.md §4); spread = width in
  decades of their central 90 %, per seed. The runner records iterates, not optimizer state,
  so the state is REBUILT from the run file: the gradients ∇f(x_t) at the recorded iterates
  are fed, in order, to a fresh instance of the same optimizer (the state of these rules
  depends on the gradients only, so it equals the run's state exactly).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
import torch

from experiments import metrics
from experiments.measurements.empirical import (
    AhbControls,
    DemonRobustness,
    DemonSweep,
    EmpiricalMetrics,
    Faster,
    FinalLoss,
    RosenbrockLoss,
    StepsizeRange,
    StepsizeSpread,
    TunedLr,
)
from experiments.named import ahb_lr, tuning
from experiments.named.common import (
    Scale,
    check_scale,
    envelope,
    finite_list,
    finite_or_none,
    load_records,
    resolve_scale,
)
from experiments.optimizers import RunOptimizer, package_optimizers, registry
from experiments.problems import make_problem
from experiments.records import RunRecord
from experiments.spec import RunSpec
from experiments.store import ResultStore

NAME = "empirical"
DESCRIPTION = "Rosenbrock, logistic regression, digits MLP; Demon, AdaptiveHB and Aida claims"

MLP_PARAMS: dict[str, Any] = {"hidden": 32, "batch_size": 128}
#: minibatch losses are noisy: the "final" loss of a stochastic run is the mean of its last
#: TAIL_FRACTION of steps (one step for deterministic problems)
TAIL_FRACTION = 0.1
BASELINES = ("Adam", "AMSGrad", "SGD", "HeavyBall")


def labels() -> tuple[str, ...]:
    """Every built-in optimizer (``dwmgrad.registry.OPTIMIZERS``, in order), DWMGrad's
    loss-decrease window rule right after DWMGrad, then the torch baselines."""
    out: list[str] = []
    for name in package_optimizers():
        out += [name, f"{name}:loss_decrease"] if name == "DWMGrad" else [name]
    return (*out, *BASELINES)


TUNED = ("DWMGrad", "AdaBelief", "Aida", "DemonAdam", "AdaptiveHB", "Adam", "SGD", "HeavyBall")
"""The labels whose lr is tuned: every optimizer a claim compares, and SGD (adaptive heavy
ball's control); the others run at their default lr (shown, compared by no claim: the
tuning runs are the experiment's main cost)."""
#: problem label -> (problem, params, adaptive lr, SGD-type lr, threshold on f - f*); the two
#: lrs are the centres of the tuning grids (:func:`experiments.named.tuning.grid`)
PROBLEM_SETUPS: dict[str, tuple[str, dict[str, Any], float, float, float]] = {
    "rosenbrock_authors": ("rosenbrock", {"start": "authors", "start_noise": 0.01},
                           1e-2, 2e-4, 1e-3),
    "rosenbrock_standard": ("rosenbrock", {"start": "standard", "start_noise": 0.01},
                            1e-2, 2e-4, 1e-3),
    "logistic": ("logistic", {"start_scale": 0.1}, 1e-2, 0.1, 1e-3),
    "mlp": ("digits_mlp", MLP_PARAMS, 1e-2, 0.1, 0.3),
}
HORIZON: dict[Scale, dict[str, int]] = {
    "quick": {"rosenbrock_authors": 1000, "rosenbrock_standard": 1000, "logistic": 400,
              "mlp": 200},
    "full": {"rosenbrock_authors": 10000, "rosenbrock_standard": 10000, "logistic": 3000,
             "mlp": 2000},
}
#: the evaluation seeds (disjoint from :data:`experiments.named.tuning.TUNING_SEEDS`)
SEEDS: dict[Scale, tuple[int, ...]] = {"quick": tuple(range(10)), "full": tuple(range(20))}
DEMON_BETAS = (0.5, 0.7, 0.9, 0.95, 0.99)
DEMON_LR = 0.05
"""The centre of the momentum sweep's lr grid."""
DEMON_TUNING_BETA = 0.9
"""Each method of the momentum sweep is tuned at this beta (beta_init for Demon)."""
#: label -> (optimizer, lr schedule) of the momentum-robustness sweep
DEMON_BASELINES: dict[str, tuple[str, str]] = {"DemonSGD": ("DemonSGD", "constant"),
                                               "HeavyBall": ("HeavyBall", "constant"),
                                               "HeavyBall (lr decay)": ("HeavyBall", "inv_sqrt")}
AHB_CONTROLS = ("AdaptiveHB", "HeavyBall")
"""Run again on the MLP with full-batch gradients, each at its tuned minibatch lr."""
CONTROL_SEEDS: dict[Scale, int] = {"quick": 5, "full": 20}
"""How many of the evaluation seeds the full-batch controls run on (a full-batch MLP step
costs 14 minibatch steps)."""
STEPSIZE_OPTIMIZERS = ("Adam", "AdaBelief", "Aida")
#: problem label -> start as the report's Rosenbrock-paths panels name it; these runs record x
ROSENBROCK_STARTS = {"rosenbrock_authors": "(1, 2)", "rosenbrock_standard": "(-1.2, 1)"}
#: at most this many points of each recorded path go into the measurement (first and last kept)
PATH_POINTS = 400
#: at most this many log-spaced steps of every seed's curve go into the measurement
CURVE_POINTS = 64


def optimizer_of(label: str) -> tuple[str, dict[str, Any]]:
    name, _, rule = label.partition(":")
    return name, ({"window_rule": rule} if rule else {})


def _recorded(label: str, problem_label: str) -> tuple[str, ...]:
    """What an evaluation run records: Rosenbrock's paths, the iterates the step-size
    spreads are rebuilt from, adaptive heavy ball's momentum on the MLP."""
    if problem_label in ROSENBROCK_STARTS:
        return ("x",)
    if problem_label == "logistic" and label in STEPSIZE_OPTIMIZERS:
        return ("x",)
    if problem_label == "mlp" and label == "AdaptiveHB":
        return ("momentum",)
    return ()


def problem_spec(label: str, problem_label: str, scale: Scale) -> RunSpec:
    """``label`` on ``problem_label`` at its default (grid-centre) lr, on the evaluation seeds."""
    problem, params, lr_adaptive, lr_sgd, _ = PROBLEM_SETUPS[problem_label]
    name, extra = optimizer_of(label)
    hyper = {"lr": lr_sgd if registry()[name].step_kind == "gradient" else lr_adaptive, **extra}
    if name == "HeavyBall":
        hyper["momentum"] = 0.9
    return RunSpec(experiment=NAME, problem=problem, problem_params=params, optimizer=name,
                   hyperparameters=hyper, seeds=SEEDS[scale],
                   horizon=HORIZON[scale][problem_label],
                   record=_recorded(label, problem_label))


def demon_spec(label: str, beta: float, scale: Scale) -> RunSpec:
    """A momentum-sweep run at the sweep's default lr, on the evaluation seeds."""
    name, schedule = DEMON_BASELINES[label]
    hyper: dict[str, Any] = {"lr": DEMON_LR, "momentum": beta}
    if schedule != "constant":
        hyper["lr_schedule"] = schedule
    return RunSpec(experiment=NAME, problem="digits_mlp", problem_params=MLP_PARAMS,
                   optimizer=name, hyperparameters=hyper,
                   seeds=SEEDS[scale], horizon=HORIZON[scale]["mlp"])


def _tuned_bases(scale: Scale) -> list[RunSpec]:
    """Every run whose lr is tuned, at its default lr: the problem runs and the momentum
    sweep's runs at :data:`DEMON_TUNING_BETA`."""
    tuning.check_disjoint(SEEDS[scale], scale)
    return ([problem_spec(label, p, scale) for p in PROBLEM_SETUPS for label in TUNED]
            + [demon_spec(n, DEMON_TUNING_BETA, scale) for n in DEMON_BASELINES])


def specs(scale: Scale) -> list[RunSpec]:
    """The static runs: every tuning run and the learning-rate sweep (the evaluation runs
    depend on the tuning runs' results: :func:`search`)."""
    check_scale(scale)
    out = [t for base in _tuned_bases(scale) for t in tuning.tuning_specs(base, scale)]
    out += ahb_lr.grid_specs(NAME, SEEDS[scale], HORIZON[scale]["logistic"])
    return out


def final_by_seed(record: RunRecord) -> np.ndarray:
    """Each seed's final f - f* (the loss where f* is unknown; the mean of the last
    TAIL_FRACTION of steps on a stochastic problem); NaN where a seed diverged
    (``metrics.diverged_steps``: non-finite, or blown up)."""
    gap = _gap(record)
    tail = max(1, int(TAIL_FRACTION * gap.shape[1])) if record.info.get("f_star") is None else 1
    return np.where(metrics.diverged_steps(gap) > 0, np.nan, gap[:, -tail:].mean(axis=1))


def tuned_lrs(store: ResultStore, scale: Scale) -> dict[RunSpec, TunedLr]:
    """The lr chosen for each of :func:`_tuned_bases` (in that order) from its stored tuning
    runs (the grid and its extensions)."""
    bases = _tuned_bases(scale)
    tuned = tuning.tune(bases, scale, lambda specs: [final_by_seed(r)
                                                     for r in load_records(store, specs)])
    return dict(zip(bases, tuned, strict=True))


def _evaluated(tuned_by_base: dict[RunSpec, TunedLr], label: str, problem_label: str,
               scale: Scale) -> tuple[RunSpec, TunedLr | None]:
    base = problem_spec(label, problem_label, scale)
    if label not in TUNED:
        return base, None
    tuned = tuned_by_base[base]
    return tuning.with_lr(base, tuned.chosen_lr, base.seeds), tuned


def _control_spec(evaluation: RunSpec, scale: Scale) -> RunSpec:
    """``evaluation`` (an MLP run) with the one option changed to full-batch gradients, on
    the first :data:`CONTROL_SEEDS` evaluation seeds."""
    return evaluation.with_changes(problem_params={**MLP_PARAMS, "batch_size": 0},
                                   seeds=evaluation.seeds[:CONTROL_SEEDS[scale]],
                                   record=("momentum",) if evaluation.optimizer == "AdaptiveHB"
                                   else ())


def evaluation_plan(store: ResultStore, scale: Scale) -> dict[str, Any]:
    """The evaluation specs at the tuned lrs (and their :class:`TunedLr`), from the stored
    tuning runs: ``problems[p][label]``, ``demon[label][beta]``, ``controls[name]``, and
    ``tuned[base]`` (:func:`tuned_lrs`)."""
    tuned_by_base = tuned_lrs(store, scale)
    problems = {p: {label: _evaluated(tuned_by_base, label, p, scale) for label in labels()}
                for p in PROBLEM_SETUPS}
    demon: dict[str, dict[float, tuple[RunSpec, TunedLr]]] = {}
    for label in DEMON_BASELINES:
        tuned = tuned_by_base[demon_spec(label, DEMON_TUNING_BETA, scale)]
        demon[label] = {b: (tuning.with_lr(demon_spec(label, b, scale), tuned.chosen_lr,
                                           SEEDS[scale]), tuned) for b in DEMON_BETAS}
    controls = {n: (_control_spec(problems["mlp"][n][0], scale), problems["mlp"][n][1])
                for n in AHB_CONTROLS}
    return {"problems": problems, "demon": demon, "controls": controls,
            "tuned": tuned_by_base}


def evaluation_specs(store: ResultStore, scale: Scale) -> list[RunSpec]:
    plan = evaluation_plan(store, scale)
    out = [spec for per in plan["problems"].values() for spec, _ in per.values()]
    out += [spec for per in plan["demon"].values() for spec, _ in per.values()]
    return out + [spec for spec, _ in plan["controls"].values()]


def search(store: ResultStore, scale: str, run: ahb_lr.Run) -> None:
    """The adaptive part: the tuning grids' extensions past an edge (:func:`tuning.tune`;
    one round's added lrs of every base asked for in one batch, which ``run`` may hand to a
    process pool), the evaluation specs at the lrs the tuning runs choose, then the bisection of the
    learning-rate edges (:mod:`.ahb_lr`)."""
    chosen = check_scale(scale)
    tuning.tune(_tuned_bases(chosen), chosen,
                lambda specs: [final_by_seed(r) for r in run(specs)])
    run(evaluation_specs(store, chosen))
    ahb_lr.search(NAME, store, SEEDS[chosen], HORIZON[chosen]["logistic"], run)


def _gap(record: RunRecord) -> np.ndarray:
    """f(x_t) - f* where the run's problem knows f*, else the loss; (seeds, T)."""
    f_star = record.info.get("f_star")
    return record.losses if f_star is None else metrics.suboptimality(record.losses, f_star)


def _final(gap: np.ndarray, finals: np.ndarray) -> dict[str, Any]:
    """The FinalLoss fields of one run (``gap``: (seeds, T); ``finals``: each seed's final
    value): all None, with the count of diverged seeds and the step the first diverged at,
    when a seed diverged (``metrics.diverged_steps``)."""
    diverged = metrics.diverged_steps(gap)
    if np.any(diverged > 0):
        return {"final_loss_median": None, "ci_low": None, "ci_high": None, "n_samples": None,
                "diverged_seeds": int(np.sum(diverged > 0)),
                "diverged_at_step": int(diverged[diverged > 0].min())}
    ci = metrics.bootstrap_ci(finals)
    return {"final_loss_median": ci.estimate, "ci_low": ci.ci_low, "ci_high": ci.ci_high,
            "n_samples": int(ci.n_samples), "diverged_seeds": 0, "diverged_at_step": None}


def final_loss(record: RunRecord, threshold: float, tuned: TunedLr | None) -> FinalLoss:
    """One evaluation run's :class:`FinalLoss` (per seed and summarised)."""
    gap = _gap(record)
    finals = final_by_seed(record)
    hit = metrics.steps_to_threshold(np.nan_to_num(gap, nan=np.inf), threshold)
    steps = [int(h) + 1 if h >= 0 else None for h in hit]
    reached = [s for s in steps if s is not None]
    return FinalLoss(**_final(gap, finals),
                     steps_to_threshold_median=(float(np.median(reached))
                                                if len(reached) == len(steps) else None),
                     threshold=threshold, seeds=tuple(int(s) for s in record.spec.seeds),
                     final_by_seed=tuple(finite_list(finals)), steps_by_seed=tuple(steps),
                     horizon=int(record.spec.horizon),
                     lr=float(record.spec.hyperparameters["lr"]), tuned=tuned)


def seed_curves(record: RunRecord) -> dict[str, Any]:
    """Every seed's f - f* at up to :data:`CURVE_POINTS` log-spaced steps (1-based)."""
    gap = _gap(record)
    keep = np.unique(np.geomspace(1, gap.shape[1], min(CURVE_POINTS, gap.shape[1]))
                     .round().astype(int)) - 1
    return {"steps": [int(k) + 1 for k in keep],
            "per_seed": [finite_list(row[keep]) for row in gap]}


def _problem_block(store: ResultStore, problem_label: str,
                   planned: dict[str, tuple[RunSpec, TunedLr | None]]
                   ) -> tuple[dict[str, FinalLoss], dict[str, Any], list[RunRecord]]:
    threshold = PROBLEM_SETUPS[problem_label][4]
    records = load_records(store, [planned[label][0] for label in labels()])
    out = {label: final_loss(record, threshold, planned[label][1])
           for label, record in zip(labels(), records, strict=True)}
    steps = {label: out[label].steps_to_threshold_median for label in labels()}
    curves = {label: seed_curves(record) for label, record in zip(labels(), records, strict=True)}
    return out, {"steps": steps, "curves": curves}, records


def rosenbrock_path(record: RunRecord) -> dict[str, list[float | None]]:
    """Seed 0's (first seed's) iterates x_t, thinned to at most PATH_POINTS evenly spaced steps
    (first and last kept); steps after a divergence are None."""
    xs = record.vector("x")[0]                                               # (T, 2)
    keep = np.unique(np.linspace(0, xs.shape[0] - 1, min(PATH_POINTS, xs.shape[0]))
                     .round().astype(int))
    return {"x": finite_list(xs[keep, 0]), "y": finite_list(xs[keep, 1])}


def _rank(steps: dict[str, float | None], label: str) -> int | None:
    """1-based rank of ``label`` by steps to threshold (None when it never got there)."""
    mine = steps.get(label)
    if mine is None:
        return None
    return 1 + sum(1 for v in steps.values() if v is not None and v < mine)


def _spread(medians: list[float | None]) -> float:
    if any(m is None or m <= 0 for m in medians):
        return float("inf")
    values = np.array(medians, dtype=float)
    return float(np.log10(values.max() / values.min()))


def spread_ci(finals: np.ndarray, n_boot: int = metrics.DEFAULT_BOOTSTRAP,
              level: float = metrics.DEFAULT_LEVEL, seed: int = 0) -> tuple[float, float]:
    """Bootstrap interval (``level``, percentile) of the log10 spread of per-β medians:
    ``finals`` is (β, seeds), the seeds resampled jointly across β (paired runs); a diverged
    value (non-finite: nan counts as inf) enters the medians as inf, and a resample whose
    medians are not all finite and positive has an infinite spread."""
    finals = np.where(np.isfinite(finals), finals, np.inf)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, finals.shape[1], (n_boot, finals.shape[1]))
    medians = np.median(finals[:, picks], axis=-1)                            # (β, n_boot)
    with np.errstate(invalid="ignore", divide="ignore"):
        spreads = np.where(np.all(np.isfinite(medians) & (medians > 0), axis=0),
                           np.log10(medians.max(axis=0) / medians.min(axis=0)), np.inf)
    low, high = np.quantile(spreads, [(1 - level) / 2, (1 + level) / 2], method="inverted_cdf")
    return float(low), float(high)


def _demon(store: ResultStore, planned: dict[str, dict[float, tuple[RunSpec, TunedLr]]]
           ) -> tuple[DemonRobustness, list[RunRecord]]:
    sweeps: dict[str, DemonSweep] = {}
    records: list[RunRecord] = []
    for label in DEMON_BASELINES:
        recs = load_records(store, [planned[label][b][0] for b in DEMON_BETAS])
        records += recs
        per_seed = np.array([final_by_seed(r) for r in recs])                # (β, seeds)
        summaries = [_final(_gap(r), row) for r, row in zip(recs, per_seed, strict=True)]
        finals = [summary["final_loss_median"] for summary in summaries]
        low, high = spread_ci(per_seed)
        sweeps[label] = DemonSweep(
            tuple(finals), tuple(summary["diverged_at_step"] for summary in summaries),
            finite_or_none(_spread(finals)), finite_or_none(low),
            finite_or_none(high), int(per_seed.shape[1]),
            seeds=tuple(int(s) for s in recs[0].spec.seeds),
            final_by_beta_and_seed=tuple(tuple(finite_list(row)) for row in per_seed),
            tuned=planned[label][DEMON_BETAS[0]][1], tuned_at_beta=DEMON_TUNING_BETA)
    return DemonRobustness(betas=tuple(DEMON_BETAS), problem="digits_mlp",
                           optimizers=sweeps), records


def step_multipliers(record: RunRecord) -> np.ndarray:
    """Per-coordinate step multipliers at the end of the run, (seeds, d), rebuilt from the
    recorded iterates (see the module docstring)."""
    spec = record.spec
    problem = make_problem(spec.problem, spec.seeds, spec.problem_params)
    xs = torch.from_numpy(record.vector("x"))                                # (B, T, d)
    param = torch.zeros(xs.shape[0], xs.shape[2], dtype=torch.float64, requires_grad=True)
    optimizer = RunOptimizer(spec.optimizer, param, spec.hyperparameters, spec.horizon)
    for t in range(spec.horizon):
        param.grad = problem.grad(xs[:, t], t + 1)
        optimizer.step(problem.loss(xs[:, t], t + 1))
    state = optimizer.optimizer.state[param]
    hyper = spec.hyperparameters
    beta1, beta2 = hyper.get("betas", (0.9, 0.999))
    lr = float(hyper["lr"])
    steps = float(spec.horizon)
    if spec.optimizer == "Adam":
        s_hat, eps = state["exp_avg_sq"], float(hyper.get("eps", 1e-8))
    elif spec.optimizer == "AdaBelief":
        s_hat, eps = state["s"], float(hyper.get("eps", 1e-16))
    elif spec.optimizer == "Aida":
        s_hat, eps = state["s"], 0.0
    else:
        raise ValueError(f"no step multiplier for {spec.optimizer!r}; expected one of "
                         f"{STEPSIZE_OPTIMIZERS}")
    denom = torch.sqrt(s_hat.detach() / (1 - beta2**steps)) + eps
    return (lr / (1 - beta1**steps) / denom).numpy()


def _stepsize(records: Sequence[RunRecord]) -> tuple[StepsizeRange, dict[str, Any]]:
    """The step-size spreads of the logistic evaluation runs of :data:`STEPSIZE_OPTIMIZERS`."""
    out: dict[str, StepsizeSpread] = {}
    series: dict[str, Any] = {}
    for name, record in zip(STEPSIZE_OPTIMIZERS, records, strict=True):
        mult = step_multipliers(record)
        spreads = np.array([metrics.log10_spread(row) for row in mult])
        ci = metrics.bootstrap_ci(spreads)
        out[name] = StepsizeSpread(
            log10_spread_median=ci.estimate, ci_low=ci.ci_low, ci_high=ci.ci_high,
            n_samples=int(ci.n_samples), log10_multiplier_quantiles=tuple(np.quantile(
                np.log10(mult), [0.0, 0.05, 0.5, 0.95, 1.0]).tolist()),
            spread_by_seed=tuple(float(v) for v in spreads))
        series[name] = finite_list(np.log10(mult).ravel())
    return StepsizeRange(optimizers=out, problem="logistic (breast cancer)"), series


def momentum_median(record: RunRecord) -> float | None:
    """Median over steps after the first and over seeds of the recorded momentum (None when
    no finite value)."""
    values = record.quantity("momentum")[:, 1:]
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else None


def _controls(store: ResultStore, planned: dict[str, tuple[RunSpec, TunedLr | None]],
              minibatch: RunRecord) -> tuple[AhbControls, list[RunRecord]]:
    records = load_records(store, [planned[n][0] for n in AHB_CONTROLS])
    threshold = PROBLEM_SETUPS["mlp"][4]
    full = {n: final_loss(r, threshold, planned[n][1])
            for n, r in zip(AHB_CONTROLS, records, strict=True)}
    return AhbControls(momentum_median=momentum_median(minibatch), full_batch=full,
                       full_batch_momentum_median=momentum_median(records[0])), records


def measure(store: ResultStore, scale: str | None = None) -> dict[str, Any]:
    chosen = resolve_scale(store, specs, scale)
    plan = evaluation_plan(store, chosen)
    records: list[RunRecord] = []
    blocks, series, by_problem = {}, {}, {}
    for problem_label in PROBLEM_SETUPS:
        blocks[problem_label], series[problem_label], by_problem[problem_label] = _problem_block(
            store, problem_label, plan["problems"][problem_label])
        records += by_problem[problem_label]
    rosenbrock = {label: RosenbrockLoss(
        **asdict(blocks["rosenbrock_authors"][label]),
        by_start={"authors": blocks["rosenbrock_authors"][label],
                  "standard": blocks["rosenbrock_standard"][label]}) for label in labels()}
    faster = {p: Faster(steps_to_threshold=series[p]["steps"],
                        dwmgrad_rank=_rank(series[p]["steps"], "DWMGrad"),
                        n_optimizers=len(labels())) for p in PROBLEM_SETUPS}
    demon, demon_records = _demon(store, plan["demon"])
    ahb, ahb_records = ahb_lr.measure_block(NAME, store, SEEDS[chosen],
                                            HORIZON[chosen]["logistic"])
    logistic = dict(zip(labels(), by_problem["logistic"], strict=True))
    stepsize_records = [logistic[n] for n in STEPSIZE_OPTIMIZERS]
    stepsize, stepsize_series = _stepsize(stepsize_records)
    mlp = dict(zip(labels(), by_problem["mlp"], strict=True))
    controls, control_records = _controls(store, plan["controls"], mlp["AdaptiveHB"])
    records += demon_records + ahb_records + control_records
    tuning_records = [r for base, tuned in plan["tuned"].items()
                      for r in load_records(store, tuning.tuned_specs(base, tuned))]
    metrics_out = EmpiricalMetrics(
        rosenbrock=rosenbrock, logistic=blocks["logistic"], mlp=blocks["mlp"],
        faster_convergence=faster, demon_momentum_robustness=demon, ahb_lr_robustness=ahb,
        stepsize_range=stepsize, ahb_controls=controls)
    paths = {start: {label: rosenbrock_path(r)
                     for label, r in zip(labels(), by_problem[p], strict=True)}
             for p, start in ROSENBROCK_STARTS.items()}
    out_series = {"curves": {p: series[p]["curves"] for p in PROBLEM_SETUPS},
                  "log10_step_multipliers": stepsize_series, "rosenbrock_paths": paths}
    labelled = {"problems": {p: dict(zip(labels(), by_problem[p], strict=True))
                             for p in PROBLEM_SETUPS},
                "stepsize": dict(zip(STEPSIZE_OPTIMIZERS, stepsize_records, strict=True))}
    return envelope(NAME, chosen, records + tuning_records, metrics_out, out_series, labelled)
