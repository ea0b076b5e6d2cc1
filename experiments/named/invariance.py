"""``invariance``: a metamorphic audit of every optimizer on the online suite.

Online convex optimization has transformations that change no gradient and no regret (a loss
offset, constant or different per round) and transformations that change both in a known way
(scaling the losses by c > 0 scales gradients and regret by c; permuting coordinates and
reflecting the box permute / negate the iterates, regret unchanged). An optimizer that reads
only gradients is exactly invariant to offsets; Adam and AMSGrad are invariant to scaling up
to their ε and equivariant to permutation and reflection. An optimizer that reads loss values
(DWMGrad's loss-driven window) need not be invariant to anything.

Each run plays one base game and its transformed copies side by side (problem
``metamorphic``: one instance per transformation, row 0 the identity). Per optimizer, game
and transformation the audit measures the largest distance over t of the mapped-back iterate
from the reference's (``mapped_gap``, / D∞), the same at T, and the change of the average
regret, |r'_T / c - r_T| / (G∞·D∞) with c the scale (1 otherwise). A row is "exact" when both
are ≤ :data:`EXACT_TOL` (float64 rounding), "up to eps" when ≤ :data:`EPS_TOL`, else
"sensitive". The known invariances (:data:`KNOWN`) are checked by the same harness, so it is
shown to pass where invariance is known and to flag what is not invariant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from experiments import metrics
from experiments.measurements.invariance import (
    CLASSES,
    InvarianceMetrics,
    KnownInvariance,
    SensitivityRow,
)
from experiments.named import online
from experiments.named.common import Scale, check_scale, envelope, load_records, resolve_scale
from experiments.problems import make_problem
from experiments.problems.metamorphic import Metamorphic
from experiments.records import RunRecord
from experiments.spec import RunSpec
from experiments.store import ResultStore

NAME = "invariance"
DESCRIPTION = "Metamorphic audit: loss offsets, scaling, permutation, reflection, per optimizer"
HORIZON: dict[Scale, int] = {"quick": 300, "full": 3000}
EXACT_TOL = 1e-10
EPS_TOL = 1e-5
GAMES: dict[str, dict[str, Any]] = {
    "reddi_theorem1": {"C": 3.0, "x0": 1.0},
    "online_linear": {"d": 4, "bias": 0.2},
    "online_quadratic": {"d": 4},
}
TRANSFORMS: tuple[tuple[str, str, float], ...] = (
    ("identity", "identity", 0.0),
    ("offset +3", "offset", 3.0),
    ("offset -3", "offset", -3.0),
    ("per-round offset", "round_offset", 3.0),
    ("scale x10", "scale", 10.0),
    ("scale x0.1", "scale", 0.1),
    ("permute", "permute", 0.0),
    ("reflect", "reflect", 0.0),
)
OFFSETS = ("offset +3", "offset -3", "per-round offset")
#: (optimizer label, transformation, the worst class allowed) known from the update rules.
KNOWN: tuple[tuple[str, str, str], ...] = (
    *((label, t, "exact") for label in ("Adam", "AMSGrad", "AdaBelief") for t in OFFSETS),
    *((label, t, "up to eps") for label in ("Adam", "AMSGrad") for t in ("scale x10",
                                                                         "scale x0.1")),
    *((label, t, "exact") for label in ("Adam", "AMSGrad", "SGD", "HeavyBall")
      for t in ("permute", "reflect")),
)


def settings() -> dict[str, tuple[str, dict[str, Any]]]:
    """Adam, AMSGrad, the package's seven, the analysed DWMGrad, the other two window rules,
    SGD and heavy ball (α/√t, 0.1)."""
    return {
        **online.all_settings((0.9, 0.99)),
        "DWMGrad (loss_decrease)": ("DWMGrad", {"lr": online.ADAPTIVE_LR,
                                                "window_rule": "loss_decrease"}),
        "DWMGrad (loss_increase)": ("DWMGrad", {"lr": online.ADAPTIVE_LR,
                                                "window_rule": "loss_increase"}),
        "SGD": ("SGD", {"lr": 0.1, "lr_schedule": "inv_sqrt"}),
        "HeavyBall": ("HeavyBall", {"lr": 0.1, "momentum": 0.9, "lr_schedule": "inv_sqrt"}),
    }


def transforms(game: str) -> list[tuple[str, str, float]]:
    """:data:`TRANSFORMS` for ``game`` (no permutation of a one-dimensional game)."""
    one_d = "d" not in GAMES[game]
    return [t for t in TRANSFORMS if not (one_d and t[1] == "permute")]


def spec(label: str, game: str, scale: Scale) -> RunSpec:
    optimizer, hyper = settings()[label]
    return game_spec(optimizer, hyper, game, scale)


def game_spec(optimizer: str, hyper: Mapping[str, Any], game: str, scale: Scale,
              experiment: str = NAME) -> RunSpec:
    """``optimizer`` with ``hyper`` on ``game`` and its transformed copies (one instance each)."""
    chosen = transforms(game)
    return RunSpec(experiment=experiment, problem="metamorphic",
                   problem_params={"base": game, "base_params": GAMES[game], "base_seed": 0,
                                   "transforms": [{"kind": k, "value": v} for _, k, v in chosen]},
                   optimizer=optimizer, hyperparameters=hyper,
                   seeds=tuple(range(len(chosen))), horizon=HORIZON[scale],
                   record=("mapped_gap",))


def specs(scale: str) -> list[RunSpec]:
    chosen = check_scale(scale)
    return [spec(label, game, chosen) for label in settings() for game in GAMES]


def classify(change: float) -> str:
    """"exact", "up to eps" or "sensitive" for a normalised change (NaN is sensitive)."""
    if change <= EXACT_TOL:
        return "exact"
    return "up to eps" if change <= EPS_TOL else "sensitive"


def worst_change(row: SensitivityRow) -> float:
    """The larger of a row's iterate and regret changes (NaN when either is)."""
    return max(row.iterate_max, row.regret_change)


