"""`dwmgrad-verify audit --optimizer PKG.MOD:CLASS [--options JSON] [--out DIR]
[--scale quick|full] [--workers N]`: the standard battery on any torch optimizer.

Every argument is checked before any work (one-line error naming the value, exit 2): the
optimizer must import and be a ``torch.optim.Optimizer`` subclass, the options a JSON object
the class accepts (it is built on a small tensor and steps twice with them), the scale, the
output directory and the worker count valid. Then :mod:`experiments.audit.battery` runs the
online regret suite, Reddi's and Lessard's constructions, the counterexample search, the
invariance audit and cost scaling (stored runs are not repeated), and the report of
:mod:`reports.audit_view` is written into the directory (index.html, report.md, claims.json,
figures/, tables/). From Python, :func:`audit` does the same and also takes user bounds
(``theory.core.Bound``), each judged as a claim against the measured regret.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verify_io import console
from verify_io.errors import UsageError
from verify_io.options import worker_count
from verify_io.paths import path_argument, result_dir

if TYPE_CHECKING:
    from reports.build import ReportFiles
    from theory.core import Bound

SCALES = ("quick", "full")
DEFAULT_OUT = "audit_results"
DEFAULT_WORKERS = min(2, os.cpu_count() or 1)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--optimizer", required=True, metavar="PKG.MOD:CLASS",
                        help="the optimizer class to audit, e.g. torch.optim:Adagrad")
    parser.add_argument("--options", default="{}", metavar="JSON",
                        help="its constructor options as a JSON object (default {})")
    parser.add_argument("--out", type=path_argument, default=DEFAULT_OUT, metavar="DIR",
                        help=f"output directory (default ./{DEFAULT_OUT})")
    parser.add_argument("--scale", default="quick", metavar="SCALE",
                        help="quick (default) or full")
    parser.add_argument("--workers", default=str(DEFAULT_WORKERS), metavar="N",
                        help=f"processes for the runs (default {DEFAULT_WORKERS})")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite number")


def parse_options(text: str) -> dict[str, Any]:
    """``--options`` as a JSON object of finite values; UsageError naming the text."""
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise UsageError(f"--options {text!r} is not valid JSON ({exc}); expected a JSON "
                         "object such as '{\"lr\": 0.1}'") from None
    if not isinstance(value, dict):
        raise UsageError(f"--options {text!r} is a JSON {type(value).__name__}; expected a "
                         "JSON object such as '{\"lr\": 0.1}'")
    return value


def check_target(optimizer: str, options: Mapping[str, Any]) -> Any:
    """The audit's :class:`~experiments.audit.target.Target`, or a UsageError naming the bad
    ``--optimizer`` or ``--options`` value."""
    from experiments import external
    from experiments.audit.target import Target

    try:
        external.resolve(optimizer)
    except ValueError as exc:
        raise UsageError(f"--{exc}") from None
    try:
        target = Target(optimizer, options)
        external.check_options(optimizer, target.options)
    except ValueError as exc:
        raise UsageError(f"--options {json.dumps(dict(options))!r}: {exc}") from None
    return target


def audit(optimizer: str, options: Mapping[str, Any], out: str | os.PathLike[str],
          scale: str = "quick", bounds: Sequence[Bound] = (), workers: int = 1,
          progress: bool = False) -> ReportFiles:
    """Audit ``optimizer`` (``PKG.MOD:CLASS``) with ``options`` into ``out`` and build its
    report; ``bounds``: user regret bounds, one claim each. Bad input raises UsageError
    before any run."""
    if scale not in SCALES:
        raise UsageError(f"--scale {scale!r} is not valid; expected one of: {', '.join(SCALES)}")
    target = check_target(optimizer, options)
    from experiments.audit import battery, regret
    from reports.audit_claims import bound_claim_id

    for bound in bounds:
        try:
            regret.check_bound(bound, target)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    ids = [bound_claim_id(b.name) for b in bounds]
    if len(set(ids)) != len(ids):
        raise UsageError(f"bound names {[b.name for b in bounds]} give the claim ids {ids}; "
                         "expected distinct names")
    root = result_dir(out, option="--out")
    from experiments.executors import make_executor
    from experiments.named.common import check_scale
    from experiments.store import ResultStore
    from reports.audit_view import contents
    from reports.build import build_report

    battery.run_battery(target, ResultStore(root), check_scale(scale), make_executor(workers),
                        bounds, progress)
    rerun = (f"dwmgrad-verify audit --optimizer {optimizer} --options "
             f"{shlex.quote(target.options_json())} --out {shlex.quote(str(root))} "
             f"--scale {scale}")
    return build_report(root, contents(f"{target.label} ({optimizer}, options "
                                       f"{target.options_json()})", rerun))


def run(args: argparse.Namespace) -> int:
    options = parse_options(args.options)
    workers = worker_count("--workers", args.workers)
    verbosity = console.level(args)
    started = time.perf_counter()
    files = audit(args.optimizer, options, Path(args.out), args.scale, (), workers,
                  console.progress_bars(verbosity))
    from reports.verdicts import tally_text

    print(f"audit: {files.index_html} ({tally_text(files.summary)}) in "
          f"{time.perf_counter() - started:.0f} s")
    return 0
