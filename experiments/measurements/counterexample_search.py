"""The typed metrics of ``measurements/counterexample_search.json``
(written by ``experiments.named.counterexample_search``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from experiments.measurements import MeasurementRecord


@dataclass(frozen=True)
class Outcome:
    """One optimizer on one sequence: r(T0), r(100·T0) (average regrets) and the final
    iterate."""

    label: str
    r_T0: float
    r_100T0: float
    final_x: float


@dataclass(frozen=True)
class PeriodicSequence:
    """One period of an online game: per phase (curvature a, slope b, loss offset c), and the
    start x0."""

    phases: tuple[tuple[float, float, float], ...]
    x0: float


@dataclass(frozen=True)
class SettingEntry:
    """An optimizer as the runner builds it, under a label (hyperparameters as written by
    the optimizer's settings: numbers, strings, pairs)."""

    label: str
    optimizer: str
    hyperparameters: dict[str, Any]


@dataclass(frozen=True)
class CandidateEntry:
    """One replayed candidate of a target: its sequence and search score, the outcomes of the
    target and its controls, the criterion's verdict, the offset-free replay (optimizers that
    read loss values) and the replay file."""

    sequence: PeriodicSequence
    search_score: float
    target: Outcome
    controls: tuple[Outcome, ...]
    floor: float
    persists: bool
    controls_fall: dict[str, bool]
    counterexample: bool
    without_offsets: Outcome | None
    offset_made: bool
    replay: str


@dataclass(frozen=True)
class TargetEntry:
    """The search against one target: whether a counterexample was found, the reported
    candidate's R_T/T by T (keys: T as text), its final x, conditions and replay file."""

    optimizer: str
    hyperparameters: dict[str, Any]
    controls: tuple[SettingEntry, ...]
    found: bool
    n_found: int
    evaluations: int
    best_search_score: float
    avg_regret_by_T: dict[str, float]
    final_x: float
    replay: str
    conditions: str
    candidates: tuple[CandidateEntry, ...]


@dataclass(frozen=True)
class SearchSettings:
    """How the search ran (CMA-ES settings, the sequence space, the score maximised)."""

    algorithm: str
    seed: int
    T0: int
    replay_horizon: int
    generations: int
    popsize: int
    replayed_per_target: int
    space: dict[str, Any]
    score: str
    evaluations_total: int


@dataclass(frozen=True)
class Criterion:
    rule: str
    T0: int


@dataclass(frozen=True)
class CounterexampleSearchMetrics(MeasurementRecord):
    """Per target label its search; whether Adam's known counterexample was rediscovered
    (found, and AMSGrad not flagged on every one of Adam's counterexamples)."""

    EXPERIMENT = "counterexample_search"
    VERSION = 1
    targets: dict[str, TargetEntry]
    adam_rediscovered: bool
    amsgrad_flagged_on_adam_counterexamples: tuple[bool, ...]
    search: SearchSettings
    criterion: Criterion
