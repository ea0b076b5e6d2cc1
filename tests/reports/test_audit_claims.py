"""The audit's claims: each rule gives holds on good records and rejects bad ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from experiments.measurements import MeasurementRecord
from experiments.measurements.audit import (
    AuditCostMetrics,
    Audited,
    AuditInvarianceMetrics,
    AuditLessardMetrics,
    AuditReddiMetrics,
    AuditRegretMetrics,
    AuditSearchMetrics,
    BoundRow,
    RateFit,
    RegretPoint,
    UserBound,
)
from experiments.measurements.cost_scaling import Fit
from experiments.measurements.lessard_cycle import Start
from experiments.measurements.reddi import ReddiRun
from reports import audit_claims as rules
from reports.audit_view import SECTIONS
from reports.results import ResultSet, load_results

TARGET = Audited("Adagrad", "torch.optim:Adagrad", '{"lr": 0.1}')


def results(tmp_path: Path, *records: MeasurementRecord) -> ResultSet:
    for record in records:
        path = tmp_path / "measurements" / f"{record.EXPERIMENT}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"experiment": record.EXPERIMENT, "scale": "quick",
                                    **record.envelope_fields(), "series": {}, "runs": []}))
    return load_results(tmp_path, SECTIONS, rerun="dwmgrad-verify audit ...")


def row(ratio: float, over_trivial: float, T: int = 100) -> BoundRow:
    return BoundRow("b", "online_linear", T, ratio, 3, ratio * 10.0, 10.0, 12.0, 120.0,
                    over_trivial, "runs/audit_regret/k.json")


def test_a_bound_over_the_regret_holds_on_informative_rows() -> None:
    verdict = rules.bound_verdict([row(0.5, 0.3), row(0.2, 2.0)], "b")
    assert verdict.status == "holds"


def test_a_bound_below_the_regret_is_violated_with_the_row_as_counterexample() -> None:
    verdict = rules.bound_verdict([row(0.5, 0.3), row(1.7, 0.3, T=500)], "b")
    assert verdict.status == "violated"
    (first, *_) = verdict.counterexamples
    assert first.subject == "online_linear, T = 500" and "seed 3" in first.detail
    assert first.replay == "runs/audit_regret/k.json"


def test_a_bound_above_the_trivial_comparator_everywhere_is_vacuous() -> None:
    assert rules.bound_verdict([row(0.1, 1.0), row(0.2, 3.0)], "b").status == "vacuous"


def test_a_bound_without_rows_is_invalid_data() -> None:
    with pytest.raises(rules.InvalidData):
        rules.bound_verdict([], "b")


def regret_record(fits: dict[str, RateFit]) -> AuditRegretMetrics:
    return AuditRegretMetrics(TARGET, (RegretPoint("online_linear", 10, 1.0, 0.5, 1.5, 2.0,
                                                   200.0),), fits,
                              (UserBound("b", "R_T \\le S", "upper", "ref", ("S",)),),
                              (row(0.5, 0.3),))


@pytest.mark.parametrize(("fit", "status"), [
    (RateFit(0.5, 0.45, 0.55, ""), "holds"),
    (RateFit(1.0, 0.98, 1.02, ""), "violated"),
    (RateFit(0.93, 0.9, 0.97, ""), "inconclusive"),
])
def test_regret_slope_rule(fit: RateFit, status: str, tmp_path: Path) -> None:
    r = results(tmp_path, regret_record({"online_linear": fit}))
    assert rules.regret_sublinear(r).status == status


def test_one_claim_per_user_bound_is_listed(tmp_path: Path) -> None:
    r = results(tmp_path, regret_record({"online_linear": RateFit(0.5, 0.4, 0.6, "")}))
    ids = [c.id for c in rules.audit_claims(r)]
    assert ids[-1] == "audit-bound-b" and len(ids) == len(rules.FIXED) + 1
    assert rules.bound_claim_id("Adagrad_DHS 2011") == "audit-bound-adagrad-dhs-2011"
    assert rules.audit_claims(load_results(tmp_path / "empty", SECTIONS)) == rules.FIXED


def reddi(*xs: float) -> AuditReddiMetrics:
    names = ("theorem1", "section5_online", "section5_stochastic")
    return AuditReddiMetrics(TARGET, {n: ReddiRun(x, 0.1, (x,), (0.1,), 100)
                                      for n, x in zip(names, xs, strict=True)}, -1.0)


@pytest.mark.parametrize(("xs", "status"), [((-1.0, -0.95, -0.99), "holds"),
                                            ((-1.0, 1.0, -1.0), "violated"),
                                            ((-1.0, 0.2, -1.0), "inconclusive")])
def test_reddi_rule(xs: tuple[float, ...], status: str, tmp_path: Path) -> None:
    assert rules.reddi_minimiser(results(tmp_path, reddi(*xs))).status == status


def start(converged: bool, cycling: bool) -> Start:
    return Start(3.1, True, converged, cycling, 0.0, (0.6, -1.8, 2.1))


@pytest.mark.parametrize(("starts", "status"), [
    ((start(True, False),), "holds"),
    ((start(True, False), start(False, True)), "violated"),
    ((start(False, False),), "inconclusive")])
def test_lessard_rule(starts: tuple[Start, ...], status: str, tmp_path: Path) -> None:
    r = results(tmp_path, AuditLessardMetrics(TARGET, 600, starts))
    assert rules.lessard_converges(r).status == status


@pytest.mark.parametrize(("found", "status"), [(False, "holds"), (True, "violated")])
def test_search_rule(found: bool, status: str, tmp_path: Path) -> None:
    record = AuditSearchMetrics(TARGET, found, int(found), 400, {"30": 0.2, "3000": 0.2},
                                0.9, "period 3", "measurements/counterexamples/x.json", "rule")
    verdict = rules.no_counterexample(results(tmp_path, record))
    assert verdict.status == status
    assert bool(verdict.counterexamples) == found


@pytest.mark.parametrize(("table", "status"), [
    ({"offset +3": "exact", "permute": "up to eps", "reflect": "exact"}, "holds"),
    ({"offset +3": "up to eps", "permute": "exact", "reflect": "exact"}, "violated"),
    ({"offset +3": "exact", "permute": "exact", "reflect": "sensitive"}, "violated")])
def test_invariance_rule(table: dict[str, str], status: str, tmp_path: Path) -> None:
    table = {"offset -3": "exact", "per-round offset": "exact", **table}
    r = results(tmp_path, AuditInvarianceMetrics(TARGET, 300, table, ()))
    assert rules.invariances(r).status == status


@pytest.mark.parametrize(("low", "high", "status"), [(0.9, 1.05, "holds"), (1.3, 1.6, "violated"),
                                                     (1.0, 1.3, "inconclusive")])
def test_cost_rule(low: float, high: float, status: str, tmp_path: Path) -> None:
    record = AuditCostMetrics(TARGET, (10_000, 100_000), (1e-4, 1e-3), (1e-4, 1e-3),
                              Fit((low + high) / 2, 0.0, low, high, 0.9, 3.0), 4.0)
    assert rules.cost_linear(results(tmp_path, record)).status == status


def test_a_missing_part_is_not_run_with_the_audit_command(tmp_path: Path) -> None:
    claim = next(c for c in rules.FIXED if c.id == "audit-cost-linear")
    verdict = claim.evaluate(load_results(tmp_path, SECTIONS, rerun="dwmgrad-verify audit X"))
    assert verdict.status == "not run" and "dwmgrad-verify audit X" in verdict.reason
