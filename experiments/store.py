"""Result files on disk: :class:`ResultStore` and atomic writes.

Layout under ``root`` (see ``docs/results.md``)::

    runs/<experiment>/<spec_key>.csv.gz         tidy per-step records (gzip-compressed CSV)
    runs/<experiment>/<spec_key>.json           spec, status, versions, commit
    runs/<experiment>/<spec_key>.timings.json   measured cost and creation time
    measurements/<experiment>.json              metrics computed from the run files
    measurements/<experiment>.error.json        why the last measurement failed, when a good
                                                one exists (which is kept)
    quarantine/runs/<experiment>/<spec_key>-<UTC time>/   files of a run that failed
                                                verification, with REASON.txt

A run's files are verified whenever they are read (:func:`experiments.records.verify_run_files`:
format version, spec key, SHA-256 of the data file, timings). A run that fails is moved into
the quarantine folder with the reason (logged as a warning naming the file), so the next
``run``/``all`` recomputes it; a run written by a newer format is left alone and refused.

Every file is written atomically: to a temporary file in the same directory, flushed and
fsync'ed, then ``os.replace``'d over the target, so a reader (or a rerun after SIGKILL) sees
either the old file or the whole new one. The .json is written last: a run is complete when
its .json exists with status "ok" or "diverged" and its .csv.gz exists. A file lock per directory
serialises concurrent writers of the same experiment.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from filelock import FileLock

from experiments.records import (
    COMPLETE_STATUSES,
    NewerFormatError,
    RunFileError,
    RunRecord,
    sha256_hex,
    verify_run_files,
)
from experiments.spec import RunSpec
from verify_io.files import TEMP_SUFFIX, atomic_write_bytes, atomic_write_text

#: Distributions whose versions go into every result's metadata.
VERSIONED_PACKAGES = ("dwmgrad-verify", "torch", "numpy", "scipy", "sympy", "cvxpy",
                      "scikit-learn")
CSV_SUFFIX = ".csv.gz"
LOCK_TIMEOUT_S = 600.0
QUARANTINE = "quarantine"
log = logging.getLogger(__name__)


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
        return run_paths(self.run_dir(spec.experiment) / spec.key())

    def _lock(self, directory: Path) -> FileLock:
        directory.mkdir(parents=True, exist_ok=True)
        return FileLock(str(directory / ".lock"), timeout=LOCK_TIMEOUT_S)

    @staticmethod
    def _remove_stale_temporaries(directory: Path) -> None:
        """Delete temporary files left by a writer that was killed mid-write.

        Call with the directory's lock held: every writer holds it while its temporary file
        exists, so any temporary file seen then belongs to a dead process.
        Only names the tool's own writer makes are matched (see
        :data:`verify_io.files.TEMP_SUFFIX`); a user's ``.notes.tmp`` stays.
        """
        for path in directory.glob(f".*{TEMP_SUFFIX}"):
            path.unlink(missing_ok=True)

    # ---- runs -------------------------------------------------------------------------------

    def has(self, spec: RunSpec) -> bool:
        """True when a complete (status ok or diverged), verified result of ``spec`` is on disk.

        A result whose files fail verification is quarantined (:meth:`quarantine`) and counts
        as absent, so it is run again; one of a newer format raises :class:`NewerFormatError`.
        """
        paths = self.paths(spec)
        if not paths[1].exists():
            return False
        try:
            meta = verify_run_files(*paths)
        except NewerFormatError:
            raise
        except RunFileError as exc:
            self.quarantine(paths, exc)
            return False
        return meta.get("status") in COMPLETE_STATUSES

    def quarantine(self, paths: tuple[Path, Path, Path], error: RunFileError) -> Path | None:
        """Move a run's files (``paths`` as :meth:`paths` gives them) into
        ``quarantine/runs/<experiment>/<key>-<time>/`` with ``REASON.txt``; returns that folder,
        or None when, checked again under the directory's lock, the files are intact (another
        process had just finished writing them) or gone."""
        csv_path, json_path, _ = paths
        with self._lock(json_path.parent):
            if not json_path.exists():
                return None
            try:
                verify_run_files(*paths)
                return None
            except RunFileError as again:
                error = again
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            target = (self.root / QUARANTINE / "runs" / json_path.parent.name
                      / f"{json_path.name.removesuffix('.json')}-{stamp}")
            target.mkdir(parents=True)
            atomic_write_text(target / "REASON.txt", f"{error}\n")
            for path in paths:
                if path.exists():
                    os.replace(path, target / path.name)
        log.warning("%s; moved to %s; `run`/`all` recomputes it", error, target)
        return target

    def save(self, record: RunRecord) -> None:
        """Write the record's three files atomically, the .json last."""
        if self.resolve(record.spec) != record.spec:
            raise ValueError(f"record of device {record.spec.device!r} saved in a store for "
                             f"device {self.device!r}")
        csv_path, json_path, timings_path = self.paths(record.spec)
        data = record.csv_gz()
        meta = record.metadata(package_versions(), git_commit(), sha256_hex(data))
        timings = dict(record.timings)
        timings["created"] = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock(csv_path.parent):
            self._remove_stale_temporaries(csv_path.parent)
            atomic_write_bytes(csv_path, data)
            atomic_write_json(timings_path, timings)
            atomic_write_json(json_path, meta)

    def load(self, spec: RunSpec) -> RunRecord:
        """The verified record of ``spec`` (:class:`RunFileError` naming a faulty file)."""
        csv_path, json_path, timings_path = self.paths(spec)
        if not json_path.exists():
            raise FileNotFoundError(f"no result for spec {spec.key()} in {self.root}")
        return RunRecord.from_files(csv_path, json_path, timings_path)

    def metadata(self, spec: RunSpec) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.paths(spec)[1].read_text())
        return result

    def records(self, experiment: str) -> list[RunRecord]:
        """Every complete, verified record of ``experiment``, ordered by spec key (runs that
        fail verification are quarantined and left out)."""
        out = []
        for json_path in run_json_files(self.run_dir(experiment)):
            paths = run_paths(json_path.with_suffix(""))
            try:
                record = RunRecord.from_files(*paths)
            except NewerFormatError:
                raise
            except RunFileError as exc:
                self.quarantine(paths, exc)
                continue
            if record.status in COMPLETE_STATUSES:
                out.append(record)
        return out

    # ---- measurements -----------------------------------------------------------------------

    def measurement_path(self, name: str) -> Path:
        return self.root / "measurements" / f"{name}.json"

    def measurement_error_path(self, name: str) -> Path:
        return self.root / "measurements" / f"{name}.error.json"

    def write_measurement(self, name: str, value: dict[str, Any]) -> Path:
        """Write ``value`` as the measurement ``name``; returns the path written.

        An error record (a ``value`` with an "error" key) never replaces a good measurement:
        it goes to :meth:`measurement_error_path` then, and the good one stays. A good
        measurement removes any such error record.
        """
        path = self.measurement_path(name)
        with self._lock(path.parent):
            self._remove_stale_temporaries(path.parent)
            if "error" in value and self._holds_good_measurement(path):
                path = self.measurement_error_path(name)
            elif "error" not in value:
                self.measurement_error_path(name).unlink(missing_ok=True)
            atomic_write_json(path, value)
        return path

    @staticmethod
    def _holds_good_measurement(path: Path) -> bool:
        try:
            return "error" not in json.loads(path.read_bytes())
        except (OSError, ValueError):
            return False

    def read_measurement(self, name: str) -> dict[str, Any]:
        path = self.measurement_path(name)
        if not path.exists():
            raise FileNotFoundError(f"no measurement {name!r} in {self.root}")
        result: dict[str, Any] = json.loads(path.read_text())
        return result


def run_paths(base: Path) -> tuple[Path, Path, Path]:
    """(.csv.gz, .json, .timings.json) of the run whose files are ``base`` + suffix."""
    return (base.with_suffix(CSV_SUFFIX), base.with_suffix(".json"),
            base.with_name(base.name + ".timings.json"))


def run_json_files(directory: Path) -> list[Path]:
    """The runs' ``<key>.json`` files in ``directory`` (not the timings), sorted."""
    return sorted(p for p in directory.glob("*.json") if not p.name.endswith(".timings.json"))
