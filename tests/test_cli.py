"""The CLI: every subcommand answers --help; bad input exits 2 with one line, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dwmgrad_verify.cli import SUBCOMMANDS, main


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert command in capsys.readouterr().out


def test_unknown_list_is_a_clear_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dwmgrad_verify.cli", "list", "nonsense"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2
    assert "nonsense" in proc.stderr and "optimizers" in proc.stderr
    assert "Traceback" not in proc.stderr
