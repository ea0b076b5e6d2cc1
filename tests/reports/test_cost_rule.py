"""dwmgrad-cost-linear is an order, Θ(n·d): two-sided. Each time exponent's CI (d beyond the
last-level cache with the per-step overhead subtracted, n) must lie in [0.9, 1.1] and the one in
the window δ in [-0.1, 0.1]; flat data (per-step overhead), a CI reaching outside the band, an
overhead more than half the step or one repetition decide nothing; a super-linear growth Adam
shares is the harness's. End to end: synthetic step times through ``cost_scaling.measure``
(quadratic in d: violated; flat, overhead only: never holds; linear: holds)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from experiments.named import cost_scaling
from experiments.records import RunRecord
from experiments.store import ResultStore
from reports.claims import judge
from reports.claims.cost import dwmgrad_cost
from reports.results import load_results
from reports.verdicts import Verdict


def _fit(slope: float, low: float, high: float, n: float = 3.0) -> dict[str, Any]:
    return {"slope": slope, "intercept": -12.0, "ci_low": low, "ci_high": high, "level": 0.9,
            "n_samples": n}


def _judge(root: Path) -> Verdict:
    return {j.claim.id: j.verdict for j in judge(load_results(root))}["dwmgrad-cost-linear"]


def _verdict(root: Path, d: dict[str, Any] | None, n: dict[str, Any],
             adam_d: dict[str, Any] | None = None, window: dict[str, Any] | None = None,
             share: float | None = 0.01) -> Verdict:
    path = root / "measurements" / "cost_scaling.json"
    doc = json.loads(path.read_text())
    table = doc["metrics"]["optimizers"]
    table["DWMGrad"]["time_exponent_d"], table["DWMGrad"]["time_exponent_n"] = d, n
    table["DWMGrad"]["overhead_share_at_fit"] = share
    if d is None:
        table["DWMGrad"]["time_exponent_d_note"] = "1 size(s) beyond the cache, fewer than 2"
    if adam_d is not None:
        table["Adam"]["time_exponent_d"] = adam_d
    if window is not None:
        doc["metrics"]["window"]["time_exponent_window"] = window
    path.write_text(json.dumps(doc))
    return _judge(root)


LINEAR = _fit(1.0, 0.95, 1.05)


@pytest.mark.parametrize(("d", "n", "adam_d", "status", "said"), [
    (_fit(0.97, 0.93, 1.01), LINEAR, None, "holds", "lie in [0.9, 1.1]"),
    # flat from per-step overhead (the quick d-exponent 0.59): the old one-sided rule said holds
    (_fit(0.59, 0.5, 0.68), LINEAR, None, "inconclusive", "overhead"),
    # the CI reaches above the band: not shown linear, not shown super-linear
    (_fit(1.05, 0.98, 1.2), LINEAR, None, "inconclusive", "reaches outside"),
    (LINEAR, _fit(0.95, 0.7, 1.05), None, "inconclusive", "n: the CI"),
    # super-linear, Adam linear: DWMGrad's own
    (_fit(1.5, 1.4, 1.6), LINEAR, LINEAR, "violated", "faster than for Adam"),
    # super-linear, and so is Adam: the harness
    (_fit(1.5, 1.4, 1.6), LINEAR, _fit(1.45, 1.35, 1.55), "inconclusive", "harness"),
    # one repetition: an exact value is no interval
    (_fit(1.0, 1.0, 1.0, 1.0), LINEAR, None, "inconclusive", "one timing repetition"),
    # no size beyond the cache: no fit, nothing decided
    (None, LINEAR, None, "inconclusive", "d: no fit (1 size(s) beyond the cache"),
])
def test_cost_rule_is_two_sided(result_dir: Path, d: dict[str, Any] | None, n: dict[str, Any],
                                adam_d: dict[str, Any] | None, status: str, said: str) -> None:
    verdict = _verdict(result_dir, d, n, adam_d)
    assert verdict.status == status and said in verdict.reason, verdict.reason


@pytest.mark.parametrize(("window", "status", "said"), [
    (_fit(0.5, 0.4, 0.6), "violated", "the window δ"),
    (_fit(0.05, -0.05, 0.2), "inconclusive", "δ: the CI"),
])
def test_time_growing_with_the_window_is_not_linear(result_dir: Path, window: dict[str, Any],
                                                    status: str, said: str) -> None:
    verdict = _verdict(result_dir, LINEAR, LINEAR, window=window)
    assert verdict.status == status and said in verdict.reason, verdict.reason


@pytest.mark.parametrize("share", [0.8, None])
def test_an_overhead_dominated_fit_decides_nothing(result_dir: Path, share: float | None
                                                   ) -> None:
    verdict = _verdict(result_dir, LINEAR, LINEAR, share=share)
    assert verdict.status == "inconclusive" and "per-step overhead is" in verdict.reason, \
        verdict.reason


@pytest.mark.parametrize("bad", [float("nan"), None, "1.0"])
def test_a_non_finite_or_malformed_exponent_is_invalid_data(result_dir: Path, bad: Any) -> None:
    d = _fit(1.0, 0.95, 1.05)
    d["ci_high"] = bad
    verdict = _verdict(result_dir, d, LINEAR)
    assert verdict.status == "invalid data" and "cost_scaling" in verdict.reason, verdict.reason


# --- end to end: synthetic step times through the measurement -----------------------------

Model = Callable[[str, int, int, int], float]
"""(optimizer, d, window, repeat) -> the time of one optimizer step (s)."""
OVERHEAD = 50e-6


def _tiny(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(cost_scaling, "optimizers",
               lambda: {"DWMGrad": {"lr": 1e-3}, "Adam": {"lr": 1e-3}})
    mp.setitem(cost_scaling.DIMS, "quick", (100, 1000))
    mp.setitem(cost_scaling.BEYOND_CACHE_DIMS, "quick", (1 << 22, 1 << 23, 1 << 24))
    mp.setitem(cost_scaling.REPEATS, "quick", 3)
    mp.setitem(cost_scaling.STEPS, "quick", 5)
    mp.setitem(cost_scaling.BEYOND_CACHE_STEPS, "quick", 5)


def _synthetic(store: ResultStore, model: Model) -> None:
    """A record for every spec of the (tiny) quick scale, with step times from ``model`` and
    2 % multiplicative noise, as the runner writes them (LLC 32 MiB)."""
    rng = np.random.default_rng(0)
    for spec in cost_scaling.specs("quick"):
        d = int(spec.problem_params["d"])
        window = int(spec.hyperparameters.get("max_window", 10))
        base = model(spec.optimizer, d, window, spec.seeds[0])
        steps = base * (1 + 0.02 * rng.standard_normal(spec.horizon)).clip(0.9)
        steps[0] += 1e-3                                        # the first step allocates
        state = 0 if spec.optimizer == "SGD" else 8 * d
        store.save(RunRecord(spec=spec, losses=np.zeros((1, spec.horizon)), timings={
            "setup_s": 0.0, "run_s": float(steps.sum()), "step_s": float(steps.mean()),
            "optimizer_step_s": (1.5 * steps).tolist(), "optimizer_step_cpu_s": steps.tolist(),
            "llc_bytes": 1 << 25,
            "llc_source": "synthetic", "state_bytes": state, "param_bytes": 4 * d,
            "peak_memory_bytes": 16.0 * d, "peak_memory_method": "synthetic"}))


def _end_to_end(tmp_path: Path, model: Model, monkeypatch: pytest.MonkeyPatch) -> Verdict:
    """The claim's rule on the measurement of synthetic runs (the only result file)."""
    _tiny(monkeypatch)
    store = ResultStore(tmp_path)
    _synthetic(store, model)
    measured = cost_scaling.measure(store, "quick")
    store.write_measurement("cost_scaling", measured)
    return dwmgrad_cost(load_results(tmp_path))


