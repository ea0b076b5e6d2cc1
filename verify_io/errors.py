"""Errors that the CLI turns into a one-line message and exit code 2 (no traceback)."""


class UsageError(Exception):
    """Bad input from the user: an unknown name, a bad value, an unusable path.

    The message must name the bad value and say what was expected.
    """


def not_implemented(command: str) -> UsageError:
    return UsageError(f"'{command}' is not implemented yet")
