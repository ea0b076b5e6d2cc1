"""The claim over every proof step of every derivation.
"""

from __future__ import annotations

from reports.results import CHECKS_FILE, InvalidData, ResultSet
from reports.rules import steps_evidence
from reports.verdicts import Claim, ClaimSource, Verdict


def all_proof_steps(r: ResultSet) -> Verdict:
    rows = r.check_rows()
    if not rows:
        raise InvalidData(CHECKS_FILE, "lists no proof step")
    evidence, counterexamples = steps_evidence(rows)
    bad = [row for row in rows if row.get("status") != "verified"]
    if any(row.get("status") == "violated" for row in bad):
        return Verdict("violated", f"{len(bad)} of {len(rows)} steps are not verified",
                       evidence, counterexamples)
    if bad:
        return Verdict("inconclusive", f"{len(bad)} of {len(rows)} steps are undecided", evidence)
    return Verdict("holds", f"all {len(rows)} proof steps are verified", evidence)


CLAIMS: tuple[Claim, ...] = (
    Claim("all-proof-steps-verified", "Every proof step of every derivation is verified",
          ClaimSource("derived", "proofs_check", "one row per proof step"),
          "Every step in checks/checks.json (symbolic, numeric on >= 1000 seeded instances, or on "
          "recorded trajectories) is verified.", ("all proofs",), (), (), all_proof_steps),
)
