"""`dwmgrad-verify audit`: bad input is one line naming the value, exit 2, before any work."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dwmgrad_verify.cli import main

BAD = [
    (["--optimizer", "nosuch:X"], "--optimizer 'nosuch:X': cannot import module 'nosuch'"),
    (["--optimizer", "torch.optim"], "--optimizer 'torch.optim' is neither a registered "
                                     "optimizer"),
    (["--optimizer", "torch.optim:NoSuch"], "has no 'NoSuch'"),
    (["--optimizer", "torch.nn:Linear"], "not a subclass of torch.optim.Optimizer"),
    (["--optimizer", "torch.optim:Adagrad", "--options", "notjson"],
     "--options 'notjson' is not valid JSON"),
    (["--optimizer", "torch.optim:Adagrad", "--options", '{"lr": NaN}'],
     "NaN is not a finite number"),
    (["--optimizer", "torch.optim:Adagrad", "--options", "[0.1]"],
     "--options '[0.1]' is a JSON list; expected a JSON object"),
    (["--optimizer", "torch.optim:Adagrad", "--options", '{"lr": "fast"}'],
     "rejected by torch.optim:Adagrad"),
    (["--optimizer", "torch.optim:Adagrad", "--options", '{"nosuch": 1}'],
     "unexpected keyword argument 'nosuch'"),
    (["--optimizer", "torch.optim:Adagrad", "--scale", "huge"], "--scale 'huge' is not valid"),
    (["--optimizer", "torch.optim:Adagrad", "--workers", "0"], "--workers"),
    (["--optimizer", "NoSuch"], "--optimizer 'NoSuch' is neither a registered optimizer"),
    (["--optimizer", "Adam", "--options", '{"lr": -1}'], "rejected by Adam: ValueError: "
     "Invalid lr: -1"),
    (["--optimizer", "Adam", "--options", '{"amsgrad": true}'], "fixed to {'amsgrad': False}"),
    (["--optimizer", "Adam", "--bound", "nosuch"], "--bound 'nosuch' is not a registered bound"),
    (["--optimizer", "Adam", "--bound", "dwmgrad_regret"],
     "bound 'dwmgrad_regret' uses symbol(s) ['alpha',"),
]


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_input_is_one_line_exit_2_before_any_work(
        args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import experiments.audit.battery as battery

    def no_work(*_: object, **__: object) -> None:
        raise AssertionError("the battery started on bad input")

    monkeypatch.setattr(battery, "run_battery", no_work)
    out = tmp_path / "out"
    assert main(["audit", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("dwmgrad-verify audit: error: ") and message in err
    assert not out.exists()


def _bound(name: str, symbol: str = "S") -> object:
    import sympy as sp

    from theory.core import Bound

    s = sp.Symbol(symbol, positive=True)
    return Bound(name, "R_T", 2 * s, {s: "meaning"}, (), "upper", "test")


@pytest.mark.parametrize(("bounds", "message"), [
    ([_bound("a_b"), _bound("a-b")], "expected distinct names"),
    ([_bound("b", "K")], "uses symbol(s) ['K']"),
])
def test_bad_user_bounds_are_refused_before_any_work(
        bounds: list[object], message: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import experiments.audit.battery as battery
    from reports.audit_command import audit
    from verify_io.errors import UsageError

    monkeypatch.setattr(battery, "run_battery", lambda *a, **k: pytest.fail("work started"))
    with pytest.raises(UsageError, match=re.escape(message)):
        audit("torch.optim:Adagrad", {"lr": 0.1}, tmp_path / "out",
              bounds=bounds)  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


def test_a_registered_optimizer_and_bound_reach_the_battery(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--optimizer NAME`` audits a registered optimizer, ``--bound NAME`` passes the
    registered bound (here put in the registry as a plugin would) to the battery."""
    import experiments.audit.battery as battery
    from theory.registry import BOUND_REGISTRY, bounds

    class Started(Exception):
        pass

    seen: dict[str, object] = {}

    def started(target: object, store: object, scale: str, executor: object,
                chosen: list[object], progress: bool) -> None:
        seen.update(target=target, bounds=chosen)
        raise Started

    bounds()                                      # the built-ins first
    user = _bound("my_bound")
    monkeypatch.setitem(BOUND_REGISTRY, "my_bound", user)
    monkeypatch.setattr(battery, "run_battery", started)
    with pytest.raises(Started):
        main(["audit", "--optimizer", "HeavyBall", "--options", '{"lr": 0.05}',
              "--bound", "my_bound", "--out", str(tmp_path / "out")])
    assert seen["bounds"] == [user]
    assert seen["target"].optimizer == "HeavyBall"  # type: ignore[attr-defined]
    assert seen["target"].label == "HeavyBall"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("optimizer", "label"), [
    ("AMSGrad", "AMSGrad (audited)"), ("torch.optim:SGD", "SGD (audited)"),
    ("HeavyBall", "HeavyBall"), ("torch.optim:Adagrad", "Adagrad")])
def test_an_audited_optimizer_is_never_labelled_as_a_comparator(optimizer: str,
                                                                 label: str) -> None:
    from experiments.audit.target import Target

    assert Target(optimizer, {"lr": 0.01}).label == label
