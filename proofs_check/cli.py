"""`dwmgrad-verify check`."""

from __future__ import annotations

import argparse

from dwmgrad_verify.errors import not_implemented


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    raise not_implemented("check")
