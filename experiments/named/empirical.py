"""``empirical``: the seeds' empirical claims at small scale, over seeds, with intervals.

* Rosenbrock (the authors' start (1, 2) and the standard (-1.2, 1), start noise 0.01 per
  seed), ℓ2-logistic regression on breast cancer (random start) and the digits MLP
  (minibatches of 128, random init per seed), for every optimizer: final f - f* (for the MLP
  the minibatch loss averaged over the last 10 % of steps), median
  with a 90 % bootstrap interval over seeds, and the steps to reach a threshold
  (``faster_convergence``: DWMGrad's rank among all optimizers, seed 000's claim). The
  Rosenbrock runs record their iterates; series ``rosenbrock_paths.<start>.<label> = {x, y}``
  is seed 0's path per optimizer, thinned to at most ``PATH_POINTS`` points.
* ``demon_momentum_robustness`` (seed 002): final MLP loss across β_init ∈
  {0.5, 0.7, 0.9, 0.95, 0.99} for DemonSGD, for SGD with constant momentum (heavy ball) at
  the same constant lr, and for heavy ball with a decaying lr (lr/√t, the seed's comparator
  "momentum SGD with learning rate decay schedule"; :data:`DEMON_BASELINES`), on every seed of
  the scale; spread = log10(max/min) of the per-β medians (null = inf when a setting
  diverged; the step it diverged at is recorded, ``experiments.metrics.first_divergence``),
  with a 90 % bootstrap interval that resamples the seeds (the same seeds for every β:
  paired), ``log10_spread_ci``.
* ``ahb_lr_robustness`` (seed 001): final f - f* on a quadratic (d = 10, κ = 100) across
  lr ∈ {0.1, 0.5, 1, 2, 3, 4, 8}/L for AdaptiveHB and heavy ball with β = 0.9 (stable for
  lr < 2(1+β)/L = 3.8/L), and each one's largest converging lr refined by bisection
  (:mod:`experiments.named.ahb_lr`, run by :func:`search`); ``ahb_more_robust`` compares the
  bisected edges.
* ``stepsize_range`` (seed 003): at the end of a logistic-regression run, the per-coordinate
  step multipliers (α/(1-β1^t))/(√(ŝ_t/(1-β2^t)) + ε) of Adam (ŝ = v), AdaBelief (ŝ = s) and
  Aida (ŝ = s, no outer ε) (algorithms.md §4); spread = width in decades of their central
  90 %. The runner records iterates, not optimizer state, so the state is REBUILT from the run
  file: the gradients ∇f(x_t) at the recorded iterates are fed, in order, to a fresh instance
  of the same optimizer (the state of these rules depends on the gradients only, so it equals
  the run's state exactly).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import torch

from experiments import metrics
from experiments.measurements.empirical import (
    DemonRobustness,
    DemonSweep,
    EmpiricalMetrics,
    Faster,
    FinalLoss,
    RosenbrockLoss,
    StepsizeRange,
    StepsizeSpread,
)
from experiments.named import ahb_lr
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


#: problem label -> (problem, params, adaptive lr, SGD-type lr, threshold on f - f*)
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
SEEDS: dict[Scale, tuple[int, ...]] = {"quick": (0, 1, 2, 3, 4), "full": tuple(range(20))}
DEMON_BETAS = (0.5, 0.7, 0.9, 0.95, 0.99)
DEMON_LR = 0.05
#: label -> (optimizer, lr schedule) of the momentum-robustness sweep
DEMON_BASELINES: dict[str, tuple[str, str]] = {"DemonSGD": ("DemonSGD", "constant"),
                                               "HeavyBall": ("HeavyBall", "constant"),
                                               "HeavyBall (lr decay)": ("HeavyBall", "inv_sqrt")}
STEPSIZE_OPTIMIZERS = ("Adam", "AdaBelief", "Aida")
#: problem label -> start as the report's Rosenbrock-paths panels name it; these runs record x
ROSENBROCK_STARTS = {"rosenbrock_authors": "(1, 2)", "rosenbrock_standard": "(-1.2, 1)"}
#: at most this many points of each recorded path go into the measurement (first and last kept)
PATH_POINTS = 400


def optimizer_of(label: str) -> tuple[str, dict[str, Any]]:
    name, _, rule = label.partition(":")
    return name, ({"window_rule": rule} if rule else {})


def problem_spec(label: str, problem_label: str, scale: Scale) -> RunSpec:
    problem, params, lr_adaptive, lr_sgd, _ = PROBLEM_SETUPS[problem_label]
    name, extra = optimizer_of(label)
    hyper = {"lr": lr_sgd if registry()[name].step_kind == "gradient" else lr_adaptive, **extra}
    if name == "HeavyBall":
        hyper["momentum"] = 0.9
    return RunSpec(experiment=NAME, problem=problem, problem_params=params, optimizer=name,
                   hyperparameters=hyper, seeds=SEEDS[scale],
                   horizon=HORIZON[scale][problem_label],
                   record=("x",) if problem_label in ROSENBROCK_STARTS else ())


def demon_spec(label: str, beta: float, scale: Scale) -> RunSpec:
    name, schedule = DEMON_BASELINES[label]
    hyper: dict[str, Any] = {"lr": DEMON_LR, "momentum": beta}
    if schedule != "constant":
        hyper["lr_schedule"] = schedule
    return RunSpec(experiment=NAME, problem="digits_mlp", problem_params=MLP_PARAMS,
                   optimizer=name, hyperparameters=hyper,
                   seeds=SEEDS[scale], horizon=HORIZON[scale]["mlp"])


def stepsize_spec(name: str, scale: Scale) -> RunSpec:
    return RunSpec(experiment=NAME, problem="logistic", problem_params={"start_scale": 0.1},
                   optimizer=name, hyperparameters={"lr": 1e-2}, seeds=SEEDS[scale][:3],
                   horizon=HORIZON[scale]["logistic"], record=("x",))


def specs(scale: Scale) -> list[RunSpec]:
    check_scale(scale)
    out = [problem_spec(label, p, scale) for p in PROBLEM_SETUPS for label in labels()]
    out += [demon_spec(n, b, scale) for n in DEMON_BASELINES for b in DEMON_BETAS]
    out += ahb_lr.grid_specs(NAME, SEEDS[scale], HORIZON[scale]["logistic"])
    out += [stepsize_spec(n, scale) for n in STEPSIZE_OPTIMIZERS]
    return out


def search(store: ResultStore, scale: str, run: ahb_lr.Run) -> None:
    """The adaptive part: the bisection of the learning-rate edges (:mod:`.ahb_lr`)."""
    chosen = check_scale(scale)
    ahb_lr.search(NAME, store, SEEDS[chosen], HORIZON[chosen]["logistic"], run)


def _gap(record: RunRecord) -> np.ndarray:
    """f(x_t) - f* where the run's problem knows f*, else the loss; (seeds, T)."""
    f_star = record.info.get("f_star")
    return record.losses if f_star is None else metrics.suboptimality(record.losses, f_star)


