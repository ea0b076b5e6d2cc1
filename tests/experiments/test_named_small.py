"""Each named experiment's measure() returns the contract's keys on a tiny run.

Module constants are shrunk with monkeypatch so that every experiment runs in seconds; the
scale-dependent tables are the same objects ``specs`` and ``measure`` read.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import torch
from tiny_experiment_scales import tiny_cost_scaling, tiny_counterexample_search

from experiments.machine import last_level_cache, steady_allocator
from experiments.measurements.bound_tightness import BoundTightnessMetrics, TightnessEntry
from experiments.measurements.dwmgrad_regret import DwmgradRegretMetrics
from experiments.measurements.empirical import EmpiricalMetrics
from experiments.named import (
    bound_tightness,
    cost_scaling,
    counterexample_search,
    dwmgrad_regret,
    empirical,
    heavy_ball_rate,
    lessard_cycle,
    reddi,
    tuning,
)
from experiments.named.common import load_records
from experiments.records import RunRecord
from experiments.runner import run_specs
from experiments.spec import RunSpec
from experiments.store import ResultStore


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Any:
    """One intra-op thread: the runs are tiny and the machine is shared."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


ENVELOPE = {"experiment", "scale", "created", "metrics", "series", "runs", "diverged"}


def run_and_measure(module: Any, root: Path) -> dict[str, Any]:
    store = ResultStore(root)
    run_specs(module.specs("quick"), store, progress=False)
    adaptive = getattr(module, "search", None)
    if adaptive is not None:        # as experiments.api runs it: the adaptive runs, stored

        def run(specs: Sequence[RunSpec]) -> list[RunRecord]:
            run_specs(list(specs), store, progress=False)
            return load_records(store, specs)

        adaptive(store, "quick", run)
    out = module.measure(store)
    assert ENVELOPE <= set(out) and out["experiment"] == module.NAME and out["scale"] == "quick"
    json.dumps(out, allow_nan=False)          # JSON-able, no NaN
    return out


def test_heavy_ball_rate_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(heavy_ball_rate.KAPPAS, "quick", (10.0,))
    out = run_and_measure(heavy_ball_rate, tmp_path)
    (row,) = out["metrics"]["rows"]
    assert {"kappa", "rho_star", "rate_measured", "rate_fit_jordan", "gd_rate_theory",
            "gd_rate_measured"} <= set(row)
    assert row["rate_fit_jordan"] == pytest.approx(row["rho_star"], abs=2e-3)
    assert row["window"][0] >= heavy_ball_rate.transient_end(10.0)     # fitted on the tail
    assert row["window_error_min"] > heavy_ball_rate.FLOAT64_FLOOR       # above the floor
    assert out["series"]["error_curves"]["10"]["heavy_ball"]["error"]


def test_lessard_cycle_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(lessard_cycle.GRID_POINTS, "quick", 2)
    monkeypatch.setitem(lessard_cycle.HORIZON, "quick", 200)
    m = run_and_measure(lessard_cycle, tmp_path)["metrics"]
    assert m["cycle_detected"] is True and len(m["cycle_points"]) == 3
    assert m["expected_cycle"] == [0.6465, -1.8024, 2.1159]
    assert {"x0", "converged", "final_x"} <= set(m["starts"][0])
    assert m["converging_starts_converged"] is True


def test_reddi_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(reddi.HORIZON, "quick", {c: (60, 30) for c in reddi.CONSTRUCTIONS})
    out = run_and_measure(reddi, tmp_path)
    for construction in ("theorem1", "section5_online", "section5_stochastic"):
        block = out["metrics"][construction]
        assert {"Adam", "AMSGrad", "DWMGrad", "AdaBelief", "Aida", "DemonSGD", "DemonAdam",
                "AdaptiveHB", "AdamAHB"} <= set(block)
        for entry in block.values():
            assert {"final_x", "regret_over_T"} <= set(entry)
            assert -1.0 <= entry["final_x"] <= 1.0
        assert set(out["series"][construction]) == set(block)
    shares = out["metrics"]["outcomes"]["shares"]
    assert set(shares) == {"DWMGrad (loss)", "DWMGrad (loss_decrease)",
                           "DWMGrad (loss_increase)", "DWMGrad (analysed)", "Adam", "AMSGrad"}
    for by_condition in shares.values():          # >= 20 starts and offsets, exact counts
        assert set(by_condition) == {"start", "loss offset"}
        for share in by_condition.values():
            assert len(share["values"]) >= 20 and len(share["final_x"]) == len(share["values"])
            assert share["at_plus_one"] + share["at_minus_one"] + share["elsewhere"] == len(
                share["values"])


