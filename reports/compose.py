"""The report's content, once, as document blocks: claims table first, then each claim's
evidence, the inputs, the derivations and proof checks, and the experiments.

``report.md`` and ``index.html`` are two renderings of :func:`compose`'s blocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reports.document import (
    Badge,
    Block,
    Cell,
    FigureBlock,
    Heading,
    Link,
    MarkdownText,
    Para,
    Table,
)
from reports.figures import FigureResult
from reports.results import CONTRACT_ERRORS, EXPERIMENT_NAMES, InvalidData, MissingResult, ResultSet
from reports.sources import copy_source
from reports.tables import TABLES, TableSpec, num
from reports.verdicts import JudgedClaim, count_statuses, tally_text

EXPERIMENT_TITLES: dict[str, str] = {
    "heavy_ball_rate": "Heavy ball on quadratics: rate vs condition number",
    "lessard_cycle": "Heavy ball on Lessard et al.'s function",
    "reddi": "Reddi et al.'s constructions: Adam, AMSGrad and every optimizer",
    "dwmgrad_regret": "DWMGrad regret vs the derived bound",
    "counterexample_search": "Counterexample search in the online convex class",
    "invariance": "Invariance audit: loss offsets, scaling, permutation, reflection",
    "cost_scaling": "Cost scaling in d and n",
    "empirical": "Small-scale empirical checks",
}


@dataclass(frozen=True)
class TableResult:
    name: str
    section: str
    table: Table | None
    reason: str = ""


def make_tables(results: ResultSet, specs: Sequence[TableSpec] = TABLES) -> list[TableResult]:
    out = []
    for spec in specs:
        try:
            out.append(TableResult(spec.name, spec.section, spec.make(results)))
        except MissingResult as exc:
            out.append(TableResult(spec.name, spec.section, None, str(exc)))
        except InvalidData as exc:
            out.append(TableResult(spec.name, spec.section, None, f"invalid data: {exc}"))
        except CONTRACT_ERRORS as exc:
            out.append(TableResult(spec.name, spec.section, None,
                                   f"results do not follow the contract: {exc!r}"))
    return out


def claim_anchor(claim_id: str) -> str:
    return f"claim-{claim_id}"


def summary_counts(judged: Sequence[JudgedClaim]) -> dict[str, int]:
    return count_statuses(j.verdict.status for j in judged)


def claims_table(judged: Sequence[JudgedClaim], root: Path | None = None) -> Table:
    """Every claim with its verdict. With the report's ``root``, a seed source is copied into
    it (:mod:`reports.sources`) and the source cell links to that copy."""
    rows: list[list[Cell]] = []
    for j in judged:
        c, v = j.claim, j.verdict
        href = "#" + claim_anchor(c.id)
        source: Cell = "derived" if c.source.kind == "derived" else c.source.document.split(" (")[0]
        link = copy_source(c.source.document, root) if root is not None else None
        if link is not None:
            source = [Link(str(source), link)]
        rows.append([[Link(c.title, href)], source, [Badge(v.status, href)], v.reason])
    return Table(["claim", "source", "verdict", "why"], rows,
                 "Every claim with its verdict; each verdict links to its evidence.",
                 "tab:claims")


def _figure_blocks(figs: Sequence[FigureResult], root: Path) -> list[Block]:
    blocks: list[Block] = []
    for f in figs:
        if f.ok and f.png is not None and f.pdf is not None:
            caption = " ".join(part for part in (f.spec.caption, f.settings, f.note) if part)
            blocks.append(FigureBlock(f.spec.name, f.spec.title, caption, f.png, f.pdf,
                                      f.png.relative_to(root).as_posix(),
                                      f.pdf.relative_to(root).as_posix()))
        else:
            blocks.append(Para([f"Figure {f.spec.name} ({f.spec.title}) not drawn: {f.reason}"]))
    return blocks


def _evidence(j: JudgedClaim, figs: Mapping[str, FigureResult]) -> list[Block]:
    c, v = j.claim, j.verdict
    blocks: list[Block] = [
        Heading(3, f"{c.title} ({c.id})", claim_anchor(c.id)),
        Para(["Statement: ", c.statement]),
        Para([f"Source ({c.source.kind}): {c.source.document}: \u201c{c.source.says}\u201d"]),
        Para(["Verdict: ", Badge(v.status), " \u2014 ", v.reason]),
    ]
    if v.evidence:
        blocks.append(Table(["evidence", "value", "from"],
                            [[e.label, num(e.value), e.source] for e in v.evidence]))
    if v.counterexamples:
        blocks.append(Table(["counterexample", "detail", "replay"],
                            [[x.subject, x.detail, x.replay or "-"] for x in v.counterexamples]))
    tested: list[str | Link] = []
    if c.theory:
        tested += ["theory: " + "; ".join(c.theory) + " (", Link("derivations", "#derivations"),
                   "). "]
    if c.experiments:
        tested.append("experiments: ")
        for i, name in enumerate(c.experiments):
            tested += ([", "] if i else []) + [Link(name, f"#exp-{name}")]
        tested.append(". ")
    if c.figures:
        tested.append("figures: ")
        for i, name in enumerate(c.figures):
            fig = figs.get(name)
            sep = [", "] if i else []
            tested += sep + ([Link(name, f"#fig-{name}")] if fig is not None and fig.ok
                             else [f"{name} (not drawn)"])
        tested.append(".")
    if tested:
        blocks.append(Para(["Tested by: ", *tested]))
    return blocks


def _diverged(results: ResultSet, name: str) -> list[Block]:
    try:
        div = results.measurement(name).get("diverged") or []
    except (MissingResult, InvalidData):
        return []
    if not div:
        return [Para(["No run diverged."])]
    return [Table(["spec", "optimizer", "seed", "step"],
                  [[str(d.get("spec_key")), str(d.get("optimizer")), str(d.get("seed")),
                    str(d.get("step"))] for d in div],
                  f"Diverged runs (non-finite loss or gradient) in {name}.")]


def compose(results: ResultSet, judged: Sequence[JudgedClaim], figures: Sequence[FigureResult],
            tables: Sequence[TableResult], root: Path, title: str = "DWMGrad verification report",
            experiments: Mapping[str, str] | None = None,
            derivations: bool = True) -> list[Block]:
    """The report's blocks; ``experiments`` maps each measurement to its section title
    (default: the toolkit's experiments); ``derivations``: with the derivation appendix."""
    counts = summary_counts(judged)
    by_name = {f.spec.name: f for f in figures}
    sections = dict(experiments) if experiments is not None else \
        {name: EXPERIMENT_TITLES.get(name, name) for name in EXPERIMENT_NAMES}
    blocks: list[Block] = [
        Heading(1, title),
        Para([f"{len(judged)} claims: {tally_text(counts)}. Every verdict is computed from the "
              "result files in this directory only (", Link("inputs", "#inputs"), "); ",
              Link("claims.json", "claims.json"), " holds the same content for machines."]),
        Heading(2, "Claims", "claims"),
        claims_table(judged, root),
        Heading(2, "Evidence", "evidence"),
    ]
    for j in judged:
        blocks += _evidence(j, by_name)
    blocks += [Heading(2, "Inputs", "inputs"),
               Table(["input", "file", "status", "detail"],
                     [[r["name"], r["path"], r["status"], r["detail"]]
                      for r in results.inventory()])]
    if derivations:
        blocks += _derivations(results, tables)
    blocks.append(Heading(2, "Experiments", "experiments"))
    for name, section in sections.items():
        blocks.append(Heading(3, section, f"exp-{name}"))
        try:
            m = results.measurement(name)
            blocks.append(Para([f"measurements/{name}.json: scale {m.get('scale')}, "
                                f"{len(m.get('runs') or [])} runs."]))
        except MissingResult as exc:
            blocks.append(Para([f"Not run: {exc}"]))
            continue
        except InvalidData as exc:
            blocks.append(Para([f"Invalid data: {exc}"]))
            continue
        blocks += _section_tables(tables, (name,))
        blocks += _figure_blocks([f for f in figures if f.spec.experiment == name], root)
        blocks += _diverged(results, name)
    return blocks


def _derivations(results: ResultSet, tables: Sequence[TableResult]) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Derivations and proof checks", "derivations")]
    derivation = results.root / "theory" / "derivations.md"
    if derivation.is_file():
        blocks.append(MarkdownText(derivation.read_text(encoding="utf-8")))
    else:
        blocks.append(Para(["theory/derivations.md not found: the derivation appendix is "
                            "missing (run `dwmgrad-verify all`)."]))
    if (results.root / "tables" / "derivations.tex").is_file():
        blocks.append(Para(["LaTeX appendix: ", Link("tables/derivations.tex",
                                                     "tables/derivations.tex")]))
    return blocks + _section_tables(tables, ("theory", "checks"))


def _section_tables(tables: Sequence[TableResult], sections: Sequence[str]) -> list[Block]:
    blocks: list[Block] = []
    for t in tables:
        if t.section not in sections:
            continue
        if t.table is not None:
            blocks.append(t.table)
        else:
            blocks.append(Para([f"Table {t.name} not made: {t.reason}"]))
    return blocks
