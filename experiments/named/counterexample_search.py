"""``counterexample_search``: loss sequences on which an optimizer's average regret does not vanish.

For every optimizer (the package's seven, the analysed DWMGrad, Adam and AMSGrad; settings of
:mod:`experiments.named.online`), a random search over the periodic online family of
:class:`~experiments.problems.periodic.PeriodicOnline` (linear and quadratic losses on [-1, 1];
periods, spike phases, magnitudes, offsets, signs): candidate ``i`` is
``periodic.candidate(i, "mixed")``, and all candidates of one optimizer run as ONE batched run
(one instance per seed = candidate) of horizon 100·T0. The search is a fixed population (no
adaptive refinement: a run is a pure function of a static spec list); the same seed is the
same sequence for every optimizer.

Criterion (precise): with r(T) = R_T / T, a candidate is a counterexample when
r(T0) > 0, r(10·T0) > ½ r(T0) and r(100·T0) > ½ r(T0). An O(√T) regret gives
r(10·T0)/r(T0) ≈ 0.32 and r(100·T0)/r(T0) ≈ 0.1, so it fails the test; a linear regret passes.
Candidates are ranked by r(100·T0)/(G∞·D∞) (scale-free); ``found`` is True when at least one
candidate is a counterexample, and the best one is saved as a replayable JSON
(``measurements/counterexamples/<optimizer>.json``; :func:`replay` reruns it).

``adam_reddi_type_candidates``: the counterexamples of Adam (α/√t, β = (0.9, 0.99)) that are
linear games of Reddi et al.'s type (rare large spikes against frequent small opposite
gradients, comparator at a corner) on which Adam's r(100·T0) is at least half of the cost of
sitting at the wrong corner, 2|Σ_period b_t|/p (Reddi, Kale, Kumar, ICLR 2018, Theorem 1 and
§5), each with AMSGrad's result on the same sequence. ``adam_rediscovered``: one of them also
separates Adam from AMSGrad, i.e. AMSGrad (which converges on such games) is not a
counterexample on it. The test is on a finite
horizon: AMSGrad's slow transient can pass it on the same sequence, and then the search has
found Adam stuck but has not shown that it can tell a failing method from a slow one.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from experiments import metrics
from experiments.named import online
from experiments.named.common import (
    Scale,
    check_scale,
    envelope,
    finite_list,
    load_records,
    resolve_scale,
)
from experiments.problems import make_problem
from experiments.problems.periodic import PeriodicOnline, validate_sequence
from experiments.records import RunRecord
from experiments.runner import run_spec
from experiments.spec import RunSpec
from experiments.store import ResultStore, atomic_write_json
from theory.dwmgrad import regret_bound

NAME = "counterexample_search"
DESCRIPTION = "Random search of periodic online games for non-vanishing average regret"
T0: dict[Scale, int] = {"quick": 50, "full": 500}
CANDIDATES: dict[Scale, int] = {"quick": 48, "full": 256}
MAX_PERIOD: dict[Scale, int] = {"quick": 40, "full": 200}
SPACE = "mixed"
RATIO = 0.5
WRONG_CORNER_FRACTION = 0.5


def settings() -> dict[str, tuple[str, dict[str, Any]]]:
    return online.all_settings((0.9, 0.99))


def search_spec(label: str, scale: Scale) -> RunSpec:
    optimizer, hyper = settings()[label]
    return RunSpec(experiment=NAME, problem="periodic_online",
                   problem_params={"space": SPACE, "max_period": MAX_PERIOD[scale]},
                   optimizer=optimizer, hyperparameters=hyper,
                   seeds=tuple(range(CANDIDATES[scale])), horizon=100 * T0[scale])


def specs(scale: Scale) -> list[RunSpec]:
    check_scale(scale)
    return [search_spec(label, scale) for label in settings()]


def average_regret(record: RunRecord) -> tuple[PeriodicOnline, np.ndarray]:
    """The run's problem (rebuilt from its spec, nothing is run) and r(t) = R_t/t, (B, T)."""
    spec = record.spec
    problem = make_problem(spec.problem, spec.seeds, spec.problem_params)
    assert isinstance(problem, PeriodicOnline)
    regret = metrics.regret(record.losses, problem.comparator_prefix(spec.horizon))
    return problem, regret / np.arange(1, spec.horizon + 1)


