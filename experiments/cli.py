"""`dwmgrad-verify run NAME... [--scale quick|full] [--out DIR] [--device cpu|cuda] [--workers N]
[--executor local|ray] [--ray-address ADDRESS]`
and `dwmgrad-verify run --list`.

Every argument is validated before any run starts (bad values exit 2 with one line). Runs
whose results are already in DIR are not repeated. Ends with a table of each experiment's
headline numbers (the scalar entries of its measurement's ``metrics``) and where the
measurement was written. Exit 1 if an experiment's measurement failed (its error is in
DIR/measurements/<name>.json), else 0.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any

from verify_io import console
from verify_io.errors import UsageError
from verify_io.options import worker_count
from verify_io.paths import DEFAULT_OUT, path_argument
from verify_io.tables import format_table


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    """``--executor local|ray`` and ``--ray-address`` (for ``run`` and ``all``)."""
    parser.add_argument("--executor", default="local", metavar="KIND",
                        help="local (default: this machine's processes) or ray (one Ray task "
                             "per run; needs pip install -e '.[ray]')")
    parser.add_argument("--ray-address", default=None, metavar="ADDRESS",
                        help="with --executor ray: the cluster to join (e.g. auto, "
                             "ray://HOST:10001); default: start a local Ray instance with "
                             "--workers CPUs")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="experiments to run")
    parser.add_argument("--list", action="store_true", help="list the experiments and exit")
    parser.add_argument("--scale", default="quick", metavar="SCALE",
                        help="quick (default) or full")
    parser.add_argument("--out", type=path_argument, default=DEFAULT_OUT, metavar="DIR",
                        help=f"output directory (default ./{DEFAULT_OUT})")
    parser.add_argument("--device", default="cpu", metavar="DEVICE",
                        help="cpu (default) or cuda (needs a visible GPU)")
    parser.add_argument("--workers", default="1", metavar="N",
                        help="processes running specs in parallel (default 1)")
    add_executor_options(parser)
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")


def summary_rows(name: str, measurement: Mapping[str, Any]) -> list[list[object]]:
    """(experiment, quantity, value) rows: the run count, the diverged runs, and every scalar
    (number, bool, short string) among the measurement's ``metrics``; or its error."""
    if "error" in measurement:
        return [[name, "FAILED", measurement["error"]]]
    rows: list[list[object]] = [[name, "runs", len(measurement.get("runs", []))]]
    if measurement.get("diverged"):
        rows.append([name, "diverged runs", len(measurement["diverged"])])
    for key, value in measurement.get("metrics", {}).items():
        if isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) < 60):
            rows.append([name, key, value])
    return rows


def run(args: argparse.Namespace) -> int:
    from experiments.api import experiments_registry, run_experiments

    registry = experiments_registry()
    if args.list:
        if args.names:
            raise UsageError("--list takes no experiment names")
        print(format_table(["experiment", "summary"],
                           [[name, getattr(module, "DESCRIPTION", "")]
                            for name, module in registry.items()]))
        return 0
    progress = console.progress_bars(console.level(args))
    results = run_experiments(args.names, args.scale, args.out, device=args.device,
                              workers=worker_count("--workers", args.workers),
                              progress=progress, executor=args.executor,
                              ray_address=args.ray_address)
    if args.json:
        print(json.dumps(results, indent=2, default=str))
        return 1 if any("error" in m for m in results.values()) else 0
    table = [row for name, m in results.items() for row in summary_rows(name, m)]
    print(format_table(["experiment", "quantity", "value"], table))
    print(f"measurements: {args.out / 'measurements'}/<experiment>.json")
    return 1 if any("error" in m for m in results.values()) else 0
