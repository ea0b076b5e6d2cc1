"""Result files on disk: :class:`ResultStore` and atomic writes.

Layout under ``root`` (see ``docs/results.md``)::

    runs/<experiment>/<spec_key>.csv.gz         tidy per-step records (gzip-compressed CSV)
    runs/<experiment>/<spec_key>.json           spec, status, versions, commit
    runs/<experiment>/<spec_key>.timings.json   measured cost and creation time
    measurements/<experiment>.json              metrics computed from the run files

Every file is written atomically: to a temporary file in the same directory, flushed and
fsync'ed, then ``os.replace``'d over the target, so a reader (or a rerun after SIGKILL) sees
either the old file or the whole new one. The .json is written last: a run is complete when
its .json exists with status "ok" or "diverged" and its .csv.gz exists. A file lock per directory
serialises concurrent writers of the same experiment.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from filelock import FileLock

from experiments.records import RunRecord
from experiments.spec import RunSpec
from verify_io.files import atomic_write_bytes

#: Distributions whose versions go into every result's metadata.
VERSIONED_PACKAGES = ("dwmgrad-verify", "torch", "numpy", "scipy", "sympy", "cvxpy",
                      "scikit-learn")
COMPLETE_STATUSES = ("ok", "diverged")
CSV_SUFFIX = ".csv.gz"
LOCK_TIMEOUT_S = 600.0


def atomic_write_json(path: Path, value: Any) -> None:
    text = json.dumps(value, indent=2, sort_keys=True, allow_nan=True) + "\n"
    atomic_write_bytes(path, text.encode())


@functools.cache
def package_versions() -> dict[str, str]:
    """Installed versions of :data:`VERSIONED_PACKAGES` plus the Python version."""
    versions = {"python": sys.version.split()[0]}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@functools.cache
def git_commit() -> str:
    """The commit of the project's checkout (see :func:`commit_of`)."""
    return commit_of(Path(__file__).resolve().parent)


def commit_of(directory: Path) -> str:
    """``git rev-parse HEAD`` in ``directory``, or "unknown" outside a git checkout.

    ``safe.directory=*`` on the command line: a checkout owned by another user (a shared
    install, a container running as root) is still read; git would otherwise refuse it as of
    "dubious ownership" and the commit would be recorded as "unknown".
    """
    try:
        proc = subprocess.run(
            ["git", "-c", "safe.directory=*", "rev-parse", "HEAD"], cwd=directory,
            capture_output=True, text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = proc.stdout.strip()
    return commit if proc.returncode == 0 and commit else "unknown"


class ResultStore:
    """Reads and writes run records and measurements under ``root``.

    ``device``: when given, every spec is looked up and saved as if its ``device`` were this
    one. ``dwmgrad-verify run --device cuda`` uses it so that a named experiment's
    ``measure(store)``, which rebuilds its CPU specs, finds the results of the CUDA runs
    (whose keys differ: the device is part of the spec).
    """

    def __init__(self, root: str | os.PathLike[str], device: str | None = None) -> None:
        self.root = Path(root)
        self.device = device

    def resolve(self, spec: RunSpec) -> RunSpec:
        """``spec`` on this store's device (unchanged when the store has none)."""
        if self.device is None or spec.device == self.device:
            return spec
        return spec.with_changes(device=self.device)

    # ---- paths ------------------------------------------------------------------------------

    def run_dir(self, experiment: str) -> Path:
        return self.root / "runs" / experiment

    def paths(self, spec: RunSpec) -> tuple[Path, Path, Path]:
        """(.csv.gz, .json, .timings.json) of ``spec``."""
        spec = self.resolve(spec)
        base = self.run_dir(spec.experiment) / spec.key()
        return (base.with_suffix(CSV_SUFFIX), base.with_suffix(".json"),
                base.with_name(base.name + ".timings.json"))

    def _lock(self, directory: Path) -> FileLock:
        directory.mkdir(parents=True, exist_ok=True)
        return FileLock(str(directory / ".lock"), timeout=LOCK_TIMEOUT_S)

    @staticmethod
    def _remove_stale_temporaries(directory: Path) -> None:
        """Delete temporary files left by a writer that was killed mid-write.

        Call with the directory's lock held: every writer holds it while its temporary file
        exists, so any temporary file seen then belongs to a dead process.
        """
        for path in directory.glob(".*.tmp"):
            path.unlink(missing_ok=True)

    # ---- runs -------------------------------------------------------------------------------

    def has(self, spec: RunSpec) -> bool:
        """True when a complete result (status ok or diverged) of ``spec`` is on disk."""
        csv_path, json_path, _ = self.paths(spec)
        if not (csv_path.exists() and json_path.exists()):
            return False
        try:
            status = json.loads(json_path.read_text()).get("status")
        except (OSError, ValueError):
            return False
        return status in COMPLETE_STATUSES

    def save(self, record: RunRecord) -> None:
        """Write the record's three files atomically, the .json last."""
        if self.resolve(record.spec) != record.spec:
            raise ValueError(f"record of device {record.spec.device!r} saved in a store for "
                             f"device {self.device!r}")
        csv_path, json_path, timings_path = self.paths(record.spec)
        meta = record.metadata(package_versions(), git_commit())
        timings = dict(record.timings)
        timings["created"] = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock(csv_path.parent):
            self._remove_stale_temporaries(csv_path.parent)
            atomic_write_bytes(csv_path, record.csv_gz())
            atomic_write_json(timings_path, timings)
            atomic_write_json(json_path, meta)

    def load(self, spec: RunSpec) -> RunRecord:
        csv_path, json_path, timings_path = self.paths(spec)
        if not json_path.exists():
            raise FileNotFoundError(f"no result for spec {spec.key()} in {self.root}")
        return RunRecord.from_files(csv_path, json_path, timings_path)

    def metadata(self, spec: RunSpec) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.paths(spec)[1].read_text())
        return result

    def records(self, experiment: str) -> list[RunRecord]:
        """Every complete record of ``experiment``, ordered by spec key."""
        directory = self.run_dir(experiment)
        out = []
        for json_path in sorted(directory.glob("*.json")):
            if json_path.name.endswith(".timings.json"):
                continue
            csv_path = json_path.with_suffix(CSV_SUFFIX)
            if not csv_path.exists():
                continue
            meta = json.loads(json_path.read_text())
            if meta.get("status") not in COMPLETE_STATUSES:
                continue
            timings = json_path.with_name(json_path.stem + ".timings.json")
            out.append(RunRecord.from_files(csv_path, json_path, timings))
        return out

    # ---- measurements -----------------------------------------------------------------------

    def measurement_path(self, name: str) -> Path:
        return self.root / "measurements" / f"{name}.json"

    def write_measurement(self, name: str, value: dict[str, Any]) -> Path:
        path = self.measurement_path(name)
        with self._lock(path.parent):
            self._remove_stale_temporaries(path.parent)
            atomic_write_json(path, value)
        return path

    def read_measurement(self, name: str) -> dict[str, Any]:
        path = self.measurement_path(name)
        if not path.exists():
            raise FileNotFoundError(f"no measurement {name!r} in {self.root}")
        result: dict[str, Any] = json.loads(path.read_text())
        return result
