"""Plugins: registration checks, discovery by a real entry point, and bad plugins.

The entry-point tests run the CLI in a child process whose ``sys.path`` holds
``tests/data/plugin_site``, a site directory with an installed distribution (its
``dist-info/entry_points.txt`` declares the plugin), so ``importlib.metadata`` finds it exactly
as it finds a pip-installed plugin; the test process's registries stay untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from dwmgrad.hyperparams import lr_row, table
from dwmgrad.registry import OPTIMIZER_REGISTRY, register_optimizer
from experiments.named import register_experiment
from experiments.problems import PROBLEMS, Problem, register_problem
from reports.claims import register_claim
from reports.verdicts import Claim, ClaimSource
from theory.registry import register_bound
from verify_io.plugins import PLUGINS_ENV, PluginError, discover, fingerprint

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"


def cli(tmp_path: Path, *args: str, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``dwmgrad-verify ARGS`` in a child process, with ``path`` (a site directory) on its
    ``sys.path``."""
    env = {**os.environ, "DWMGRAD_VERIFY_CACHE": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join(str(p) for p in (REPO, path) if p is not None)}
    env.pop(PLUGINS_ENV, None)
    return subprocess.run([sys.executable, "-m", "dwmgrad_verify.cli", *args], env=env,
                          capture_output=True, text=True, timeout=600, check=False)


# ---- registration checks (each rejected before it is added) ---------------------------------

def test_a_duplicate_name_is_refused_naming_who_registered_it() -> None:
    with pytest.raises(ValueError, match=r"'Adam' is already registered by built-in"):
        register_optimizer("Adam", torch.optim.Adam)


