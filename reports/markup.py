"""Markdown and LaTeX math for the report, rendered by libraries, offline.

* Markdown (the derivation appendix, prose of theory objects) is parsed by markdown-it-py
  (CommonMark + GitHub tables) with the ``dollarmath`` plugin of mdit-py-plugins, so tables
  are tables, emphasis is emphasis, and ``$...$`` / ``$$...$$`` are math.
* Math becomes MathML with latex2mathml, which browsers render natively: the page needs no
  script and no network.
* For the LaTeX appendix and tables, :func:`inline_latex` turns Markdown inline text into
  LaTeX (text escaped, math kept in math mode, emphasis as ``\\emph``).
"""

from __future__ import annotations

import functools
import html

from latex2mathml.converter import convert
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

_LATEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                   "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                   "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
                   "|": r"\textbar{}"}


_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "varepsilon",
          "η": "eta", "θ": "theta", "κ": "kappa", "λ": "lambda", "μ": "mu", "ξ": "xi",
          "ρ": "rho", "σ": "sigma", "ω": "omega", "Δ": "Delta", "Θ": "Theta", "Σ": "Sigma"}
_SYMBOLS = {"≤": r"\le", "≥": r"\ge", "≠": r"\neq", "≡": r"\equiv", "±": r"\pm",
            "∓": r"\mp", "∞": r"\infty", "∈": r"\in", "→": r"\to", "←": r"\leftarrow",
            "↦": r"\mapsto", "√": r"\surd", "·": r"\cdot", "×": r"\times", "÷": r"\div",
            "‖": r"\|", "⟨": r"\langle", "⟩": r"\rangle", "∇": r"\nabla", "∂": r"\partial",
            "⪯": r"\preceq", "∠": r"\angle", "−": "-", "²": "^2", "ᵀ": r"^\top", "₀": "_0",
            "₁": "_1", "₂": "_2", "½": r"\tfrac12", "ŝ": r"\hat s", "ℓ": r"\ell",
            "°": r"^\circ"}
_UNICODE_LATEX = {**{ch: rf"\ensuremath{{\{name}}}" for ch, name in _GREEK.items()},
                  **{ch: rf"\ensuremath{{{cmd}}}" for ch, cmd in _SYMBOLS.items()},
                  "§": r"\S{}", "–": "--", "—": "---"}


def latex_escape(text: str) -> str:
    """``text`` as LaTeX text: special characters escaped, the Unicode math symbols our
    prose uses written as LaTeX (pdfLaTeX reads no other; CI compiles the appendix)."""
    return "".join(_LATEX_SPECIALS.get(ch) or _UNICODE_LATEX.get(ch, ch) for ch in text)


_NAMESPACE = ' xmlns="http://www.w3.org/1998/Math/MathML"'


def mathml(tex: str, display: bool = False) -> str:
    """``tex`` as a MathML ``<math>`` element (HTML5 form: no namespace attribute, so the page
    names no URL); LaTeX latex2mathml cannot read is shown as code (named, never dropped)."""
    try:
        return convert(tex.strip(), display="block" if display else "inline").replace(
            _NAMESPACE, "", 1)
    except Exception:  # noqa: BLE001 - the converter raises many types; show the source
        return f'<code class="tex" title="not converted to MathML">{html.escape(tex)}</code>'


@functools.cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    dollarmath_plugin(md, allow_labels=False, allow_space=True, double_inline=True,
                      renderer=lambda content, options: mathml(content,
                                                               display=options["display_mode"]))
    return md


def markdown_html(text: str) -> str:
    """A Markdown document (block level) as HTML."""
    return _parser().render(text)


def inline_html(text: str) -> str:
    """One line of Markdown (emphasis, code, links, ``$math$``) as inline HTML."""
    return _parser().renderInline(text)


def _inline_tokens(text: str) -> list[Token]:
    tokens = _parser().parseInline(text)
    return [child for token in tokens for child in (token.children or [])]


_LATEX_MARKS = {"em_open": r"\emph{", "em_close": "}", "strong_open": r"\textbf{",
                "strong_close": "}", "softbreak": " ", "hardbreak": r"\\ "}


def inline_latex(text: str) -> str:
    """One line of Markdown as LaTeX: text escaped, ``$math$`` in math mode, emphasis,
    code and link text kept."""
    out = []
    for token in _inline_tokens(text):
        if token.type in ("math_inline", "math_inline_double"):
            out.append(f"${token.content}$")
        elif token.type == "code_inline":
            out.append(r"\texttt{" + latex_escape(token.content) + "}")
        elif token.type in _LATEX_MARKS:
            out.append(_LATEX_MARKS[token.type])
        elif token.type in ("text", "html_inline"):
            out.append(latex_escape(token.content))
    return "".join(out)
