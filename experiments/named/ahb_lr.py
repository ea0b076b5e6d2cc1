"""``ahb_lr_robustness`` of the ``empirical`` experiment (seed 001): how large a learning rate
AdaptiveHB and heavy ball (β = 0.9) take on a quadratic (d = 10, μ = 1, L = κ = 100).

* A coarse sweep lr·L ∈ :data:`LR_FACTORS` for both optimizers (final f - f* per lr, for the
  figure and the table).
* A run *diverged at step k* when some seed's f - f* first exceeds ``metrics.BLOWUP`` times
  its value at step 1, or is not finite, at step k (:func:`experiments.metrics.first_divergence`);
  it is *stable* when no seed diverges within the horizon T and every seed ends below its
  start (f(x_T) - f* < f(x_0) - f*: a transient growth it recovers from is allowed, one still
  above the start at T is not). It *converges* when every seed
  ends with f - f* ≤ :data:`CONVERGED` · (f(x_0) - f*) (stricter: a run can be stable and
  stall above that level, as AdaptiveHB does).
* Each edge (the largest stable lr, decisive; the largest converging lr, context) is refined
  by bisection, not read off the grid: from the largest grid lr that passes (``low``) and the
  next grid lr (``high``, which fails), the midpoint replaces ``low`` when it passes and
  ``high`` otherwise, until high - low ≤ :data:`TOLERANCE` · high. The claim compares the
  stable brackets (heavy ball's theoretical stability edge, lr·L = 2(1+β),
  :func:`theory.heavy_ball.stability_edge`, is the reference). A grid whose largest lr passes
  leaves the edge above the grid (``high`` None); one whose smallest lr fails, below it
  (``low`` None).

The bisection's runs depend on earlier results, so the experiment drives them in
:func:`search` (through the runner: every probe is a stored run) and :func:`measure_block`
replays the same bisection from the stored records alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from experiments import metrics
from experiments.measurements.empirical import AhbRobustness, AhbSweep, LrEdge
from experiments.named.common import finite_or_none, load_records
from experiments.records import RunRecord
from experiments.spec import RunSpec
from experiments.store import ResultStore

Run = Callable[[Sequence[RunSpec]], list[RunRecord]]

OPTIMIZERS = ("AdaptiveHB", "HeavyBall")
LR_FACTORS = (0.1, 0.5, 1.0, 2.0, 3.0, 4.0, 8.0)
KAPPA = 100.0
MOMENTUM = 0.9
CONVERGED = 1e-8
TOLERANCE = 0.01
"""The bisection stops when its bracket is at most this fraction of its upper end wide."""


def spec(experiment: str, name: str, factor: float, seeds: Sequence[int], horizon: int
         ) -> RunSpec:
    hyper: dict[str, Any] = {"lr": factor / KAPPA}
    if name == "HeavyBall":
        hyper["momentum"] = MOMENTUM
    return RunSpec(experiment=experiment, problem="quadratic",
                   problem_params={"d": 10, "mu": 1.0, "L": KAPPA}, optimizer=name,
                   hyperparameters=hyper, seeds=tuple(seeds), horizon=horizon)


def grid_specs(experiment: str, seeds: Sequence[int], horizon: int) -> list[RunSpec]:
    """The coarse sweep (the specs ``specs(scale)`` lists; the bisection adds its own)."""
    return [spec(experiment, n, f, seeds, horizon) for n in OPTIMIZERS for f in LR_FACTORS]


def gap(record: RunRecord) -> np.ndarray:
    """f(x_t) - f*, (seeds, T)."""
    return metrics.suboptimality(record.losses, record.info["f_star"])


def converged_seeds(record: RunRecord) -> np.ndarray:
    """Per seed: ends with f - f* ≤ CONVERGED · (f(x_0) - f*) (a diverged seed does not)."""
    values = gap(record)
    return np.isfinite(values[:, -1]) & (values[:, -1] <= CONVERGED * values[:, 0])


def converges(record: RunRecord) -> bool:
    """Every seed converges."""
    return bool(np.all(converged_seeds(record)))


def stable(record: RunRecord) -> bool:
    """No seed diverges within the horizon, and every seed ends below its start."""
    values = gap(record)
    return metrics.first_divergence(values) is None and bool(
        np.all(values[:, -1] < values[:, 0]))


Criterion = Callable[[RunRecord], bool]
CRITERIA: dict[str, Criterion] = {"stable": stable, "converging": converges}
"""The two edges: the largest stable lr (decisive) and the largest converging lr."""


def first_bracket(grid: Sequence[float], converged: Sequence[bool]
                  ) -> tuple[float | None, float | None]:
    """(largest converging grid lr·L, the next grid lr·L above it); None for a missing end."""
    ok = [f for f, c in zip(grid, converged, strict=True) if c]
    if not ok:
        return None, min(grid)
    low = max(ok)
    above = [f for f in grid if f > low]
    return low, (min(above) if above else None)


def refining(low: float | None, high: float | None) -> bool:
    """The bracket is closed and wider than TOLERANCE · high: bisect it."""
    return low is not None and high is not None and high - low > TOLERANCE * high


Edges = dict[str, tuple[float | None, float | None, list[tuple[float, RunRecord]]]]


def bisect(experiment: str, grid: dict[str, list[RunRecord]], seeds: Sequence[int],
           horizon: int, fetch: Run, passes: Criterion) -> Edges:
    """name -> (low, high, probes): the bisection of every optimizer's edge of ``passes``
    from its coarse sweep ``grid`` (records in LR_FACTORS order); ``fetch`` runs (or loads)
    the probes of every optimizer still refining, one round at a time."""
    out: Edges = {name: (*first_bracket(LR_FACTORS, [passes(r) for r in records]), [])
                  for name, records in grid.items()}
    while True:
        todo = {name: (low + high) / 2 for name, (low, high, _) in out.items()
                if low is not None and high is not None and refining(low, high)}
        if not todo:
            return out
        records = fetch([spec(experiment, n, f, seeds, horizon) for n, f in todo.items()])
        for (name, factor), record in zip(todo.items(), records, strict=True):
            low, high, probes = out[name]
            probes.append((factor, record))
            out[name] = (factor, high, probes) if passes(record) else (low, factor, probes)


def search(experiment: str, store: ResultStore, seeds: Sequence[int], horizon: int,
           run: Run) -> None:
    """Run the bisections' probes (the coarse sweep is already stored)."""
    grid = {n: load_records(store, [spec(experiment, n, f, seeds, horizon)
                                    for f in LR_FACTORS]) for n in OPTIMIZERS}
    for passes in CRITERIA.values():
        bisect(experiment, grid, seeds, horizon, run, passes)


