"""The metamorphic audit: the transformed games are what they claim, the harness passes on
known invariances and flags what is not invariant (a loss offset moves DWMGrad)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from experiments.measurements.invariance import (
    InvarianceMetrics,
    KnownInvariance,
    SensitivityRow,
)
from experiments.named import invariance
from experiments.problems import make_problem
from experiments.runner import run_spec, run_specs
from experiments.store import ResultStore

QUICK = 60


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Any:
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _rows(label: str, game: str) -> dict[str, SensitivityRow]:
    spec = invariance.spec(label, game, "quick").with_changes(horizon=QUICK)
    return {r.transform: r for r in invariance.sensitivities(label, run_spec(spec))}


def _kind(row: SensitivityRow) -> str:
    return invariance.row_class(row)


def test_transformed_games_change_gradients_and_regret_as_stated() -> None:
    spec = invariance.spec("Adam", "online_quadratic", "quick")
    problem = make_problem(spec.problem, spec.seeds, spec.problem_params)
    names = [t[0] for t in invariance.transforms("online_quadratic")]
    x = problem.x0() + 0.3
    x[:, 0] = -0.5
    g = problem.grad(x, 3)
    y = problem.mapped(x)                                                 # type: ignore[attr-defined]
    base = problem.base.grad(y[:1], 3)                                    # type: ignore[attr-defined]
    torch.testing.assert_close(g[names.index("offset +3")], g[0])
    torch.testing.assert_close(g[names.index("scale x10")], 10 * g[0])
    torch.testing.assert_close(g[0], base[0])
    comp = problem.comparator_prefix(20)                                  # type: ignore[attr-defined]
    np.testing.assert_allclose(comp[names.index("scale x0.1")], 0.1 * comp[0])
    np.testing.assert_allclose(comp[names.index("offset -3")], comp[0] - 3 * np.arange(1, 21))
    x0 = problem.x0()
    assert torch.equal(problem.mapped(x0), x0[:1].expand_as(x0))          # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="identity"):
        make_problem("metamorphic", (0,), {"transforms": [{"kind": "scale", "value": 2.0}]})
    with pytest.raises(ValueError, match="scale must be > 0"):
        make_problem("metamorphic", (0, 1), {"transforms": [
            {"kind": "identity", "value": 0.0}, {"kind": "scale", "value": -1.0}]})


def test_known_invariances_pass_and_the_harness_flags_what_is_not_invariant() -> None:
    adam = _rows("Adam", "online_linear")
    for name in invariance.OFFSETS + ("permute", "reflect"):
        assert _kind(adam[name]) == "exact", adam[name]
    assert _kind(adam["scale x10"]) in ("exact", "up to eps")
    sgd = _rows("SGD", "online_linear")                   # SGD's step scales with the gradient
    assert _kind(sgd["scale x10"]) == "sensitive" and _kind(sgd["offset +3"]) == "exact"
    dwm = _rows("DWMGrad", "reddi_theorem1")              # the loss window reads loss values
    assert _kind(dwm["offset -3"]) == "sensitive" and dwm["offset -3"].iterate_max > 1e-3
    check = KnownInvariance("SGD", "scale x10", "up to eps", _kind(sgd["scale x10"]))
    assert not check.holds
    assert invariance.classify(float("nan")) == "sensitive"


def test_measure_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(invariance.HORIZON, "quick", 20)
    keep = {k: v for k, v in invariance.settings().items() if k in ("Adam", "DWMGrad")}
    monkeypatch.setattr(invariance, "settings", lambda: keep)
    monkeypatch.setattr(invariance, "KNOWN", (("Adam", "offset +3", "exact"),))
    store = ResultStore(tmp_path)
    run_specs(invariance.specs("quick"), store, progress=False)
    m = invariance.measure(store, "quick")
    assert set(m["metrics"]["table"]) == {"Adam", "DWMGrad"}
    record = InvarianceMetrics.from_measurement(m, "invariance.json")
    assert all(k.holds for k in record.known_invariances)
    assert record.offset_sensitive == ("DWMGrad",)
    assert len(m["series"]["worst_change"]) == 2


def test_a_start_row_starts_there_and_plays_the_same_game() -> None:
    rows = [{"kind": "identity", "value": 0.0}, {"kind": "start", "value": -0.5},
            {"kind": "offset", "value": 2.0}]
    game = make_problem("metamorphic", (0, 1, 2), {"base": "reddi_theorem1",
                                                    "base_params": {"C": 3.0, "x0": 1.0},
                                                    "transforms": rows})
    assert game.x0().squeeze(-1).tolist() == [1.0, -0.5, 1.0]
    x = torch.tensor([[0.3], [0.3], [0.3]], dtype=torch.float64)
    assert game.grad(x, 1).squeeze(-1).tolist() == [3.0, 3.0, 3.0]
    assert game.loss(x, 1).tolist() == pytest.approx([0.9, 0.9, 2.9])
    with pytest.raises(ValueError, match="a start must lie in the box"):
        make_problem("metamorphic", (0, 1), {"base": "reddi_theorem1",
                                             "transforms": [rows[0], {"kind": "start",
                                                                      "value": 1.5}]})
