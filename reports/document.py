"""A small document model the report is written in once, and rendered three ways.

Blocks (:class:`Heading`, :class:`Para`, :class:`Table`, :class:`FigureBlock`,
:class:`MarkdownText`) hold inline content (``str``: plain text, :class:`Math`: LaTeX math,
:class:`Link`, :class:`Badge`). :func:`to_markdown` renders ``report.md``; :func:`to_html` the
body of ``index.html`` (math as MathML, Markdown by markdown-it-py: :mod:`reports.markup`);
:meth:`Table.latex` a booktabs table for ``tables/`` with math in math mode.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reports.markup import latex_escape, markdown_html, mathml


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True)
class Badge:
    """A verdict status (:data:`reports.verdicts.STATUSES`), optionally linking to evidence."""

    status: str
    href: str | None = None


@dataclass(frozen=True)
class Math:
    """LaTeX math (without delimiters): MathML in HTML, ``$...$`` in Markdown and LaTeX."""

    tex: str


Inline = str | Link | Badge | Math
Cell = Inline | Sequence[Inline]


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str | None = None


@dataclass(frozen=True)
class Para:
    content: Sequence[Inline]


@dataclass(frozen=True)
class Table:
    columns: Sequence[Cell]
    rows: Sequence[Sequence[Cell]]
    caption: str = ""
    label: str = ""

    def latex(self, colspec: str | None = None) -> str:
        """A booktabs ``table`` environment (``\\usepackage{booktabs}``)."""
        spec = colspec or "l" * len(self.columns)
        lines = [r"\begin{table}[htbp]", r"\centering", r"\small"]
        if self.caption:
            lines.append(rf"\caption{{{latex_escape(self.caption)}}}")
        if self.label:
            lines.append(rf"\label{{{self.label}}}")
        lines += [rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
                  " & ".join(_latex_cell(c) for c in self.columns) + r" \\", r"\midrule"]
        lines += [" & ".join(_latex_cell(cell) for cell in row) + r" \\"
                  for row in self.rows]
        lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
        return "\n".join(lines)


@dataclass(frozen=True)
class FigureBlock:
    name: str
    title: str
    caption: str
    png: Path
    pdf: Path
    rel_png: str
    rel_pdf: str


@dataclass(frozen=True)
class MarkdownText:
    """Markdown written elsewhere (the theory's derivation appendix), embedded as is."""

    text: str


Block = Heading | Para | Table | FigureBlock | MarkdownText


# --------------------------------------------------------------------------- plain / LaTeX

def _items(cell: Cell) -> Sequence[Inline]:
    return [cell] if isinstance(cell, str | Link | Badge | Math) else cell


def plain(cell: Cell) -> str:
    out = []
    for item in _items(cell):
        out.append(item if isinstance(item, str) else item.text if isinstance(item, Link)
                   else item.tex if isinstance(item, Math) else item.status)
    return "".join(out)


def _latex_cell(cell: Cell) -> str:
    return "".join(f"${item.tex}$" if isinstance(item, Math) else latex_escape(plain(item))
                   for item in _items(cell))


# --------------------------------------------------------------------------- Markdown

def _md_inline(item: Inline) -> str:
    if isinstance(item, Link):
        return f"[{item.text}]({item.href})"
    if isinstance(item, Badge):
        text = f"**{item.status}**"
        return f"[{text}]({item.href})" if item.href else text
    if isinstance(item, Math):
        return f"${item.tex}$"
    return item


def _md_cell(cell: Cell) -> str:
    return "".join(_md_inline(i) for i in _items(cell)).replace("|", r"\|").replace("\n", " ")


def to_markdown(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            anchor = f'<a id="{b.anchor}"></a>' if b.anchor else ""
            out.append(f"{'#' * b.level} {anchor}{b.text}\n")
        elif isinstance(b, Para):
            out.append("".join(_md_inline(i) for i in b.content) + "\n")
        elif isinstance(b, Table):
            if b.caption:
                out.append(f"*{b.caption}*\n")
            out.append("| " + " | ".join(_md_cell(c) for c in b.columns) + " |")
            out.append("|" + "---|" * len(b.columns))
            out.extend("| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows)
            out.append("")
        elif isinstance(b, FigureBlock):
            out.append(f'<a id="fig-{b.name}"></a>\n![{b.title}]({b.rel_png})\n')
            out.append(f"*{b.title}.* {b.caption} ([PDF]({b.rel_pdf}))\n")
        else:
            out.append(b.text.rstrip() + "\n")
    return "\n".join(out)


# --------------------------------------------------------------------------- HTML

def _html_inline(item: Inline) -> str:
    if isinstance(item, Link):
        return f'<a href="{html.escape(item.href)}">{html.escape(item.text)}</a>'
    if isinstance(item, Badge):
        css = html.escape(item.status.replace(" ", "-"))
        span = f'<span class="verdict {css}">{html.escape(item.status)}</span>'
        return f'<a href="{html.escape(item.href)}">{span}</a>' if item.href else span
    if isinstance(item, Math):
        return mathml(item.tex)
    return html.escape(item)


def _html_cell(cell: Cell) -> str:
    return "".join(_html_inline(i) for i in _items(cell))


def to_html(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            anchor = f' id="{html.escape(b.anchor)}"' if b.anchor else ""
            out.append(f"<h{b.level}{anchor}>{html.escape(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            out.append("<p>" + "".join(_html_inline(i) for i in b.content) + "</p>")
        elif isinstance(b, Table):
            cap = f"<caption>{html.escape(b.caption)}</caption>" if b.caption else ""
            head = "".join(f"<th>{_html_cell(c)}</th>" for c in b.columns)
            body = "".join("<tr>" + "".join(f"<td>{_html_cell(c)}</td>" for c in row) + "</tr>"
                           for row in b.rows)
            ident = f' id="{html.escape(b.label.replace(":", "-"))}"' if b.label else ""
            out.append(f"<table{ident}>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
                       "</table>")
        elif isinstance(b, FigureBlock):
            data = base64.b64encode(b.png.read_bytes()).decode("ascii")
            out.append(f'<figure id="fig-{html.escape(b.name)}"><img alt="{html.escape(b.title)}" '
                       f'src="data:image/png;base64,{data}">'
                       f"<figcaption><b>{html.escape(b.title)}.</b> {html.escape(b.caption)} "
                       f"(<code>{html.escape(b.rel_pdf)}</code>)</figcaption></figure>")
        else:
            out.append(markdown_html(b.text))
    return "\n".join(out)