def _linear(optimizer: str, d: int, window: int, repeat: int) -> float:
    return OVERHEAD + 2e-9 * d


def test_linear_synthetic_timings_hold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    verdict = _end_to_end(tmp_path, _linear, monkeypatch)
    assert verdict.status == "holds", verdict.reason


def test_quadratic_synthetic_timings_are_violated(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def quadratic(optimizer: str, d: int, window: int, repeat: int) -> float:
        if optimizer == "DWMGrad":
            return OVERHEAD + 1e-16 * float(d) ** 2
        return _linear(optimizer, d, window, repeat)

    verdict = _end_to_end(tmp_path, quadratic, monkeypatch)
    found = re.search(r"in d \(a = ([0-9.]+) ", verdict.reason)
    assert verdict.status == "violated" and found, verdict.reason
    assert float(found.group(1)) == pytest.approx(2.0, abs=0.02)    # the model's exponent


def test_time_growing_with_the_window_synthetic_is_violated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def windowed(optimizer: str, d: int, window: int, repeat: int) -> float:
        return _linear(optimizer, d, window, repeat) * window ** 0.5

    verdict = _end_to_end(tmp_path, windowed, monkeypatch)
    assert verdict.status == "violated" and "the window δ" in verdict.reason, verdict.reason


@pytest.mark.parametrize("slope", [0.0, 1e-13])
def test_flat_overhead_dominated_synthetic_timings_never_hold(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slope: float) -> None:
    def flat(optimizer: str, d: int, window: int, repeat: int) -> float:
        return OVERHEAD + slope * d

    verdict = _end_to_end(tmp_path, flat, monkeypatch)
    assert verdict.status == "inconclusive", verdict.reason
