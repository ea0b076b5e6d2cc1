"""`dwmgrad-verify report` runs nothing; `dwmgrad-verify all` validates its arguments first,
runs the stages in order, and still builds the report when a stage fails."""

from __future__ import annotations

import importlib
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from report_fake_results import SMALL_SKIP, write_fake_results

from dwmgrad_verify.cli import main
from reports.results import STAGES_FILE


def _patch(monkeypatch: pytest.MonkeyPatch, module: str, attr: str, fn: Any) -> None:
    """Replace ``module.attr`` (installing a stand-in module if it does not exist yet)."""
    try:
        target = importlib.import_module(module)
    except ImportError:
        target = types.ModuleType(module)
        monkeypatch.setitem(sys.modules, module, target)
    monkeypatch.setattr(target, attr, fn, raising=False)


def _forbid(monkeypatch: pytest.MonkeyPatch, module: str, attr: str) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"{module}.{attr} must not be called by `report`")

    _patch(monkeypatch, module, attr, boom)


@pytest.mark.slow  # 4-13 s each on the idle machine: the slow step
def test_report_never_runs_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    result_dir = write_fake_results(tmp_path / "out", skip=SMALL_SKIP)
    _forbid(monkeypatch, "experiments.api", "run_experiments")
    _forbid(monkeypatch, "theory.cli", "write_results")
    _forbid(monkeypatch, "proofs_check.cli", "write_results")
    assert main(["report", "--out", str(result_dir)]) == 0
    assert "hold" in capsys.readouterr().out
    assert (result_dir / "index.html").is_file()


