"""faster_than reads each problem's row of metrics.faster_convergence (a loop variable once
shadowed the module's ``entry`` reader, so every real empirical file became "invalid data";
the synthetic report data did not reach that line)."""

from __future__ import annotations

from typing import Any

from reports.results import MissingResult
from reports.rules import faster_than


class _Results:
    def __init__(self, steps: dict[str, Any]) -> None:
        self.steps = steps

    def metric(self, experiment: str, key: str = "") -> Any:
        if key == "faster_convergence":
            return {"logistic": {"steps_to_threshold": self.steps}}
        raise MissingResult(f"{experiment}.{key}")


def test_faster_holds_when_the_challenger_reaches_the_threshold_first() -> None:
    verdict = faster_than(_Results({"A": 10, "B": 20}), "A", "B")  # type: ignore[arg-type]
    assert verdict.status == "holds", verdict.reason


def test_slower_on_every_problem_is_violated() -> None:
    verdict = faster_than(_Results({"A": 30, "B": None}), "B", "A")  # type: ignore[arg-type]
    assert verdict.status == "violated", verdict.reason
