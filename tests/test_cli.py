"""The CLI: every subcommand answers --help; bad input exits 2 with one line, no traceback;
help and (cached) lists import no torch, sympy or matplotlib; lists are aligned tables."""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from dwmgrad_verify import listing
from dwmgrad_verify.cli import SUBCOMMANDS, chosen_command, main
from verify_io.errors import UsageError

LISTS = ["optimizers", "problems", "experiments", "bounds", "claims"]
#: Runs main() on each argv in a fresh interpreter and prints {argv: heavy modules loaded}.
#: An optional second argument is the shipped rows file the lists read (listing.SHIPPED).
PROBE = """
import contextlib, io, json, sys
from pathlib import Path
from dwmgrad_verify import listing
from dwmgrad_verify.cli import main
if len(sys.argv) > 2:
    listing.SHIPPED = Path(sys.argv[2])
loaded = {}
for argv in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main(argv)
        except SystemExit:
            pass
    loaded[" ".join(argv)] = sorted(m for m in ("torch", "sympy", "matplotlib")
                                    if m in sys.modules)
print(json.dumps(loaded))
"""


@pytest.fixture
def list_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty list cache, and no shipped rows in this process (the cache is what is tested)."""
    monkeypatch.setenv("DWMGRAD_VERIFY_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(listing, "SHIPPED", tmp_path / "no_shipped_rows.json")
    return tmp_path / "cache"


def _heavy_imports(argvs: list[list[str]], shipped: Path | None = None
                   ) -> dict[str, list[str]]:
    extra = [] if shipped is None else [str(shipped)]
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argvs), *extra],
                          capture_output=True, text=True, check=True, env=dict(os.environ))
    result: dict[str, list[str]] = json.loads(proc.stdout)
    return result


def test_help_and_cached_lists_import_no_torch_sympy_or_matplotlib(
        list_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for what in LISTS:                    # fills the cache (this process has them imported)
        assert main(["list", what]) == 0
    capsys.readouterr()
    argvs = [["--help"], *([name, "--help"] for name in SUBCOMMANDS),
             *(["list", what] for what in LISTS)]
    assert _heavy_imports(argvs) == {" ".join(argv): [] for argv in argvs}


def test_the_import_probe_sees_a_list_built_from_the_registries(list_cache: Path) -> None:
    assert "torch" in _heavy_imports([["list", "optimizers", "--fresh"]])["list optimizers --fresh"]


def test_first_lists_after_install_read_the_shipped_rows_and_import_no_torch(
        list_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty cache (a fresh install): every list reads the shipped rows, which equal the
    rows the registries give."""
    shipped = listing.write_shipped(tmp_path / "list_rows.json")
    argvs = [["list", what] for what in LISTS]
    assert _heavy_imports(argvs, shipped) == {" ".join(argv): [] for argv in argvs}
    assert not list_cache.exists()                           # nothing was computed or cached
    for what in LISTS:
        assert listing.shipped_rows(what, shipped) == json.loads(
            json.dumps(listing.LISTERS[what](), default=str))


@pytest.mark.parametrize("damage", ["key", "corrupt", "missing list"])
def test_shipped_rows_of_other_sources_or_unreadable_are_not_used(
        list_cache: Path, tmp_path: Path, damage: str) -> None:
    shipped = listing.write_shipped(tmp_path / "list_rows.json")
    doc = json.loads(shipped.read_text())
    if damage == "key":                     # written from other sources than these
        doc["optimizers"]["key"] = "0" * 16
        shipped.write_text(json.dumps(doc))
    elif damage == "corrupt":
        shipped.write_text(shipped.read_text()[:100])
    else:
        del doc["optimizers"]
        shipped.write_text(json.dumps(doc))
    assert listing.shipped_rows("optimizers", shipped) is None
    assert "torch" in _heavy_imports([["list", "optimizers"]], shipped)["list optimizers"]


