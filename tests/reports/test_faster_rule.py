"""faster_than reads each problem's row of metrics.faster_convergence (a loop variable once
shadowed the module's ``entry`` reader, so every real empirical file became "invalid data";
the synthetic report data did not reach that line)."""

from __future__ import annotations

from typing import Any

from experiments.measurements.empirical import EmpiricalMetrics, Faster
from reports.results import MissingResult
from reports.rules import faster_than


class _Record:
    """The typed record's faster_convergence; its final-loss tables are absent."""

    def __init__(self, steps: dict[str, float | None]) -> None:
        self.faster_convergence = {"logistic": Faster(steps, None, len(steps))}

    def task(self, name: str) -> Any:
        raise MissingResult(f"empirical.{name}")


class _Results:
    def __init__(self, steps: dict[str, float | None]) -> None:
        self.steps = steps

    def record(self, kind: type[EmpiricalMetrics]) -> Any:
        assert kind is EmpiricalMetrics
        return _Record(self.steps)


def test_faster_holds_when_the_challenger_reaches_the_threshold_first() -> None:
    verdict = faster_than(_Results({"A": 10, "B": 20}), "A", "B")  # type: ignore[arg-type]
    assert verdict.status == "holds", verdict.reason


def test_slower_on_every_problem_is_violated() -> None:
    verdict = faster_than(_Results({"A": 30, "B": None}), "B", "A")  # type: ignore[arg-type]
    assert verdict.status == "violated", verdict.reason
