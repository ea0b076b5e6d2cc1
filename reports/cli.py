"""`dwmgrad-verify report [--out DIR]`: rebuild the report from the result files in DIR.

Runs nothing: no experiment, derivation or proof check. Claims whose result files are
missing are reported ``inconclusive`` with the reason.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from dwmgrad_verify.errors import UsageError

DEFAULT_OUT = Path("dwmgrad-report")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                        help=f"directory holding the result files (default ./{DEFAULT_OUT})")


def writable_dir(out: Path, create: bool) -> Path:
    """``out`` as a directory this process can write into, or a :class:`UsageError`."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} is a file; expected a directory")
    if not out.exists():
        if not create:
            raise UsageError(f"--out {str(out)!r} does not exist; expected the output directory "
                             "of `dwmgrad-verify all` (or of `theory`/`check`/`run`)")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--out {str(out)!r} cannot be created: {exc.strerror}") from None
    try:
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise UsageError(f"--out {str(out)!r} is not writable: {exc.strerror}") from None
    return out


def run(args: argparse.Namespace) -> int:
    out = writable_dir(Path(args.out), create=False)
    from reports.build import build_report

    files = build_report(out)
    s = files.summary
    print(f"report: {files.index_html} ({s['holds']} hold, {s['violated']} violated, "
          f"{s['inconclusive']} inconclusive); also {files.report_md.name}, "
          f"{files.claims_json.name}, {len(files.figures)} figure files, "
          f"{len(files.tables)} tables", file=sys.stdout)
    return 0
