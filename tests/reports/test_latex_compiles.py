"""The LaTeX the report writes compiles: ``tables/appendix.tex`` (every table of ``tables/``
and the derivation appendix) with latexmk and pdfLaTeX, as an author would use it.

CI installs Debian's texlive-latex-recommended, texlive-fonts-recommended and latexmk; the
tests are in the slow step. A failure to compile fails CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from reports.build import LATEX_PREAMBLE, STANDALONE_TEX, ReportFiles
from reports.document import Math, Table

LATEXMK = shutil.which("latexmk")

needs_tex = pytest.mark.skipif(LATEXMK is None and not os.environ.get("CI"),
                               reason="latexmk is absent (CI installs texlive and latexmk)")


def compile_latex(document: Path) -> str:
    """Compile ``document`` in its folder; return "" on success, else LaTeX's first error."""
    proc = subprocess.run([LATEXMK or "latexmk", "-pdf", "-interaction=nonstopmode",
                           "-halt-on-error", document.name], cwd=document.parent,
                          capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode == 0 and document.with_suffix(".pdf").is_file():
        return ""
    log = document.with_suffix(".log")
    text = log.read_text(errors="replace") if log.is_file() else proc.stdout + proc.stderr
    errors = re.findall(r"^! .*$", text, re.M)
    return errors[0] if errors else f"latexmk exit {proc.returncode}"


@pytest.mark.slow
@needs_tex
def test_the_report_latex_compiles(built_report: ReportFiles, tmp_path: Path) -> None:
    tables = tmp_path / "tables"
    shutil.copytree(built_report.root / "tables", tables)
    document = tables / STANDALONE_TEX.name
    text = document.read_text()
    for table in built_report.tables:
        assert rf"\input{{{table.name}}}" in text
    assert r"\input{derivations.tex}" in text
    assert compile_latex(document) == ""
    assert document.with_suffix(".pdf").stat().st_size > 10_000


@pytest.mark.slow
@needs_tex
def test_a_table_that_does_not_compile_is_caught(tmp_path: Path) -> None:
    broken = Table(["a", "b"], [["☃ (no LaTeX for this)", Math(r"\frac{1}{")]], "x", "tab:x")
    (tmp_path / "broken.tex").write_text(broken.latex())
    document = tmp_path / "doc.tex"
    document.write_text("\n".join([*LATEX_PREAMBLE, r"\begin{document}", r"\input{broken.tex}",
                                   r"\end{document}", ""]))
    assert compile_latex(document).startswith("! ")
