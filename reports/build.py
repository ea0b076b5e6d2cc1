"""Build the whole report directory from result files alone.

:func:`build_report` reads ``DIR/measurements``, ``DIR/theory`` and ``DIR/checks``, judges
every claim, draws the figures and writes, atomically::

    DIR/index.html  DIR/report.md  DIR/claims.json
    DIR/figures/<name>.pdf|png     DIR/tables/<name>.tex (claims + headline tables)
    DIR/theory/derivations.md      DIR/tables/derivations.tex (the derivation appendix, from
                                   the theory registries and DIR/checks/checks.json)

It never runs an experiment, a derivation or a proof check; missing inputs make the
affected claims ``not run`` (corrupt ones ``invalid data``) and are listed in the report.
The output is a function of the input files (no timestamps), so two builds from the same
files are identical.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reports.appendix import write_appendix
from reports.claims import judge
from reports.compose import claims_table, compose, make_tables
from reports.contents import ReportContents, standard
from reports.document import to_markdown
from reports.figures import render_all
from reports.html import page
from reports.results import load_results
from reports.schema import claims_document, validate_claims
from verify_io.files import atomic_write_text


@dataclass(frozen=True)
class ReportFiles:
    root: Path
    index_html: Path
    report_md: Path
    claims_json: Path
    figures: tuple[Path, ...]
    tables: tuple[Path, ...]
    summary: dict[str, int]


STANDALONE_TEX = Path("tables") / "appendix.tex"
"""A complete LaTeX document with every table and the derivation appendix
(``latexmk -pdf appendix.tex`` in ``tables/``); CI compiles it."""

LATEX_PREAMBLE = (r"\documentclass[10pt]{article}", r"\usepackage[margin=2cm]{geometry}",
                  r"\usepackage[T1]{fontenc}", r"\usepackage[utf8]{inputenc}",
                  r"\usepackage{lmodern}", r"\usepackage{amsmath,amssymb}",
                  r"\usepackage{booktabs}", r"\usepackage{array}", r"\usepackage{longtable}")


def standalone_latex(tables: list[Path], derivations: bool = True) -> str:
    """The document that inputs every table of ``tables/`` and the derivation appendix."""
    body = [rf"\input{{{path.name}}}" for path in tables]
    if derivations:
        body += [r"\clearpage", r"\input{derivations.tex}"]
    return "\n".join([*LATEX_PREAMBLE, r"\begin{document}", *body, r"\end{document}", ""])


SUMMARY_FILES = ("claims.json", "report.md", "index.html")
"""The files that state verdicts; a build that fails removes them (see :func:`build_report`)."""


def build_report(out_dir: Path | str, contents: ReportContents | None = None) -> ReportFiles:
    """Build the report (``contents``, default :func:`reports.contents.standard`) under
    ``out_dir``; if the build fails part way, the previous build's claims.json, report.md and
    index.html are removed before the error propagates, so the verdicts on disk never
    disagree with the figures and tables written before the failure."""
    root = Path(out_dir)
    try:
        return _build(root, contents or standard())
    except BaseException:
        for name in SUMMARY_FILES:
            (root / name).unlink(missing_ok=True)
        raise


def _build(root: Path, contents: ReportContents) -> ReportFiles:
    if contents.derivations:
        write_appendix(root)
    results = load_results(root, contents.experiments, contents.rerun)
    judged = judge(results, contents.claims(results))
    figures = render_all(results, root / "figures", contents.figures)
    tables = make_tables(results, contents.tables)
    table_files = []
    for t in tables:
        if t.table is not None:
            path = root / "tables" / f"{t.name}.tex"
            atomic_write_text(path, t.table.latex())
            table_files.append(path)
    claims_tex = root / "tables" / "claims.tex"
    atomic_write_text(claims_tex, claims_table(judged).latex("p{0.28\\linewidth}p{0.2\\linewidth}"
                                                        "lp{0.4\\linewidth}"))
    table_files.append(claims_tex)
    atomic_write_text(root / STANDALONE_TEX, standalone_latex(table_files,
                                                              contents.derivations))
    doc = claims_document(results, judged, figures, tables)
    validate_claims(doc)
    blocks = compose(results, judged, figures, tables, root, contents.title,
                     contents.experiments, contents.derivations)
    claims_json, report_md, index_html = (root / name for name in SUMMARY_FILES)
    atomic_write_text(claims_json, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(report_md, to_markdown(blocks))
    atomic_write_text(index_html, page(blocks))
    drawn = tuple(p for f in figures for p in (f.pdf, f.png) if p is not None)
    return ReportFiles(root, index_html, report_md, claims_json, drawn, tuple(table_files),
                       doc["summary"])
