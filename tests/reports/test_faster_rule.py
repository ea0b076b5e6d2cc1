"""faster_than reads each problem's row of metrics.faster_convergence (a loop variable once
shadowed the module's ``entry`` reader, so every real empirical file became "invalid data";
the synthetic report data did not reach that line)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from experiments.measurements.empirical import EmpiricalMetrics, Faster, FinalLoss, RosenbrockLoss
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


def _loss(median: float, low: float, high: float) -> FinalLoss:
    return FinalLoss(final_loss_median=median, ci_low=low, ci_high=high, n_samples=5,
                     diverged_seeds=0, diverged_at_step=None, steps_to_threshold_median=None,
                     threshold=0.3)


class _FullRecord:
    """Four problems: A is faster on three and never reaches the MLP's threshold."""

    def __init__(self, mlp_a: FinalLoss, mlp_b: FinalLoss) -> None:
        problems = ("rosenbrock_authors", "rosenbrock_standard", "logistic", "mlp")
        self.faster_convergence = {
            p: Faster({"A": None, "B": 45.0} if p == "mlp" else {"A": 10.0, "B": 20.0}, None, 2)
            for p in problems}
        same = _loss(0.1, 0.09, 0.11)
        rosen = RosenbrockLoss(**asdict(same), by_start={"authors": same, "standard": same})
        self.tables = {"rosenbrock": {"A": rosen, "B": rosen}, "logistic": {"A": same, "B": same},
                       "mlp": {"A": mlp_a, "B": mlp_b}}

    def task(self, name: str) -> Any:
        return self.tables[name]


class _FullResults:
    def __init__(self, record: _FullRecord) -> None:
        self._record = record

    def record(self, kind: type[EmpiricalMetrics]) -> Any:
        return self._record


def test_one_problem_slower_with_a_disjointly_worse_final_loss_violates() -> None:
    """ahb-faster at quick: AdaptiveHB never reaches the MLP threshold that heavy ball reaches
    in 45 steps, final loss 0.574 vs 0.082 with disjoint CIs; faster elsewhere. The old
    majority rule called this inconclusive."""
    record = _FullRecord(_loss(0.574, 0.55, 0.6), _loss(0.082, 0.07, 0.09))
    verdict = faster_than(_FullResults(record), "A", "B")  # type: ignore[arg-type]
    assert verdict.status == "violated" and "mlp" in verdict.reason, verdict.reason


def test_slower_with_overlapping_final_losses_is_inconclusive() -> None:
    record = _FullRecord(_loss(0.12, 0.08, 0.2), _loss(0.1, 0.07, 0.15))
    verdict = faster_than(_FullResults(record), "A", "B")  # type: ignore[arg-type]
    assert verdict.status == "inconclusive", verdict.reason


def test_a_rosenbrock_problem_reads_its_own_start() -> None:
    record = _FullRecord(_loss(0.1, 0.09, 0.11), _loss(0.1, 0.09, 0.11))
    worse = _loss(5.0, 4.0, 6.0)
    rosen = record.tables["rosenbrock"]["A"]
    assert isinstance(rosen, RosenbrockLoss)
    record.tables["rosenbrock"]["A"] = RosenbrockLoss(
        **{**asdict(rosen), "by_start": {"authors": rosen.by_start["authors"],
                                         "standard": worse}})
    record.faster_convergence["rosenbrock_standard"] = Faster({"A": 30.0, "B": 20.0}, None, 2)
    verdict = faster_than(_FullResults(record), "A", "B")  # type: ignore[arg-type]
    assert verdict.status == "violated" and "rosenbrock_standard" in verdict.reason, verdict.reason
