"""Layers import only downwards: a test walks every module's imports (``ast``, including
imports inside functions and under ``TYPE_CHECKING``) and fails on an import of a package in
the same or a higher layer."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Bottom to top; a package may import the packages of the layers below its own only.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("verify_io",),                    # shared I/O helpers: errors, files, paths, options
    ("dwmgrad",),                      # the optimizers
    ("theory",),                       # bounds and derivations
    ("experiments",),                  # problems, runner, named experiments
    ("proofs_check",),                 # proof steps (trajectory checks run experiments)
    ("reports", "benchmarks"),         # report from result files; benchmarks
    ("dwmgrad_verify",),               # the command line
)
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}


def imported_packages(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in ``tree``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def upward_imports(root: Path) -> list[str]:
    """Every import, in the packages of :data:`LAYERS` under ``root``, of a package that is
    not in a lower layer (one line each: file, line, importer, imported)."""
    bad = []
    for package, rank in RANK.items():
        for path in sorted((root / package).rglob("*.py")):
            for line, imported in imported_packages(ast.parse(path.read_text(), str(path))):
                if imported != package and imported in RANK and RANK[imported] >= rank:
                    bad.append(f"{path.relative_to(root)}:{line}: {package} imports {imported}")
    return bad


def test_no_package_imports_one_in_its_own_or_a_higher_layer() -> None:
    assert upward_imports(REPO) == []


def test_every_package_has_a_layer() -> None:
    packages = {p.parent.name for p in REPO.glob("*/__init__.py")}
    assert packages == set(RANK)


def test_an_upward_import_is_reported(tmp_path: Path) -> None:
    (tmp_path / "theory").mkdir()
    (tmp_path / "theory" / "render.py").write_text(
        "import math\n\n\ndef draw():\n    from reports.build import build_report\n"
        "    return build_report\n")
    (tmp_path / "experiments").mkdir()
    (tmp_path / "experiments" / "cli.py").write_text(
        "from typing import TYPE_CHECKING\nimport dwmgrad.registry\n"
        "if TYPE_CHECKING:\n    from proofs_check.core import StepResult\n")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "x.py").write_text("import benchmarks.suite\n")
    assert upward_imports(tmp_path) == [
        "theory/render.py:5: theory imports reports",
        "experiments/cli.py:4: experiments imports proofs_check",
        "reports/x.py:1: reports imports benchmarks",
    ]
