"""The calibrated counterexample criterion, its typed records and the replay file.

With r(T) = R_T / T, a sequence found at horizon T0 is a **counterexample** for an optimizer
when, replayed at 100·T0 (Reddi, Kale, Kumar 2018 call this non-vanishing average regret):

* it **persists**: r(100·T0) ≥ ½ r(T0) and r(100·T0) ≥ 0.05·d·G∞·D∞ (a constant step's
  O(α·G) floor and a slow transient both fall below one of the two), and
* every **control** falls on the same sequence: r_c(100·T0) ≤ max(r_c(T0), 0)/3 (threefold,
  or to no regret at all when it had none to lose). The controls are AMSGrad and the analysed
  DWMGrad, both with a proven O(√T) regret, which makes r fall tenfold over a hundredfold
  horizon once the transient is over; if they do not fall, the horizon is too short to tell a
  failing method from a slow one and the candidate is rejected.

A :class:`ReplayFile` stores one candidate with everything needed to rerun it
(``dwmgrad-verify replay FILE``): the sequence, the optimizer and controls with their
hyperparameters, T0, and the values measured when it was found.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from experiments import metrics
from experiments.measurements.counterexample_search import Outcome
from experiments.problems import make_problem
from experiments.problems.periodic import PeriodicOnline, gradient_bound, validate_sequence
from experiments.records import RunRecord
from experiments.runner import run_spec
from experiments.spec import RunSpec

PERSIST_RATIO = 0.5
SCALE_FRACTION = 0.05
CONTROL_FALL = 3.0
HORIZON_FACTOR = 100
REPLAY_FORMAT = "dwmgrad-verify counterexample replay"
REPLAY_VERSION = 1

CRITERION_TEXT = (f"r(T) = R_T/T; counterexample iff r(100 T0) >= {PERSIST_RATIO} r(T0) and "
                  f"r(100 T0) >= {SCALE_FRACTION} d G_inf D_inf, while every control has "
                  f"r(100 T0) <= max(r(T0), 0)/{CONTROL_FALL:g}")


def magnitude_floor(sequence: Mapping[str, Any]) -> float:
    """0.05·d·G∞·D∞ of one sequence of the periodic family (d = 1, D∞ = 2)."""
    return SCALE_FRACTION * 1 * gradient_bound(sequence) * 2.0


def persists(r0: float, r100: float, floor: float) -> bool:
    """The optimizer's average regret does not vanish: kept at half and above the floor."""
    return bool(r100 >= PERSIST_RATIO * r0 and r100 >= floor)


def falls(r0: float, r100: float) -> bool:
    """A control's average regret falls at least CONTROL_FALL-fold, or is at most 0 at
    100·T0 when it was at most 0 at T0 (a control at the comparator has nothing to lose)."""
    return bool(r100 <= max(r0, 0.0) / CONTROL_FALL)


@dataclass(frozen=True)
class Setting:
    """An optimizer as the runner builds it, under a label."""

    label: str
    optimizer: str
    hyperparameters: dict[str, Any]

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Setting:
        return cls(str(data["label"]), str(data["optimizer"]), dict(data["hyperparameters"]))


@dataclass(frozen=True)
class Verdict:
    """The criterion applied to a target's and its controls' outcomes on one sequence."""

    floor: float
    persists: bool
    controls_fall: dict[str, bool]

    @property
    def counterexample(self) -> bool:
        return self.persists and bool(self.controls_fall) and all(self.controls_fall.values())

    @classmethod
    def of(cls, sequence: Mapping[str, Any], target: Outcome,
           controls: list[Outcome]) -> Verdict:
        floor = magnitude_floor(sequence)
        return cls(floor, persists(target.r_T0, target.r_100T0, floor),
                   {c.label: falls(c.r_T0, c.r_100T0) for c in controls})


def average_regret(record: RunRecord) -> np.ndarray:
    """r(t) = R_t / t of every instance of a periodic_online run, shape (B, T)."""
    spec = record.spec
    problem = make_problem(spec.problem, spec.seeds, spec.problem_params)
    assert isinstance(problem, PeriodicOnline)
    regret = metrics.regret(record.losses, problem.comparator_prefix(spec.horizon))
    return regret / np.arange(1, spec.horizon + 1)


