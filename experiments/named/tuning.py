"""Each optimizer at its own learning rate, tuned on seeds that are never evaluated.

A comparison of optimizers at one shared, untuned lr measures the lr as much as the
optimizers (issue 11: heavy ball's effective step lr/(1-β) is 10x plain SGD's at β = 0.9).
So for every (optimizer, problem) the lr is chosen from a small grid of multiples of a default
lr (:data:`GRID_FACTORS`) on :data:`TUNING_SEEDS`, disjoint from every evaluation seed:

* score of a grid lr = mean over the tuning seeds of log10 of the final value (final f - f*,
  or the mean loss of the last steps on a stochastic problem), +inf when a tuning seed
  diverged (an lr that diverges on some seed is never chosen over one that does not);
* the smallest score wins; ties go to the smaller lr;
* the evaluation runs use the chosen lr on the evaluation seeds only.

A choice at the grid's edge says the best lr may lie outside the grid, so the grid is extended
there, one grid step at a time (:func:`tune`), until the choice is inside it or
:data:`MAX_EXTENSIONS` lrs were added (then it stays flagged: the report says "grid edge").
The grid and every score are kept in the measurement (:class:`TunedLr`) and shown in the
report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from experiments.measurements.empirical import TunedLr
from experiments.named.common import Scale
from experiments.spec import RunSpec

GRID_FACTORS: dict[Scale, tuple[float, ...]] = {
    "quick": (0.1, 1.0, 10.0),
    "full": (0.1, 10**-0.5, 1.0, 10**0.5, 10.0),
}
"""Multiples of an optimizer's default lr tried (decade steps at quick, half decades at full)."""
MAX_EXTENSIONS: dict[Scale, int] = {"quick": 2, "full": 3}
"""Lrs added at most beyond the grid's edge, each one grid step past the current edge."""
TUNING_SEEDS: dict[Scale, tuple[int, ...]] = {"quick": (1000, 1001, 1002),
                                              "full": (1000, 1001, 1002, 1003, 1004)}
"""Seeds the lr is chosen on; the evaluation seeds are below 1000 (:func:`check_disjoint`)."""


def _rounded(lr: float) -> float:
    """6 significant digits: stable spec keys."""
    return float(f"{lr:.6g}")


def grid(default_lr: float, scale: Scale) -> tuple[float, ...]:
    """The lrs tried around ``default_lr``."""
    return tuple(_rounded(default_lr * f) for f in GRID_FACTORS[scale])


def grid_step(scale: Scale) -> float:
    """The ratio of neighbouring grid lrs (10 at quick)."""
    factors = GRID_FACTORS[scale]
    return factors[1] / factors[0]


def with_lr(spec: RunSpec, lr: float, seeds: Sequence[int], **changes: Any) -> RunSpec:
    """``spec`` at learning rate ``lr`` on ``seeds`` (other changes passed through)."""
    return spec.with_changes(hyperparameters={**spec.hyperparameters, "lr": lr},
                             seeds=tuple(seeds), **changes)


def tuning_specs(spec: RunSpec, scale: Scale) -> list[RunSpec]:
    """``spec`` at every grid lr around its own lr, on the tuning seeds, recording nothing."""
    return [with_lr(spec, lr, TUNING_SEEDS[scale], record=())
            for lr in grid(float(spec.hyperparameters["lr"]), scale)]


def check_disjoint(evaluation: Sequence[int], scale: Scale) -> None:
    """ValueError when an evaluation seed is also a tuning seed."""
    shared = sorted(set(evaluation) & set(TUNING_SEEDS[scale]))
    if shared:
        raise ValueError(f"evaluation seeds {shared} are also tuning seeds; expected disjoint "
                         "sets (the lr may not be chosen on the seeds it is evaluated on)")


FLOOR = 1e-300
"""A final value at or below this (f* reached to float64 rounding) scores as this."""


def score(finals: np.ndarray) -> float:
    """Mean over seeds of log10 of the final values (floored at :data:`FLOOR`); +inf when one
    is not finite (a diverged seed)."""
    v = np.asarray(finals, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError("score needs at least one final value")
    if not np.all(np.isfinite(v)):
        return math.inf
    return float(np.mean(np.log10(np.maximum(v, FLOOR))))


def choose(lrs: Sequence[float], finals: Sequence[np.ndarray], seeds: Sequence[int]) -> TunedLr:
    """The :class:`TunedLr` of a grid: ``finals[i]`` holds the tuning seeds' final values at
    ``lrs[i]`` (ascending)."""
    if len(lrs) != len(finals) or not lrs:
        raise ValueError(f"need one set of final values per grid lr; got {len(lrs)} lrs and "
                         f"{len(finals)} sets")
    if list(lrs) != sorted(lrs):
        raise ValueError(f"the grid must be ascending; got {list(lrs)}")
    scores = [score(f) for f in finals]
    best = min(range(len(lrs)), key=lambda i: (scores[i], i))
    return TunedLr(grid=tuple(float(x) for x in lrs),
                   scores=tuple(s if math.isfinite(s) else None for s in scores),
                   chosen_lr=float(lrs[best]), at_grid_edge=best in (0, len(lrs) - 1),
                   tuning_seeds=tuple(int(s) for s in seeds))


Finals = Callable[[Sequence[RunSpec]], list[np.ndarray]]
"""The tuning seeds' final values of each spec: from runs made on demand (the search) or from
the stored runs alone (the measurement), so both take the same extensions."""


def tune(bases: Sequence[RunSpec], scale: Scale, finals: Finals) -> list[TunedLr]:
    """The lr chosen for each of ``bases``: on its grid (:func:`tuning_specs`), extended one
    :func:`grid_step` past the edge the choice lands on while it lands on one, at most
    :data:`MAX_EXTENSIONS` times. Each base's walk depends on its own runs only; ``finals``
    is asked once for every grid, then once per extension round for the lrs the bases still
    at an edge add (so a round's runs can be made together)."""
    seeds = TUNING_SEEDS[scale]
    width = len(GRID_FACTORS[scale])
    grids = [tuning_specs(base, scale) for base in bases]
    flat = finals([spec for grid_specs in grids for spec in grid_specs])
    lrs = [[float(s.hyperparameters["lr"]) for s in grid_specs] for grid_specs in grids]
    found = [list(flat[k * width:(k + 1) * width]) for k in range(len(bases))]
    tuned = [choose(lr, value, seeds) for lr, value in zip(lrs, found, strict=True)]
    for _ in range(MAX_EXTENSIONS[scale]):
        walking = [i for i, t in enumerate(tuned) if t.at_grid_edge]
        if not walking:
            break
        below = {i: tuned[i].chosen_lr == lrs[i][0] for i in walking}
        added = {i: _rounded(lrs[i][0] / grid_step(scale) if below[i]
                             else lrs[i][-1] * grid_step(scale)) for i in walking}
        new = finals([with_lr(bases[i], added[i], seeds, record=()) for i in walking])
        for i, value in zip(walking, new, strict=True):
            lrs[i], found[i] = (([added[i], *lrs[i]], [value, *found[i]]) if below[i]
                                else ([*lrs[i], added[i]], [*found[i], value]))
            tuned[i] = choose(lrs[i], found[i], seeds)
    return tuned


def tuned_specs(base: RunSpec, tuned: TunedLr) -> list[RunSpec]:
    """Every tuning run behind ``tuned`` (its whole, possibly extended, grid)."""
    return [with_lr(base, lr, tuned.tuning_seeds, record=()) for lr in tuned.grid]
