"""`dwmgrad-verify all [--scale quick|full] [--device cpu|cuda] [--out DIR] [--workers N]`.

Validates every argument before any work (bad scale, unavailable CUDA, unwritable output
directory, bad worker count: one-line error, exit 2), then runs, in order:

1. theory: ``theory.cli.write_results(DIR)`` (bounds.json, derivation appendix);
2. checks: ``proofs_check.cli.write_results(DIR)`` (checks.json);
3. experiments: ``experiments.api.run_experiments(all names, scale, DIR, ...)``; the result
   store skips specs whose results exist, so a rerun after an interruption resumes;
4. report: :func:`reports.build.build_report` (reads the files only).

A stage that fails does not stop the later ones: its error is printed, written to
``DIR/logs/stages.json`` (the report quotes it for the claims left not run), and the
command exits 1 after the report is built.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from reports.build import build_report
from reports.cli import DEFAULT_OUT
from reports.results import EXPERIMENT_NAMES, STAGES_FILE
from reports.verdicts import tally_text
from verify_io.errors import UsageError
from verify_io.files import atomic_write_text
from verify_io.options import positive_int
from verify_io.paths import writable_dir

SCALES = ("quick", "full")
DEFAULT_WORKERS = min(2, os.cpu_count() or 1)
DEVICES = ("cpu", "cuda")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", default="quick", metavar="SCALE",
                        help="quick (default; under 10 minutes on 2 CPU cores) or full")
    parser.add_argument("--device", default="cpu", metavar="DEVICE",
                        help="cpu (default) or cuda (needs a visible GPU)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                        help=f"output directory (default ./{DEFAULT_OUT})")
    parser.add_argument("--workers", default=str(DEFAULT_WORKERS), metavar="N",
                        help=f"processes for the experiment runs (default {DEFAULT_WORKERS}: "
                             "the CPU cores, at most 2)")


def validate(args: argparse.Namespace) -> tuple[str, str, Path, int]:
    """Check every argument; raise :class:`UsageError` naming the first bad one."""
    if args.scale not in SCALES:
        raise UsageError(f"--scale {args.scale!r} is not valid; expected one of: "
                         f"{', '.join(SCALES)}")
    if args.device not in DEVICES:
        raise UsageError(f"--device {args.device!r} is not valid; expected one of: "
                         f"{', '.join(DEVICES)}")
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise UsageError("--device 'cuda' is not available: torch sees no CUDA device "
                             "(use --device cpu)")
    workers = positive_int("--workers", args.workers)
    out = writable_dir(args.out, option="--out")
    return args.scale, args.device, out, workers


def experiment_names() -> list[str]:
    """Every registered named experiment (the contract's list if the registry is absent)."""
    try:
        registry = importlib.import_module("experiments.named").EXPERIMENTS
    except (ImportError, AttributeError):
        return list(EXPERIMENT_NAMES)
    return list(registry)


def _stage_calls(scale: str, device: str, out: Path,
                 workers: int) -> list[tuple[str, Callable[[], Any]]]:
    def theory() -> Any:
        return importlib.import_module("theory.cli").write_results(out)

    def checks() -> Any:
        return importlib.import_module("proofs_check.cli").write_results(out)

    def experiments() -> Any:
        api = importlib.import_module("experiments.api")
        return api.run_experiments(experiment_names(), scale, out, device=device,
                                   workers=workers, progress=True)

    return [("theory", theory), ("checks", checks), ("experiments", experiments)]


def run(args: argparse.Namespace) -> int:
    scale, device, out, workers = validate(args)
    errors: dict[str, str] = {}
    started = time.perf_counter()
    stages = _stage_calls(scale, device, out, workers)
    with tqdm(total=len(stages) + 1, desc="dwmgrad-verify all", unit="stage",
              file=sys.stderr) as bar:
        for name, call in stages:
            bar.set_postfix_str(name)
            t0 = time.perf_counter()
            try:
                call()
                errors[name] = ""
                tqdm.write(f"{name}: done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            except Exception as exc:  # noqa: BLE001 - a failed stage must not stop the report
                errors[name] = f"{type(exc).__name__}: {exc}"
                tqdm.write(f"{name}: FAILED after {time.perf_counter() - t0:.1f} s: "
                           f"{errors[name]}\n{traceback.format_exc(limit=3)}", file=sys.stderr)
            bar.update(1)
        atomic_write_text(out / STAGES_FILE, json.dumps(errors, indent=2) + "\n")
        bar.set_postfix_str("report")
        files = build_report(out)
        bar.update(1)
    s = files.summary
    print(f"report: {files.index_html} ({tally_text(s)}) in "
          f"{time.perf_counter() - started:.0f} s")
    failed = [name for name, err in errors.items() if err]
    if failed:
        print(f"stages that failed: {', '.join(failed)} (see {out / STAGES_FILE}); their "
              "claims are not run", file=sys.stderr)
        return 1
    return 0
