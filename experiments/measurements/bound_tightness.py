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
    source: str
    game: str
    T: int
    regret: float
    bound_value: float
    ratio: float
    bound_over_trivial: float
    exceeds_one: bool


SOURCES = ("suite", "adversarial game", "counterexample search")
"""Where an entry's games come from: dwmgrad_regret's problem suite, the adversarial games,
the sequences the counterexample search replayed."""


@dataclass(frozen=True)
class TightnessRow:
    """Per bound (or per bound and source): its entry with the largest ratio, whether any
    of its entries exceeds 1 and how many entries (instances) it was measured on."""

    bound: str
    source: str
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
    the same per bound and source, whether any bound is exceeded, and the target."""

    EXPERIMENT = "bound_tightness"
    VERSION = 2
    entries: tuple[TightnessEntry, ...]
    table: tuple[TightnessRow, ...]
    by_source: tuple[TightnessRow, ...]
    any_exceeds_one: bool
    target: TightnessTarget

    def check(self, file: str) -> None:
        if not self.entries or not self.table or not self.by_source:
            raise InvalidData(file, "metrics.entries, metrics.table and metrics.by_source "
                                    "must not be empty")
        unknown = {e.source for e in self.entries} - set(SOURCES)
        if unknown:
            raise InvalidData(file, f"metrics.entries has source(s) {sorted(unknown)}; "
                                    f"expected one of {list(SOURCES)}")
