"""End-to-end contract: the real producers' outputs, fed to the claims, give verdicts.

The experiments' runner and ``measure`` run on tiny specs (module constants shrunk, as in
tests/experiments/test_named_small.py) and write their measurement files through
:func:`experiments.api.run_experiments`, as the CLI does; the claims then read those files. A
renamed field in a written record, a NaN, a wrong version or an absent experiment must each
give its verdict naming the file (and field or command); an exception inside a rule is a bug
and propagates.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from tiny_experiment_scales import tiny_cost_scaling, tiny_counterexample_search

from experiments.api import run_experiments
from experiments.measurements import InvalidData, MeasurementRecord
from experiments.measurements.bound_tightness import BoundTightnessMetrics
from experiments.measurements.cost_scaling import CostScalingMetrics
from experiments.measurements.counterexample_search import CounterexampleSearchMetrics
from experiments.measurements.dwmgrad_regret import DwmgradRegretMetrics
from experiments.measurements.empirical import EmpiricalMetrics
from experiments.measurements.heavy_ball_rate import HeavyBallRateMetrics
from experiments.measurements.invariance import InvarianceMetrics
from experiments.measurements.lessard_cycle import LessardCycleMetrics
from experiments.measurements.reddi import ReddiMetrics
from experiments.named import (
    bound_tightness,
    dwmgrad_regret,
    empirical,
    heavy_ball_rate,
    invariance,
    lessard_cycle,
    reddi,
)
from reports.claims import CLAIMS, judge
from reports.results import EXPERIMENT_NAMES, load_results
from reports.verdicts import STATUSES, Claim, ClaimSource, Verdict

RECORDS: dict[str, type[MeasurementRecord]] = {
    "heavy_ball_rate": HeavyBallRateMetrics, "lessard_cycle": LessardCycleMetrics,
    "reddi": ReddiMetrics, "dwmgrad_regret": DwmgradRegretMetrics,
    "counterexample_search": CounterexampleSearchMetrics,
    "bound_tightness": BoundTightnessMetrics, "invariance": InvarianceMetrics,
    "cost_scaling": CostScalingMetrics, "empirical": EmpiricalMetrics,
}
"""Every experiment and its typed record, in the order they run (bound_tightness reads
dwmgrad_regret's runs and counterexample_search's measurement)."""


def test_every_experiment_has_a_typed_record() -> None:
    assert set(RECORDS) == set(EXPERIMENT_NAMES)
    assert all(record.EXPERIMENT == name for name, record in RECORDS.items())


def _tiny(mp: pytest.MonkeyPatch) -> None:
    mp.setitem(heavy_ball_rate.KAPPAS, "quick", (10.0,))
    mp.setitem(lessard_cycle.GRID_POINTS, "quick", 2)
    mp.setitem(lessard_cycle.HORIZON, "quick", 200)
    mp.setitem(reddi.HORIZON, "quick", {c: (60, 30) for c in reddi.CONSTRUCTIONS})
    tiny_cost_scaling(mp)
    mp.setitem(dwmgrad_regret.HORIZON, "quick", 60)
    mp.setitem(dwmgrad_regret.SEEDS, "quick", (0, 1))
    mp.setitem(bound_tightness.HORIZON, "quick", 60)
    tiny_counterexample_search(mp)
    mp.setitem(invariance.HORIZON, "quick", 20)
    keep = {k: v for k, v in invariance.settings().items() if k in ("Adam", "DWMGrad")}
    mp.setattr(invariance, "settings", lambda: keep)
    mp.setattr(invariance, "KNOWN", (("Adam", "offset +3", "exact"),))
    mp.setitem(empirical.HORIZON, "quick", {k: 15 for k in empirical.HORIZON["quick"]})
    mp.setitem(empirical.SEEDS, "quick", (0, 1, 2))


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A result directory written by the real producers of every typed experiment."""
    root = tmp_path_factory.mktemp("produced")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        _tiny(mp)
        run_experiments(list(RECORDS), "quick", root, progress=False)
    torch.set_num_threads(threads)
    yield root


@pytest.fixture
def result_copy(produced: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(produced, tmp_path / "copy"))


def _verdicts(root: Path) -> dict[str, Verdict]:
    return {j.claim.id: j.verdict for j in judge(load_results(root))}


def test_real_outputs_read_back_and_every_claim_gets_a_verdict(produced: Path) -> None:
    results = load_results(produced)
    for record in RECORDS.values():
        results.record(record)                      # every field present, typed, finite
    verdicts = _verdicts(produced)
    assert set(verdicts) == {c.id for c in CLAIMS}
    assert {v.status for v in verdicts.values()} <= set(STATUSES)
    decided = {"holds", "violated", "inconclusive"}
    # polyak-rate needs every kappa of the scale: the tiny run measured one (invalid data)
    assert verdicts["polyak-rate"].status == "invalid data"
    assert "metrics.rows has no row for kappa = 100" in verdicts["polyak-rate"].reason
    for cid in ("heavy-ball-acceleration", "lessard-cycle", "cost-model-memory",
                "reddi-adam-failure", "adam-counterexample-rediscovered", "invariance-audit",
                "dwmgrad-faster-small-scale", "demon-robustness", "ahb-lr-robustness",
                "aida-narrower-stepsizes", "aida-competitive", "dwmgrad-analysed-rate"):
        assert verdicts[cid].status in decided, (cid, verdicts[cid])
    # every experiment ran: only claims on the proof checker or the theory are not run, and
    # they name the command that produces them
    for cid, verdict in verdicts.items():
        if verdict.status == "not run":
            assert (f"`dwmgrad-verify check --out {produced}`" in verdict.reason
                    or f"`dwmgrad-verify theory --out {produced}`" in verdict.reason), \
                (cid, verdict)
    assert verdicts["demon-schedule"].status == "not run"