def replay_spec(experiment: str, setting: Setting, sequences: list[dict[str, Any]],
                seeds: tuple[int, ...], horizon: int) -> RunSpec:
    """``setting`` on ``sequences[s]`` for each seed s, recording the iterate."""
    return RunSpec(experiment=experiment, problem="periodic_online",
                   problem_params={"sequences": sequences}, optimizer=setting.optimizer,
                   hyperparameters=setting.hyperparameters, seeds=seeds, horizon=horizon,
                   record=("x",))


def outcomes(record: RunRecord, label: str, t0: int) -> list[Outcome]:
    """One :class:`Outcome` per instance of a replay run of horizon ≥ 100·t0."""
    r = average_regret(record)
    x = record.vector("x")[:, -1, 0]
    end = HORIZON_FACTOR * t0
    return [Outcome(label, float(r[i, t0 - 1]), float(r[i, end - 1]), float(x[i]))
            for i in range(r.shape[0])]


@dataclass(frozen=True)
class ReplayFile:
    """One searched candidate, rerunnable: ``dwmgrad-verify replay FILE``."""

    target: Setting
    controls: tuple[Setting, ...]
    sequence: dict[str, Any]
    T0: int
    recorded: dict[str, Outcome]
    counterexample: bool

    def to_dict(self) -> dict[str, Any]:
        return {"format": REPLAY_FORMAT, "version": REPLAY_VERSION,
                "target": asdict(self.target), "controls": [asdict(c) for c in self.controls],
                "sequence": self.sequence, "T0": self.T0, "criterion": CRITERION_TEXT,
                "recorded": {k: asdict(v) for k, v in self.recorded.items()},
                "counterexample": self.counterexample}

    def write(self, path: Path) -> None:
        from experiments.store import atomic_write_json

        atomic_write_json(path, self.to_dict())

    @classmethod
    def read(cls, path: Path) -> ReplayFile:
        """Parse and check a replay file; ValueError naming the bad field or the file."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"Invalid replay file {str(path)!r}: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != REPLAY_FORMAT:
            raise ValueError(f"Invalid replay file {str(path)!r}: expected a JSON object with "
                             f"format {REPLAY_FORMAT!r}")
        if data.get("version") != REPLAY_VERSION:
            raise ValueError(f"Invalid replay file version {data.get('version')!r}; expected "
                             f"{REPLAY_VERSION}")
        t0 = data.get("T0")
        if isinstance(t0, bool) or not isinstance(t0, int) or t0 < 1:
            raise ValueError(f"Invalid T0: {t0!r}; expected an integer >= 1")
        try:
            target = Setting.of(data["target"])
            controls = tuple(Setting.of(c) for c in data["controls"])
            recorded = {str(k): Outcome(**v) for k, v in data["recorded"].items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"Invalid replay file {str(path)!r}: {exc!r}") from None
        for outcome in recorded.values():
            for value in (outcome.r_T0, outcome.r_100T0, outcome.final_x):
                if (isinstance(value, bool) or not isinstance(value, (int, float))
                        or not math.isfinite(value)):
                    raise ValueError(f"Invalid recorded value {value!r} for {outcome.label!r}; "
                                     "expected a finite number")
        return cls(target, controls, validate_sequence(data.get("sequence")), t0, recorded,
                   bool(data.get("counterexample")))

    def specs(self) -> list[RunSpec]:
        """One run of horizon 100·T0 per optimizer (target first), each valid."""
        from experiments.runner import validate_spec

        out = [replay_spec("counterexample_replay", s, [self.sequence], (0,),
                           HORIZON_FACTOR * self.T0) for s in (self.target, *self.controls)]
        for spec in out:
            validate_spec(spec)
        return out

    def rerun(self) -> tuple[Outcome, list[Outcome], Verdict]:
        """Run the target and the controls again; their outcomes and the criterion's verdict."""
        found = [outcomes(run_spec(spec), setting.label, self.T0)[0]
                 for spec, setting in zip(self.specs(), (self.target, *self.controls),
                                          strict=True)]
        return found[0], found[1:], Verdict.of(self.sequence, found[0], found[1:])
