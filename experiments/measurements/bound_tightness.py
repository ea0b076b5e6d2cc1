"""The typed metrics of ``measurements/bound_tightness.json``
(written by ``experiments.named.bound_tightness``)."""

from __future__ import annotations

from dataclasses import dataclass

from experiments.measurements import InvalidData, MeasurementRecord


@dataclass(frozen=True)
class TightnessEntry:
    """One (bound, setting, game): the largest measured/bound over seeds and horizons, the
    horizon T attaining it, the regret and bound there, bound/trivial there, and whether any
    seed at any horizon exceeds its bound."""

    bound: str
    setting: str
    game: str
    T: int
    regret: float
    bound_value: float
    ratio: float
    bound_over_trivial: float
    exceeds_one: bool


@dataclass(frozen=True)
class TightnessRow:
    """Per bound: its entry with the largest ratio, whether any of its entries exceeds 1
    and how many entries (instances) it was measured on."""

    bound: str
    setting: str
    game: str
    T: int
    ratio: float
    regret: float
    bound_value: float
    bound_over_trivial: float
    exceeds_one: bool
    instances: int


@dataclass(frozen=True)
class TightnessTarget:
    """The data-dependent bound's largest ratio against the ratio it is required to reach."""

    bound: str
    ratio: float
    required: float
    met: bool
    setting: str
    game: str
    T: int


@dataclass(frozen=True)
class BoundTightnessMetrics(MeasurementRecord):
    """Every entry, the tightness table (one row per bound, in order of first appearance),
    whether any bound is exceeded, and the target."""

    EXPERIMENT = "bound_tightness"
    VERSION = 1
    entries: tuple[TightnessEntry, ...]
    table: tuple[TightnessRow, ...]
    any_exceeds_one: bool
    target: TightnessTarget

    def check(self, file: str) -> None:
        if not self.entries or not self.table:
            raise InvalidData(file, "metrics.entries and metrics.table must not be empty")
