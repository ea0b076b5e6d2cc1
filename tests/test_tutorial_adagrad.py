"""docs/tutorial_adagrad.md is run: its blocks, in order, in a fresh directory.

A ``python`` block whose first line is ``# FILE.py`` is written to that file (the tutorial's
plugin); other ``python`` blocks run in one namespace; ``sh`` blocks run in a shell with this
checkout on ``PYTHONPATH`` (``dwmgrad-verify`` is the installed script, as a reader runs it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TUTORIAL = REPO / "docs" / "tutorial_adagrad.md"


def blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced block, in order."""
    return re.findall(r"^```(\w+)\n(.*?)^```$", TUTORIAL.read_text(encoding="utf-8"),
                      flags=re.MULTILINE | re.DOTALL)


def python_blocks() -> list[str]:
    return [text for language, text in blocks() if language == "python"]


def file_name(text: str) -> str | None:
    """``FILE.py`` when the block is a file (first line ``# FILE.py...``)."""
    match = re.match(r"# (\w+\.py)\b", text)
    return match[1] if match else None


def env() -> dict[str, str]:
    out = {**os.environ, "PYTHONPATH": str(REPO)}
    out.pop("DWMGRAD_VERIFY_PLUGINS", None)
    return out


def test_the_derivation_block_checks_the_constant() -> None:
    """The first block (sympy: Theorem 5's coefficient is minimised at D/sqrt 2, where it
    is Corollary 6's sqrt 2 D) runs in well under a second."""
    first, *rest = python_blocks()
    assert rest, "the tutorial lost its audit blocks"
    exec(compile(first, f"{TUTORIAL}:block1", "exec"), {})


def test_a_wrong_constant_in_the_derivation_fails() -> None:
    first = python_blocks()[0].replace("sp.sqrt(2) * D_inf) == 0", "2 * D_inf) == 0")
    with pytest.raises(AssertionError):
        exec(compile(first, "mutant", "exec"), {})


@pytest.mark.slow
def test_the_plugin_registers_the_bounds_the_audit_command_names(tmp_path: Path) -> None:
    """The plugin file loads by ``--plugin`` from the current directory (``python -P``: as the
    installed script, without it on ``sys.path``) and registers every ``--bound`` of the
    command as a user bound the audit accepts."""
    (plugin,) = [text for text in python_blocks() if file_name(text)]
    module = str(file_name(plugin))
    (tmp_path / module).write_text(plugin)
    (command,) = [text for language, text in blocks() if language == "sh"]
    assert f"--plugin {module[:-3]} audit" in command
    probe = ("import json, sys\nfrom verify_io.plugins import discover\n"
             "from experiments.audit.regret import SYMBOLS\nfrom theory.registry import bounds\n"
             "discover(sys.argv[1:])\n"
             "print(json.dumps({b.name: [b.kind, sorted(set(b.arg_names) - set(SYMBOLS))]"
             " for b in bounds()}))\n")
    proc = subprocess.run([sys.executable, "-P", "-c", probe, module[:-3]], cwd=tmp_path,
                          env=env(), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    registered = json.loads(proc.stdout)
    for name in re.findall(r"--bound (\S+)", command):
        assert registered[name] == ["upper", []], name


@pytest.mark.slow
def test_the_tutorial_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every block, in order: the published bound holds, the one ten times too small is
    violated with counterexamples (about a minute of CPU at quick scale)."""
    assert shutil.which("dwmgrad-verify"), "the package is not installed (pip install -e .)"
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "tutorial"}
    for i, (language, text) in enumerate(blocks(), 1):
        if language == "sh":
            proc = subprocess.run(["bash", "-euc", text], env=env(), capture_output=True,
                                  text=True, timeout=3600, check=False)
            assert proc.returncode == 0, proc.stderr
        elif file_name(text):
            (tmp_path / str(file_name(text))).write_text(text)
        else:
            exec(compile(text, f"{TUTORIAL}:block{i}", "exec"), namespace)
    wrong = namespace["wrong"]
    assert isinstance(wrong, dict) and wrong["counterexamples"]
