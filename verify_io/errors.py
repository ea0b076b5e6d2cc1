"""Errors that the CLI turns into a one-line message and exit code 2 (no traceback)."""


class UsageError(Exception):
    """Bad input from the user: an unknown name, a bad value, an unusable path.

    The message must name the bad value and say what was expected.
    """


class DiskFull(Exception):  # noqa: N818 - named for what the user sees
    """A result file could not be written for lack of space (or quota); the message names it.

    Nothing partial is left (the temporary file is removed) and every file written before is
    kept; the CLI prints the message as one line and exits 1.
    """
