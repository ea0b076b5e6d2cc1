"""The claim over every proof step of every derivation, counted per proof and per method.

"All verified" is decided proof by proof: every proof a derivation names
(``theory/bounds.json``'s ``derivations``) must have a row in ``checks/checks.json`` for each
step its lines cite (the step itself or its ``<step>-run`` trajectory check, as the appendix
shows them), and every row must have been decided by at least one sub-check (a
``decided_by`` count; a numeric, falsification or trajectory decision on at least one
instance). A proof with 0 checked steps, or with some of its steps missing, is ``not run``
(never counted as verified); a row that says ``verified`` without a decided sub-check is
``inconclusive``. The reason and the evidence count the steps per proof and per method.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from reports.results import CHECKS_FILE, InvalidData, ResultSet
from reports.rules import decided_subchecks, steps_evidence
from reports.verdicts import Claim, ClaimSource, Evidence, Verdict, combine

METHOD_WORDS = {"symbolic": "symbolic", "falsification": "numeric falsification",
                "numeric": "random instances", "trajectory": "trajectory"}


def _expected_steps(r: ResultSet) -> dict[str, list[str]]:
    """Proof -> the steps its derivations' lines cite (``theory/bounds.json``)."""
    derivations = r.theory_field("derivations")
    if not isinstance(derivations, list):
        raise InvalidData("theory/bounds.json", "'derivations' is not a list")
    out: dict[str, list[str]] = {}
    for d in derivations:
        if not isinstance(d, Mapping) or not isinstance(d.get("steps"), list):
            raise InvalidData("theory/bounds.json", f"derivation without a list of steps: {d!r}")
        out.setdefault(str(d.get("proof")), []).extend(map(str, d["steps"]))
    return out


def _methods(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{METHOD_WORDS.get(m, m)} {n}" for m, n in counts.items()) or "none"


def _proof_verdict(proof: str, rows: list[dict[str, Any]], expected: list[str],
                   root: str) -> Verdict:
    """One proof's verdict, with its step count per method as evidence."""
    methods: Counter[str] = Counter()
    for row in rows:
        methods.update(decided_subchecks(row))
    tally = f"{len(rows)} steps ({_methods(methods)})"
    evidence = (Evidence(f"proof {proof}", tally, "checks/checks.json"),)
    present = {str(row.get("step")) for row in rows}
    missing = [s for s in dict.fromkeys(expected) if not {s, f"{s}-run"} & present]
    command = f"`dwmgrad-verify check --out {root}`"
    violated = [str(row.get("step")) for row in rows if row.get("status") == "violated"]
    if violated:
        return Verdict("violated", f"{proof}: {len(violated)} of {len(rows)} steps violated "
                       f"({', '.join(violated)})", evidence)
    if not rows:
        return Verdict("not run", f"{proof}: 0 checked steps (its derivation cites "
                       f"{len(expected)}); run {command}", evidence)
    if missing:
        return Verdict("not run", f"{proof}: {len(missing)} of {len(set(expected))} steps its "
                       f"derivation cites have no check ({', '.join(missing)}); run {command}",
                       evidence)
    undecided = [str(row.get("step")) for row in rows
                 if row.get("status") != "verified" or not decided_subchecks(row)]
    if undecided:
        return Verdict("inconclusive", f"{proof}: {len(undecided)} of {len(rows)} steps not "
                       f"decided by any sub-check ({', '.join(undecided)})", evidence)
    return Verdict("holds", f"{proof}: {tally}", evidence)


def all_proof_steps(r: ResultSet) -> Verdict:
    rows = r.check_rows()
    if not rows:
        raise InvalidData(CHECKS_FILE, "lists no proof step")
    expected = _expected_steps(r)
    by_proof: dict[str, list[dict[str, Any]]] = {p: [] for p in expected}
    for row in rows:
        by_proof.setdefault(str(row.get("proof")), []).append(row)
    parts = [_proof_verdict(p, mine, expected.get(p, []), str(r.root))
             for p, mine in by_proof.items()]
    evidence, counterexamples = steps_evidence(rows)
    verdict = combine(parts)
    if verdict.status == "holds":
        methods: Counter[str] = Counter()
        for row in rows:
            methods.update(decided_subchecks(row))
        reason = (f"all {len(rows)} steps of {len(parts)} proofs are verified, each proof's "
                  f"cited steps present (sub-checks: {_methods(methods)})")
    else:
        reason = verdict.reason
    return Verdict(verdict.status, reason, verdict.evidence + evidence, counterexamples)


CLAIMS: tuple[Claim, ...] = (
    Claim("all-proof-steps-verified", "Every proof step of every derivation is verified",
          ClaimSource("derived", "proofs_check", "one row per proof step"),
          "Every proof has checked steps, every step a derivation cites is in "
          "checks/checks.json, and each is verified by at least one decided sub-check "
          "(symbolic, numeric falsification, >= 1000 seeded instances, or recorded "
          "trajectories), counted per proof and per method.", (), (), (),
          all_proof_steps),
)