def _exit_code(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("argv, needle", [
    (["all", "--scale", "huge"], "'huge'"),
    (["all", "--device", "tpu"], "'tpu'"),
    (["all", "--workers", "0"], "--workers 0"),
    (["all", "--workers", "two"], "'two'"),
])
def test_all_rejects_bad_arguments(argv: list[str], needle: str, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _exit_code(argv + ["--out", str(tmp_path / "o")], capsys)
    assert code == 2
    assert needle in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_all_rejects_cuda_without_gpu(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    code, err = _exit_code(["all", "--device", "cuda", "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "cuda" in err


def test_all_and_report_reject_unusable_out(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    code, err = _exit_code(["all", "--out", str(a_file)], capsys)
    assert code == 2 and "is a file" in err
    code, err = _exit_code(["all", "--out", str(a_file / "sub")], capsys)
    assert code == 2 and "cannot be created" in err
    code, err = _exit_code(["report", "--out", str(tmp_path / "absent")], capsys)
    assert code == 2 and "does not exist" in err


def _install_stages(monkeypatch: pytest.MonkeyPatch, calls: list[str],
                    fail: str | None = None) -> list[list[str]]:
    """Fake stage modules that write the synthetic result files (no real work)."""
    def stage(name: str, skip: tuple[str, ...]) -> Any:
        def call(out: Path, *args: Any, **kwargs: Any) -> Path:
            calls.append(name)
            if name == fail:
                raise RuntimeError(f"{name} exploded")
            write_fake_results(Path(out), skip=skip)
            return Path(out)
        return call

    everything = ("theory", "checks", *(["heavy_ball_rate", "lessard_cycle", "reddi",
                                          "dwmgrad_regret", "counterexample_search",
                                          "cost_scaling", "empirical"]))
    for module, name in (("theory.cli", "theory"), ("proofs_check.cli", "checks")):
        _patch(monkeypatch, module, "write_results",
               stage(name, tuple(s for s in everything if s != name)))
    experiments_call = stage("experiments", ("theory", "checks"))

    asked: list[list[str]] = []

    def run_experiments(names: list[str], scale: str, out: Path, device: str = "cpu",
                        workers: int = 1, progress: bool = True, executor: str = "local",
                        ray_address: str | None = None) -> dict[str, Any]:
        from experiments.api import experiments_registry

        assert scale == "quick" and device == "cpu" and workers == 2
        assert executor == "local" and ray_address is None
        assert not progress                  # stderr is not a terminal under pytest
        registry = experiments_registry()
        timed = [n for n, m in registry.items() if getattr(m, "TIMED", False)]
        asked.append(names)                  # the untimed experiments, then the timed ones
        if names == timed:
            assert asked[-2] == [n for n in registry if n not in timed]
        else:
            experiments_call(out)
        return {}

    def inline(call: Any, out: Path) -> Any:
        """The checks stage run at once in this process (the fakes live here)."""
        error: Exception | None = None
        try:
            call(out)
        except Exception as exc:  # noqa: BLE001 - raised again when awaited, as a process's
            error = exc

        def awaited() -> None:
            if error is not None:
                raise error
        return awaited

    _patch(monkeypatch, "experiments.api", "run_experiments", run_experiments)
    _patch(monkeypatch, "reports.all_command", "in_background", inline)
    return asked


def test_all_runs_the_stages_in_order_then_the_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    asked = _install_stages(monkeypatch, calls)
    _patch(monkeypatch, "reports.build", "build_report", _record_build(calls))
    out = tmp_path / "fresh" / "dir"
    assert main(["all", "--out", str(out), "--workers", "2"]) == 0
    assert calls == ["theory", "checks", "experiments", "report"]
    assert asked[-1] == ["cost_scaling"]        # the timings last, in a call of their own
    assert json.loads((out / STAGES_FILE).read_text()) == {"theory": "", "checks": "",
                                                             "experiments": ""}


def test_a_failed_stage_still_builds_the_report(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    _install_stages(monkeypatch, calls, fail="checks")
    _patch(monkeypatch, "reports.build", "build_report", _record_build(calls))
    out = tmp_path / "o"
    assert main(["all", "--out", str(out), "--workers", "2"]) == 1
    assert calls == ["theory", "checks", "experiments", "report"]
    from reports.claims import judge
    from reports.results import load_results

    verdicts = {j.claim.id: j.verdict for j in judge(load_results(out))}
    assert verdicts["demon-schedule"].status == "not run"
    assert f"`dwmgrad-verify check --out {out}`" in verdicts["demon-schedule"].reason
    assert "checks stage failed: RuntimeError: checks exploded" in verdicts["demon-schedule"].reason


def _record_build(calls: list[str]) -> Any:
    class Files:
        summary = {"holds": 0}
        index_html = Path("index.html")

    def build(out: Path) -> Files:
        calls.append("report")
        return Files()

    return build


def test_all_prints_each_stage_time_on_stderr_unless_quiet(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[str] = []
    _install_stages(monkeypatch, calls)
    _patch(monkeypatch, "reports.build", "build_report", _record_build(calls))
    assert main(["all", "--out", str(tmp_path / "a"), "--workers", "2"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0] for line in err] == ["theory", "checks", "experiments", "report"]
    assert all(" done in " in line and line.endswith(" s") for line in err)
    assert main(["all", "--out", str(tmp_path / "b"), "--workers", "2", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_a_background_job_is_stopped_at_exit_only_until_it_is_waited_for(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from reports import all_command

    hooks: list[Any] = []                              # the exit hooks left registered
    jobs: list[Any] = []

    class Job:                                         # Background, in this process
        def __init__(self, fn: Any, *args: Any) -> None:
            self.value, self.stops = fn(*args), 0
            jobs.append(self)

        def result(self) -> object:
            if self.value == "interrupted":
                raise KeyboardInterrupt
            return self.value

        def stop(self) -> None:
            self.stops += 1

    _patch(monkeypatch, "experiments.executors", "Background", Job)
    monkeypatch.setattr(all_command.atexit, "register", hooks.append)
    monkeypatch.setattr(all_command.atexit, "unregister",
                        lambda fn: hooks.__setitem__(slice(None), [h for h in hooks if h != fn]))
    waits = [all_command.in_background(str, Path(name)) for name in ("a", "b")]
    assert hooks == [jobs[0].stop, jobs[1].stop]       # an exit now would stop both
    assert [wait() for wait in waits] == ["a", "b"]
    assert hooks == []                                 # finished jobs hold no hook
    interrupted = all_command.in_background(lambda out: "interrupted", Path("c"))
    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert hooks == [] and jobs[2].stops == 1          # an interrupted wait stops the job
