"""Result files: spec keys, atomic writes, skip-if-exists, bit-identical reruns."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from experiments import runner, store
from experiments.records import RunRecord, read_csv_text, sha256_hex
from experiments.runner import run_spec, run_specs
from experiments.spec import RunSpec
from experiments.store import ResultStore
from verify_io.files import TEMP_SUFFIX, atomic_write_bytes

SPEC = RunSpec(experiment="unit", problem="quadratic", optimizer="HeavyBall", horizon=30,
               seeds=(0, 1), problem_params={"d": 4, "mu": 1.0, "L": 9.0},
               hyperparameters={"lr": 0.1, "momentum": 0.3}, record=("grad_norm",))


def test_spec_key_is_stable_and_order_independent() -> None:
    same = RunSpec(experiment="unit", problem="quadratic", optimizer="HeavyBall", horizon=30,
                   seeds=(0, 1), problem_params={"L": 9.0, "mu": 1.0, "d": 4},
                   hyperparameters={"momentum": 0.3, "lr": 0.1}, record=("grad_norm",))
    assert same.key() == SPEC.key() and hash(same) == hash(SPEC) and same == SPEC
    # Frozen literal: changing the canonical form would orphan every stored result.
    assert SPEC.key() == "dcc7fefcd0542f9b"
    assert SPEC.with_changes(device="cuda").key() != SPEC.key()
    assert SPEC.with_changes(seeds=(1, 0)).key() != SPEC.key()
    assert RunSpec.from_dict(json.loads(SPEC.canonical_json())) == SPEC


def test_spec_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="horizon"):
        SPEC.with_changes(horizon=0)
    with pytest.raises(ValueError, match="seeds"):
        SPEC.with_changes(seeds=(1, 1))
    with pytest.raises(ValueError, match="dtype"):
        SPEC.with_changes(dtype="float16")
    with pytest.raises(ValueError, match="experiment"):
        SPEC.with_changes(experiment="../escape")
    with pytest.raises(ValueError, match="hyperparameters"):
        SPEC.with_changes(hyperparameters={"lr": float("nan")})


def test_save_load_round_trip(tmp_path: Path) -> None:
    results = ResultStore(tmp_path)
    record = run_spec(SPEC)
    assert not results.has(SPEC)
    results.save(record)
    assert results.has(SPEC)
    loaded = results.load(SPEC)
    np.testing.assert_array_equal(loaded.losses, record.losses)
    np.testing.assert_array_equal(loaded.extras["grad_norm"], record.extras["grad_norm"])
    assert loaded.spec == SPEC and loaded.status == "ok"
    assert loaded.timings["run_s"] == record.timings["run_s"]
    assert [r.spec for r in results.records("unit")] == [SPEC]
    meta = results.metadata(SPEC)
    assert set(meta["versions"]) >= {"torch", "numpy", "scipy", "sympy", "cvxpy",
                                     "dwmgrad-verify"}
    assert len(meta["git_commit"]) == 40 or meta["git_commit"] == "unknown"


def test_failed_run_is_saved_small_and_run_again(tmp_path: Path) -> None:
    results = ResultStore(tmp_path)
    failed = runner.run_spec_safely(SPEC.with_changes(problem_params={"d": 4, "mu": 9.0, "L": 1.0}))
    assert failed.status == "failed" and "mu" in (failed.error or "")
    results.save(failed)
    csv_path, json_path, timings_path = results.paths(failed.spec)
    assert read_csv_text(csv_path).count("\n") == 1              # header only
    assert not results.has(failed.spec) and results.records("unit") == []
    loaded = RunRecord.from_files(csv_path, json_path, timings_path)
    assert loaded.status == "failed" and np.all(np.isnan(loaded.losses))


def test_csv_is_compressed_with_deterministic_bytes(tmp_path: Path) -> None:
    """The per-step CSV is stored gzip-compressed, the same record giving the same bytes (no
    time stamp in the gzip header), and reads back to the same text."""
    record = run_spec(SPEC.with_changes(horizon=2000))
    first, second = ResultStore(tmp_path / "a"), ResultStore(tmp_path / "b")
    first.save(record)
    second.save(record)
    path_a, path_b = first.paths(SPEC.with_changes(horizon=2000))[0], second.paths(
        SPEC.with_changes(horizon=2000))[0]
    assert path_a.name.endswith(".csv.gz")
    assert path_a.read_bytes() == path_b.read_bytes()
    assert read_csv_text(path_a) == record.csv_text()
    assert path_a.stat().st_size * 4 < len(record.csv_text().encode())


def test_csv_rows_in_any_order_load_the_same(tmp_path: Path) -> None:
    results = ResultStore(tmp_path)
    record = run_spec(SPEC)
    results.save(record)
    csv_path, json_path, _ = results.paths(SPEC)
    header, *rows = read_csv_text(csv_path).splitlines()
    data = gzip.compress(("\n".join([header, *reversed(rows)]) + "\n").encode())
    csv_path.write_bytes(data)
    meta = json.loads(json_path.read_text())
    json_path.write_text(json.dumps({**meta, "data_sha256": sha256_hex(data)}))
    loaded = results.load(SPEC)
    np.testing.assert_array_equal(loaded.losses, record.losses)
    np.testing.assert_array_equal(loaded.extras["grad_norm"], record.extras["grad_norm"])


def test_failed_write_leaves_no_partial_file(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "result.csv"
    atomic_write_bytes(target, b"old complete content\n")

    def crash(fd: int) -> None:
        raise OSError("disk died mid-write")

    monkeypatch.setattr(store.os, "fsync", crash)
    with pytest.raises(OSError, match="mid-write"):
        atomic_write_bytes(target, b"new content that never lands\n" * 1000)
    assert target.read_bytes() == b"old complete content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.csv"]


def test_interrupted_save_is_not_a_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results = ResultStore(tmp_path)
    record = run_spec(SPEC)
    real = store.atomic_write_json
    calls = []

    def die_on_metadata(path: Path, value: object) -> None:
        calls.append(path.name)
        if path.name == f"{SPEC.key()}.json":
            raise KeyboardInterrupt
        real(path, value)

    monkeypatch.setattr(store, "atomic_write_json", die_on_metadata)
    with pytest.raises(KeyboardInterrupt):
        results.save(record)
    assert not results.has(SPEC)          # csv written, metadata missing: run again
    assert results.records("unit") == []
    stale = results.run_dir("unit") / f".{SPEC.key()}.json.x1{TEMP_SUFFIX}"  # SIGKILL leftover
    stale.write_text('{"status": "o')
    users = [results.run_dir("unit") / name for name in (".notes.tmp", f".{SPEC.key()}.tmp")]
    for path in users:                    # a user's files, which only look temporary
        path.write_text("mine\n")
    monkeypatch.setattr(store, "atomic_write_json", real)
    results.save(record)                  # the rerun completes and sweeps the leftover
    assert results.has(SPEC) and not stale.exists()
    assert all(path.read_text() == "mine\n" for path in users)


def test_run_specs_skips_stored_specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results = ResultStore(tmp_path)
    calls: list[str] = []
    real = runner.run_spec

    def counting(spec: RunSpec):  # type: ignore[no-untyped-def]
        calls.append(spec.key())
        return real(spec)

    monkeypatch.setattr(runner, "run_spec", counting)
    specs = [SPEC, SPEC.with_changes(seeds=(2,)), SPEC]
    assert len(run_specs(specs, results, progress=False)) == 2
    assert len(calls) == 2
    assert run_specs(specs, results, progress=False) == []
    assert len(calls) == 2


def test_device_store_finds_results_by_their_cpu_spec(tmp_path: Path) -> None:
    record = run_spec(SPEC)
    record.spec = SPEC.with_changes(device="cuda")        # as if it had run on a GPU
    gpu_store = ResultStore(tmp_path, device="cuda")
    gpu_store.save(record)
    assert gpu_store.has(SPEC) and not ResultStore(tmp_path).has(SPEC)
    assert gpu_store.load(SPEC).spec.device == "cuda"
    with pytest.raises(ValueError, match="device"):
        gpu_store.save(run_spec(SPEC))


def test_concurrent_writers_do_not_corrupt_each_other(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    specs = [SPEC.with_changes(seeds=(s,)) for s in range(4)]
    records = [run_spec(s) for s in specs]
    results = ResultStore(tmp_path)
    with ThreadPoolExecutor(8) as pool:     # every record saved by two writers at once
        list(pool.map(results.save, records + records))
    for spec, record in zip(specs, records, strict=True):
        np.testing.assert_array_equal(results.load(spec).losses, record.losses)
    leftovers = [p.name for p in results.run_dir("unit").iterdir() if p.name.endswith(TEMP_SUFFIX)]
    assert leftovers == [] and len(results.records("unit")) == 4


def test_commit_is_read_from_a_checkout_owned_by_another_user(tmp_path: Path) -> None:
    """git refuses a repository owned by another user ("dubious ownership"); the commit is
    still recorded, not "unknown" (seen when the tool ran as root on a user's checkout)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root to hand the checkout to another user")
    repo = tmp_path / "checkout"
    repo.mkdir()
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], cwd=repo, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()
    for path in [repo, *repo.rglob("*")]:
        os.chown(path, 65534, 65534, follow_symlinks=False)
    plain = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                           text=True, check=False)
    assert plain.returncode != 0 and "dubious ownership" in plain.stderr  # git's refusal
    assert store.commit_of(repo) == head
    assert store.commit_of(tmp_path) == "unknown"
