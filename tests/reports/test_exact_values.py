"""Deterministic single-instance results are exact values, never degenerate intervals such as
"[0.9864, 0.9864]": in the interval formatter, the tables, the figures' labels and every
claim's evidence and reason."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reports.claims import judge
from reports.figures import FIGURES
from reports.figures.canvas import draw
from reports.results import load_results
from reports.rules import interval_text
from reports.tables import regret_table

PAIR = re.compile(r"\[\s*(-?[\d.]+(?:e[-+]?\d+)?)\s*,\s*(-?[\d.]+(?:e[-+]?\d+)?)\s*\]")


def degenerate(text: str) -> list[str]:
    """Every "[a, b]" in ``text`` whose ends are one number."""
    return [m.group(0) for m in PAIR.finditer(text) if float(m.group(1)) == float(m.group(2))]


def test_the_scanner_finds_a_degenerate_interval() -> None:
    assert degenerate("a = 0.9864 [0.9864, 0.9864] (5 seeds)") == ["[0.9864, 0.9864]"]
    assert degenerate("0.98 [0.97, 0.99]; [1e-3, 0.001]") == ["[1e-3, 0.001]"]


@pytest.mark.parametrize(("args", "text"), [
    ((0.98642, 0.98642, 0.98642, 1), "0.9864 (one instance)"),
    ((0.98642, 0.98641, 0.98643, 5), "0.9864 (exact: all 5 instances equal)"),
    ((0.98642, 0.98642, 0.98642, None), "0.9864 (exact: all instances equal)"),
    ((0.5, 0.4, 0.6, 5), "0.5 [0.4, 0.6]"),
    ((0.5, None, None, None), "0.5"),
])
def test_interval_text(args: tuple[float, float | None, float | None, int | None],
                       text: str) -> None:
    assert interval_text(*args) == text
    assert not degenerate(text)


def _one_instance(root: Path) -> None:
    """The regret exponents of the analysed DWMGrad on online_linear fitted on one seed (as
    on Reddi's game at quick scale): an exact value, CI ends equal to it."""
    path = root / "measurements" / "dwmgrad_regret.json"
    doc = json.loads(path.read_text())
    for fit in doc["metrics"]["exponents"]["analysed"]["online_linear"].values():
        fit.update(slope=0.9864, ci_low=0.9864, ci_high=0.9864, n_samples=1)
    path.write_text(json.dumps(doc))


def test_one_instance_is_shown_as_an_exact_value_everywhere(result_dir: Path) -> None:
    _one_instance(result_dir)
    results = load_results(result_dir)
    table = regret_table(results)
    cells = [" ".join(map(str, row)) for row in table.rows]
    assert any("0.986 (one instance)" in c for c in cells), cells
    texts = cells + [f"{j.verdict.reason} {e.value}" for j in judge(results)
                     for e in j.verdict.evidence]
    for spec in FIGURES:
        if spec.experiment == "dwmgrad_regret":
            fig = draw(spec, results)
            texts += [t.get_text() for lg in [*fig.legends, *(a.get_legend() for a in fig.axes)]
                      if lg is not None for t in lg.get_texts()]
    assert [d for t in texts for d in degenerate(t)] == []
