r"""The derivations as a readable appendix: Markdown with LaTeX, and a ``.tex`` fragment.

Both documents are generated from the same objects the checker uses: the
:class:`~theory.core.Derivation` lines, the :class:`~theory.core.Bound` objects of
:mod:`theory.registry`, and the :class:`~proofs_check.core.StepResult` of every proof step
(each derivation line shows the results of the step it names, including its ``<step>-run``
trajectory check), so the text cannot drift from the checked code. Without results (checks
not run yet) every line says "not checked in this run".

Files: ``DIR/theory/derivations.md`` and ``DIR/tables/derivations.tex`` (a fragment for
``\input``; it needs the ``amsmath``, ``amssymb`` and ``longtable`` packages), written by the
report (:func:`write_appendix`) from the registries and ``DIR/checks/checks.json``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from proofs_check.checks_file import CHECKS_PATH, read_results
from proofs_check.core import StepResult
from reports.markup import inline_latex, latex_escape
from theory.core import Bound, Derivation
from theory.dwmgrad import PAPER_ALGORITHM_GAPS, AssumptionGap
from verify_io.files import atomic_write_text

MARKDOWN_PATH = Path("theory") / "derivations.md"
LATEX_PATH = Path("tables") / "derivations.tex"


def _results_of(results: Sequence[StepResult], proof: str, step: str) -> list[StepResult]:
    return [r for r in results
            if r.proof == proof and (r.step == step or r.step.startswith(step + "-"))]


def _outcome(r: StepResult) -> str:
    slack = "n/a" if not math.isfinite(r.worst_slack) else f"{r.worst_slack:.3g}"
    return f"{r.step}: {r.status}, decided by {r.decision} (worst slack {slack})"


# --- Markdown -----------------------------------------------------------------------------
def _md_bound(b: Bound) -> list[str]:
    lines = [f"**{b.name}** ({b.kind}; {b.reference})", "", f"$$ {b.latex()} $$", ""]
    lines += [f"- *{a.name}*: {a.statement}" for a in b.assumptions]
    if b.notes:
        lines += ["", b.notes]
    return lines + [""]


def _md_derivation(der: Derivation, bounds: dict[str, Bound],
                   results: Sequence[StepResult] | None) -> list[str]:
    out = [f"## {der.title}", "", der.setting, ""]
    for line in der.lines:
        out.append(line.text)
        if line.math is not None:
            out += ["", f"$$ {line.latex(der.latex_names)} $$"]
        if line.step is not None:
            found = [] if results is None else _results_of(results, der.proof, line.step)
            checked = "; ".join(_outcome(r) for r in found) or "not checked in this run"
            out += ["", f"> Checked (proof `{der.proof}`, step `{line.step}`): {checked}"]
        out.append("")
    if der.notes:
        out += [der.notes, ""]
    for name in der.bounds:
        out += _md_bound(bounds[name])
    return out


def _md_gaps(gaps: Sequence[AssumptionGap], results: Sequence[StepResult] | None) -> list[str]:
    out = ["## What the published DWMGrad breaks", ""]
    for gap in gaps:
        found = [r for r in results or [] if r.step == gap.check_step]
        checked = "; ".join(f"{_outcome(r)}: {r.detail}" for r in found) or \
            "not checked in this run"
        out += [f"- **{gap.name}** (assumption *{gap.assumption}*, published options "
                f"`{gap.published}`, fails at {gap.failing_step}): {gap.explanation} "
                f"Instance: {gap.instance} Checked: {checked}", ""]
    return out


def _md_table(results: Sequence[StepResult]) -> list[str]:
    out = ["## Every checked step", "",
           "| proof | step | statement | decided by | status | worst slack | instances |",
           "|---|---|---|---|---|---|---|"]
    for r in results:
        slack = "n/a" if not math.isfinite(r.worst_slack) else f"{r.worst_slack:.3g}"
        statement = r.statement.replace("|", "\\|")
        out.append(f"| {r.proof} | {r.step} | {statement} | {r.decision} | {r.status} | "
                   f"{slack} | {r.instances} |")
    return out + [""]


def markdown(derivations: Sequence[Derivation], bounds: Sequence[Bound],
             results: Sequence[StepResult] | None) -> str:
    """The appendix in Markdown with ``$...$`` / ``$$...$$`` LaTeX."""
    by_name = {b.name: b for b in bounds}
    out = ["# Appendix: derivations (generated from theory/ and proofs_check/)", ""]
    for der in derivations:
        out += _md_derivation(der, by_name, results)
    out += _md_gaps(PAPER_ALGORITHM_GAPS, results)
    covered = {name for der in derivations for name in der.bounds}
    others = [b for b in bounds if b.name not in covered]
    if others:
        out += ["## Other bounds", ""]
        for b in others:
            out += _md_bound(b)
    if results:
        out += _md_table(results)
    return "\n".join(out)


# --- LaTeX --------------------------------------------------------------------------------
def _tex_bound(b: Bound) -> list[str]:
    out = [rf"\paragraph{{{latex_escape(b.name)}}} ({b.kind}; {latex_escape(b.reference)})",
           rf"\[ {b.latex()} \]", r"\begin{itemize}"]
    out += [rf"\item \emph{{{latex_escape(a.name)}}}: {latex_escape(a.statement)}"
            for a in b.assumptions]
    out.append(r"\end{itemize}")
    if b.notes:
        out.append(latex_escape(b.notes))
    return out


def latex(derivations: Sequence[Derivation], bounds: Sequence[Bound],
          results: Sequence[StepResult] | None) -> str:
    """The appendix as a LaTeX fragment (amsmath, amssymb, longtable)."""
    by_name = {b.name: b for b in bounds}
    out = ["% Generated by reports/appendix.py: do not edit. Needs amsmath, amssymb, longtable.",
           r"\section*{Appendix: derivations}"]
    for der in derivations:
        out += [rf"\subsection*{{{latex_escape(der.title)}}}", inline_latex(der.setting),
                r"\begin{enumerate}"]
        for line in der.lines:
            out.append(rf"\item {inline_latex(line.text)}")
            if line.math is not None:
                out.append(rf"\[ {line.latex(der.latex_names)} \]")
            if line.step is not None:
                found = [] if results is None else _results_of(results, der.proof, line.step)
                checked = "; ".join(_outcome(r) for r in found) or "not checked in this run"
                out.append(rf"\emph{{Checked:}} {latex_escape(checked)}")
        out.append(r"\end{enumerate}")
        if der.notes:
            out.append(inline_latex(der.notes))
        for name in der.bounds:
            out += _tex_bound(by_name[name])
    covered = {name for der in derivations for name in der.bounds}
    others = [b for b in bounds if b.name not in covered]
    if others:
        out.append(r"\subsection*{Other bounds}")
        for b in others:
            out += _tex_bound(b)
    out += [r"\subsection*{What the published DWMGrad breaks}", r"\begin{itemize}"]
    for gap in PAPER_ALGORITHM_GAPS:
        out.append(rf"\item \textbf{{{latex_escape(gap.name)}}} (fails at "
                   rf"{latex_escape(gap.failing_step)}): {latex_escape(gap.explanation)} "
                   rf"Instance: {latex_escape(gap.instance)}")
    out.append(r"\end{itemize}")
    if results:
        out += [r"\subsection*{Every checked step}", r"{\small",
                r"\begin{longtable}{llp{6cm}llrr}",
                r"proof & step & statement & decided by & status & worst slack & instances \\",
                r"\hline"]
        for r in results:
            slack = "n/a" if not math.isfinite(r.worst_slack) else f"{r.worst_slack:.3g}"
            cells = [r.proof, r.step, r.statement, r.decision, r.status, slack, str(r.instances)]
            out.append(" & ".join(latex_escape(c) for c in cells) + r" \\")
        out += [r"\end{longtable}", "}"]
    return "\n".join(out) + "\n"


def write_appendix(out_dir: Path,
                   results: Sequence[StepResult] | None = None) -> tuple[Path, Path]:
    """Write DIR/theory/derivations.md and DIR/tables/derivations.tex from the registries and
    ``results`` (by default those of DIR/checks/checks.json, if it exists; if that file is
    invalid, the appendix says so in its first line and shows no results)."""
    from theory.registry import bounds, derivations

    invalid = ""
    if results is None and (out_dir / CHECKS_PATH).is_file():
        try:
            results = read_results(out_dir / CHECKS_PATH)
        except ValueError as exc:
            invalid = f"invalid data: {exc}"
    ders, bnds = derivations(), bounds()
    md_text, tex_text = markdown(ders, bnds, results), latex(ders, bnds, results)
    if invalid:
        md_text = f"> {invalid}\n\n{md_text}"
        tex_text = f"% {invalid}\n\\emph{{{latex_escape(invalid)}}}\n\n{tex_text}"
    md = atomic_write_text(out_dir / MARKDOWN_PATH, md_text)
    tex = atomic_write_text(out_dir / LATEX_PATH, tex_text)
    return md, tex
