"""`dwmgrad-verify all [--scale quick|full] [--device cpu|cuda] [--out DIR] [--workers N]
[--executor local|ray] [--ray-address ADDRESS]`.

Validates every argument before any work (bad scale, unavailable CUDA, unwritable output
directory, bad worker count: one-line error, exit 2), then runs, in order:

1. theory: :func:`theory.cli.write_results` (``DIR/theory/bounds.json``);
2. checks: :func:`proofs_check.cli.write_results` (``DIR/checks/checks.json``), in a process
   of its own beside the experiments' runs and measurements, awaited before the timings;
3. experiments: :func:`experiments.api.run_experiments` on every registered experiment, the
   timed ones (``cost_scaling``) last, with nothing beside them; the result store skips specs
   whose results exist, so a rerun after an interruption resumes;
4. report: :func:`reports.build.build_report` (reads the files only; writes the derivation
   appendix too).

A stage that fails does not stop the later ones: its error is printed, written to
``DIR/logs/stages.json`` (the report quotes it for the claims left not run), and the
command exits 1 after the report is built. Each stage's time is printed on stderr (not
with ``--quiet``); progress bars only on a terminal (or with ``--verbose``).
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from experiments.cli import add_executor_options
from reports.results import STAGES_FILE
from verify_io import console
from verify_io.errors import DiskFull
from verify_io.files import atomic_write_text
from verify_io.options import worker_count
from verify_io.paths import DEFAULT_OUT, path_argument

DEFAULT_WORKERS = min(2, os.cpu_count() or 1)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", default="quick", metavar="SCALE",
                        help="quick (default; under 10 minutes on 2 CPU cores) or full")
    parser.add_argument("--device", default="cpu", metavar="DEVICE",
                        help="cpu (default) or cuda (needs a visible GPU)")
    parser.add_argument("--out", type=path_argument, default=DEFAULT_OUT, metavar="DIR",
                        help=f"output directory (default ./{DEFAULT_OUT})")
    parser.add_argument("--workers", default=str(DEFAULT_WORKERS), metavar="N",
                        help=f"processes for the experiment runs (default {DEFAULT_WORKERS}: "
                             "the CPU cores, at most 2)")
    add_executor_options(parser)


def validate(args: argparse.Namespace) -> tuple[str, str, Path, int]:
    """Check every argument, and every path the command writes under ``--out`` (those of each
    experiment included); raise :class:`UsageError` naming the first bad one."""
    from experiments.api import experiments_registry, validate_request

    workers = worker_count("--workers", args.workers)
    validate_request(list(experiments_registry()), args.scale, args.out, device=args.device,
                     workers=workers, executor=args.executor, ray_address=args.ray_address)
    return args.scale, args.device, Path(args.out), workers


class StageLog:
    """Runs stages, prints each one's time (not with ``--quiet``) and keeps its error: a
    stage that fails does not stop the later ones."""

    def __init__(self, verbosity: int) -> None:
        self.verbosity = verbosity
        self.errors: dict[str, str] = {}

    def run(self, name: str, call: Callable[[], object], started: float | None = None
            ) -> None:
        """Run ``call`` as stage ``name`` (``started``: when it began, if earlier: its time
        is then counted from there)."""
        console.note(self.verbosity, f"{name}: started", at=console.VERBOSE)
        t0 = time.perf_counter() if started is None else started
        try:
            call()
            self.errors[name] = ""
            console.note(self.verbosity,
                         f"{name}: done in {time.perf_counter() - t0:.1f} s")
        except DiskFull:                # the later stages and the report could not be written
            raise
        except Exception as exc:  # noqa: BLE001 - a failed stage must not stop the report
            self.errors[name] = f"{type(exc).__name__}: {exc}"
            console.note(self.verbosity, f"{name}: FAILED after {time.perf_counter() - t0:.1f} "
                                         f"s: {self.errors[name]}\n"
                                         f"{traceback.format_exc(limit=3)}", at=console.QUIET)


def in_background(call: Callable[[Path], object], out: Path) -> Callable[[], object]:
    """Start ``call(out)`` in a process of its own; return what waits for it (and raises its
    exception). Until it has been waited for, an exit stops the process (an interrupted
    `all` leaves no checks process behind); the wait stops it if interrupted itself."""
    from experiments.executors import Background

    job = Background(call, out)
    atexit.register(job.stop)

    def wait() -> object:
        try:
            return job.result()
        finally:
            job.stop()                  # a no-op unless the wait was interrupted
            atexit.unregister(job.stop)
    return wait


def run_stages(log: StageLog, scale: str, device: str, out: Path, workers: int,
               progress: bool, executor: str = "local", ray_address: str | None = None) -> None:
    """theory; then the checks in a process of their own beside the experiments' runs and
    measurements (one core is idle for most of those: the searches run one spec at a time);
    the checks are awaited before the timings (``TIMED`` experiments, ``cost_scaling``),
    which run with nothing beside them."""
    from experiments.api import experiments_registry, run_experiments
    from proofs_check.cli import write_results as write_checks
    from theory.cli import write_results as write_bounds

    log.run("theory", lambda: write_bounds(out))
    registry = experiments_registry()
    timed = [n for n, m in registry.items() if getattr(m, "TIMED", False)]
    checks_started = time.perf_counter()
    checks = in_background(write_checks, out)

    def experiments(names: list[str]) -> None:
        run_experiments(names, scale, out, device=device, workers=workers, progress=progress,
                        executor=executor, ray_address=ray_address)

    def untimed_then_timed() -> None:
        try:
            experiments([n for n in registry if n not in timed])
        finally:
            log.run("checks", checks, checks_started)
        experiments(timed)

    log.run("experiments", untimed_then_timed)


def run(args: argparse.Namespace) -> int:
    scale, device, out, workers = validate(args)
    verbosity = console.level(args)
    started = time.perf_counter()
    log = StageLog(verbosity)
    run_stages(log, scale, device, out, workers, console.progress_bars(verbosity),
               args.executor, args.ray_address)
    errors = log.errors
    atomic_write_text(out / STAGES_FILE, json.dumps(errors, indent=2) + "\n")
    from reports.build import build_report
    from reports.verdicts import tally_text

    t0 = time.perf_counter()
    files = build_report(out)
    console.note(verbosity, f"report: done in {time.perf_counter() - t0:.1f} s")
    print(f"report: {files.index_html} ({tally_text(files.summary)}) in "
          f"{time.perf_counter() - started:.0f} s")
    failed = [name for name, err in errors.items() if err]
    if failed:
        console.note(verbosity, f"stages that failed: {', '.join(failed)} (see "
                                f"{out / STAGES_FILE}); their claims are not run",
                     at=console.QUIET)
        return 1
    return 0