def test_shipped_rows_are_not_used_beside_a_plugin(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = listing.write_shipped(tmp_path / "list_rows.json")
    assert listing.shipped_rows("optimizers", shipped) is not None
    monkeypatch.setattr(listing, "fingerprint", lambda: ["a plugin"])
    assert listing.shipped_rows("optimizers", shipped) is None
    with pytest.raises(UsageError, match="plugins are present"):
        listing.write_shipped(tmp_path / "other.json")


def _scratch_package(root: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-module package ``name`` under ``root``, importable; its ``__init__.py``, which
    the test edits."""
    package = root / name
    package.mkdir()
    (package / "__init__.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(root))
    return package / "__init__.py"


def test_row_keys_follow_their_own_sources_only(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    source = _scratch_package(tmp_path, "rows_pkg", monkeypatch)
    monkeypatch.setitem(listing.ROW_SOURCES, "optimizers", ("rows_pkg",))
    before = {what: listing.row_key(what) for what in LISTS}
    source.write_text("X = 2\n")
    after = {what: listing.row_key(what) for what in LISTS}
    assert [w for w in LISTS if before[w] != after[w]] == ["optimizers"]


@pytest.mark.slow
def test_the_shipped_rows_are_current() -> None:
    """The committed list_rows.json matches the sources (else the first list after install
    imports the registries): regenerate it with ``python -m dwmgrad_verify.listing``."""
    stale = [what for what in LISTS if listing.shipped_rows(what) is None]
    assert not stale, f"stale shipped rows {stale}: run python -m dwmgrad_verify.listing"


def test_list_rows_are_cached_until_fresh_or_unreadable(
        list_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def experiments() -> list[dict[str, object]]:
        calls.append(1)
        return [{"name": "a", "summary": "b"}]

    monkeypatch.setitem(listing.LISTERS, "experiments", experiments)
    assert listing.rows("experiments") == listing.rows("experiments") == [
        {"name": "a", "summary": "b"}]
    assert len(calls) == 1
    listing.rows("experiments", fresh=True)
    assert len(calls) == 2
    (cached,) = list_cache.glob("list-experiments-*.json")
    cached.write_text("{truncated")
    assert listing.rows("experiments") == [{"name": "a", "summary": "b"}]
    assert len(calls) == 3


def test_a_cache_entry_that_is_not_a_list_is_recomputed(
        list_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(listing.LISTERS, "experiments", lambda: [{"name": "a"}])
    listing.rows("experiments")
    (cached,) = list_cache.glob("list-experiments-*.json")
    cached.write_text('{"name": "a"}')                  # valid JSON, but not a list of rows
    assert listing.rows("experiments") == [{"name": "a"}]
    assert json.loads(cached.read_text()) == [{"name": "a"}]


def test_lists_are_listed_where_no_cache_can_be_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv("DWMGRAD_VERIFY_CACHE", str(blocker / "cache"))   # under a file
    monkeypatch.setitem(listing.LISTERS, "experiments", lambda: [{"name": "a"}])
    assert listing.rows("experiments", fresh=True) == [{"name": "a"}]


def test_the_cache_lives_under_xdg_cache_home_or_the_home_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DWMGRAD_VERIFY_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert listing.cache_dir() == tmp_path / "xdg" / "dwmgrad-verify"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert listing.cache_dir() == tmp_path / "home" / ".cache" / "dwmgrad-verify"


def test_the_cache_key_follows_the_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = []
    for plugins in ([], ["a 1.0"], ["b 1.0"]):
        monkeypatch.setattr(listing, "fingerprint", lambda plugins=plugins: plugins)
        keys.append(listing.cache_key())
    assert len(set(keys)) == 3


def test_the_row_key_follows_whether_torch_and_sympy_are_installed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    present = listing.row_key("bounds")
    installed = importlib.metadata.version

    def without_sympy(dist: str) -> str:
        if dist == "sympy":
            raise importlib.metadata.PackageNotFoundError(dist)
        return installed(dist)

    monkeypatch.setattr(importlib.metadata, "version", without_sympy)
    assert listing.row_key("bounds") != present


def test_the_cache_key_follows_the_sources(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    source = _scratch_package(tmp_path, "layered_pkg", monkeypatch)
    monkeypatch.setattr(listing, "SOURCE_PACKAGES", ("layered_pkg",))
    before = listing.cache_key()
    assert listing.cache_key() == before
    source.write_text("X = 2\n")
    assert listing.cache_key() != before


def test_list_optimizers_is_an_aligned_table_with_the_baselines(
        list_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "optimizers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "source", "hyperparameters", "reference"]
    assert set(lines[1]) == {"-", " "}
    names = {line.split()[0]: line.split()[1] for line in lines[2:]}
    assert {"Adam", "AMSGrad", "SGD", "HeavyBall"} <= {n for n, s in names.items()
                                                      if s == "built-in"}
    column = lines[0].index("source")
    assert all(line[column - 2:column] == "  " and line[column] != " " for line in lines[2:])


@pytest.mark.parametrize(("argv", "command"), [
    (["list", "optimizers"], "list"),
    (["--plugin", "pkg.mod", "list", "optimizers"], "list"),
    (["--plugin=pkg.mod", "--plugin", "other", "run", "x"], "run"),
    (["--plugin", "list"], None),       # "list" is the plugin's module here, no command follows
    (["--plugin", "pkg.mod", "nonsense"], None),
])
def test_the_subcommand_is_found_after_the_plugin_options(argv: list[str],
                                                          command: str | None) -> None:
    assert chosen_command(argv) == command


def _failing_subcommand(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """Subcommand ``failing``, whose run raises ``error``."""
    module = types.ModuleType("failing_subcommand")

    def run(args: object) -> int:
        raise error

    module.configure = lambda parser: None  # type: ignore[attr-defined]
    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(SUBCOMMANDS, "failing", (module.__name__, "raises"))


def test_an_interrupted_command_exits_130_keeping_its_results(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _failing_subcommand(monkeypatch, KeyboardInterrupt())
    assert main(["failing"]) == 130
    assert capsys.readouterr().err == (
        "dwmgrad-verify failing: interrupted; finished results are kept\n")


def test_output_into_a_closed_pipe_ends_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    _failing_subcommand(monkeypatch, BrokenPipeError())
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    assert main(["failing"]) == 0
    assert stderr.closed            # nothing more is written to the closed pipe at exit


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


def registry_names(what: str) -> list[str]:
    """Names straight from each registry (not from the lister the command calls)."""
    if what == "optimizers":
        from dwmgrad.registry import OPTIMIZER_REGISTRY

        return list(OPTIMIZER_REGISTRY)
    if what == "problems":
        from experiments.problems import PROBLEMS

        return sorted(PROBLEMS)
    if what == "experiments":
        from experiments.named import EXPERIMENTS

        return list(EXPERIMENTS)
    if what == "bounds":
        from theory.registry import bounds

        return [b.name for b in bounds()]
    from reports.claims import claims

    return [c.id for c in claims()]


@pytest.mark.parametrize("what", ["optimizers", "problems", "experiments", "bounds", "claims"])
def test_list_json_names_every_registry_entry(
    what: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Against the registries themselves: a lister that drops, repeats or renames an entry
    fails (comparing with the lister's own output could not)."""
    import json

    assert main(["list", what, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == registry_names(what)
    if what == "optimizers":
        from dwmgrad.registry import OPTIMIZERS

        for row in rows[:len(OPTIMIZERS)]:
            assert sorted(row["hyperparameters"]) == sorted(
                OPTIMIZERS[row["name"]].hyperparameters)


def test_list_optimizers_has_the_seven_optimizers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "optimizers"]) == 0
    out = capsys.readouterr().out
    for name in ("DWMGrad", "AdaBelief", "Aida", "DemonSGD", "DemonAdam", "AdaptiveHB", "AdamAHB"):
        assert name in out