@pytest.mark.parametrize("register, match", [
    (lambda: register_optimizer("Bad", 42), "factory 42 is not callable"),  # type: ignore[arg-type]
    (lambda: register_optimizer("Bad", torch.optim.SGD, hyperparameters={"lr": 0.1}),  # type: ignore[dict-item]
     "not HyperParam rows"),
    (lambda: register_optimizer("Bad", torch.optim.SGD, instances="batched"),  # type: ignore[arg-type]
     "instances='batched'"),
    (lambda: register_optimizer("", torch.optim.SGD), "non-empty string"),
    (lambda: register_problem(SimpleNamespace), "subclass of experiments.problems.Problem"),  # type: ignore[arg-type]
    (lambda: register_problem(type("Half", (Problem,), {"NAME": "half"})),
     "does not implement _build"),
    (lambda: register_experiment(SimpleNamespace(NAME="x", DESCRIPTION="", specs=list)),  # type: ignore[arg-type]
     r"has no \['measure'\]"),
    (lambda: register_bound("x <= 1"), "expected a theory.core.Bound"),  # type: ignore[arg-type]
    (lambda: register_claim(Claim("c", "t", ClaimSource("derived", "d", "s"), "s", (), (), (),
                                  rule="holds")),  # type: ignore[arg-type]
     "rule 'holds' is not a function"),
])
def test_a_malformed_registration_is_refused_naming_the_field(register: object,
                                                              match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        register()  # type: ignore[operator]


def test_registered_entries_are_found_with_their_origin() -> None:
    assert str(OPTIMIZER_REGISTRY.origin("DWMGrad")) == "built-in"
    assert str(PROBLEMS.origin("lessard")) == "built-in"


def test_plugin_modules_reach_child_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--plugin`` modules are put where spawned workers read them (they import the same)."""
    monkeypatch.setenv(PLUGINS_ENV, "")      # restored after the test
    monkeypatch.syspath_prepend(str(DATA / "bad_plugins"))
    with pytest.raises(PluginError, match="dwmgrad_bad_optimizer.*factory 42 is not callable"):
        discover(["dwmgrad_bad_optimizer"])
    assert os.environ[PLUGINS_ENV] == "dwmgrad_bad_optimizer"


def test_the_fingerprint_follows_each_plugin_modules_own_sources(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One digest per --plugin module (a module file, a package's files; one that cannot be
    found still counts), each changing with its own sources only."""
    single = tmp_path / "fp_single.py"
    single.write_text("X = 1\n")
    package = tmp_path / "fp_package"
    package.mkdir()
    (package / "__init__.py").write_text("Y = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(PLUGINS_ENV, "")
    entry_points = fingerprint()
    monkeypatch.setenv(PLUGINS_ENV, "fp_single, fp_package:setup,fp_absent")
    before = fingerprint()
    assert before[:len(entry_points)] == entry_points
    assert len(before) == len(entry_points) + 3 and len(set(before)) == len(before)
    single.write_text("X = 2\n")
    (package / "part.py").write_text("Z = 1\n")
    after = fingerprint()
    changed = [i - len(entry_points) for i, (a, b) in enumerate(zip(before, after, strict=True))
               if a != b]
    assert changed == [0, 1]


# ---- discovery by entry point: list and report ----------------------------------------------

#: Runs the CLI once per argument list of argv[1] (JSON) in one process, printing a JSON line
#: of (exit code, stdout) per command: one interpreter start for all of them.
PROBE = """
import contextlib, io, json, sys
from dwmgrad_verify.cli import main
for argv in json.loads(sys.argv[1]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    print(json.dumps([code, out.getvalue()]))
"""


@pytest.mark.slow
def test_an_entry_point_plugin_is_listed_run_and_reported(tmp_path: Path) -> None:
    expected = {"optimizers": "SignDescent", "problems": "separable_quadratic",
                "experiments": "example_sign_descent", "bounds": "sign_descent_plateau",
                "claims": "sign-descent-plateau"}
    out = tmp_path / "out"
    argvs = [["list", what, "--json"] for what in expected]
    argvs += [["run", "example_sign_descent", "--out", str(out)], ["report", "--out", str(out)]]
    env = {**os.environ, "DWMGRAD_VERIFY_CACHE": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join([str(REPO), str(DATA / "plugin_site")])}
    env.pop(PLUGINS_ENV, None)
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argvs)], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [code for code, _ in results] == [0] * len(argvs), proc.stderr
    origin = "entry point dwmgrad-example-plugin: dwmgrad_example_plugin."
    for (what, name), (_, listed) in zip(expected.items(), results, strict=False):
        rows = {row["name"]: row for row in json.loads(listed)}
        assert rows[name]["source"].startswith(origin), rows[name]
        assert {row["source"] for n, row in rows.items() if n != name} == {"built-in"}, what
    claims = {c["id"]: c for c in json.loads((out / "claims.json").read_text())["claims"]}
    assert claims["sign-descent-plateau"]["verdict"] == "holds"
    assert "Sign descent settles within d L lr^2 / 2" in (out / "report.md").read_text()


# ---- bad plugins: one line, exit 2, before any work -----------------------------------------

