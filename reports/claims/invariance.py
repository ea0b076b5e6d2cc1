"""The metamorphic audit (experiment ``invariance``): known invariances hold in the harness,
and which optimizers a loss offset, a scaling, a permutation or a reflection moves.
"""

from __future__ import annotations

from experiments.measurements.invariance import InvarianceMetrics
from experiments.named.invariance import OFFSETS
from reports.results import ResultSet
from reports.verdicts import Claim, ClaimSource, Evidence, Verdict

INVARIANCE_FILE = "measurements/invariance.json"


def audit(r: ResultSet) -> InvarianceMetrics:
    return r.record(InvarianceMetrics)


def offset_condition(r: ResultSet, optimizer: str) -> Evidence | None:
    """The condition a claim about ``optimizer`` must state when a loss offset moves it."""
    summary = audit(r)
    if optimizer not in summary.offset_sensitive:
        return None
    moved = [t for t in OFFSETS if summary.table[optimizer].get(t) != "exact"]
    return Evidence(f"condition: {optimizer} is not invariant to loss offsets ({', '.join(moved)} "
                    "move its iterates); its results hold for the loss values each experiment "
                    "states (offset 0 unless stated)", True, INVARIANCE_FILE)


def invariance_audit(r: ResultSet) -> Verdict:
    """Violated when a known invariance fails in the harness; holds otherwise, with every
    optimizer's non-exact transformations as evidence (a finding, not a failure)."""
    summary = audit(r)
    evidence = [Evidence(f"{k.optimizer} / {k.transform}: known {k.allowed}", k.measured,
                         INVARIANCE_FILE) for k in summary.known_invariances]
    evidence += [Evidence(f"{optimizer}: not exact under",
                          ", ".join(f"{t} ({k})" for t, k in row.items() if k != "exact")
                          or "none", INVARIANCE_FILE)
                 for optimizer, row in summary.table.items()]
    failed = [f"{k.optimizer} under {k.transform} is {k.measured}, expected {k.allowed}"
              for k in summary.known_invariances if not k.holds]
    if failed:
        return Verdict("violated", "; ".join(failed), tuple(evidence))
    moved = ", ".join(summary.offset_sensitive) or "none"
    return Verdict("holds", f"all {len(summary.known_invariances)} known invariances hold at T = "
                   f"{summary.horizon}; a loss offset moves: {moved} (they read loss values)",
                   tuple(evidence))


CLAIMS: tuple[Claim, ...] = (
    Claim("invariance-audit", "The metamorphic audit passes where invariance is known",
          ClaimSource("derived", "experiments invariance",
                      "online convex optimization is invariant to loss offsets and equivariant "
                      "to scaling, coordinate permutation and reflection of the box"),
          "On the online suite, Adam, AMSGrad and AdaBelief are exactly invariant to constant "
          "and per-round loss offsets, Adam and AMSGrad to loss scaling up to their eps and "
          "to permutation and reflection exactly (so are SGD and heavy ball); the same harness "
          "reports every other optimizer's sensitivity.",
          (), ("invariance",), ("invariance_audit",), invariance_audit),
)
