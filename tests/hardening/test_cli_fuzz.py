"""CLI fuzz: generated bad command lines over every subcommand (unknown
experiment/proof/benchmark/list names, bad scales, unavailable or nonsense devices, bad worker
counts, unusable output directories, bad benchmark options). Each must exit with code 2 and
one clear line on stderr that names the bad value, with no traceback, and must be refused
BEFORE any work starts.

"Before any work starts" is checked by replacing every entry point of real work (derivations,
proof checks, experiment runs, report building, benchmarks) with a function that raises
:class:`WorkStarted`; a bad input that reaches one of them fails the test. Control cases show
that a valid command line does reach them. One case also runs as a real process (two more
in the slow step).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from cli_fuzz_cases import BadCall, generate

from dwmgrad_verify.cli import main

REPO = Path(__file__).resolve().parents[2]
#: Entry points of real work, as (module, attribute); each is replaced by a tripwire. (Proof
#: steps are wired separately: selecting them by name is validation, checking them is work.)
WORK = [
    ("theory.cli", "describe"), ("theory.cli", "write_results"),
    ("proofs_check.cli", "write_results"),
    ("experiments.api", "run_specs"), ("experiments.audit.battery", "run_battery"),
    ("reports.build", "build_report"),
    ("benchmarks.optimizers", "measure"), ("benchmarks.engine", "run_engine_benchmark"),
    ("benchmarks.suite", "run_suite"), ("benchmarks.blocks", "measure_threads"),
]


class WorkStarted(BaseException):  # noqa: N818 - a tripwire, not an error condition
    """Raised by a tripwire; a BaseException so no ``except Exception`` can swallow it."""


def registries() -> dict[str, set[str]]:
    from benchmarks.cli import BENCHMARKS
    from dwmgrad_verify.listing import LISTERS
    from experiments.api import SCALES, experiments_registry
    from experiments.optimizers import optimizer_names
    from proofs_check.registry import select

    return {"lists": set(LISTERS), "experiments": set(experiments_registry()),
            "scales": set(SCALES), "proofs": {step.proof for step in select()},
            "benchmarks": set(BENCHMARKS), "optimizers": set(optimizer_names())}


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture
def tripwires(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Replace every work entry point; the list collects the ones that were reached."""
    import importlib

    reached: list[str] = []
    for module_name, attribute in WORK:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if not hasattr(module, attribute):
            continue

        def wire(*args: Any, _name: str = f"{module_name}.{attribute}", **kwargs: Any) -> Any:
            reached.append(_name)
            raise WorkStarted(_name)

        monkeypatch.setattr(module, attribute, wire)

    import proofs_check.registry as proof_registry

    original_select = proof_registry.select

    def select_wired(*args: Any, **kwargs: Any) -> list[Any]:
        def wire() -> Any:
            reached.append("proof step check")
            raise WorkStarted("proof step check")

        return [dataclasses.replace(step, check=wire)
                for step in original_select(*args, **kwargs)]

    monkeypatch.setattr(proof_registry, "select", select_wired)
    yield reached


def call(argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:            # argparse's own errors exit 2 the same way
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def assert_one_clear_line(code: int, err: str, case: BadCall) -> None:
    assert code == 2, (case.argv, code, err)
    assert "Traceback" not in err, err
    error_lines = [line for line in err.splitlines() if "error" in line]
    assert len(error_lines) == 1, err
    line = error_lines[0]
    assert line.startswith("dwmgrad-verify"), line
    assert (case.bad or "''") in line, (case.bad, line)


def test_every_subcommand_has_generated_bad_command_lines(fuzz_dir: Path) -> None:
    cases = generate(fuzz_dir, **registries())
    commands = {case.argv[0] for case in cases}
    from dwmgrad_verify.cli import SUBCOMMANDS

    assert commands == set(SUBCOMMANDS), set(SUBCOMMANDS) - commands


def problem_with(case: BadCall, capsys: pytest.CaptureFixture[str]) -> str | None:
    """What is wrong with how the CLI handled ``case`` (None: one clear line, exit 2)."""
    try:
        code, err = call(case.argv, capsys)
    except WorkStarted as exc:
        capsys.readouterr()
        return f"work started before the input was refused ({exc})"
    except Exception as exc:  # noqa: BLE001 - every case is reported, not just the first
        capsys.readouterr()
        return f"raised {type(exc).__name__}: {exc}"
    try:
        assert_one_clear_line(code, err, case)
    except AssertionError as exc:
        return str(exc)
    return None


def test_every_bad_command_line_is_one_clear_error_before_any_work(
        fuzz_dir: Path, tripwires: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Every generated case in one test (a few seconds); every failing case is listed, not
    just the first."""
    cases = generate(fuzz_dir, **registries())
    failures = [f"{case.id}: {why}" for case in cases
                if (why := problem_with(case, capsys)) is not None]
    assert not failures, f"{len(failures)} of {len(cases)} bad command lines:\n" + "\n".join(
        failures)


@pytest.mark.parametrize("argv", [
    ("theory",), ("check",), ("run", "lessard_cycle"), ("all",), ("report",),
    ("audit", "--optimizer", "torch.optim:Adagrad", "--options", '{"lr": 0.1}'),
    ("bench", "optimizers", "--numel", "64", "--tensors", "2", "--repeats", "1"),
])
def test_control_valid_command_lines_reach_the_work(argv: tuple[str, ...], fuzz_dir: Path,
                                                    tripwires: list[str],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The tripwires are in the path of real work: a valid command line trips one."""
    out = fuzz_dir / "control"
    out.mkdir(exist_ok=True)
    extra = ("--out", str(out)) if argv[0] in ("run", "all", "report", "audit") else ()
    with pytest.raises(WorkStarted):
        main([*argv, *extra])
    assert tripwires
    capsys.readouterr()


def test_cuda_is_refused_without_a_gpu(fuzz_dir: Path, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible: --device cuda is valid here")
    for argv in (("run", "lessard_cycle", "--device", "cuda"), ("all", "--device", "cuda")):
        code, err = call((*argv, "--out", str(fuzz_dir / "cuda")), capsys)
        assert code == 2 and "cuda" in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1, err


#: Real processes: the default run starts one (the exit path of ``python -m
#: dwmgrad_verify.cli`` is the same for every subcommand; each message is checked in process
#: above); the others, one interpreter start-up each, are in the slow step.
SUBPROCESS_CASES = [
    ("run", "lessard_cycle", "not_an_experiment"),
    pytest.param(("all", "--scale", "huge"), marks=pytest.mark.slow),
    pytest.param(("bench", "no_such_benchmark"), marks=pytest.mark.slow),
]


@pytest.mark.parametrize("argv", SUBPROCESS_CASES, ids=lambda argv: argv[0])
def test_real_processes_exit_2_with_one_line(tmp_path: Path, argv: tuple[str, ...]) -> None:
    extra = ("--out", str(tmp_path)) if argv[0] in ("run", "all") else ()
    proc = subprocess.run([sys.executable, "-m", "dwmgrad_verify.cli", *argv, *extra],
                          cwd=REPO, text=True, capture_output=True, timeout=300, check=False)
    assert proc.returncode == 2, (argv, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert argv[-1] in proc.stderr
