"""Figures take their legends' hyperparameters from the spec files of the runs a measurement
names (``run_labels``), not from experiment code: a label whose spec file is missing is shown
without hyperparameters, and nothing in reports/figures imports experiment code (only the typed
measurement records of experiments.measurements)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np

from experiments.named.common import envelope
from experiments.records import RunRecord
from experiments.spec import RunSpec
from reports.figures.style import labelled_hyperparameters
from reports.results import load_results

REPO = Path(__file__).resolve().parents[2]


def _record(optimizer: str, lr: float) -> RunRecord:
    spec = RunSpec(experiment="reddi", problem="reddi_theorem1", optimizer=optimizer,
                   hyperparameters={"lr": lr}, seeds=(0,), horizon=3)
    return RunRecord(spec=spec, losses=np.zeros((1, 3)))


def test_legend_hyperparameters_come_from_the_named_spec_files(tmp_path: Path) -> None:
    adam, sgd = _record("Adam", 0.1), _record("SGD", 0.5)
    measurement = envelope("reddi", "quick", [adam, sgd], {}, {"theorem1": {}},
                           {"theorem1": {"Adam": adam, "SGD": sgd}})
    assert measurement["run_labels"] == {"theorem1": {"Adam": adam.spec.key(),
                                                      "SGD": sgd.spec.key()}}
    (tmp_path / "measurements").mkdir()
    (tmp_path / "measurements" / "reddi.json").write_text(json.dumps(measurement))
    runs = tmp_path / "runs" / "reddi"
    runs.mkdir(parents=True)
    (runs / f"{adam.spec.key()}.json").write_text(json.dumps({"spec": adam.spec.to_dict()}))
    results = load_results(tmp_path)
    assert labelled_hyperparameters(results, "reddi", "theorem1") == {"Adam": {"lr": 0.1}}
    assert labelled_hyperparameters(results, "reddi", "section5_online") == {}


def test_reports_import_no_experiment_code_for_figures() -> None:
    for path in (REPO / "reports" / "figures").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom) else
                     [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            # the typed measurement records (data only) are what figures read
            assert not any(n.split(".")[0] == "experiments"
                           and n.split(".")[:2] != ["experiments", "measurements"]
                           for n in names), (path, names)
