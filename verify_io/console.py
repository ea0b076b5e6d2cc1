"""How much a command prints on stderr: ``--quiet``, the default, or ``--verbose``.

Results go to stdout at every level. On stderr:

* ``--quiet`` (:data:`QUIET`): errors only: no progress bars, no stage notes, Python warnings
  ignored;
* default (:data:`NORMAL`): short notes (e.g. one line per stage of ``all`` with its time) and
  warnings; progress bars only when stderr is a terminal;
* ``--verbose`` (:data:`VERBOSE`): also progress bars when stderr is not a terminal (a log
  file), and a note when each stage starts.
"""

from __future__ import annotations

import argparse
import sys
import warnings

QUIET, NORMAL, VERBOSE = 0, 1, 2


def add_options(parser: argparse.ArgumentParser) -> None:
    """``-q/--quiet`` and ``-v/--verbose`` (mutually exclusive)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true",
                       help="print results only: no progress bars, notes or warnings on stderr")
    group.add_argument("-v", "--verbose", action="store_true",
                       help="more notes on stderr, and progress bars even when it is not a "
                            "terminal")


def level(args: argparse.Namespace) -> int:
    """The verbosity ``args`` ask for (NORMAL when the options are absent)."""
    if getattr(args, "quiet", False):
        return QUIET
    return VERBOSE if getattr(args, "verbose", False) else NORMAL


def apply(verbosity: int) -> None:
    """Process-wide effects of ``verbosity``: QUIET ignores Python warnings."""
    if verbosity == QUIET:
        warnings.simplefilter("ignore")


def progress_bars(verbosity: int) -> bool:
    """Whether to draw progress bars: always when VERBOSE, on a terminal when NORMAL."""
    return verbosity == VERBOSE or (verbosity == NORMAL and sys.stderr.isatty())


def note(verbosity: int, text: str, *, at: int = NORMAL) -> None:
    """Print ``text`` on stderr if ``verbosity`` is at least ``at``."""
    if verbosity >= at:
        print(text, file=sys.stderr, flush=True)
