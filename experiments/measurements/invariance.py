"""The typed metrics of ``measurements/invariance.json``
(written by ``experiments.named.invariance``)."""

from __future__ import annotations

from dataclasses import dataclass

from experiments.measurements import InvalidData, MeasurementRecord

CLASSES = ("exact", "up to eps", "sensitive")
"""How far a transformation moves a run, best first."""


@dataclass(frozen=True)
class SensitivityRow:
    """One optimizer, game and transformation: the largest distance of the mapped-back iterate
    (over t, and at T, / D∞), the change of R_T/T (/ G∞·D∞) and the two average regrets."""

    optimizer: str
    game: str
    transform: str
    iterate_max: float
    iterate_final: float
    regret_change: float
    r_reference: float
    r_transformed: float


@dataclass(frozen=True)
class KnownInvariance:
    """An invariance known from the update rule (worst class ``allowed``) and the class
    ``measured`` by the harness."""

    optimizer: str
    transform: str
    allowed: str
    measured: str

    @property
    def holds(self) -> bool:
        return CLASSES.index(self.measured) <= CLASSES.index(self.allowed)


@dataclass(frozen=True)
class InvarianceMetrics(MeasurementRecord):
    """Every row, the worst class per optimizer and transformation (``table``), the known
    invariances checked, and the optimizers a loss offset moves."""

    EXPERIMENT = "invariance"
    VERSION = 1
    horizon: int
    games: tuple[str, ...]
    exact_tolerance: float
    eps_tolerance: float
    table: dict[str, dict[str, str]]
    known_invariances: tuple[KnownInvariance, ...]
    offset_sensitive: tuple[str, ...]
    rows: tuple[SensitivityRow, ...]

    def check(self, file: str) -> None:
        used = {k for row in self.table.values() for k in row.values()} | \
            {c for k in self.known_invariances for c in (k.allowed, k.measured)}
        bad = sorted(used - set(CLASSES))
        if bad:
            raise InvalidData(file, f"metrics holds the class {bad[0]!r}; expected one of "
                                    f"{CLASSES}")
