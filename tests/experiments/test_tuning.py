"""lr tuning (experiments.named.tuning): the grid, the choice, and what it must refuse."""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiments.named import tuning
from experiments.spec import RunSpec


def test_the_best_mean_log_final_value_wins_and_a_diverging_lr_never_does() -> None:
    finals = [np.array([1e-2, 1e-2, 1e-2]), np.array([1e-6, 1e-6, math.inf]),
              np.array([1e-4, 1e-3, 1e-4])]
    tuned = tuning.choose([0.1, 1.0, 10.0], finals, (1000, 1001, 1002))
    # lr 1.0 is best on two seeds but diverged on one: never chosen
    assert tuned.chosen_lr == 10.0 and tuned.scores[1] is None
    assert tuned.scores[2] == pytest.approx(np.mean(np.log10([1e-4, 1e-3, 1e-4])))
    assert tuned.at_grid_edge and tuned.tuning_seeds == (1000, 1001, 1002)
    middle = tuning.choose([0.1, 1.0, 10.0], [np.array([1.0]), np.array([0.1]),
                                              np.array([1.0])], (1000,))
    assert middle.chosen_lr == 1.0 and not middle.at_grid_edge
    tie = tuning.choose([0.1, 1.0], [np.array([0.0]), np.array([-1e-18])], (1000,))
    assert tie.chosen_lr == 0.1                    # both at the floor: the smaller lr


def test_bad_grids_are_refused() -> None:
    with pytest.raises(ValueError, match="one set of final values per grid lr"):
        tuning.choose([0.1, 1.0], [np.array([1.0])], (1000,))
    with pytest.raises(ValueError, match="ascending"):
        tuning.choose([1.0, 0.1], [np.array([1.0]), np.array([1.0])], (1000,))


def test_tuning_runs_use_only_the_tuning_seeds() -> None:
    spec = RunSpec(experiment="e", problem="quadratic", problem_params={}, optimizer="Adam",
                   hyperparameters={"lr": 0.01}, seeds=(0, 1), horizon=5, record=("x",))
    runs = tuning.tuning_specs(spec, "quick")
    assert [r.hyperparameters["lr"] for r in runs] == [0.001, 0.01, 0.1]
    assert all(r.seeds == tuning.TUNING_SEEDS["quick"] and r.record == () for r in runs)
    tuning.check_disjoint((0, 1), "quick")
    with pytest.raises(ValueError, match=r"evaluation seeds \[1001\] are also tuning seeds"):
        tuning.check_disjoint((0, 1001), "quick")


def _base() -> RunSpec:
    return RunSpec(experiment="e", problem="quadratic", problem_params={}, optimizer="Adam",
                   hyperparameters={"lr": 0.01}, seeds=(0, 1), horizon=5)


def _finals_of(score: dict[float, float], asked: list[float]) -> tuning.Finals:
    """Final values from a table {lr: value} (inf: diverged); every lr asked is logged."""
    def finals(specs: list[RunSpec]) -> list[np.ndarray]:
        lrs = [float(s.hyperparameters["lr"]) for s in specs]
        asked.extend(lrs)
        return [np.full(3, score[lr]) for lr in lrs]
    return finals


def test_an_edge_choice_extends_the_grid_until_the_choice_is_inside() -> None:
    # the best lr, 1e-4, lies two decades below the grid's low edge 1e-3
    table = {1e-5: 1e-2, 1e-4: 1e-6, 0.001: 1e-4, 0.01: 1e-3, 0.1: 1e-1}
    asked: list[float] = []
    [tuned] = tuning.tune([_base()], "quick", _finals_of(table, asked))
    assert asked == [0.001, 0.01, 0.1, 1e-4, 1e-5]
    assert tuned.grid == (1e-5, 1e-4, 0.001, 0.01, 0.1)
    assert tuned.chosen_lr == 1e-4 and not tuned.at_grid_edge
    assert [s.hyperparameters["lr"] for s in tuning.tuned_specs(_base(), tuned)] == list(
        tuned.grid)


def test_the_upper_edge_extends_until_an_lr_diverges_and_the_budget_is_kept() -> None:
    table = {0.001: 1.0, 0.01: 1e-1, 0.1: 1e-2, 1.0: 1e-3, 10.0: math.inf}
    [tuned] = tuning.tune([_base()], "quick", _finals_of(table, []))
    assert tuned.chosen_lr == 1.0 and not tuned.at_grid_edge and tuned.scores[-1] is None
    # still improving at every added lr: MAX_EXTENSIONS lrs are added, then it stays flagged
    rising = {10.0 ** k: 10.0 ** -k for k in range(-4, 4)}
    asked: list[float] = []
    [flagged] = tuning.tune([_base()], "quick", _finals_of(rising, asked))
    assert len(asked) == 3 + tuning.MAX_EXTENSIONS["quick"]
    assert flagged.at_grid_edge and flagged.chosen_lr == 10.0
    inside = {0.001: 1.0, 0.01: 1e-3, 0.1: 1e-1}
    asked = []
    assert tuning.tune([_base()], "quick", _finals_of(inside, asked))[0].chosen_lr == 0.01
    assert asked == [0.001, 0.01, 0.1]                            # nothing added


def test_each_base_walks_alone_and_a_rounds_added_lrs_are_asked_for_together() -> None:
    tables = {"Adam": {10.0 ** k: 10.0 ** k for k in range(-5, 0)},        # best below: 2 added
              "SGD": {0.001: 1.0, 0.01: 1e-1, 0.1: 1e-2, 1.0: 1e-3, 10.0: math.inf},  # 2 above
              "AMSGrad": {0.001: 1.0, 0.01: 1e-3, 0.1: 1e-1},                  # inside: none
              "HeavyBall": {0.001: 1.0, 0.01: 1e-1, 0.1: 1e-2, 1.0: 1e-1}}   # 1 above: inside
    bases = [_base().with_changes(optimizer=name) for name in tables]
    batches: list[list[tuple[str, float]]] = []

    def finals(specs: list[RunSpec]) -> list[np.ndarray]:
        batches.append([(s.optimizer, float(s.hyperparameters["lr"])) for s in specs])
        return [np.full(3, tables[s.optimizer][float(s.hyperparameters["lr"])]) for s in specs]

    together = tuning.tune(bases, "quick", finals)
    assert batches == [[(b.optimizer, lr) for b in bases for lr in (0.001, 0.01, 0.1)],
                       [("Adam", 1e-4), ("SGD", 1.0), ("HeavyBall", 1.0)],
                       [("Adam", 1e-5), ("SGD", 10.0)]]
    alone = [tuning.tune([b], "quick", finals)[0] for b in bases]
    assert together == alone
    assert [t.chosen_lr for t in together] == [1e-5, 1.0, 0.01, 0.1]
    assert [t.at_grid_edge for t in together] == [True, False, False, False]
