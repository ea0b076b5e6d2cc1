"""`dwmgrad-verify verify-results DIR`: list every problem in a result directory.

Reads, changes nothing (no quarantine: that is ``run``'s job), and prints one line per
problem, ``<path>: <reason>``; exit 1 if there is any, 0 if the directory is clean, 2 if DIR
is not a result directory. What counts as a problem:

* a run whose files fail verification (:func:`experiments.records.verify_run_files`: format
  version, spec key, SHA-256 of the .csv.gz, timings) or whose data file does not parse;
* a run that failed (status "failed"), or whose data or timings file has no .json (a write
  that was interrupted); the next ``run`` recomputes both;
* a temporary file left by a killed writer;
* a measurement, theory or checks file that is not a JSON object, and a measurement that is
  an error record or has one beside it (``<name>.error.json``).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

from experiments.records import RunFileError, RunRecord
from experiments.store import CSV_SUFFIX, run_json_files, run_paths
from verify_io.errors import UsageError
from verify_io.files import TEMP_SUFFIX
from verify_io.paths import path_argument

RESULT_FOLDERS = ("runs", "measurements")
JSON_FILES = ("theory/bounds.json", "checks/checks.json", "claims.json")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=path_argument, metavar="DIR",
                        help="result directory to scan")


def run(args: argparse.Namespace) -> int:
    root = result_directory(args.directory)
    problems = list(find_problems(root))
    for path, reason in problems:
        print(f"{path}: {reason}")
    print(f"{len(problems)} problem(s) in {root}" if problems else f"{root}: no problem found")
    return 1 if problems else 0


def result_directory(root: Path) -> Path:
    """``root`` as a result directory (one holding runs/ or measurements/), else UsageError."""
    text = str(root)
    if not root.is_dir():
        raise UsageError(f"DIR {text!r} is not a directory; expected a result directory")
    if not any((root / name).is_dir() for name in RESULT_FOLDERS):
        raise UsageError(f"DIR {text!r} holds neither runs/ nor measurements/; expected a "
                         "result directory written by 'dwmgrad-verify run' or 'all'")
    return root


def find_problems(root: Path) -> Iterator[tuple[Path, str]]:
    """Every problem under ``root`` as (path, reason), in path order."""
    runs = root / "runs"
    for directory in sorted(p for p in runs.glob("*") if p.is_dir()):
        yield from _run_problems(directory)
    yield from _temporaries(root)
    measurements = root / "measurements"
    for path in sorted(measurements.glob("*.json")):
        yield from _measurement_problems(path)
    for name in JSON_FILES:
        if (root / name).exists() and (reason := _json_object_problem(root / name)):
            yield root / name, reason


def _run_problems(directory: Path) -> Iterator[tuple[Path, str]]:
    described: set[Path] = set()
    for json_path in run_json_files(directory):
        paths = run_paths(json_path.with_suffix(""))
        described.update(paths)
        try:
            record = RunRecord.from_files(*paths)
        except RunFileError as exc:
            yield exc.path, exc.reason
            continue
        if record.status == "failed":
            yield json_path, f"the run failed ({record.error}); the next run repeats it"
    for path in sorted(directory.iterdir()):
        if path not in described and (path.name.endswith(CSV_SUFFIX)
                                      or path.name.endswith(".timings.json")):
            yield path, "no .json beside it (a write was interrupted); the next run repeats it"


def _temporaries(root: Path) -> Iterator[tuple[Path, str]]:
    for path in sorted(root.rglob(f".*{TEMP_SUFFIX}")):
        yield path, "temporary file of a write that was interrupted (the next write removes it)"


def _json_object_problem(path: Path) -> str:
    try:
        value = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        return f"unreadable ({type(exc).__name__}: {exc})"
    return "" if isinstance(value, dict) else f"holds a {type(value).__name__}, not an object"


def _measurement_problems(path: Path) -> Iterator[tuple[Path, str]]:
    if reason := _json_object_problem(path):
        yield path, reason
        return
    value = json.loads(path.read_bytes())
    if "error" in value:
        kind = ("the last measurement failed (the earlier good one is kept)"
                if path.name.endswith(".error.json") else "the measurement failed")
        yield path, f"{kind}: {value['error']}"
