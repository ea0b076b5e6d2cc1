"""Rules with intervals (issue 11 §4): rates are two-sided and decided on a tail fit only;
a single instance is an exact value, never a decisive interval. Each rule is fed the cases
it must reject."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from report_fake_results import write_fake_results

from experiments.named import heavy_ball_rate as hbr
from reports.claims.heavy_ball import polyak_rate
from reports.results import InvalidData, load_results
from reports.rules import Interval
from reports.verdicts import Verdict


def _polyak_with(tmp_path: Path, edit: Callable[[list[dict[str, Any]]], None]) -> Verdict:
    root = write_fake_results(tmp_path / "out")
    path = root / "measurements" / "heavy_ball_rate.json"
    doc = json.loads(path.read_text())
    edit(doc["metrics"]["rows"])
    path.write_text(json.dumps(doc))
    return polyak_rate(load_results(root))


def _scale_log_rate(rows: list[dict[str, Any]], factor: float, kappa: float) -> None:
    """Make one seed's fit at ``kappa`` converge with log rate ``factor`` * log rho*."""
    row = next(r for r in rows if r["kappa"] == kappa)
    row["rate_fit_jordan_seeds"][0] = math.exp(factor * math.log(row["rho_star"]))


def test_polyak_rate_holds_on_fits_at_rho_star(tmp_path: Path) -> None:
    assert _polyak_with(tmp_path, lambda rows: None).status == "holds"


@pytest.mark.parametrize(("factor", "word"), [(1.1, "faster"), (0.9, "slower")])
def test_a_rate_ten_percent_off_either_way_is_violated(tmp_path: Path, factor: float,
                                                       word: str) -> None:
    verdict = _polyak_with(tmp_path, lambda rows: _scale_log_rate(rows, factor, 100.0))
    assert verdict.status == "violated"
    assert f"kappa=100 ({word} than rho*" in verdict.reason


def test_a_rate_within_the_tolerance_holds(tmp_path: Path) -> None:
    assert _polyak_with(tmp_path, lambda rows: _scale_log_rate(rows, 1.04, 100.0)).status \
        == "holds"


def test_a_fit_over_the_transient_decides_nothing(tmp_path: Path) -> None:
    def from_one(rows: list[dict[str, Any]]) -> None:
        rows[1]["window"][0] = 1
    verdict = _polyak_with(tmp_path, from_one)
    assert verdict.status == "inconclusive"
    assert f"starts at k = 1, in the transient (k < {hbr.transient_end(100.0)})" in verdict.reason


def test_a_fit_below_the_float64_floor_decides_nothing(tmp_path: Path) -> None:
    def floored(rows: list[dict[str, Any]]) -> None:
        rows[0]["window_error_min"] = 1e-300
    verdict = _polyak_with(tmp_path, floored)
    assert verdict.status == "inconclusive" and "float64 floor" in verdict.reason


def test_a_missing_kappa_is_invalid_data_not_holds(tmp_path: Path) -> None:
    with pytest.raises(InvalidData, match=r"heavy_ball_rate.json: metrics.rows has no row for "
                                          r"kappa = 100 \(scale quick measures 10, 100, 1000\)"):
        _polyak_with(tmp_path, lambda rows: rows.pop(1))


def test_a_single_instance_is_an_exact_value_never_a_decisive_interval() -> None:
    """On 892f1c6 one deterministic seed printed [0.9864, 0.9864] and decided comparisons
    (comparisons on one seed: tests/reports/test_comparison_rule.py)."""
    one = Interval(0.9864, 0.9864, 0.9864, instances=1)
    assert one.text() == "0.9864 (one instance)"
    assert Interval(0.5, 0.45, 0.55, instances=8).text() == "0.5 [0.45, 0.55]"


def _analysed_rate_with(tmp_path: Path, whole: float, tail: float,
                        n_samples: int = 8) -> Verdict:
    """dwmgrad-analysed-rate on the synthetic set with the analysed variant's fits replaced."""
    from reports.claims.dwmgrad import dwmgrad_analysed_rate

    root = write_fake_results(tmp_path / "out")
    path = root / "measurements" / "dwmgrad_regret.json"
    doc = json.loads(path.read_text())
    for fit in doc["metrics"]["exponents"]["analysed"].values():
        fit["whole"].update(slope=whole, ci_low=whole - 0.02, ci_high=whole + 0.02,
                            n_samples=n_samples)
        fit["tail"].update(slope=tail, ci_low=tail - 0.02, ci_high=tail + 0.02,
                           n_samples=n_samples)
    path.write_text(json.dumps(doc))
    return dwmgrad_analysed_rate(load_results(root))


def test_analysed_rate_is_violated_by_a_steep_tail(tmp_path: Path) -> None:
    verdict = _analysed_rate_with(tmp_path, whole=0.8, tail=0.8)
    assert verdict.status == "violated" and "exceeds the bound's 1/2 + 0.05" in verdict.reason


def test_analysed_rate_is_decided_on_the_tail_not_the_transient(tmp_path: Path) -> None:
    assert _analysed_rate_with(tmp_path, whole=0.7, tail=0.5).status == "holds"
    assert _analysed_rate_with(tmp_path, whole=0.5, tail=0.7).status == "violated"


def test_analysed_rate_undecided_at_quick_is_settled_at_full_scale(tmp_path: Path) -> None:
    verdict = _analysed_rate_with(tmp_path, whole=0.55, tail=0.56)     # CI 0.54..0.58
    assert verdict.status == "inconclusive"
    assert verdict.reason.startswith("settled at full scale")


def test_analysed_rate_single_instance_is_an_exact_value(tmp_path: Path) -> None:
    assert _analysed_rate_with(tmp_path, whole=0.5, tail=0.56, n_samples=1).status \
        == "violated"
    assert _analysed_rate_with(tmp_path, whole=0.5, tail=0.54, n_samples=1).status == "holds"
