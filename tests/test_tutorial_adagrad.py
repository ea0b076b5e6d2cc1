"""docs/tutorial_adagrad.md is run: its Python blocks, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial_adagrad.md"


def python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", TUTORIAL.read_text(encoding="utf-8"),
                      flags=re.MULTILINE | re.DOTALL)


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
def test_the_tutorial_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every block, in order: the published bound holds, the one ten times too small is
    violated with counterexamples (about a minute of CPU at quick scale)."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "tutorial"}
    for i, block in enumerate(python_blocks(), 1):
        exec(compile(block, f"{TUTORIAL}:block{i}", "exec"), namespace)
    wrong = namespace["wrong"]
    assert isinstance(wrong, dict) and wrong["counterexamples"]
