"""Quick-scale tables shrunk so that a named experiment runs in seconds, shared by the tests
that run the real producers (tests/experiments/test_named_small.py and the end-to-end contract,
tests/reports/test_contract.py). Imported by plain name (``tests/conftest.py`` puts this
directory on ``sys.path``)."""

from __future__ import annotations

import pytest

from experiments.named import cost_scaling, counterexample_search


def tiny_cost_scaling(mp: pytest.MonkeyPatch) -> None:
    """DWMGrad and Adam at d = 100, 1000 (and 3000, counted beyond the cache), 3 steps,
    2 repeats, windows 1 and 4, two sizes of the window sweep."""
    mp.setattr(cost_scaling, "optimizers",
               lambda: {"DWMGrad": {"lr": 1e-3}, "Adam": {"lr": 1e-3}})
    mp.setitem(cost_scaling.DIMS, "quick", (100, 1000))
    mp.setitem(cost_scaling.BEYOND_CACHE_DIMS, "quick", (3000,))
    mp.setattr(cost_scaling, "CACHE_MARGIN", 0.0)      # the tiny sizes count as beyond
    mp.setitem(cost_scaling.BEYOND_CACHE_STEPS, "quick", 3)
    mp.setattr(cost_scaling, "WINDOWS", (1, 4))
    mp.setattr(cost_scaling, "WINDOW_DIM", 1000)
    mp.setitem(cost_scaling.STEPS, "quick", 3)
    mp.setitem(cost_scaling.REPEATS, "quick", 2)
    mp.setattr(cost_scaling, "N_SWEEP", (3, 9))
    mp.setattr(cost_scaling, "LARGE_D", 10)


def tiny_counterexample_search(mp: pytest.MonkeyPatch) -> None:
    """Two CMA-ES generations of 4 candidates from T0 = 4, one sequence replayed."""
    for table, value in ((counterexample_search.T0, 4), (counterexample_search.GENERATIONS, 2),
                         (counterexample_search.POPSIZE, 4), (counterexample_search.REPLAYED, 1)):
        mp.setitem(table, "quick", value)
