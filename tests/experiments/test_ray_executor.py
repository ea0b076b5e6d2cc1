"""The Ray executor (``--executor ray``): same run data files as the local executor, a killed
worker's run retried or reported (never lost), and a clear exit 2 without Ray.

The tests that start a real local Ray instance (``ray.init(num_cpus=2)``) take tens of
seconds and sit in CI's slow step; the argument checks run by default.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dwmgrad_verify.cli import main
from experiments.named import heavy_ball_rate
from experiments.records import RunRecord
from experiments.runner import run_spec_safely
from experiments.spec import RunSpec

CLI = [sys.executable, "-m", "dwmgrad_verify.cli"]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=900,
                          env={**os.environ, **(env or {})})


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The CLI in this process (the exit path of a real process: tests/hardening/test_cli_fuzz's
    test_real_processes_exit_2_with_one_line)."""
    try:
        code = main(list(args))
    except SystemExit as exc:              # argparse's own errors exit 2 the same way
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("command", ["run", "all"])
def test_ray_executor_without_ray_exits_2_with_the_install_command(
        tmp_path: Path, command: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)     # ``import ray`` fails, as without the extra
    args = [command, *(["heavy_ball_rate"] if command == "run" else []), "--executor", "ray",
            "--out", str(tmp_path / "out")]
    code, err = _main(capsys, *args)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "pip install -e '.[ray]'" in lines[0], err
    assert not (tmp_path / "out" / "runs").exists()


@pytest.mark.parametrize("args, named", [
    (["--executor", "dask"], "--executor 'dask'"),
    (["--ray-address", "auto"], "--ray-address 'auto' needs --executor ray"),
    (["--executor", "ray", "--ray-address", " "], "--ray-address ' '"),
])
def test_bad_executor_options_exit_2_naming_the_value(tmp_path: Path, args: list[str],
                                                     named: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _main(capsys, "run", "heavy_ball_rate", "--out", str(tmp_path / "out"), *args)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], err
    assert not (tmp_path / "out" / "runs").exists()


def _run_data_files(out: Path) -> dict[str, bytes]:
    """Every run's data file and run JSON, by relative path (timings files excluded)."""
    files = {}
    for path in sorted((out / "runs").rglob("*")):
        if path.name.endswith((".csv.gz", ".json")) and not path.name.endswith(".timings.json"):
            files[str(path.relative_to(out))] = path.read_bytes()
    return files


@pytest.mark.slow
def test_ray_run_writes_the_same_run_files_as_the_local_executor(tmp_path: Path) -> None:
    local, ray = tmp_path / "local", tmp_path / "ray"
    proc = _cli("run", "heavy_ball_rate", "--out", str(local), "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    proc = _cli("run", "heavy_ball_rate", "--out", str(ray), "--workers", "2",
                "--executor", "ray")
    assert proc.returncode == 0, proc.stderr
    local_files, ray_files = _run_data_files(local), _run_data_files(ray)
    assert len(local_files) == 2 * len(heavy_ball_rate.specs("quick"))
    assert local_files.keys() == ray_files.keys()
    different = [name for name in local_files if local_files[name] != ray_files[name]]
    assert different == []


def _die_once(marker: str, spec: RunSpec) -> RunRecord:
    """Kill this worker process the first time (``marker`` absent), then run normally."""
    if not os.path.exists(marker):
        Path(marker).touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return run_spec_safely(spec)


def _always_die(spec: RunSpec) -> RunRecord:
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    # The task functions below live in this test module, which Ray's workers cannot import.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_a_killed_worker_is_retried_and_the_run_kept(local_ray, tmp_path: Path) -> None:
    from experiments.ray_executor import RayExecutor

    spec = heavy_ball_rate.specs("quick")[0]
    marker = tmp_path / "killed-once"
    fn = functools.partial(_die_once, str(marker))
    (record,) = RayExecutor(max_retries=2).map(fn, [spec])
    assert marker.exists()  # the first attempt did die
    assert record.status == "ok" and record.spec == spec
    assert record.losses.tobytes() == run_spec_safely(spec).losses.tobytes()


@pytest.mark.slow
def test_a_run_lost_for_good_comes_back_as_a_failed_record(local_ray) -> None:
    from experiments.ray_executor import RayExecutor

    specs = heavy_ball_rate.specs("quick")[:2]
    records = list(RayExecutor(max_retries=0).map(_always_die, specs))
    assert sorted(r.spec.key() for r in records) == sorted(s.key() for s in specs)
    assert all(r.status == "failed" and "ray task lost" in (r.error or "") for r in records)
