"""`dwmgrad-verify report [--out DIR]`: rebuild the report from the result files in DIR.

Runs nothing: no experiment, derivation or proof check. Claims whose result files are
missing are reported ``not run`` with the command that produces them.
"""

from __future__ import annotations

import argparse
import sys

from verify_io.paths import DEFAULT_OUT, path_argument, result_dir


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=path_argument, default=DEFAULT_OUT, metavar="DIR",
                        help=f"directory holding the result files (default ./{DEFAULT_OUT})")


def run(args: argparse.Namespace) -> int:
    out = result_dir(args.out, option="--out", create=False)
    from reports.build import build_report
    from reports.verdicts import tally_text

    files = build_report(out)
    s = files.summary
    print(f"report: {files.index_html} ({tally_text(s)}); also {files.report_md.name}, "
          f"{files.claims_json.name}, {len(files.figures)} figure files, "
          f"{len(files.tables)} tables", file=sys.stdout)
    return 0