@pytest.mark.parametrize("args, path, names", [
    (["--plugin", "nosuch.module"], None,
     ["plugin nosuch.module (--plugin)", "no module named 'nosuch'"]),
    (["--plugin", "dwmgrad_bad_optimizer"], DATA / "bad_plugins",
     ["plugin dwmgrad_bad_optimizer (--plugin)", "'NotAnOptimizer'",
      "factory 42 is not callable"]),
    ([], DATA / "bad_plugin_site",
     ["plugin dwmgrad-bad-entry-point: dwmgrad_bad_entry_point [dwmgrad_verify.problems] "
      "(entry point)", "'not_a_problem'", "subclass of experiments.problems.Problem"]),
])
def test_a_bad_plugin_is_one_line_and_exit_2_before_any_work(
        tmp_path: Path, args: list[str], path: Path | None, names: list[str]) -> None:
    out = tmp_path / "out"
    proc = cli(tmp_path, *args, "run", "lessard_cycle", "--out", str(out), path=path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("dwmgrad-verify run: error: plugin ")
    for name in names:
        assert name in lines[0]
    assert not out.exists()


def test_an_install_free_plugin_in_the_current_directory_is_found(tmp_path: Path) -> None:
    """``--plugin my_adagrad`` finds ./my_adagrad.py when the CLI runs as the installed script
    does (``python -P``: the current directory is not on ``sys.path``)."""
    (tmp_path / "my_adagrad.py").write_text(
        "import torch\n"
        "from dwmgrad.hyperparams import lr_row, table\n"
        "from dwmgrad.registry import register_optimizer\n"
        "register_optimizer('MyAdagrad', torch.optim.Adagrad, hyperparameters=table(lr_row()),\n"
        "                   example_kwargs={'lr': 0.1}, instances='elementwise')\n")
    env = {**os.environ, "DWMGRAD_VERIFY_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    env.pop(PLUGINS_ENV, None)
    proc = subprocess.run([sys.executable, "-P", "-m", "dwmgrad_verify.cli", "--plugin",
                           "my_adagrad", "list", "optimizers", "--json"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    rows = {row["name"]: row for row in json.loads(proc.stdout)}
    assert rows["MyAdagrad"]["source"] == "--plugin my_adagrad"


class LossScaled(torch.optim.Optimizer):
    """x <- x - lr * loss * g: a loss-aware step (raises without the loss)."""

    def __init__(self, params: object, lr: float = 0.1) -> None:
        super().__init__(params, {"lr": lr})  # type: ignore[arg-type]

    @torch.no_grad()
    def step(self, closure: object = None, loss: torch.Tensor | None = None) -> None:
        if loss is None:
            raise ValueError("LossScaled needs the loss")
        for group in self.param_groups:
            for p in group["params"]:
                p.sub_(group["lr"] * loss * p.grad)


def test_a_loss_aware_plugin_optimizer_gets_each_instance_its_own_loss() -> None:
    """A plugin optimizer registered with ``needs_loss=True`` (default ``separate``
    instances) steps each instance with that instance's loss: a batched run equals its
    instances run alone (a step given the batch's losses, or none, would not)."""
    from experiments.runner import run_spec
    from experiments.spec import RunSpec

    register_optimizer("LossScaled", LossScaled, hyperparameters=table(lr_row()),
                       example_kwargs={"lr": 0.1}, needs_loss=True)
    try:
        spec = RunSpec(experiment="t", problem="online_quadratic", optimizer="LossScaled",
                       problem_params={"d": 3}, hyperparameters={"lr": 0.05}, seeds=(0, 1, 2),
                       horizon=10)
        batched = run_spec(spec)
        for i, seed in enumerate(spec.seeds):
            alone = run_spec(spec.with_changes(seeds=[seed]))
            np.testing.assert_array_equal(alone.losses[0], batched.losses[i])
        assert len({float(row[-1]) for row in batched.losses}) == 3
    finally:
        del OPTIMIZER_REGISTRY["LossScaled"]


@pytest.mark.parametrize("theory", [("bound:nosuch",), ("dwmgrad_regret",)])
def test_a_plugin_claim_on_an_unregistered_id_is_refused(
        theory: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plugin claim's ``theory`` must hold registered ids (``bound:NAME``), like the
    built-in claims': an unknown bound, or a bound's bare name, stops the plugin."""
    from reports.claims import CLAIM_REGISTRY

    module = f"dwmgrad_bad_claim_{len(theory[0])}"
    (tmp_path / f"{module}.py").write_text(
        "from reports.claims import register_claim\n"
        "from reports.verdicts import Claim, ClaimSource, Verdict\n"
        f"register_claim(Claim('bad-claim', 't', ClaimSource('derived', 'd', 's'), 's',\n"
        f"                     {theory!r}, ('lessard_cycle',), (),\n"
        "                     lambda r: Verdict('holds', '')))\n")
    monkeypatch.setenv(PLUGINS_ENV, "")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(PluginError, match=rf"claim 'bad-claim' rests on \['{theory[0]}'\]"):
            discover([module])
    finally:
        CLAIM_REGISTRY.pop("bad-claim", None)
