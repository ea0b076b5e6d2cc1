"""Regenerate the README's results section from a built report.

    dwmgrad-verify all && python -m reports.readme_snippet

reads ``./dwmgrad-report/claims.json`` (``--report DIR`` for another) and replaces the text
between the markers ``<!-- results:start -->`` and ``<!-- results:end -->`` of ``README.md``
(``--readme FILE`` for another) with the claims table and one figure, whose PNG is copied to
``docs/figures/`` beside the README, so the README shows what the last run measured.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reports.verdicts import tally_text
from verify_io.files import atomic_write_text

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- results:start -->", "<!-- results:end -->"
DEFAULT_FIGURE = "regret_vs_bound"
COMMAND = "dwmgrad-verify all && python -m reports.readme_snippet"


def _cell(text: str) -> str:
    return text.replace("|", r"\|").replace("\n", " ")


def section(doc: dict[str, Any], figure: dict[str, Any] | None, figure_path: str | None) -> str:
    """The Markdown section: summary, claims table, one figure, the command behind them."""
    s = doc["summary"]
    scales = sorted({i["detail"].removeprefix("scale ") for i in doc["inputs"]
                     if i["status"] == "present" and i["detail"].startswith("scale ")})
    lines = [
        "## What the toolkit finds",
        "",
        f"Claims table of a `{'/'.join(scales) or 'unknown'}`-scale run "
        f"({tally_text(s)}). "
        "Regenerate this section (table and figure) with:",
        "",
        "```bash",
        COMMAND,
        "```",
        "",
        "The full report (evidence for every verdict, derivations, all figures) is "
        "`dwmgrad-report/index.html`.",
        "",
        "| claim | source | verdict | why |",
        "|---|---|---|---|",
    ]
    for c in doc["claims"]:
        source = "derived" if c["source"]["kind"] == "derived" else \
            c["source"]["document"].split(" (")[0]
        lines.append(f"| {_cell(c['title'])} | {_cell(source)} | **{c['verdict']}** | "
                     f"{_cell(c['reason'])} |")
    if figure is not None and figure_path is not None:
        lines += ["", f"![{figure['title']}]({figure_path})", "",
                  f"*{figure['title']}* (`figures/{figure['name']}.pdf` in the report)."]
    return "\n".join(lines) + "\n"


def write_section(report: Path, readme: Path, figure_name: str = DEFAULT_FIGURE) -> Path:
    """Replace the results section of ``readme`` (between the markers) with ``report``'s."""
    claims = report / "claims.json"
    if not claims.is_file():
        raise FileNotFoundError(f"{claims} not found: run `dwmgrad-verify all` first")
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise FileNotFoundError(f"{readme} has no {START} ... {END} markers")
    doc = json.loads(claims.read_text(encoding="utf-8"))
    figure = next((f for f in doc["figures"] if f["name"] == figure_name
                   and f["status"] == "drawn"), None)
    figure_path = None
    if figure is not None:
        target = readme.parent / "docs" / "figures" / f"{figure_name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(report / "figures" / f"{figure_name}.png", target)
        figure_path = target.relative_to(readme.parent).as_posix()
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    body = section(doc, figure, figure_path)
    atomic_write_text(readme, f"{head}{START}\n{body}{END}{tail}")
    return readme


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.readme_snippet",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--report", type=Path, default=Path("dwmgrad-report"), metavar="DIR")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md", metavar="FILE")
    parser.add_argument("--figure", default=DEFAULT_FIGURE, metavar="NAME")
    args = parser.parse_args(argv)
    try:
        path = write_section(args.report, args.readme, args.figure)
    except FileNotFoundError as exc:
        print(f"readme_snippet: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
