"""The bottom layer: I/O helpers every package may import (and which import none of them).

:mod:`verify_io.errors` (``UsageError``, the CLI's one-line exit-2 error),
:mod:`verify_io.files` (atomic writes), :mod:`verify_io.paths` (output paths validated before
work) and :mod:`verify_io.options` (command-line values shared by several subcommands).
"""
