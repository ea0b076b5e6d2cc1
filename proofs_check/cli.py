"""`dwmgrad-verify check [--json] [--out DIR] [--proof NAME]
[--mutants [--per-target N | --per-module N [--seed S]] [--workers W]]`.

Checks every proof step; with ``--mutants`` instead runs the mutation test of the checker
(:mod:`proofs_check.mutants`: every registered lemma object mutated at every site and every
lemma inequality and domain relation swapped; or ``N`` evenly spread mutants per object with
``--per-target N``; or a fixed seeded sample of ``N`` per proof module with ``--per-module N``,
what CI's slow test runs; slow, not part of ``all``; ``--workers W`` runs W mutants side by
side, each in its own process) and prints one line per mutant, then the
mutation score and the kill rate per proof module, the surviving false mutants with why and
the still-true mutants with their slack.

Prints one row per step as soon as it is checked: proof, step, statement, method
(the weakest that decided a part: symbolic / falsification / numeric / trajectory, and below
the row how each part was decided when that was not one symbolic check), status (verified /
violated / inconclusive), worst slack (right side minus left side; relative for trajectory
and falsification steps) and number of instances. A
violated or inconclusive step is a result, not an error: it is printed (with its
counterexample) and the exit code stays 0; only bad input (an unknown ``--proof``, an ``--out``
that cannot be written, checked before any work) exits 2.
``--json`` prints ``{"results": [rows], "summary": {status: count}, "missing_modules": [...]}``;
``--out DIR`` writes the same to ``DIR/checks/checks.json`` (atomically,
:mod:`proofs_check.checks_file`); the report shows them in the derivation appendix.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from verify_io.errors import UsageError
from verify_io.files import atomic_write_text
from verify_io.options import worker_count
from verify_io.paths import path_argument, result_dir

if TYPE_CHECKING:
    from proofs_check.core import StepResult

COLUMNS = ("proof", "step", "statement", "method", "status", "worst_slack", "instances")


def check(proof: str | None = None, *, echo: bool = False) -> list[StepResult]:
    """Run the checks of ``proof`` (all if None); ``echo`` prints each row as it lands."""
    from proofs_check.registry import select

    try:
        chosen = select(proof)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    results = []
    for step in chosen:
        result = step.check()
        results.append(result)
        if echo:
            print(_row(result), flush=True)
    return results


def write_json(out_dir: Path, results: Sequence[StepResult]) -> Path:
    """Write DIR/checks/checks.json; return its path."""
    from proofs_check.checks_file import CHECKS_PATH, document

    return atomic_write_text(out_dir / CHECKS_PATH, json.dumps(document(results), indent=2) + "\n")


def write_results(out_dir: Path) -> Path:
    """Check every step and write DIR/checks/checks.json; return its path."""
    return write_json(out_dir, check())


def _row(r: StepResult) -> str:
    slack = "n/a" if not math.isfinite(r.worst_slack) else f"{r.worst_slack:.3g}"
    text = (f"{r.proof:<22} {r.step:<28} {r.method:<13} {r.status:<12} {slack:>10} "
            f"{r.instances:>7}  {r.statement}")
    if len(r.decided_by) > 1 or r.method == "falsification":
        text += f"\n    decided by: {r.decision}"
    if r.status != "verified":
        text += f"\n    detail: {r.detail}"
        if r.counterexample:
            text += f"\n    counterexample: {dict(r.counterexample)}"
    return text


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--out", type=path_argument, metavar="DIR",
                        help="also write DIR/checks/checks.json")
    parser.add_argument("--proof", metavar="NAME", help="check only the steps of this proof")
    parser.add_argument("--mutants", action="store_true",
                        help="mutation-test the checker instead (slow; not part of 'all')")
    parser.add_argument("--per-target", type=_positive, metavar="N",
                        help="with --mutants: at most N mutants per registered object")
    parser.add_argument("--per-module", type=_positive, metavar="N",
                        help="with --mutants: a fixed seeded sample of N mutants per proof module")
    parser.add_argument("--seed", type=_nonnegative, metavar="S",
                        help="with --per-module: the sample's seed (default 0, CI's sample)")
    parser.add_argument("--workers", metavar="W",
                        help="with --mutants: mutants run side by side (default 1)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def _nonnegative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def _run_mutants(per_target: int | None, per_module: int | None, seed: int | None,
                 workers: int) -> int:
    from proofs_check import mutants

    every = mutants.mutants()
    chosen = (mutants.sample(every, per_module, mutants.SAMPLE_SEED if seed is None else seed)
              if per_module is not None else mutants.spread(every, per_target))
    print(f"{len(chosen)} mutants", flush=True)
    start = time.monotonic()

    def show(o: mutants.Outcome) -> None:
        print(f"{time.monotonic() - start:6.0f} s  {o.truth:<10} reported {o.reported:<12} "
              f"{o.mutant.proof_module}: {o.mutant.name}", flush=True)

    for line in mutants.report(mutants.run_all(chosen, progress=show, workers=workers)):
        print(line)
    return 0


def run(args: argparse.Namespace) -> int:
    if (args.per_target is not None or args.per_module is not None) and not args.mutants:
        raise UsageError("--per-target N and --per-module N go with --mutants")
    if args.per_target is not None and args.per_module is not None:
        raise UsageError("--per-target N and --per-module N exclude each other")
    if args.seed is not None and args.per_module is None:
        raise UsageError("--seed S goes with --per-module N")
    if args.workers is not None and not args.mutants:
        raise UsageError("--workers W goes with --mutants")
    if args.mutants:
        if args.out is not None or args.proof is not None or args.json:
            raise UsageError("--mutants takes no --out, --proof or --json")
        workers = 1 if args.workers is None else worker_count("--workers", args.workers)
        return _run_mutants(args.per_target, args.per_module, args.seed, workers)
    if args.out is not None:
        result_dir(args.out, option="--out")
    if not args.json:
        print(f"{'proof':<22} {'step':<28} {'method':<13} {'status':<12} {'worst slack':>10} "
              f"{'instances':>7}  statement")
    results = check(args.proof, echo=not args.json)
    if args.json:
        from proofs_check.checks_file import document

        print(json.dumps(document(results), indent=2))
    else:
        counts = Counter(r.status for r in results)
        print(f"{len(results)} steps: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    if args.out is not None:
        write_json(args.out, results)
    return 0
