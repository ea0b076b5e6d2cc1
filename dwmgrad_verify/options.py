"""Parsing of command-line values shared by several subcommands (errors as UsageError)."""

from __future__ import annotations

from dwmgrad_verify.errors import UsageError


def positive_int(option: str, text: object) -> int:
    """``text`` as an integer >= 1, or a UsageError naming ``option`` and the bad value."""
    try:
        value = int(str(text))
    except ValueError:
        raise UsageError(f"{option} {text!r} is not an integer; expected N >= 1") from None
    if value < 1:
        raise UsageError(f"{option} {value} is not valid; expected an integer N >= 1")
    return value
