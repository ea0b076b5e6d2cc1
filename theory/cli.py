"""`dwmgrad-verify theory [--json] [--out DIR]`: the derived bounds.

Prints every bound of :mod:`theory.registry` with its kind, reference, LaTeX form and
assumptions, then DWMGrad's analysed options and the published algorithm's gaps
(:mod:`theory.dwmgrad`). ``--json`` prints the same as one JSON object with keys
``bounds``, ``derivations``, ``analysed_options``, ``paper_algorithm_gaps`` and
``missing_modules``. ``--out DIR`` also writes it to ``DIR/theory/bounds.json`` (atomically);
the directory is validated (created if missing, probed for writing) before any work
(:func:`verify_io.paths.result_dir`). The derivation appendix, which shows the proof
checks' results beside each line, is written by the report (``reports.appendix``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from verify_io.files import atomic_write_text
from verify_io.paths import path_argument, result_dir

BOUNDS_PATH = Path("theory") / "bounds.json"


def describe() -> dict[str, Any]:
    """Everything ``theory --json`` prints."""
    from theory.dwmgrad import ANALYSED_OPTIONS, PAPER_ALGORITHM_GAPS
    from theory.registry import bounds, derivations, missing_modules

    return {
        "bounds": [b.describe() for b in bounds()],
        "derivations": [{"name": d.name, "title": d.title, "proof": d.proof,
                         "steps": d.steps, "bounds": list(d.bounds)} for d in derivations()],
        "analysed_options": dict(ANALYSED_OPTIONS),
        "paper_algorithm_gaps": [g.describe() for g in PAPER_ALGORITHM_GAPS],
        "missing_modules": missing_modules(),
    }


def write_results(out_dir: Path) -> Path:
    """Write DIR/theory/bounds.json; return its path."""
    return atomic_write_text(out_dir / BOUNDS_PATH, json.dumps(describe(), indent=2) + "\n")


def _print_text(data: dict[str, Any]) -> None:
    for b in data["bounds"]:
        print(f"{b['name']}  [{b['kind']}]  {b['reference']}")
        print(f"  {b['latex']}")
        for a in b["assumptions"]:
            print(f"  - {a['name']}: {a['statement']}")
        print()
    print(f"DWMGrad options analysed: {data['analysed_options']} (projection by the caller)")
    print("What the published DWMGrad breaks:")
    for g in data["paper_algorithm_gaps"]:
        print(f"  - {g['name']}: assumption {g['assumption']}, fails at {g['failing_step']}; "
              f"published options {g['published']}")
    missing = data["missing_modules"]
    if missing:
        print(f"missing theory modules (skipped): {', '.join(missing)}")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--out", type=path_argument, metavar="DIR",
                        help="also write DIR/theory/bounds.json")


def run(args: argparse.Namespace) -> int:
    if args.out is not None:
        result_dir(args.out, option="--out")
    data = describe()
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        _print_text(data)
    if args.out is not None:
        write_results(args.out)
    return 0