def _first_field(node: Any, where: str = "metrics") -> tuple[dict[str, Any], str, str]:
    """The first field of the first object holding one: (object, field name, path)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict | list) and value:
                try:
                    return _first_field(value, f"{where}.{key}")
                except LookupError:
                    continue
            return node, key, f"{where}.{key}"
    if isinstance(node, list):
        for i, value in enumerate(node):
            try:
                return _first_field(value, f"{where}[{i}]")
            except LookupError:
                continue
    raise LookupError(where)


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_a_renamed_field_fails_naming_the_file_and_the_field(result_copy: Path,
                                                            name: str) -> None:
    path = result_copy / "measurements" / f"{name}.json"
    doc = json.loads(path.read_text())
    holder, field, where = _first_field(doc["metrics"])
    holder[f"{field}_renamed"] = holder.pop(field)
    path.write_text(json.dumps(doc))
    with pytest.raises(InvalidData) as info:
        load_results(result_copy).record(RECORDS[name])
    message = str(info.value)
    assert message.startswith(f"measurements/{name}.json: "), message
    assert f"'{field}'" in message, message
    readers = [c.id for c in CLAIMS if name in c.experiments]
    verdicts = _verdicts(result_copy)
    for cid in readers:
        assert verdicts[cid].status == "invalid data", (cid, verdicts[cid], where)
        assert f"measurements/{name}.json" in verdicts[cid].reason


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_a_nan_is_invalid_data_naming_the_file(result_copy: Path, name: str) -> None:
    path = result_copy / "measurements" / f"{name}.json"
    doc = json.loads(path.read_text())
    holder, field, where = _first_field(doc["metrics"])
    holder[field] = "@nan@"
    path.write_text(json.dumps(doc).replace('"@nan@"', "NaN"))
    with pytest.raises(InvalidData) as info:
        load_results(result_copy).record(RECORDS[name])
    assert str(info.value) == f"measurements/{name}.json: non-finite number at {where}"
    for cid in (c.id for c in CLAIMS if name in c.experiments):
        verdict = _verdicts(result_copy)[cid]
        assert verdict.status == "invalid data", (cid, verdict)


def test_a_record_of_another_version_is_invalid_data(result_copy: Path) -> None:
    path = result_copy / "measurements" / "heavy_ball_rate.json"
    doc = json.loads(path.read_text())
    doc["metrics_version"] = 99
    path.write_text(json.dumps(doc))
    verdict = _verdicts(result_copy)["polyak-rate"]
    assert verdict.status == "invalid data"
    assert verdict.reason == ("measurements/heavy_ball_rate.json: metrics_version is 99; "
                              f"HeavyBallRateMetrics reads version {HeavyBallRateMetrics.VERSION}")


def test_a_missing_experiment_is_not_run_with_its_command(result_copy: Path) -> None:
    (result_copy / "measurements" / "lessard_cycle.json").unlink()
    verdict = _verdicts(result_copy)["lessard-cycle"]
    assert verdict.status == "not run"
    assert verdict.reason == ("measurements/lessard_cycle.json not found: run "
                              f"`dwmgrad-verify run lessard_cycle --out {result_copy}`")


def test_an_exception_inside_a_rule_propagates(produced: Path) -> None:
    def buggy(r: Any) -> Verdict:
        r.record(HeavyBallRateMetrics).rows[0].no_such_field  # noqa: B018 - the bug
        return Verdict("holds", "unreachable")

    claim = Claim("buggy", "t", ClaimSource("derived", "d", "s"), "s", (), ("heavy_ball_rate",),
                  (), buggy)
    with pytest.raises(AttributeError, match="no_such_field"):
        claim.evaluate(load_results(produced))


def test_a_rate_that_could_not_be_fitted_is_inconclusive(result_copy: Path) -> None:
    """The producer writes null for a fit that is not a finite number; the rate claims then
    cannot decide (never holds or violated on a missing number)."""
    path = result_copy / "measurements" / "heavy_ball_rate.json"
    doc = json.loads(path.read_text())
    doc["metrics"]["rows"][0]["rate_fit_jordan"] = None
    path.write_text(json.dumps(doc))
    verdict = _verdicts(result_copy)["heavy-ball-acceleration"]
    assert verdict.status == "inconclusive", verdict
    assert verdict.reason == "no finite fitted rate at kappa=10"
