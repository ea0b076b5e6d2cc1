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


@pytest.mark.parametrize("what", ["optimizers", "problems", "experiments", "bounds", "claims"])
def test_list_json_names_every_registry_entry(
    what: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from dwmgrad_verify.listing import LISTERS

    assert main(["list", what, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows, f"`list {what}` printed no entries"
    assert [r["name"] for r in rows] == [r["name"] for r in LISTERS[what]()]
    assert len({r["name"] for r in rows}) == len(rows)


def test_list_optimizers_has_the_seven_optimizers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "optimizers"]) == 0
    out = capsys.readouterr().out
    for name in ("DWMGrad", "AdaBelief", "Aida", "DemonSGD", "DemonAdam", "AdaptiveHB", "AdamAHB"):
        assert name in out
