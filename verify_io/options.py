"""Parsing of command-line values shared by several subcommands (errors as UsageError)."""

from __future__ import annotations

from verify_io.errors import UsageError


def positive_int(option: str, text: object) -> int:
    """``text`` as an integer >= 1, or a UsageError naming ``option`` and the bad value."""
    try:
        value = int(str(text))
    except ValueError:
        raise UsageError(f"{option} {text!r} is not an integer; expected N >= 1") from None
    if value < 1:
        raise UsageError(f"{option} {value} is not valid; expected an integer N >= 1")
    return value


def positive_int_list(option: str, text: str) -> list[int]:
    """Comma-separated integers >= 1 (duplicates dropped, order kept), or a UsageError that
    names ``option``, the whole value and the bad element."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise UsageError(f"{option} {text!r} lists no value; expected e.g. 1,2")
    values = []
    for part in parts:
        try:
            values.append(positive_int(option, part))
        except UsageError:
            raise UsageError(f"{option} {text!r}: {part!r} is not valid; expected "
                             "comma-separated integers N >= 1") from None
    return list(dict.fromkeys(values))