def test_dwmgrad_regret_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(dwmgrad_regret.HORIZON, "quick", 100)
    monkeypatch.setitem(dwmgrad_regret.SEEDS, "quick", (0, 1))
    m = DwmgradRegretMetrics.from_measurement(run_and_measure(dwmgrad_regret, tmp_path), "f")
    bounded = {"analysed", "analysed:tuned", "constant_momentum"}
    variants = bounded | {"paper:loss", "paper:loss_decrease", "paper:loss_increase"}
    assert {r.variant for r in m.rows} == variants
    for row in m.rows:
        assert (row.bound is None) == (row.variant not in bounded)
        if row.bound is not None:
            assert row.trivial is not None and row.bound_over_trivial is not None
            assert row.bound_over_trivial == pytest.approx(row.bound / row.trivial)
            assert row.vacuous == (row.bound_over_trivial >= 1)
            assert row.trivial == pytest.approx(row.T * 2.0 * (
                10 if row.problem != "reddi_theorem1" else 3.0))
            # no valid upper bound lies below what a worst-case adversary forces on anyone
            assert row.bound > row.minimax_lower
        d_g_d = 2.0 * (10 if row.problem != "reddi_theorem1" else 3.0)
        assert row.minimax_lower == pytest.approx(2**0.5 / 4 * d_g_d * row.T**0.5)
    # gamma = 0.9 is vacuous at every quick horizon, and says from when it would not be.
    analysed = [r for r in m.rows if r.variant == "analysed"]
    assert all(r.vacuous for r in analysed)
    assert all(h is not None and h > 100 for h in m.informative_T["analysed"].values())
    # The window shrinks ever more often on online_linear (K_T grows with T): no horizon can
    # be read off by holding K_T; on online_quadratic it never shrinks (K_T = 0).
    assert m.informative_T["constant_momentum"]["online_linear"] is None
    assert m.informative_T["constant_momentum"]["online_quadratic"] is not None
    assert set(m.exponents) == variants
    assert m.exponents["analysed"]["online_linear"].whole.slope is not None
    assert m.bound_holds is True


def _tightness_inputs(root: Path, monkeypatch: pytest.MonkeyPatch) -> ResultStore:
    """Tiny dwmgrad_regret runs and a tiny counterexample search with its measurement file:
    what bound_tightness reads."""
    tiny_counterexample_search(monkeypatch)
    monkeypatch.setitem(bound_tightness.HORIZON, "quick", 60)
    monkeypatch.setitem(dwmgrad_regret.HORIZON, "quick", 60)
    monkeypatch.setitem(dwmgrad_regret.SEEDS, "quick", (0,))
    store = ResultStore(root)
    run_specs(dwmgrad_regret.specs("quick"), store, progress=False)
    run_specs(bound_tightness.specs("quick"), store, progress=False)
    with pytest.raises(FileNotFoundError, match="counterexample_search"):
        bound_tightness.measure(store)                      # the search's sequences are needed
    counterexample_search.search(store, "quick", _run_in(store))
    store.write_measurement("counterexample_search", counterexample_search.measure(store))
    bound_tightness.search(store, "quick", _run_in(store))
    return store


def _run_in(store: ResultStore) -> Any:
    def run(specs: Any) -> list[Any]:
        run_specs(specs, store, progress=False)
        return [store.load(s) for s in specs]
    return run


