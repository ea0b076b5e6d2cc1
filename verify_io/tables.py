"""Plain-text tables with aligned columns, for the CLI's listings and summaries."""

from __future__ import annotations

from collections.abc import Sequence

#: Longest cell shown in the last column (``--json`` prints everything in full).
LAST_COLUMN_WIDTH = 70


def cell(value: object) -> str:
    """A value as table text: floats to 4 significant digits, lists joined by commas."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    return " ".join(str(value).split())


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """``rows`` under ``headers``, columns left-aligned and separated by two spaces; the last
    column is cut at :data:`LAST_COLUMN_WIDTH` characters (ending in "...")."""
    text = [[cell(v) for v in row] for row in rows]
    for row in text:
        if len(row) != len(headers):
            raise ValueError(f"row {row!r} has {len(row)} cells; expected {len(headers)}")
        if len(row[-1]) > LAST_COLUMN_WIDTH:
            row[-1] = row[-1][:LAST_COLUMN_WIDTH - 3] + "..."
    widths = [max([len(h), *(len(row[i]) for row in text)]) for i, h in enumerate(headers)]
    lines = [list(headers), ["-" * w for w in widths], *text]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
                     for line in lines)
