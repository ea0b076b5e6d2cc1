"""`dwmgrad-verify run NAME... [--scale quick|full] [--out DIR] [--device cpu|cuda] [--workers N]`
and `dwmgrad-verify run --list`.

Every argument is validated before any run starts (bad values exit 2 with one line). Runs
whose results are already in DIR are not repeated. Exit 1 if an experiment's measurement
failed (its error is in DIR/measurements/<name>.json), else 0.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from experiments.api import experiments_registry, run_experiments
from verify_io.errors import UsageError
from verify_io.options import positive_int

DEFAULT_OUT = Path("dwmgrad-report")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="experiments to run")
    parser.add_argument("--list", action="store_true", help="list the experiments and exit")
    parser.add_argument("--scale", default="quick", metavar="SCALE",
                        help="quick (default) or full")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                        help=f"output directory (default ./{DEFAULT_OUT})")
    parser.add_argument("--device", default="cpu", metavar="DEVICE",
                        help="cpu (default) or cuda (needs a visible GPU)")
    parser.add_argument("--workers", default="1", metavar="N",
                        help="processes running specs in parallel (default 1)")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")


def run(args: argparse.Namespace) -> int:
    registry = experiments_registry()
    if args.list:
        if args.names:
            raise UsageError("--list takes no experiment names")
        for name, module in registry.items():
            print(f"{name:<24} {getattr(module, 'DESCRIPTION', '')}")
        return 0
    results = run_experiments(args.names, args.scale, args.out, device=args.device,
                              workers=positive_int("--workers", args.workers), progress=True)
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    failed = [name for name, m in results.items() if "error" in m]
    for name, measurement in results.items():
        state = f"FAILED: {measurement['error']}" if name in failed else "measured"
        print(f"{name}: {state} -> {args.out / 'measurements' / (name + '.json')}")
    return 1 if failed else 0
