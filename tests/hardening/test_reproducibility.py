"""Same spec and seeds give bit-identical result files on CPU: twice in one process, and in
a fresh process (restart). What "identical" means, per file:

* ``runs/<exp>/<key>.csv.gz``: byte-identical.
* ``runs/<exp>/<key>.json`` (spec, status, diverged_at, solver info, versions, git commit):
  byte-identical; it holds no times by design.
* ``runs/<exp>/<key>.timings.json``: wall-clock timings and the creation time; excluded
  (documented in ``experiments/records.py``), only its keys are compared.
* ``measurements/<exp>.json``: equal after dropping the top-level "created" time.

The metadata records the package versions and the git commit of the checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from experiments.runner import run_specs
from experiments.spec import RunSpec
from experiments.store import VERSIONED_PACKAGES, ResultStore

REPO = Path(__file__).resolve().parents[2]

SPECS = [
    RunSpec(experiment="repro", problem="quadratic", optimizer="DWMGrad",
            hyperparameters={"lr": 0.05, "window_rule": "loss_decrease"}, seeds=(0, 1, 2),
            horizon=40, problem_params={"d": 6}, record=("window", "momentum", "dist")),
    RunSpec(experiment="repro", problem="online_quadratic", optimizer="Aida",
            hyperparameters={"lr": 0.1}, seeds=(3, 4), horizon=30, record=("regret", "x")),
    RunSpec(experiment="repro", problem="rosenbrock", optimizer="AdaptiveHB",
            hyperparameters={"lr": 1e-3}, seeds=(0,), horizon=30, record=("grad_norm",)),
    RunSpec(experiment="repro", problem="least_squares", optimizer="DemonAdam",
            hyperparameters={"lr": 0.01}, seeds=(0, 1), horizon=20, record=("dist",)),
    RunSpec(experiment="repro_diverging", problem="quadratic", optimizer="SGD",
            hyperparameters={"lr": 1e3}, seeds=(5, 6), horizon=90, problem_params={"d": 4}),
]

CHILD = textwrap.dedent("""
    import json, sys
    from experiments.runner import run_specs
    from experiments.spec import RunSpec
    from experiments.store import ResultStore
    specs = [RunSpec.from_dict(d) for d in json.loads(sys.argv[2])]
    run_specs(specs, ResultStore(sys.argv[1]), progress=False)
""")


def run_files(root: Path) -> dict[str, bytes]:
    """Every run file under ``root`` by relative path."""
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted((root / "runs").rglob("*")) if p.is_file()}


def is_commit_of_this_repo(commit: str) -> bool:
    return subprocess.run(["git", "merge-base", "--is-ancestor", commit, "HEAD"], cwd=REPO,
                          capture_output=True, check=False).returncode == 0


def same_commit(content: bytes, other: bytes) -> bytes:
    """``other`` with its git commit replaced by ``content``'s, if both are commits of this
    checkout: HEAD can move between two runs while several people commit to the tree (never
    in CI from a fresh clone); everything else must still be byte-identical."""
    mine, theirs = json.loads(content)["git_commit"], json.loads(other)["git_commit"]
    if mine == theirs:
        return other
    assert is_commit_of_this_repo(mine) and is_commit_of_this_repo(theirs), (mine, theirs)
    return other.replace(theirs.encode(), mine.encode())


def assert_same_results(a: Path, b: Path, runs: int | None = len(SPECS)) -> None:
    files_a, files_b = run_files(a), run_files(b)
    assert files_a.keys() == files_b.keys()
    if runs is not None:
        assert len([n for n in files_a if n.endswith(".csv.gz")]) == runs
    for name, content in files_a.items():
        if name.endswith(".timings.json"):
            assert json.loads(content).keys() == json.loads(files_b[name]).keys()
        elif name.endswith(".json"):
            assert content == same_commit(content, files_b[name]), name
        else:
            assert content == files_b[name], name


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("first")
    records = run_specs(SPECS, ResultStore(root), progress=False)
    assert {r.status for r in records} == {"ok", "diverged"}
    return root


def test_two_runs_in_one_process_are_bit_identical(first_run: Path, tmp_path: Path) -> None:
    run_specs(SPECS, ResultStore(tmp_path), progress=False)
    assert_same_results(first_run, tmp_path)


@pytest.mark.slow  # 4-13 s each on the idle machine: the slow step
def test_a_fresh_process_gives_bit_identical_files(first_run: Path, tmp_path: Path) -> None:
    payload = json.dumps([s.to_dict() for s in SPECS])
    env = {**os.environ, "PYTHONHASHSEED": "123"}      # another str hash order
    proc = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path), payload],
                          capture_output=True, text=True, timeout=300, check=False, cwd=REPO,
                          env=env)
    assert proc.returncode == 0, proc.stderr
    assert_same_results(first_run, tmp_path)


def test_metadata_records_versions_and_git_commit(first_run: Path) -> None:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                          text=True, check=True).stdout.strip()
    store = ResultStore(first_run)
    for spec in SPECS:
        meta = store.metadata(spec)
        assert meta["git_commit"] == head or is_commit_of_this_repo(meta["git_commit"])
        for package in ("python", *VERSIONED_PACKAGES):
            assert meta["versions"][package] not in ("", None), package
        assert meta["versions"]["torch"].split("+")[0] == torch.__version__.split("+")[0]
        assert RunSpec.from_dict(meta["spec"]) == spec
        assert meta["spec_key"] == spec.key()


@pytest.mark.slow
def test_measurements_equal_except_created(tmp_path: Path) -> None:
    """A named experiment measured twice from the same result files (and from a second run
    into another directory) gives the same measurement JSON, "created" aside."""
    from experiments.api import run_experiments

    name = "lessard_cycle"
    first = run_experiments([name], "quick", tmp_path / "a", progress=False)[name]
    second = run_experiments([name], "quick", tmp_path / "b", progress=False)[name]
    assert "error" not in first, first.get("error")
    for m in (first, second):
        m.pop("created")
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert_same_results(tmp_path / "a", tmp_path / "b", runs=None)
