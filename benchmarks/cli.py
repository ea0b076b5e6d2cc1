"""`dwmgrad-verify bench NAME [options]`: run one named benchmark.

``BENCHMARKS`` maps each name to a module with ``configure(parser)`` and ``run(args) -> int``
(the same contract as the CLI subcommands); a benchmark is added by adding a row. The
options after NAME are parsed by the benchmark's own parser, so ``bench NAME --help`` lists
them.
"""

from __future__ import annotations

import argparse
import importlib

from verify_io.errors import UsageError

BENCHMARKS: dict[str, str] = {
    "optimizers": "benchmarks.optimizers",
    "allocator": "benchmarks.allocator",
    "blocks": "benchmarks.blocks",
    "engine": "benchmarks.engine",
    "project": "benchmarks.projection",
    "ray": "benchmarks.ray_overhead",
    "all": "benchmarks.suite",
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME",
                        help="benchmark to run, one of: " + ", ".join(sorted(BENCHMARKS)))
    parser.add_argument("options", nargs=argparse.REMAINDER,
                        help="options of that benchmark (see: bench NAME --help)")


def run(args: argparse.Namespace) -> int:
    if args.name not in BENCHMARKS:
        raise UsageError(f"unknown benchmark {args.name!r}; expected one of: "
                         + ", ".join(sorted(BENCHMARKS)))
    module = importlib.import_module(BENCHMARKS[args.name])
    summary = (module.__doc__ or "").split("\n\n")[0]  # the docstring's first paragraph
    parser = argparse.ArgumentParser(prog=f"dwmgrad-verify bench {args.name}",
                                     description=" ".join(summary.split()))
    module.configure(parser)
    return int(module.run(parser.parse_args(args.options)))
