"""docs/plugins.md shows the tested example plugin, not a copy that can drift from it.

Every ``python`` block of the page is a verbatim excerpt of the example plugin
(``tests/data/plugin_site``, run by ``tests/test_plugins.py``) or the signature of
``register_optimizer`` with its defaults; the ``toml`` block declares exactly the entry points
of the plugin's installed distribution; the error line shown is the bad test plugin's.
"""

from __future__ import annotations

import ast
import configparser
import inspect
import re
import tomllib
from pathlib import Path

import pytest

from dwmgrad.registry import register_optimizer

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "docs" / "plugins.md"
SITE = REPO / "tests" / "data" / "plugin_site"
SIGNATURE = "register_optimizer(name, factory, *,"


def blocks(language: str) -> list[str]:
    """The page's fenced blocks of ``language``, with their fence's indent removed."""
    found: list[tuple[str, list[str]]] = []
    indent: str | None = None
    for line in PAGE.read_text().splitlines():
        fence = re.fullmatch(r"( *)```(\w*)", line)
        if fence and indent is None:
            indent = fence[1]
            found.append((fence[2], []))
        elif fence:
            indent = None
        elif indent is not None:
            found[-1][1].append(line[len(indent):] + "\n")
    return ["".join(body) for lang, body in found if lang == language]


def test_the_signature_shown_is_register_optimizers() -> None:
    (block,) = [b for b in blocks("python") if b.startswith(SIGNATURE)]
    shown = [(name, ast.literal_eval(default))
             for name, default in re.findall(r"(\w+)=(\(\)|[^,\n)]+)", block)]
    actual = [(name, p.default) for name, p in
              inspect.signature(register_optimizer).parameters.items()
              if p.default is not inspect.Parameter.empty]
    assert shown == actual


@pytest.mark.parametrize("block", [b for b in blocks("python") if not b.startswith(SIGNATURE)],
                         ids=lambda block: block.splitlines()[0][:40])
def test_every_example_block_is_an_excerpt_of_the_tested_plugin(block: str) -> None:
    sources = "\n".join(p.read_text() for p in sorted(SITE.rglob("*.py")))
    assert block in sources


def test_the_page_has_one_example_per_kind() -> None:
    examples = "".join(blocks("python"))
    for register in ("register_optimizer(", "register_problem", "register_experiment(",
                     "register_bound(", "register_claim("):
        assert register in examples


def test_the_entry_points_shown_are_the_installed_plugins() -> None:
    (shown,) = blocks("toml")
    declared = tomllib.loads(shown)["project"]["entry-points"]
    installed = configparser.ConfigParser()
    installed.optionxform = str  # type: ignore[assignment,method-assign]
    installed.read(next(SITE.glob("*.dist-info")) / "entry_points.txt")
    assert declared == {group: dict(installed[group]) for group in installed.sections()}


def test_the_error_line_shown_is_the_bad_plugins() -> None:
    (line,) = [b for b in blocks("") if "error: plugin" in b]
    for part in ("dwmgrad-verify run: error: plugin dwmgrad_bad_optimizer (--plugin)",
                 "'NotAnOptimizer'", "factory 42 is not callable"):
        assert part in line
