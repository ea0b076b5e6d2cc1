"""``index.html``: one self-contained page (inline CSS, figures as base64 PNG, no scripts and
no external resources), rendered from the same blocks as ``report.md``."""

from __future__ import annotations

from collections.abc import Sequence

from reports.document import Block, to_html

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
h3{margin-top:1.6em}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em;width:100%}
caption{text-align:left;font-style:italic;padding:.3em 0}
th,td{border-top:1px solid #ddd;border-bottom:1px solid #ddd;padding:.3em .5em;
text-align:left;vertical-align:top}
thead th{border-bottom:2px solid #444;border-top:2px solid #444}
.verdict{font-weight:600;padding:.05em .45em;border-radius:.3em;white-space:nowrap}
.verdict.holds{background:#cfe8ff;color:#003a70}
.verdict.violated{background:#ffd9b3;color:#7a2e00}
.verdict.inconclusive{background:#e8e8e8;color:#333}
.verdict.invalid-data{background:#f4c7c7;color:#6b0000}
.verdict.not-run{background:#fff3c4;color:#5c4700}
.verdict.vacuous{background:#e3d7f5;color:#3b1f66}
figure{margin:1.2em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.88em;color:#444}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:.85em}
code{background:#f3f3f3;padding:0 .2em}
blockquote{margin:.4em 0 .8em 1em;padding-left:.8em;border-left:3px solid #9cc;color:#345;
font-size:.9em}
"""


def page(blocks: Sequence[Block], title: str = "DWMGrad verification report") -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"{to_html(blocks)}\n</body>\n</html>\n")