def row_class(row: SensitivityRow) -> str:
    """The class of a row's worst change (a non-finite change is "sensitive")."""
    worst = worst_change(row)
    return classify(worst) if np.isfinite(worst) else "sensitive"


def sensitivities(label: str, record: RunRecord) -> list[SensitivityRow]:
    """Every transformed row of one run against its identity row."""
    s = record.spec
    problem = make_problem(s.problem, s.seeds, s.problem_params)
    assert isinstance(problem, Metamorphic)
    r = metrics.regret(record.losses, problem.comparator_prefix(s.horizon))[:, -1] / s.horizon
    gap = record.extras["mapped_gap"]
    unit = float(problem.base.G_inf) * problem.D_inf  # type: ignore[attr-defined]
    game = str(s.problem_params["base"])
    out = []
    for row, (name, kind, value) in enumerate(transforms(game)):
        if row == 0:
            continue
        c = value if kind == "scale" else 1.0
        out.append(SensitivityRow(label, game, name, float(np.max(gap[row])),
                               float(gap[row, -1]), float(abs(r[row] / c - r[0]) / unit),
                               float(r[0]), float(r[row])))
    return out


@dataclass(frozen=True)
class InvarianceAudit:
    """Every row of the audit and what it finds: the worst class per (optimizer,
    transformation), the known invariances checked, which optimizers a loss offset moves."""

    horizon: int
    rows: tuple[SensitivityRow, ...]

    def worst(self, optimizer: str, transform: str) -> SensitivityRow:
        return max((r for r in self.rows if r.optimizer == optimizer
                    and r.transform == transform),
                   key=lambda r: (CLASSES.index(row_class(r)), worst_change(r)))

    def table(self) -> dict[str, dict[str, str]]:
        return {o: {t: row_class(self.worst(o, t)) for t, _, _ in TRANSFORMS[1:]}
                for o in dict.fromkeys(r.optimizer for r in self.rows)}

    def known(self) -> list[KnownInvariance]:
        return [KnownInvariance(o, t, allowed, row_class(self.worst(o, t)))
                for o, t, allowed in KNOWN]

    def offset_sensitive(self) -> list[str]:
        return [o for o, row in self.table().items()
                if any(row[t] != "exact" for t in OFFSETS)]

    def metrics(self) -> InvarianceMetrics:
        return InvarianceMetrics(
            horizon=self.horizon, games=tuple(GAMES), exact_tolerance=EXACT_TOL,
            eps_tolerance=EPS_TOL, table=self.table(), known_invariances=tuple(self.known()),
            offset_sensitive=tuple(self.offset_sensitive()), rows=self.rows)

    def series(self) -> dict[str, Any]:
        """Figure data: worst normalised change per optimizer (rows) and transformation."""
        optimizers = list(self.table())
        names = [t for t, _, _ in TRANSFORMS[1:]]
        return {"optimizers": optimizers, "transforms": names,
                "worst_change": [[worst_change(self.worst(o, t)) for t in names]
                                 for o in optimizers]}


def measure(store: ResultStore, scale: str | None = None) -> dict[str, Any]:
    chosen = resolve_scale(store, specs, scale)
    labels = [(label, game) for label in settings() for game in GAMES]
    records = load_records(store, [spec(label, game, chosen) for label, game in labels])
    rows = tuple(row for (label, _), record in zip(labels, records, strict=True)
                 for row in sensitivities(label, record))
    audit = InvarianceAudit(HORIZON[chosen], rows)
    series = audit.series()
    series["worst_change"] = [[v if np.isfinite(v) else None for v in row]
                              for row in series["worst_change"]]
    return envelope(NAME, chosen, records, audit.metrics(), series)
