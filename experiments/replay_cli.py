"""`dwmgrad-verify replay FILE`: rerun one searched counterexample candidate.

FILE is a replay file written by the counterexample search
(``measurements/counterexamples/*.json``, :class:`ReplayFile`). The target optimizer and its
controls are rerun on the saved sequence for 100·T0 steps; one row each gives R_T/T at T0 and
at 100·T0 (with the values recorded when the candidate was found), then the calibrated
criterion's verdict. A bad file exits 2 with one line before any run starts.
"""

from __future__ import annotations

import argparse

from verify_io.errors import UsageError
from verify_io.paths import path_argument


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=path_argument, metavar="FILE",
                        help="a replay file (measurements/counterexamples/*.json)")


def run(args: argparse.Namespace) -> int:
    from experiments.named.counterexample_criterion import (
        CRITERION_TEXT,
        HORIZON_FACTOR,
        ReplayFile,
    )

    try:
        replay = ReplayFile.read(args.file)
        replay.specs()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    t0, t1 = replay.T0, HORIZON_FACTOR * replay.T0
    target, controls, verdict = replay.rerun()
    print(f"{'optimizer':<40} {'R_T/T at ' + str(t0):>16} {'R_T/T at ' + str(t1):>16} "
          f"{'recorded':>24}")
    for outcome in (target, *controls):
        old = replay.recorded.get(outcome.label)
        recorded = "-" if old is None else f"{old.r_T0:.6g} / {old.r_100T0:.6g}"
        print(f"{outcome.label:<40} {outcome.r_T0:>16.6g} {outcome.r_100T0:>16.6g} "
              f"{recorded:>24}")
    falls = ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in verdict.controls_fall.items())
    print(f"criterion: {CRITERION_TEXT}")
    print(f"floor 0.05 d G_inf D_inf = {verdict.floor:.6g}; target persists: "
          f"{'yes' if verdict.persists else 'no'}; controls fall: {falls}")
    print(f"counterexample: {'yes' if verdict.counterexample else 'no'} (recorded: "
          f"{'yes' if replay.counterexample else 'no'})")
    return 0
