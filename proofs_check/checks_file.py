"""The file form of the proof-check results: ``DIR/checks/checks.json``.

``{"results": [rows], "summary": {status: count}, "missing_modules": [...]}``, one row per
step (:meth:`~proofs_check.core.StepResult.describe`, NaN slacks as ``null`` so the file is
strict JSON). Written by ``dwmgrad-verify check --out DIR`` (and ``all``), read back by the
report (:func:`read_results`).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from proofs_check.core import StepResult

CHECKS_PATH = Path("checks") / "checks.json"


def results_to_json(results: Sequence[StepResult]) -> list[dict[str, object]]:
    """Rows of ``describe()``, with NaN slacks as ``null`` (strict JSON)."""
    rows = []
    for r in results:
        row = r.describe()
        if not math.isfinite(r.worst_slack):
            row["worst_slack"] = None
        rows.append(row)
    return rows


def document(results: Sequence[StepResult]) -> dict[str, object]:
    """What ``check --json`` prints and ``checks.json`` holds."""
    from proofs_check.registry import missing_modules

    return {"results": results_to_json(results),
            "summary": dict(Counter(r.status for r in results)),
            "missing_modules": missing_modules()}


def read_results(path: Path) -> list[StepResult]:
    """The step results stored in ``checks.json`` at ``path``; a ValueError naming the file
    if it is not such a file (corrupt JSON, rows of another shape)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        out = []
        for row in data["results"]:
            slack = row["worst_slack"]
            fields = {k: v for k, v in row.items() if k != "decision"}  # from decided_by
            out.append(StepResult(**{**fields,
                                     "worst_slack": float("nan") if slack is None else slack}))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not a checks file: {type(exc).__name__}: {exc}") from None
    return out