def test_bound_tightness_table_is_rebuilt_from_the_measurement_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reports.results import load_results
    from reports.tables import tightness_table

    monkeypatch.setitem(bound_tightness.HORIZON, "quick", 60)
    # its inputs are needed: the search's sequences (read first since 106b8a9), with the command
    with pytest.raises(FileNotFoundError, match="run counterexample_search --out"):
        run_and_measure(bound_tightness, tmp_path / "empty")
    store = _tightness_inputs(tmp_path, monkeypatch)
    out = bound_tightness.measure(store)
    m = BoundTightnessMetrics.from_measurement(out, "bound_tightness.json")
    assert {row.bound for row in m.table} == {
        "dwmgrad_regret", "dwmgrad_constant_momentum_regret",
        "dwmgrad_constant_momentum_regret_data"}
    # the data-dependent bound needs gradients and second moments: not recorded by the suite
    assert {(row.bound, row.source) for row in m.by_source} == {
        (row.bound, source) for row in m.table for source in bound_tightness.SOURCES} - {
        ("dwmgrad_constant_momentum_regret_data", bound_tightness.SUITE)}
    searched = [e for e in m.entries if e.source == bound_tightness.SEARCH]
    assert len(searched) == sum(len(s.alphas) for s in bound_tightness.SETTINGS)
    assert all(e.game.startswith("measurements/counterexamples/") for e in searched)
    assert m.any_exceeds_one is False and all(0 < e.ratio <= 1 for e in m.entries)
    for entry in out["series"]["ratio_by_T"].values():  # every bound above the minimax floor
        assert len(entry["lower_over_bound"]) == len(entry["T"])
        assert all(0 < x < 1 for x in entry["lower_over_bound"])
    # The report's table comes from the file alone and equals the measurement's own tables.
    store.write_measurement("bound_tightness", out)
    table = tightness_table(load_results(tmp_path, ["bound_tightness"]))
    assert [row[:3] for row in table.rows] == [
        [row.bound, row.source, f"{row.ratio:.3g}"] for row in m.by_source]
    assert sum(row[-1] == "yes" for row in table.rows) == len(m.table)


