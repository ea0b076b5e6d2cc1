"""The outcome shares of the ``reddi`` experiment: on Theorem 1's game (C = 3), where each
optimizer ends when only the start x_1 or a constant loss offset changes (issue 11: runs of
DWMGrad's loss-driven window end at x = +1 or converge depending on things that change no
gradient).

One run per optimizer plays the game's metamorphic copies side by side (problem
``metamorphic``, one instance each): the reference row (x_1 = 1, as in the paper's proof), then
:data:`STARTS` (21 starts evenly spaced over the box) and :data:`OFFSETS` (21 constant loss
offsets c from -10 to 10: f'_t = f_t + c, no gradient and no regret changes). Rows are
deterministic, so a share is an exact count (k of n rows end within :data:`X_ATOL` of +1, of
-1, elsewhere), not an interval.
"""

from __future__ import annotations

from typing import Any

from experiments.measurements.reddi import OutcomeShare, ReddiOutcomes, outcome_counts
from experiments.named import online
from experiments.named.common import Scale, finite_list
from experiments.records import RunRecord
from experiments.spec import RunSpec

GAME = "theorem1"
GAME_PARAMS: dict[str, Any] = {"C": 3.0, "x0": 1.0}
X_ATOL = 0.1
"""How close to +1 or -1 a final iterate must be (the reddi claims' tolerance)."""
STARTS: tuple[float, ...] = tuple(round(-1.0 + 0.1 * k, 1) for k in range(21))
OFFSETS: tuple[float, ...] = tuple(float(c) for c in range(-10, 11))
CONDITIONS: dict[str, tuple[str, tuple[float, ...]]] = {"start": ("start", STARTS),
                                                        "loss offset": ("offset", OFFSETS)}
"""condition -> (the metamorphic transform kind, its values)."""


PUBLISHED_RULES = ("DWMGrad (loss)", "DWMGrad (loss_decrease)", "DWMGrad (loss_increase)")
"""The labels of the published DWMGrad (lr 1e-2) with each window rule."""


def settings() -> dict[str, tuple[str, dict[str, Any]]]:
    """The published DWMGrad with each window rule, the analysed DWMGrad, and Adam and AMSGrad
    in Reddi et al.'s Theorem 1 setting (offset-invariant: the harness's controls)."""
    betas = (0.0, 1.0 / (1.0 + GAME_PARAMS["C"] ** 2))
    rules = ("loss", "loss_decrease", "loss_increase")
    return {
        **{label: ("DWMGrad", {"lr": online.ADAPTIVE_LR, "window_rule": rule})
           for label, rule in zip(PUBLISHED_RULES, rules, strict=True)},
        online.ANALYSED: ("DWMGrad", online.analysed_dwmgrad()),
        "Adam": ("Adam", online.reddi_adam(betas)),
        "AMSGrad": ("AMSGrad", online.reddi_adam(betas)),
    }


def transforms() -> list[dict[str, Any]]:
    """The rows: the identity, then every condition's values in :data:`CONDITIONS` order."""
    rows = [{"kind": "identity", "value": 0.0}]
    for kind, values in CONDITIONS.values():
        rows += [{"kind": kind, "value": v} for v in values]
    return rows


def specs(experiment: str, scale: Scale, horizon: int) -> dict[str, RunSpec]:
    rows = transforms()
    return {label: RunSpec(experiment=experiment, problem="metamorphic",
                           problem_params={"base": "reddi_theorem1", "base_params": GAME_PARAMS,
                                           "base_seed": 0, "transforms": rows},
                           optimizer=optimizer, hyperparameters=hyper,
                           seeds=tuple(range(len(rows))), horizon=horizon,
                           record=("regret", "x"))
            for label, (optimizer, hyper) in settings().items()}


def shares(record: RunRecord) -> dict[str, OutcomeShare]:
    """condition -> the share of outcomes over its rows of ``record``."""
    final_x = record.vector("x")[:, -1, 0]
    regret = record.quantity("regret")[:, -1] / record.spec.horizon
    out: dict[str, OutcomeShare] = {}
    first = 1                                        # row 0 is the identity
    for condition, (_, values) in CONDITIONS.items():
        rows = slice(first, first + len(values))
        xs = tuple(finite_list(final_x[rows]))
        plus, minus, other = outcome_counts(xs, X_ATOL)
        out[condition] = OutcomeShare(condition=condition, values=values, final_x=xs,
                                      regret_over_T=tuple(finite_list(regret[rows])),
                                      at_plus_one=plus, at_minus_one=minus, elsewhere=other)
        first += len(values)
    return out


def outcomes(records: dict[str, RunRecord], horizon: int) -> ReddiOutcomes:
    return ReddiOutcomes(game=GAME, T=horizon, x_atol=X_ATOL,
                         shares={label: shares(r) for label, r in records.items()})
