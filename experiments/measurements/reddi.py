"""The typed metrics of ``measurements/reddi.json``
(written by ``experiments.named.reddi``)."""

from __future__ import annotations

from dataclasses import dataclass

from experiments.measurements import MeasurementRecord


@dataclass(frozen=True)
class ReddiRun:
    """One optimizer on one construction: x_T and R_T/T (medians over seeds, and per seed;
    ``None`` for a seed whose value is not finite) at horizon ``T``."""

    final_x: float
    regret_over_T: float
    final_x_seeds: tuple[float | None, ...]
    regret_over_T_seeds: tuple[float | None, ...]
    T: int


@dataclass(frozen=True)
class ReddiExpected:
    """The published limits: R_T/T on Theorem 1, Adam's and AMSGrad's final iterates."""

    theorem1_regret_over_T: float
    adam_x: float
    amsgrad_x: float


@dataclass(frozen=True)
class ReddiMetrics(MeasurementRecord):
    """The metrics of ``measurements/reddi.json``: per construction, {optimizer label: run}."""

    EXPERIMENT = "reddi"
    VERSION = 1
    theorem1: dict[str, ReddiRun]
    section5_online: dict[str, ReddiRun]
    section5_stochastic: dict[str, ReddiRun]
    expected: ReddiExpected

    def construction(self, name: str) -> dict[str, ReddiRun]:
        """{optimizer label: run} of construction ``name`` (a key of :data:`CONSTRUCTIONS`)."""
        tables = {"theorem1": self.theorem1, "section5_online": self.section5_online,
                  "section5_stochastic": self.section5_stochastic}
        return tables[name]