def test_a_bound_below_the_measured_regret_is_reported_exceeded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fed a bound 1000 times too small, the measurement flags every instance above it, and
    the claim resting on it reads violated."""
    from reports.claims import judge
    from reports.results import load_results

    bound = bound_tightness.SETTINGS[1].bound
    small = dataclasses.replace(bound, expr=bound.expr / 1000, _numeric=None,
                                _trivial_numeric=None)
    monkeypatch.setattr(bound_tightness, "SETTINGS", (
        bound_tightness.SETTINGS[0], dataclasses.replace(bound_tightness.SETTINGS[1],
                                                         bound=small),
        bound_tightness.SETTINGS[2]))
    store = _tightness_inputs(tmp_path, monkeypatch)
    m = BoundTightnessMetrics.from_measurement(bound_tightness.measure(store), "b.json")
    exceeded = {(row.bound, row.source) for row in m.by_source if row.exceeds_one}
    assert {(bound.name, source) for source in (bound_tightness.GAME, bound_tightness.SEARCH)
            } <= exceeded and m.any_exceeds_one
    store.write_measurement("bound_tightness", bound_tightness.measure(store))
    store.write_measurement("dwmgrad_regret", dwmgrad_regret.measure(store))
    verdict = {j.claim.id: j.verdict for j in judge(load_results(tmp_path))}[
        "dwmgrad-constant-momentum-bound"]
    assert verdict.status == "violated" and "bound_tightness.json" in verdict.reason


def test_tightness_table_takes_each_bounds_largest_ratio_and_flags_an_excess() -> None:
    entries = [TightnessEntry(bound=b, setting=s, source="suite", game="g", T=10, ratio=r,
                              regret=r,
                              bound_value=1.0, bound_over_trivial=0.1, exceeds_one=r > 1)
               for b, s, r in (("a", "x", 0.2), ("a", "y", 0.5), ("b", "x", 1.5))]
    table = bound_tightness.tightness_table(entries)
    assert [(row.bound, row.setting, row.exceeds_one, row.instances) for row in table] == [
        ("a", "y", False, 2), ("b", "x", True, 1)]


def test_cost_scaling_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tiny_cost_scaling(monkeypatch)
    out = run_and_measure(cost_scaling, tmp_path)
    m = out["metrics"]["optimizers"]
    assert set(m) == {"DWMGrad", "Adam"}
    assert out["metrics"]["llc_bytes"] == last_level_cache().size_bytes
    assert out["metrics"]["allocator"] == steady_allocator()
    for name in ("DWMGrad", "Adam"):
        entry = m[name]
        fit = entry["time_exponent_d"]      # None when the tiny sizes' noise beats the overhead
        assert fit is None and entry["time_exponent_d_note"] or {"slope", "ci_low"} <= set(fit)
        assert entry["fitted_dims"] == [100, 1000, 3000]           # never the overhead size
        assert {"slope", "ci_low", "ci_high"} <= set(entry["time_exponent_n"])
        assert entry["state_bytes_per_param_model"] == 8.0
        assert entry["state_bytes_per_param_measured"] == pytest.approx(8.0, abs=0.1)
        assert entry["peak_memory_method"] == "torch.profiler (CPU)"
        measured = entry["peak_memory_measured_bytes"]
        assert len(measured) == 4 and measured[-1] > entry["peak_memory_estimate_bytes"]
        assert {"slope", "ci_low", "ci_high"} <= set(entry["memory_exponent_d"])
    assert out["metrics"]["window"]["windows"] == [1, 4]
    assert len(out["series"]["window_step_time_s"]["median"]) == 2


def test_empirical_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(empirical.HORIZON, "quick", {k: 15 for k in empirical.HORIZON["quick"]})
    monkeypatch.setitem(empirical.SEEDS, "quick", (0, 1, 2))
    monkeypatch.setitem(tuning.TUNING_SEEDS, "quick", (1000, 1001))
    monkeypatch.setattr(empirical, "labels", lambda: (
        "DWMGrad", "AdaBelief", "Aida", "AdaptiveHB", "Adam", "SGD", "HeavyBall"))  # the runs read
    out = run_and_measure(empirical, tmp_path)
    m = EmpiricalMetrics.from_measurement(out, "empirical.json")
    paths = out["series"]["rosenbrock_paths"]
    assert set(paths) == {"(1, 2)", "(-1.2, 1)"}
    for start, (x0, y0) in (("(1, 2)", (1.0, 2.0)), ("(-1.2, 1)", (-1.2, 1.0))):
        assert set(paths[start]) == set(empirical.labels())
        path = paths[start]["DWMGrad"]
        assert len(path["x"]) == len(path["y"]) == 15        # short runs are not thinned
        assert path["x"][0] == pytest.approx(x0, abs=0.05)   # start noise 0.01
        assert path["y"][0] == pytest.approx(y0, abs=0.05)
    for task in ("rosenbrock", "logistic", "mlp"):
        assert set(m.table(task)) == set(empirical.labels())
    assert {"authors", "standard"} == set(m.rosenbrock["Adam"].by_start)
    # each optimizer at the lr its tuning runs chose, evaluated on the other seeds only
    adam = m.logistic["Adam"]
    assert adam.tuned.chosen_lr in adam.tuned.grid
    extended = len(adam.tuned.grid) - 3             # past an edge (tuning.tune): still sorted
    assert {1e-3, 1e-2, 1e-1} <= set(adam.tuned.grid) and list(adam.tuned.grid) == sorted(
        adam.tuned.grid) and 0 <= extended <= tuning.MAX_EXTENSIONS["quick"]
    assert adam.tuned.at_grid_edge or adam.tuned.grid[0] < adam.tuned.chosen_lr < (
        adam.tuned.grid[-1])
    assert adam.tuned.tuning_seeds == (1000, 1001) and adam.seeds == (0, 1, 2)
    assert len(adam.final_by_seed) == len(adam.steps_by_seed) == 3
    assert out["run_labels"]["problems"]["logistic"]["Adam"] in out["runs"]
    curves = out["series"]["curves"]["mlp"]["Adam"]
    assert len(curves["per_seed"]) == 3 and all(len(c) == len(curves["steps"])
                                                 for c in curves["per_seed"])
    demon = m.demon_momentum_robustness.optimizers
    assert set(demon) == {"DemonSGD", "HeavyBall", "HeavyBall (lr decay)"}
    for sweep in demon.values():           # every seed of the scale, an interval around it
        assert sweep.n_samples == 3 and {0.005, 0.05, 0.5} <= set(sweep.tuned.grid)
        assert [len(row) for row in sweep.final_by_beta_and_seed] == [3] * 5
        if sweep.log10_spread is not None and sweep.log10_spread_ci_high is not None:
            assert sweep.log10_spread_ci_low is not None
            assert sweep.log10_spread_ci_low <= sweep.log10_spread_ci_high
    assert set(m.ahb_lr_robustness.optimizers) == {"AdaptiveHB", "HeavyBall"}
    assert set(m.ahb_controls.full_batch) == {"AdaptiveHB", "HeavyBall"}
    assert m.ahb_controls.full_batch["AdaptiveHB"].tuned == m.mlp["AdaptiveHB"].tuned
    for name in ("Adam", "AdaBelief", "Aida"):
        assert m.stepsize_range.optimizers[name].log10_spread_median >= 0.0
        assert len(m.stepsize_range.optimizers[name].spread_by_seed) == 3
    assert set(m.faster_convergence) == set(empirical.PROBLEM_SETUPS)
    # measure walks each tuning grid once: every tuning run's finals read once, same result
    grids = empirical.tuned_lrs(ResultStore(tmp_path), "quick").values()
    read: list[str] = []
    real = empirical.final_by_seed

    def counted(record: RunRecord) -> Any:
        if record.spec.seeds == tuning.TUNING_SEEDS["quick"]:
            read.append(record.spec.key())
        return real(record)

    monkeypatch.setattr(empirical, "final_by_seed", counted)
    again = empirical.measure(ResultStore(tmp_path))
    assert len(read) == len(set(read)) == sum(len(t.grid) for t in grids)
    assert again["metrics"] == out["metrics"]


def test_evaluation_seeds_overlapping_the_tuning_seeds_are_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(empirical.SEEDS, "quick", (0, 1000))
    with pytest.raises(ValueError, match=r"evaluation seeds \[1000\] are also tuning seeds"):
        empirical.specs("quick")


def test_rosenbrock_path_thinning(tmp_path: Path) -> None:
    spec = empirical.problem_spec("Adam", "rosenbrock_standard", "quick").with_changes(
        seeds=[0], horizon=1000)
    (record,) = run_specs([spec], ResultStore(tmp_path), progress=False)
    path = empirical.rosenbrock_path(record)
    xs = record.vector("x")[0]
    assert len(path["x"]) == len(path["y"]) == empirical.PATH_POINTS
    assert (path["x"][0], path["y"][0]) == (xs[0, 0], xs[0, 1])
    assert (path["x"][-1], path["y"][-1]) == (xs[-1, 0], xs[-1, 1])
    assert empirical.problem_spec("DWMGrad", "logistic", "quick").record == ()
    assert empirical.problem_spec("Adam", "logistic", "quick").record == ("x",)


def test_cost_scaling_steps_one_optimizer_through_the_sizes_alternating_direction() -> None:
    order = [(s.optimizer, s.problem_params["d"], s.seeds[0]) for s in cost_scaling.specs("quick")
             if s.problem_params["d"] in cost_scaling.sizes("quick")
             and "init_window" not in s.hyperparameters
             and s.horizon == cost_scaling.steps_at(s.problem_params["d"], "quick")]
    sizes = list(cost_scaling.sizes("quick"))
    first = [d for o, d, r in order if o == "DWMGrad" and r == 0]
    second = [d for o, d, r in order if o == "DWMGrad" and r == 1]
    assert first == sizes and second == sizes[::-1]
    runs = [(o, r) for o, _, r in order]                    # each optimizer's sizes adjacent
    assert all(len(set(runs[i:i + len(sizes)])) == 1 for i in range(0, len(runs), len(sizes)))
