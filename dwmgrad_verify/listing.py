"""`dwmgrad-verify list WHAT [--json]`: the registries, by name."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from dwmgrad_verify.errors import UsageError


def _optimizers() -> list[dict[str, object]]:
    from dwmgrad.registry import OPTIMIZERS

    return [info.describe() for info in OPTIMIZERS.values()]


LISTERS: dict[str, Callable[[], list[dict[str, object]]]] = {
    "optimizers": _optimizers,
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
        print(f"{name:<14} {rest}")
    return 0
