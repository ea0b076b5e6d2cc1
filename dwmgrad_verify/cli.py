"""Entry point of the ``dwmgrad-verify`` command.

Each subcommand lives in the package it belongs to, as a module with two functions:
``configure(parser)`` adds its arguments and ``run(args) -> int`` executes it. Only the chosen
subcommand's module is imported (``--help`` imports none), and those modules import their
heavy dependencies (torch, sympy, matplotlib) inside ``run``, so help and usage errors are
immediate. Every subcommand takes ``-q/--quiet`` and ``-v/--verbose``
(:mod:`verify_io.console`). A :class:`~verify_io.errors.UsageError` raised anywhere becomes
one line on stderr and exit code 2; results already written stay on disk.

``--plugin MODULE`` (before the subcommand, repeatable) imports a plugin module that registers
optimizers, problems, experiments, bounds or claims (``docs/plugins.md``); plugins declared
by entry points are loaded too. Both are loaded before the subcommand does any work, and a
plugin that cannot be loaded or registers a malformed entry is one line and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from verify_io import console
from verify_io.errors import DiskFull, UsageError

#: name -> (module with configure/run, one-line help).
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "list": ("dwmgrad_verify.listing", "list optimizers, problems, experiments, bounds, claims"),
    "theory": ("theory.cli", "print the derived bounds with their assumptions"),
    "check": ("proofs_check.cli", "check every proof step and print one row per step"),
    "run": ("experiments.cli", "run named experiments and write their results"),
    "replay": ("experiments.replay_cli", "rerun a saved counterexample candidate and its controls"),
    "report": ("reports.cli", "rebuild the report from result files (runs nothing)"),
    "all": ("reports.all_command", "theory, checks, experiments and report in one command"),
    "audit": ("reports.audit_command", "run the standard battery on any torch optimizer and "
                                       "write its report"),
    "verify-results": ("experiments.verify", "list every problem in a result directory "
                                             "(exit 1 if any)"),
    "bench": ("benchmarks.cli", "benchmarks that print ratios measured in the same run"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand listed; only ``command``'s arguments are added (the
    others are not imported), or every subcommand's when ``command`` is ``"*"``."""
    parser = argparse.ArgumentParser(
        prog="dwmgrad-verify",
        description="Check DWMGrad and related momentum optimizers' theory against measurement.",
    )
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="import MODULE, a plugin that registers optimizers, problems, "
                             "experiments, bounds or claims (repeatable; docs/plugins.md)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module, help_text) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        if command in (name, "*"):
            console.add_options(sub_parser)
            importlib.import_module(module).configure(sub_parser)
    return parser


def chosen_command(args_in: Sequence[str]) -> str | None:
    """The subcommand named by ``args_in`` (after the global ``--plugin`` options), if any."""
    i = 0
    while i < len(args_in) and args_in[i].startswith("--plugin"):
        i += 1 if "=" in args_in[i] else 2
    return args_in[i] if i < len(args_in) and args_in[i] in SUBCOMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(chosen_command(args_in)).parse_args(args_in)
    console.apply(console.level(args))
    try:
        from verify_io.plugins import discover

        discover(args.plugin)
        return int(importlib.import_module(SUBCOMMANDS[args.command][0]).run(args))
    except UsageError as exc:
        print(f"dwmgrad-verify {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except DiskFull as exc:
        print(f"dwmgrad-verify {args.command}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"dwmgrad-verify {args.command}: interrupted; finished results are kept",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
