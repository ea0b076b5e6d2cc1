"""The typed metrics of ``measurements/reddi.json``
(written by ``experiments.named.reddi``)."""

from __future__ import annotations

from dataclasses import dataclass

from experiments.measurements import (
    InvalidData,
    MeasurementRecord,
    NamedTables,
    check_same_length,
)


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


def outcome_counts(final_x: tuple[float | None, ...], x_atol: float) -> tuple[int, int, int]:
    """(rows ending within ``x_atol`` of +1, of -1, elsewhere; a None iterate is elsewhere)."""
    plus = sum(x is not None and abs(x - 1.0) <= x_atol for x in final_x)
    minus = sum(x is not None and abs(x + 1.0) <= x_atol for x in final_x)
    return plus, minus, len(final_x) - plus - minus


@dataclass(frozen=True)
class OutcomeShare:
    """Where one optimizer ends on Theorem 1's game when one condition that changes no
    gradient (a loss offset) or only the start varies: per row, the condition's ``values``,
    the final iterate x_T (None: not finite) and R_T/T; how many rows end within ``x_atol``
    of +1 (the worst point), of -1 (x*, converged), and elsewhere. Deterministic runs: exact
    counts, no interval."""

    condition: str
    values: tuple[float, ...]
    final_x: tuple[float | None, ...]
    regret_over_T: tuple[float | None, ...]
    at_plus_one: int
    at_minus_one: int
    elsewhere: int


@dataclass(frozen=True)
class ReddiOutcomes:
    """Outcome shares on ``game`` at horizon ``T``: label -> condition -> share."""

    game: str
    T: int
    x_atol: float
    shares: dict[str, dict[str, OutcomeShare]]


@dataclass(frozen=True)
class ReddiMetrics(MeasurementRecord, NamedTables[ReddiRun]):
    """The metrics of ``measurements/reddi.json``: per construction, {optimizer label: run}
    (``table(construction)``), and the outcome shares over starts and loss offsets."""

    EXPERIMENT = "reddi"
    VERSION = 2
    TABLES = ("theorem1", "section5_online", "section5_stochastic")
    theorem1: dict[str, ReddiRun]
    section5_online: dict[str, ReddiRun]
    section5_stochastic: dict[str, ReddiRun]
    expected: ReddiExpected
    outcomes: ReddiOutcomes

    def check(self, file: str) -> None:
        """Each share's rows agree in number and its counts are those of its final iterates."""
        for label, by_condition in self.outcomes.shares.items():
            for condition, share in by_condition.items():
                where = f"metrics.outcomes.shares.{label}.{condition}"
                check_same_length(file, where, values=share.values, final_x=share.final_x,
                                  regret_over_T=share.regret_over_T)
                counts = (share.at_plus_one, share.at_minus_one, share.elsewhere)
                recount = outcome_counts(share.final_x, self.outcomes.x_atol)
                if counts != recount:
                    raise InvalidData(file, f"{where}: counts (+1, -1, elsewhere) {counts} are "
                                            f"not those of its {len(share.final_x)} final "
                                            f"iterates {recount}")

