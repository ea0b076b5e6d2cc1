"""`dwmgrad-verify list WHAT [--json]`: the registries, by name.

``optimizers`` (package :mod:`dwmgrad`), ``problems`` (:mod:`experiments.problems`),
``experiments`` (:mod:`experiments.named`), ``bounds`` (:mod:`theory.registry`) and
``claims`` (:mod:`reports.claims`, one module per subject).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from verify_io.errors import UsageError

Row = dict[str, object]


def _optimizers() -> list[Row]:
    from dwmgrad.registry import OPTIMIZERS

    return [info.describe() for info in OPTIMIZERS.values()]


def _problems() -> list[Row]:
    from experiments.problems import describe_problems, problem_class

    problem_class("reddi_theorem1")  # importing the named experiments registers their problems
    return describe_problems()


def _experiments() -> list[Row]:
    from experiments.named import EXPERIMENTS

    return [{"name": name, "summary": module.DESCRIPTION} for name, module in EXPERIMENTS.items()]


def _bounds() -> list[Row]:
    from theory.registry import bounds

    return [
        {"name": b.name, "kind": b.kind, "latex": b.latex(), "reference": b.reference}
        for b in bounds()
    ]


def _claims() -> list[Row]:
    from reports.claims import CLAIMS

    return [
        {"name": c.id, "title": c.title, "source": c.source.document,
         "experiments": list(c.experiments)}
        for c in CLAIMS
    ]


LISTERS: dict[str, Callable[[], list[Row]]] = {
    "optimizers": _optimizers,
    "problems": _problems,
    "experiments": _experiments,
    "bounds": _bounds,
    "claims": _claims,
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", help=f"what to list: one of {', '.join(LISTERS)}")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    if args.what not in LISTERS:
        raise UsageError(f"unknown list {args.what!r}; expected one of: {', '.join(LISTERS)}")
    rows = LISTERS[args.what]()
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    for row in rows:
        name = row.get("name", "?")
        rest = "  ".join(f"{k}={v}" for k, v in row.items() if k != "name")
        print(f"{name:<28} {rest}")
    return 0
