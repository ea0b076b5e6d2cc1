"""Divergence never crashes a sweep: a run whose loss or gradient stops being finite is
recorded as "diverged" with the step, the other runs of the sweep complete, a run that raises
is recorded as "failed" (and retried next time), and the report lists the diverged run.

The sweep: gradient descent on a quadratic with eigenvalues in [1, 10] at three learning
rates; lr = 1e3 multiplies the error by about 1e4 per step, so it overflows to inf within
~80 steps, while lr = 0.05 and 0.1 converge.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from experiments.records import RunRecord, read_csv_text
from experiments.runner import run_specs
from experiments.spec import RunSpec
from experiments.store import ResultStore

HORIZON = 150
SEEDS = (0, 1)
GOOD_LRS = (0.05, 0.1)
HUGE_LR = 1e3


def sweep_spec(lr: float, problem_params: dict[str, object] | None = None) -> RunSpec:
    return RunSpec(experiment="divergence_sweep", problem="quadratic", optimizer="SGD",
                   hyperparameters={"lr": lr}, seeds=SEEDS, horizon=HORIZON,
                   problem_params=problem_params or {"d": 5, "mu": 1.0, "L": 10.0},
                   record=("grad_norm",))


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> tuple[ResultStore, list[RunRecord]]:
    store = ResultStore(tmp_path_factory.mktemp("sweep"))
    specs = [sweep_spec(lr) for lr in (GOOD_LRS[0], HUGE_LR, GOOD_LRS[1])]
    records = run_specs(specs, store, progress=False)
    return store, records


def test_diverged_run_recorded_with_its_step(swept: tuple[ResultStore, list[RunRecord]]
                                             ) -> None:
    store, records = swept
    assert len(records) == 3
    by_lr = {r.spec.hyperparameters["lr"]: r for r in records}
    bad = by_lr[HUGE_LR]
    assert bad.status == "diverged"
    assert set(bad.diverged_at) == set(SEEDS)
    for row, seed in enumerate(SEEDS):
        k = bad.diverged_at[seed]
        assert 1 < k <= HORIZON
        assert np.isfinite(bad.losses[row, :k - 1]).all()      # finite before step k
        assert np.isnan(bad.losses[row, k - 1:]).all()         # NaN from step k on
    meta = json.loads(store.paths(bad.spec)[1].read_text())
    assert meta["status"] == "diverged"
    assert meta["diverged_at"] == {str(s): bad.diverged_at[s] for s in SEEDS}
    # The file form round-trips the divergence.
    loaded = store.load(bad.spec)
    assert loaded.diverged_at == bad.diverged_at and loaded.status == "diverged"
    assert np.array_equal(np.isnan(loaded.losses), np.isnan(bad.losses))


def test_other_runs_of_the_sweep_complete(swept: tuple[ResultStore, list[RunRecord]]) -> None:
    store, records = swept
    for record in records:
        if record.spec.hyperparameters["lr"] in GOOD_LRS:
            assert record.status == "ok" and not record.diverged_at
            assert np.isfinite(record.losses).all()
            assert record.losses[:, -1].max() < 1e-6 * record.losses[:, 0].min()
            assert store.has(record.spec)
    csv_path = store.paths(records[0].spec)[0]
    rows = list(csv.DictReader(read_csv_text(csv_path).splitlines()))
    assert len(rows) == 2 * len(SEEDS) * HORIZON            # loss and grad_norm, every step


def test_a_stored_diverged_run_is_not_rerun(swept: tuple[ResultStore, list[RunRecord]]) -> None:
    store, records = swept
    assert run_specs([r.spec for r in records], store, progress=False) == []


def test_a_run_that_raises_is_failed_and_retried(tmp_path: Path) -> None:
    """An exception inside one run (here: a problem parameter the problem rejects while it is
    built) gives a "failed" record with the reason; the sweep goes on; the failed spec is not
    'complete', so the next call runs it again."""
    store = ResultStore(tmp_path)
    broken = sweep_spec(0.1, {"d": 5, "mu": 10.0, "L": 1.0})        # mu > L
    good = sweep_spec(0.1)
    records = run_specs([broken, good], store, progress=False)
    status = {r.spec.key(): r for r in records}
    assert status[good.key()].status == "ok"
    failed = status[broken.key()]
    assert failed.status == "failed"
    assert failed.error and ("mu" in failed.error or "L" in failed.error), failed.error
    assert not store.has(broken)
    again = run_specs([broken, good], store, progress=False)
    assert [r.spec.key() for r in again] == [broken.key()]


def test_report_lists_the_diverged_run(swept: tuple[ResultStore, list[RunRecord]],
                                       tmp_path: Path) -> None:
    """The sweep's measurement (the named experiments' envelope, with its "diverged" list)
    goes into a result directory; the report built from it shows the diverged run: spec key,
    optimizer, seed and step, in report.md, index.html and nowhere as a crash."""
    from experiments.named.common import envelope
    from reports.build import build_report
    from reports.results import EXPERIMENT_NAMES

    store, records = swept
    name = EXPERIMENT_NAMES[0]
    measurement = envelope(name, "quick", records, metrics={}, series={})
    assert len(measurement["diverged"]) == len(SEEDS)
    out = ResultStore(tmp_path / "out")
    out.write_measurement(name, measurement)
    files = build_report(out.root)
    bad = next(r for r in records if r.status == "diverged")
    for path in (files.report_md, files.index_html):
        text = path.read_text()
        assert "Diverged runs" in text, path
        assert bad.spec.key() in text, path
        for seed in SEEDS:
            assert str(bad.diverged_at[seed]) in text
    claims = json.loads(files.claims_json.read_text())["claims"]
    tested = [c for c in claims if name in c["experiments"]]
    assert tested, name
    for claim in tested:        # the sweep has none of the experiment's metrics
        assert claim["verdict"] == "invalid data", claim["id"]
        assert f"measurements/{name}.json" in claim["reason"], claim["id"]