def _final(record: RunRecord) -> tuple[float | None, int | None]:
    """(median final f - f* over seeds, None when the run diverged; the divergence step)."""
    values = gap(record)
    step = metrics.first_divergence(values)
    return (None if step is not None else finite_or_none(float(np.median(values[:, -1]))),
            step)


def edge(bisected: tuple[float | None, float | None, list[tuple[float, RunRecord]]],
         passes: Criterion) -> LrEdge:
    low, high, probes = bisected
    finals = [_final(r) for _, r in probes]
    return LrEdge(low=low, high=high, probe_lr_over_L=tuple(f for f, _ in probes),
                  probe_passed=tuple(passes(r) for _, r in probes),
                  probe_final_gap=tuple(f for f, _ in finals),
                  probe_diverged_at_step=tuple(s for _, s in finals))


def measure_block(experiment: str, store: ResultStore, seeds: Sequence[int], horizon: int
                  ) -> tuple[AhbRobustness, list[RunRecord]]:
    """The typed record from the stored sweep and probes (FileNotFoundError naming the first
    missing run when the search has not run)."""
    grid = {n: load_records(store, [spec(experiment, n, f, seeds, horizon)
                                    for f in LR_FACTORS]) for n in OPTIMIZERS}

    def stored(specs: Sequence[RunSpec]) -> list[RunRecord]:
        return load_records(store, specs)

    edges = {key: bisect(experiment, grid, seeds, horizon, stored, passes)
             for key, passes in CRITERIA.items()}
    sweeps: dict[str, AhbSweep] = {}
    records: dict[RunSpec, RunRecord] = {}          # a probe both bisections ran, once
    for name, recs in grid.items():
        records |= {r.spec: r for r in recs}
        records |= {r.spec: r for key in CRITERIA for _, r in edges[key][name][2]}
        finals = [_final(r) for r in recs]
        converged = [float(np.mean(converged_seeds(r))) for r in recs]
        sweeps[name] = AhbSweep(
            final_gap_by_lr=tuple(f for f, _ in finals),
            fraction_converged_by_lr=tuple(converged),
            diverged_at_step_by_lr=tuple(s for _, s in finals),
            n_lr_converged=sum(c == 1.0 for c in converged),
            largest_converging_lr_over_L=max(
                (f for f, c in zip(LR_FACTORS, converged, strict=True) if c == 1.0),
                default=None),
            stable_edge=edge(edges["stable"][name], stable),
            converging_edge=edge(edges["converging"][name], converges))
    ahb, hb = sweeps["AdaptiveHB"].stable_edge, sweeps["HeavyBall"].stable_edge
    return AhbRobustness(
        lr_over_L=LR_FACTORS, problem=f"quadratic kappa={KAPPA:g}",
        heavy_ball_momentum=MOMENTUM, optimizers=sweeps, converged_below=CONVERGED,
        blowup=metrics.BLOWUP, tolerance=TOLERANCE, horizon=horizon,
        ahb_more_robust=bool(ahb.low is not None and hb.high is not None
                             and ahb.low > hb.high)), list(records.values())
