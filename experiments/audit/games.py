"""Audit parts on the published constructions and the metamorphic games.

* ``audit_reddi``: Reddi, Kale, Kumar's three constructions (:mod:`experiments.named.reddi`:
  Theorem 1 with C = 3, the Section 5 online and stochastic games) on [-1, 1], minimiser
  x* = -1, at the horizons the package's optimizers get there;
* ``audit_lessard``: Lessard, Recht, Packard's 1-strongly convex, 25-smooth function from the
  starts where heavy ball with Polyak's tuning cycles and the two where it converges
  (:mod:`experiments.named.lessard_cycle`), classified by the same rule;
* ``audit_invariance``: the metamorphic audit (:mod:`experiments.named.invariance`): loss
  offsets, scaling, permutation and reflection on the three games.
"""

from __future__ import annotations

from typing import Any

from experiments.audit.target import Target
from experiments.measurements.audit import (
    AuditInvarianceMetrics,
    AuditLessardMetrics,
    AuditReddiMetrics,
    InvarianceRow,
)
from experiments.measurements.lessard_cycle import Start
from experiments.named import invariance, lessard_cycle, reddi
from experiments.named.common import Scale, envelope, finite_list, finite_or_none, load_records
from experiments.spec import RunSpec
from experiments.store import ResultStore

REDDI = "audit_reddi"
LESSARD = "audit_lessard"
INVARIANCE = "audit_invariance"


def reddi_specs(target: Target, scale: Scale) -> dict[str, RunSpec]:
    """construction -> the audited optimizer's run on it."""
    out = {}
    for construction, (problem, params, seeds, _) in reddi.CONSTRUCTIONS.items():
        horizon = reddi.HORIZON[scale][construction][1]
        out[construction] = target.spec(REDDI, problem, horizon, seeds, params,
                                        record=("regret", "x"))
    return out


def measure_reddi(store: ResultStore, target: Target, scale: Scale) -> dict[str, Any]:
    by_construction = reddi_specs(target, scale)
    records = load_records(store, list(by_construction.values()))
    loaded = dict(zip(by_construction, records, strict=True))
    result = AuditReddiMetrics(target.audited(),
                               {c: reddi.summarise(r) for c, r in loaded.items()}, -1.0)
    series = {c: reddi.thin_series(r) for c, r in loaded.items()}
    return envelope(REDDI, scale, records, result, series, loaded)


def lessard_specs(target: Target, scale: Scale) -> list[RunSpec]:
    starts = [*lessard_cycle.cycle_starts(scale), *lessard_cycle.CONVERGING_STARTS]
    return [target.spec(LESSARD, "lessard", lessard_cycle.HORIZON[scale], (0,), {"x0": x0},
                        record=("x",)) for x0 in starts]


def measure_lessard(store: ResultStore, target: Target, scale: Scale) -> dict[str, Any]:
    records = load_records(store, lessard_specs(target, scale))
    starts = []
    series: dict[str, Any] = {}
    for record in records:
        x0 = float(record.spec.problem_params["x0"])
        trajectory = record.vector("x")[0, :, 0]
        verdict = lessard_cycle.classify(trajectory)
        starts.append(Start(x0=x0, in_cycle_interval=3.07 <= x0 <= 3.46,
                            converged=verdict["converged"], cycling=verdict["cycling"],
                            final_x=verdict["final_x"],
                            last_three=tuple(verdict["last_three"])))
        series[f"{x0:g}"] = finite_list(trajectory[:60])
    result = AuditLessardMetrics(target.audited(), lessard_cycle.HORIZON[scale], tuple(starts))
    return envelope(LESSARD, scale, records, result, {"trajectories": series})


def invariance_specs(target: Target, scale: Scale) -> list[RunSpec]:
    return [invariance.game_spec(target.optimizer, target.options, game, scale, INVARIANCE)
            for game in invariance.GAMES]


def measure_invariance(store: ResultStore, target: Target, scale: Scale) -> dict[str, Any]:
    records = load_records(store, invariance_specs(target, scale))
    rows = tuple(row for record in records
                 for row in invariance.sensitivities(target.label, record))
    audit = invariance.InvarianceAudit(invariance.HORIZON[scale], rows)
    table = audit.table()[target.label]
    result = AuditInvarianceMetrics(
        target.audited(), audit.horizon, table,
        tuple(InvarianceRow(r.game, r.transform, finite_or_none(invariance.worst_change(r)),
                           invariance.row_class(r))
              for r in rows))
    series = audit.series()
    series["worst_change"] = [finite_list(row) for row in series["worst_change"]]
    return envelope(INVARIANCE, scale, records, result, series)
