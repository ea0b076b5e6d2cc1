"""`dwmgrad-verify audit --optimizer NAME|PKG.MOD:CLASS [--options JSON] [--bound NAME ...]
[--out DIR] [--scale quick|full] [--workers N]`: the standard battery on any torch optimizer.

Every argument is checked before any work (one-line error naming the value, exit 2): the
optimizer must be a registered one (built-in or a plugin's, ``docs/plugins.md``) or import
and be a ``torch.optim.Optimizer`` subclass, the options a JSON object it accepts (it is
built on a small tensor and steps twice with them), each ``--bound`` a registered bound
(``theory.registry``, e.g. from a ``--plugin`` module) on the regret whose symbols the audit
supplies, the scale, the output directory and the worker count valid. Then
:mod:`experiments.audit.battery` runs the online regret suite, Reddi's and Lessard's
constructions, the counterexample search, the invariance audit and cost scaling (stored runs
are not repeated), and the report of :mod:`reports.audit_view` is written into the directory
(index.html, report.md, claims.json, figures/, tables/), with one claim per bound judged
against the measured regret. From Python, :func:`audit` does the same and takes the bounds
as ``theory.core.Bound`` objects, registered or not.
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
    parser.add_argument("--optimizer", required=True, metavar="NAME|PKG.MOD:CLASS",
                        help="the optimizer to audit: a registered name (dwmgrad-verify list "
                             "optimizers) or a class's import path, e.g. torch.optim:Adagrad")
    parser.add_argument("--options", default="{}", metavar="JSON",
                        help="its constructor options as a JSON object (default {})")
    parser.add_argument("--bound", action="append", default=[], metavar="NAME",
                        help="a registered regret bound to judge, one claim each (repeatable; "
                             "register it from a --plugin module, docs/plugins.md)")
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
    from experiments.optimizers import check_steps, optimizer_names

    if external.is_import_path(optimizer):
        try:
            external.resolve(optimizer)
        except ValueError as exc:
            raise UsageError(f"--{exc}") from None
    elif optimizer not in optimizer_names():
        raise UsageError(f"--optimizer {optimizer!r} is neither a registered optimizer "
                         f"({', '.join(optimizer_names())}) nor an import path PKG.MOD:CLASS "
                         "such as torch.optim:Adagrad")
    try:
        target = Target(optimizer, options)
        if external.is_import_path(optimizer):
            external.check_options(optimizer, target.options)
        else:
            check_steps(optimizer, target.options)
    except ValueError as exc:
        raise UsageError(f"--options {json.dumps(dict(options))!r}: {exc}") from None
    return target


def registered_bounds(names: Sequence[str]) -> list[Bound]:
    """The registered bounds called ``names``; UsageError naming an unknown one and listing
    the registered bounds the audit can judge (upper bounds in its symbols)."""
    from experiments.audit.regret import SYMBOLS
    from theory.registry import bounds

    known = {b.name: b for b in bounds()}
    unknown = [name for name in names if name not in known]
    if unknown:
        usable = [b.name for b in known.values()
                  if b.kind == "upper" and set(b.arg_names) <= set(SYMBOLS)]
        raise UsageError(f"--bound {unknown[0]!r} is not a registered bound; expected a "
                         f"registered upper bound in the symbols {', '.join(SYMBOLS)}: "
                         f"{', '.join(usable) or 'none is registered'} (register one with "
                         "theory.registry.register_bound from a --plugin module)")
    return [known[name] for name in names]


def rerun_plugins() -> list[str]:
    """``--plugin MODULE`` for every plugin module of this process (for the rerun command)."""
    from verify_io.plugins import plugin_modules

    return [f"--plugin {shlex.quote(module)}" for module in plugin_modules()]


def rerun_bounds(bounds: Sequence[Bound]) -> list[str]:
    """``--bound NAME`` for each of ``bounds`` that is the registered bound of its name (a
    bound passed only to :func:`audit` from Python has no command-line form)."""
    from theory.registry import bounds as registered

    by_name = {b.name: b for b in registered()}
    return [f"--bound {shlex.quote(b.name)}" for b in bounds if by_name.get(b.name) is b]


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
    rerun = " ".join(["dwmgrad-verify", *rerun_plugins(), "audit", "--optimizer",
                      shlex.quote(optimizer), "--options", shlex.quote(target.options_json()),
                      *rerun_bounds(bounds), "--out", shlex.quote(str(root)), "--scale", scale])
    return build_report(root, contents(f"{target.label} ({optimizer}, options "
                                       f"{target.options_json()})", rerun))


def run(args: argparse.Namespace) -> int:
    options = parse_options(args.options)
    workers = worker_count("--workers", args.workers)
    bounds = registered_bounds(args.bound)
    verbosity = console.level(args)
    started = time.perf_counter()
    files = audit(args.optimizer, options, Path(args.out), args.scale, bounds, workers,
                  console.progress_bars(verbosity))
    from reports.verdicts import tally_text

    print(f"audit: {files.index_html} ({tally_text(files.summary)}) in "
          f"{time.perf_counter() - started:.0f} s")
    return 0
