"""The regret figure draws the minimax lower bound the rows record; a measurement whose rows
lack it, or hold a non-finite or non-positive one, is invalid data naming the file (the figure
is then not drawn, never drawn without its floor)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from report_fake_results import write_fake_results

from reports.figures.regret import draw_regret
from reports.results import InvalidData, load_results


def _regret_rows(root: Path, change: object) -> None:
    path = root / "measurements" / "dwmgrad_regret.json"
    doc = json.loads(path.read_text())
    for row in doc["metrics"]["rows"]:
        if change is None:
            del row["minimax_lower"]
        else:
            row["minimax_lower"] = change
    path.write_text(json.dumps(doc))


def test_the_minimax_lower_bound_is_drawn_from_the_rows(tmp_path: Path) -> None:
    results = load_results(write_fake_results(tmp_path))
    fig = Figure()
    draw_regret(results, fig)
    labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert any(label.startswith("minimax lower bound") for label in labels)
    floors = [line for ax in fig.axes for line in ax.get_lines()
              if len(line.get_xdata()) == 4 and all(
                  math.isclose(y, math.sqrt(2 * T) / 2)  # the fake rows' minimax_lower
                  for T, y in zip(line.get_xdata(), line.get_ydata(), strict=True))]
    assert len(floors) == len(fig.axes)  # one per problem panel


@pytest.mark.parametrize("change", [None, float("nan"), -1.0, 0.0])
def test_rows_without_a_usable_lower_bound_are_refused(tmp_path: Path, change: object) -> None:
    root = write_fake_results(tmp_path)
    _regret_rows(root, change)
    with pytest.raises(InvalidData, match=r"dwmgrad_regret.json.*minimax_lower"):
        draw_regret(load_results(root), Figure())