def is_counterexample(r0: float, r10: float, r100: float) -> bool:
    return bool(r0 > 0 and r10 > RATIO * r0 and r100 > RATIO * r0)


def wrong_corner_rate(sequence: dict[str, Any]) -> float | None:
    """Average regret per step of sitting at the corner opposite the comparator (linear games)."""
    if sequence["spike"][0] != 0 or sequence["rest"][0] != 0:
        return None
    p, n = sequence["period"], len(sequence["spikes"])
    total = n * sequence["spike"][1] + (p - n) * sequence["rest"][1]
    return 2.0 * abs(total) / p


def slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")


def replay(sequence: dict[str, Any], optimizer: str, T: int,
           hyperparameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """Rerun ``optimizer`` (a label of :func:`settings` or a runner optimizer name with
    ``hyperparameters``) on one saved ``sequence`` for T steps; returns R_T/T at T, T/10, T/100.
    """
    if optimizer in settings() and hyperparameters is None:
        name, hyper = settings()[optimizer]
    else:
        name, hyper = optimizer, dict(hyperparameters or {})
    spec = RunSpec(experiment=f"{NAME}_replay", problem="periodic_online",
                   problem_params={"sequence": validate_sequence(sequence)}, optimizer=name,
                   hyperparameters=hyper, seeds=(0,), horizon=int(T), record=("x",))
    record = run_spec(spec)
    _, r = average_regret(record)
    points = sorted({max(1, T // 100), max(1, T // 10), T})
    return {"avg_regret_by_T": {str(t): float(r[0, t - 1]) for t in points},
            "final_x": float(record.vector("x")[0, -1, 0]), "status": record.status}


def _analyse(label: str, record: RunRecord, t0: int, replay_dir: str,
             store: ResultStore) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """(public result, counterexample mask (B,), r(100 T0) (B,)) of one optimizer's search."""
    problem, r = average_regret(record)
    r0, r10, r100 = r[:, t0 - 1], r[:, 10 * t0 - 1], r[:, 100 * t0 - 1]
    # each candidate's own gradient bound on the box
    g = np.array([max(abs(c[0]) + abs(c[1]) for c in (s["spike"], s["rest"]))
                  for s in problem.sequences])
    score = r100 / (g * problem.D_inf)
    found_mask = np.array([is_counterexample(a, b, c) for a, b, c in zip(r0, r10, r100,
                                                                          strict=True)])
    ranked = np.where(found_mask, score, -np.inf) if found_mask.any() else score
    best = int(np.nanargmax(np.where(np.isfinite(ranked), ranked, -np.inf)))
    sequence = problem.sequences[best]
    by_T = {str(t0): float(r0[best]), str(10 * t0): float(r10[best]),
            str(100 * t0): float(r100[best])}
    path = f"{replay_dir}/{slug(label)}.json"
    optimizer, hyper = record.spec.optimizer, dict(record.spec.hyperparameters)
    atomic_write_json(store.root / path, {
        "optimizer": label, "runner_optimizer": optimizer, "hyperparameters": hyper,
        "problem": "periodic_online", "sequence": sequence, "avg_regret_by_T": by_T,
        "counterexample": bool(found_mask[best]),
        "replay": ("from experiments.named.counterexample_search import replay; "
                   f"replay(sequence, {optimizer!r}, {100 * t0}, hyperparameters)"),
    })
    result = {
        "found": bool(found_mask.any()),
        "n_found": int(found_mask.sum()),
        "n_candidates": int(r.shape[0]),
        "avg_regret_by_T": by_T,
        "normalised_avg_regret": float(score[best]),
        "sequence": sequence,
        "candidate_seed": int(record.spec.seeds[best]),
        "wrong_corner_rate": wrong_corner_rate(sequence),
        "replay": path,
    }
    if label == online.ANALYSED:
        bound = _analysed_bound(record, g[best], 100 * t0)
        regret = float(r100[best] * 100 * t0)
        result.update({"bound_at_100T0": bound, "regret_at_100T0": regret,
                       "consistent_with_bound": bool(regret <= bound)})
    return result, found_mask, r100


def _analysed_bound(record: RunRecord, g_inf: float, T: int) -> float:
    """theory.dwmgrad.regret_bound for the analysed DWMGrad on one candidate (d = 1, D = 2)."""
    hyper = record.spec.hyperparameters
    return regret_bound(T, 1, 2.0, float(g_inf), lr=float(hyper["lr"]),
                        momentum=float(hyper.get("momentum", 0.9)),
                        eps=float(hyper.get("eps", 1e-8)),
                        max_window=float(hyper.get("max_window", 10)),
                        momentum_decay=float(hyper["momentum_decay"]))


def reddi_type(sequence: dict[str, Any], rate: float) -> bool:
    """A linear game on which the average regret is at least half the wrong corner's."""
    wrong = wrong_corner_rate(sequence)
    return wrong is not None and rate >= WRONG_CORNER_FRACTION * wrong


def measure(store: ResultStore, scale: str | None = None) -> dict[str, Any]:
    chosen = resolve_scale(store, specs, scale)
    t0 = T0[chosen]
    labels = list(settings())
    records = load_records(store, [search_spec(label, chosen) for label in labels])
    replay_dir = "measurements/counterexamples"
    analysed = {label: _analyse(label, rec, t0, replay_dir, store)
                for label, rec in zip(labels, records, strict=True)}
    results = {label: a[0] for label, a in analysed.items()}
    series = {"avg_regret_at_100T0": {label: finite_list(a[2]) for label, a in analysed.items()},
              "T": [t0, 10 * t0, 100 * t0]}
    _, adam_found, adam_r = analysed["Adam"]
    sequences = make_problem("periodic_online", records[0].spec.seeds,
                             records[0].spec.problem_params).sequences  # type: ignore[attr-defined]
    reddi_seeds = [int(i) for i in np.flatnonzero(adam_found)
                   if reddi_type(sequences[i], float(adam_r[i]))]
    metrics_out: dict[str, Any] = dict(results)
    amsgrad_found = analysed["AMSGrad"][1]
    metrics_out["adam_rediscovered"] = any(not amsgrad_found[i] for i in reddi_seeds)
    metrics_out["adam_reddi_type_candidates"] = [
        {"candidate_seed": i, "sequence": sequences[i], "adam_avg_regret": float(adam_r[i]),
         "wrong_corner_rate": wrong_corner_rate(sequences[i]),
         "amsgrad_counterexample": bool(amsgrad_found[i]),
         "amsgrad_avg_regret": float(analysed["AMSGrad"][2][i])}
        for i in reddi_seeds
    ]
    metrics_out["criterion"] = {
        "T0": t0, "ratio": RATIO,
        "rule": "r(T0) > 0 and r(10 T0) > ratio*r(T0) and r(100 T0) > ratio*r(T0), "
                "r(T) = R_T/T",
        "adam_rule": "some Adam counterexample is linear with r(100 T0) >= "
                     f"{WRONG_CORNER_FRACTION} * 2|sum_period b|/p (Adam at the wrong corner) "
                     "and AMSGrad is not a counterexample on it",
        "note": "finite-horizon test: a method whose regret is sublinear but whose transient "
                "outlasts 100 T0 (e.g. AMSGrad with a large max second moment) also passes",
    }
    return envelope(NAME, chosen, records, metrics_out, series,
                    dict(zip(labels, records, strict=True)))
