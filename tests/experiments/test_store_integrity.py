"""Run files are verified when read (issue 14 §1): format version, spec key, SHA-256 of the
data file, timings. A run that fails is named, quarantined with the reason and recomputed by
the next run; a newer format is refused untouched; a measurement is never replaced by an
error record while a good one exists.

Each test reproduces a fault seen on 892f1c6: a copied run was used under the wrong name,
values scaled by 1.02^k were used silently, format_version 1 and 99 were accepted, a
truncated or bit-flipped .csv.gz gave ``EOFError`` with no file name on every rerun, a
missing timings file gave ``KeyError: 'step_s'``, and the rerun replaced the good measurement
with an error record.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from experiments.records import FORMAT_VERSION, NewerFormatError, RunFileError, read_csv_text
from experiments.runner import run_spec, run_specs
from experiments.spec import RunSpec
from experiments.store import QUARANTINE, ResultStore

SPEC = RunSpec(experiment="unit", problem="quadratic", optimizer="HeavyBall", horizon=30,
               seeds=(0, 1), problem_params={"d": 4, "mu": 1.0, "L": 9.0},
               hyperparameters={"lr": 0.1, "momentum": 0.3}, record=("grad_norm",))
OTHER = SPEC.with_changes(hyperparameters={"lr": 0.05, "momentum": 0.3})


@pytest.fixture
def stored(tmp_path: Path) -> ResultStore:
    """A store holding the results of SPEC and OTHER."""
    results = ResultStore(tmp_path)
    run_specs([SPEC, OTHER], results, progress=False)
    return results


def edit_json(path: Path, **changes: object) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def copy_other_over_spec(results: ResultStore) -> None:
    for source, target in zip(results.paths(OTHER), results.paths(SPEC), strict=True):
        target.write_bytes(source.read_bytes())


def scale_values(results: ResultStore) -> None:
    """Every value times 1.02^step: still a valid file, but not the measured numbers."""
    csv_path = results.paths(SPEC)[0]
    header, *rows = read_csv_text(csv_path).splitlines()
    scaled = []
    for row in rows:
        *head, step, quantity, value = row.split(",")
        scaled.append(",".join([*head, step, quantity, repr(float(value) * 1.02 ** int(step))]))
    csv_path.write_bytes(gzip.compress(("\n".join([header, *scaled]) + "\n").encode(), mtime=0))


def truncate(results: ResultStore) -> None:
    csv_path = results.paths(SPEC)[0]
    csv_path.write_bytes(csv_path.read_bytes()[:-40])


def flip_a_bit(results: ResultStore) -> None:
    csv_path = results.paths(SPEC)[0]
    data = bytearray(csv_path.read_bytes())
    data[len(data) // 2] ^= 0x10
    csv_path.write_bytes(bytes(data))


def remove_timings(results: ResultStore) -> None:
    results.paths(SPEC)[2].unlink()


def old_format(results: ResultStore) -> None:
    edit_json(results.paths(SPEC)[1], format_version=1)


FAULTS: dict[str, tuple[Callable[[ResultStore], None], int, str]] = {
    # fault: (make it, index of the file named in the reason, words of the reason)
    "copied over another run": (copy_other_over_spec, 1, "spec_key"),
    "values scaled by 1.02^k": (scale_values, 0, "SHA-256"),
    "truncated data file": (truncate, 0, "SHA-256"),
    "bit-flipped data file": (flip_a_bit, 0, "SHA-256"),
    "missing timings file": (remove_timings, 2, "missing"),
    "format_version 1": (old_format, 1, "format_version 1 is not the current"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_faulty_run_is_named_quarantined_and_recomputed(
        stored: ResultStore, fault: str, caplog: pytest.LogCaptureFixture) -> None:
    spoil, named, words = FAULTS[fault]
    good = run_spec(SPEC)
    spoil(stored)
    bad_file = stored.paths(SPEC)[named]
    with pytest.raises(RunFileError, match=words) as error:
        stored.load(SPEC)
    assert error.value.path == bad_file
    with caplog.at_level(logging.WARNING):
        assert not stored.has(SPEC)                  # quarantined: absent, so run again
    assert str(bad_file) in caplog.text and "recomputes" in caplog.text
    [folder] = (stored.root / QUARANTINE / "runs" / "unit").iterdir()
    assert folder.name.startswith(SPEC.key())
    assert str(bad_file) in (folder / "REASON.txt").read_text()
    assert not any(path.exists() for path in stored.paths(SPEC))
    assert [r.spec for r in run_specs([SPEC, OTHER], stored, progress=False)] == [SPEC]
    np.testing.assert_array_equal(stored.load(SPEC).losses, good.losses)
    assert stored.has(OTHER)                         # the intact run is left alone


def test_a_newer_format_is_refused_and_left_in_place(stored: ResultStore) -> None:
    json_path = stored.paths(SPEC)[1]
    edit_json(json_path, format_version=99)
    before = json_path.read_bytes()
    for read in (stored.has, stored.load):
        with pytest.raises(NewerFormatError, match="format_version 99 was written by a newer "
                                                    "dwmgrad-verify.*upgrade"):
            read(SPEC)
    assert json_path.read_bytes() == before and not (stored.root / QUARANTINE).exists()


def test_the_current_format_version_is_written(stored: ResultStore) -> None:
    meta = stored.metadata(SPEC)
    assert meta["format_version"] == FORMAT_VERSION == 3
    assert len(meta["data_sha256"]) == 64 and meta["spec_key"] == SPEC.key()


def test_records_skip_and_quarantine_faulty_runs(stored: ResultStore) -> None:
    flip_a_bit(stored)
    assert [r.spec for r in stored.records("unit")] == [OTHER]
    assert (stored.root / QUARANTINE / "runs" / "unit").is_dir()


def test_an_error_record_never_replaces_a_good_measurement(tmp_path: Path) -> None:
    results = ResultStore(tmp_path)
    good = {"experiment": "unit", "metrics": {"rate": 0.5}}
    error = {"experiment": "unit", "error": "RunFileError: x.csv.gz: unreadable"}
    assert results.write_measurement("unit", error) == results.measurement_path("unit")
    assert results.write_measurement("unit", good) == results.measurement_path("unit")
    assert results.write_measurement("unit", error) == results.measurement_error_path("unit")
    assert results.read_measurement("unit") == good
    assert json.loads(results.measurement_error_path("unit").read_text()) == error
    results.write_measurement("unit", good)          # a good one clears the error record
    assert not results.measurement_error_path("unit").exists()
