"""How every benchmark hands over its result: JSON to a file, and JSON or a table on stdout."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from verify_io.files import atomic_write_text


def emit(result: dict[str, Any], table: Callable[[], str], *, as_json: bool,
         out: Path | None) -> None:
    """Write ``result`` as indented JSON to ``out`` (atomically; skipped if None) and print
    either the same JSON (``as_json``) or ``table()``."""
    payload = json.dumps(result, indent=2)
    if out is not None:
        atomic_write_text(out, payload + "\n")
    print(payload if as_json else table())