def _final(values: np.ndarray, stochastic: bool = False) -> dict[str, Any]:
    """The FinalLoss fields of one run: all None, with the count of diverged seeds and the
    step the first diverged at, when a seed diverged (``metrics.diverged_steps``)."""
    diverged = metrics.diverged_steps(values)
    if np.any(diverged > 0):
        return {"final_loss_median": None, "ci_low": None, "ci_high": None, "n_samples": None,
                "diverged_seeds": int(np.sum(diverged > 0)),
                "diverged_at_step": int(diverged[diverged > 0].min())}
    tail = max(1, int(TAIL_FRACTION * values.shape[1])) if stochastic else 1
    ci = metrics.bootstrap_ci(values[:, -tail:].mean(axis=1))
    return {"final_loss_median": ci.estimate, "ci_low": ci.ci_low, "ci_high": ci.ci_high,
            "n_samples": int(ci.n_samples), "diverged_seeds": 0, "diverged_at_step": None}


def _problem_block(store: ResultStore, problem_label: str, scale: Scale
                   ) -> tuple[dict[str, FinalLoss], dict[str, Any], list[RunRecord]]:
    threshold = PROBLEM_SETUPS[problem_label][4]
    records = load_records(store, [problem_spec(lbl, problem_label, scale) for lbl in labels()])
    out: dict[str, FinalLoss] = {}
    steps: dict[str, float | None] = {}
    curves: dict[str, list[float | None]] = {}
    for label, record in zip(labels(), records, strict=True):
        gap = _gap(record)
        hit = metrics.steps_to_threshold(np.nan_to_num(gap, nan=np.inf), threshold)
        reached = hit[hit >= 0] + 1
        steps[label] = float(np.median(reached)) if reached.size == hit.size else None
        out[label] = FinalLoss(**_final(gap, record.info.get("f_star") is None),
                               steps_to_threshold_median=steps[label], threshold=threshold)
        curves[label] = finite_list(np.median(gap, axis=0))
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


def _demon(store: ResultStore, scale: Scale) -> tuple[DemonRobustness, list[RunRecord]]:
    sweeps: dict[str, DemonSweep] = {}
    records: list[RunRecord] = []
    for label in DEMON_BASELINES:
        recs = load_records(store, [demon_spec(label, b, scale) for b in DEMON_BETAS])
        records += recs
        summaries = [_final(_gap(r), stochastic=True) for r in recs]
        finals = [s["final_loss_median"] for s in summaries]
        steps = [s["diverged_at_step"] for s in summaries]
        tail = max(1, int(TAIL_FRACTION * recs[0].losses.shape[1]))
        per_seed = np.array([_gap(r)[:, -tail:].mean(axis=1) for r in recs])  # (β, seeds)
        low, high = spread_ci(per_seed)
        sweeps[label] = DemonSweep(tuple(finals), tuple(steps), finite_or_none(_spread(finals)),
                                   finite_or_none(low), finite_or_none(high),
                                   int(per_seed.shape[1]))
    spreads = [_spread(list(sweeps[n].final_loss_by_beta)) for n in ("DemonSGD", "HeavyBall")]
    return DemonRobustness(betas=tuple(DEMON_BETAS), lr=DEMON_LR, problem="digits_mlp",
                           optimizers=sweeps,
                           demon_more_robust=bool(spreads[0] < spreads[1])), records


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


def _stepsize(store: ResultStore, scale: Scale) -> tuple[StepsizeRange, dict[str, Any],
                                                          list[RunRecord]]:
    records = load_records(store, [stepsize_spec(n, scale) for n in STEPSIZE_OPTIMIZERS])
    out: dict[str, StepsizeSpread] = {}
    series: dict[str, Any] = {}
    for name, record in zip(STEPSIZE_OPTIMIZERS, records, strict=True):
        mult = step_multipliers(record)
        spreads = np.array([metrics.log10_spread(row) for row in mult])
        ci = metrics.bootstrap_ci(spreads)
        out[name] = StepsizeSpread(
            log10_spread_median=ci.estimate, ci_low=ci.ci_low, ci_high=ci.ci_high,
            n_samples=int(ci.n_samples), log10_multiplier_quantiles=tuple(np.quantile(
                np.log10(mult), [0.0, 0.05, 0.5, 0.95, 1.0]).tolist()))
        series[name] = finite_list(np.log10(mult).ravel())
    narrowest = out["Aida"].log10_spread_median < min(out["Adam"].log10_spread_median,
                                                      out["AdaBelief"].log10_spread_median)
    return StepsizeRange(optimizers=out, aida_narrowest=bool(narrowest),
                         problem="logistic (breast cancer)"), series, records


def measure(store: ResultStore, scale: str | None = None) -> dict[str, Any]:
    chosen = resolve_scale(store, specs, scale)
    records: list[RunRecord] = []
    blocks, series, by_problem = {}, {}, {}
    for problem_label in PROBLEM_SETUPS:
        blocks[problem_label], series[problem_label], by_problem[problem_label] = _problem_block(
            store, problem_label, chosen)
        records += by_problem[problem_label]
    rosenbrock = {label: RosenbrockLoss(
        **asdict(blocks["rosenbrock_authors"][label]),
        by_start={"authors": blocks["rosenbrock_authors"][label],
                  "standard": blocks["rosenbrock_standard"][label]}) for label in labels()}
    faster = {p: Faster(steps_to_threshold=series[p]["steps"],
                        dwmgrad_rank=_rank(series[p]["steps"], "DWMGrad"),
                        n_optimizers=len(labels())) for p in PROBLEM_SETUPS}
    demon, demon_records = _demon(store, chosen)
    ahb, ahb_records = ahb_lr.measure_block(NAME, store, SEEDS[chosen],
                                            HORIZON[chosen]["logistic"])
    stepsize, stepsize_series, stepsize_records = _stepsize(store, chosen)
    records += demon_records + ahb_records + stepsize_records
    metrics_out = EmpiricalMetrics(
        rosenbrock=rosenbrock, logistic=blocks["logistic"], mlp=blocks["mlp"],
        faster_convergence=faster, demon_momentum_robustness=demon, ahb_lr_robustness=ahb,
        stepsize_range=stepsize)
    paths = {start: {label: rosenbrock_path(r)
                     for label, r in zip(labels(), by_problem[p], strict=True)}
             for p, start in ROSENBROCK_STARTS.items()}
    out_series = {"curves": {p: series[p]["curves"] for p in PROBLEM_SETUPS},
                  "log10_step_multipliers": stepsize_series, "rosenbrock_paths": paths}
    labelled = {"problems": {p: dict(zip(labels(), by_problem[p], strict=True))
                             for p in PROBLEM_SETUPS},
                "stepsize": dict(zip(STEPSIZE_OPTIMIZERS, stepsize_records, strict=True))}
    return envelope(NAME, chosen, records, metrics_out, out_series, labelled)
