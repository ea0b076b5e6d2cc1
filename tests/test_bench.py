"""`dwmgrad-verify bench`: dispatch, output structure at a tiny size (not speed), and the
authors' baseline doing the same arithmetic as DWMGrad."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch

from benchmarks import optimizers
from benchmarks.authors_dwmgrad import AuthorsDWMGrad
from benchmarks.cli import BENCHMARKS
from benchmarks.optimizers import UNCOMPILED
from dwmgrad import DWMGrad
from dwmgrad.registry import OPTIMIZERS
from dwmgrad_verify.cli import main
from theory.cost_model import MODELS


def test_unknown_benchmark_is_a_usage_error_listing_the_names(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "nonsense" in err and "Traceback" not in err
    for name in BENCHMARKS:
        assert name in err


@pytest.mark.parametrize("bad", [["--numel", "0"], ["--tensors", "0"], ["--repeats", "0"],
                                 ["--threads", "0"], ["--numel", "3", "--tensors", "4"],
                                 ["--optimizers", "Adam"], ["--optimizers", ","],
                                 ["--paths", "jit"]])
def test_bad_options_are_usage_errors(bad: list[str], monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(optimizers, "measure", _tripwire)
    assert main(["bench", "optimizers", *bad]) == 2
    err = capsys.readouterr().err
    assert bad[-1] in err and "Traceback" not in err


def _tripwire(*args: object, **kwargs: object) -> None:
    raise AssertionError("the benchmark ran before its options were validated")


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is visible: --device cuda is valid")
def test_cuda_without_a_gpu_exits_2_with_one_clear_line(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(optimizers, "measure", _tripwire)
    assert main(["bench", "optimizers", "--device", "cuda"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--device cuda" in err and "GPU" in err


def test_defaults_out_is_checked_before_timing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(optimizers, "measure", _tripwire)
    table = tmp_path / "paths.json"
    table.write_text("[1, 2]")
    assert main(["bench", "optimizers", "--defaults-out", str(table)]) == 2
    assert str(table) in capsys.readouterr().err
    assert main(["bench", "optimizers", "--paths", "fused,foreach",
                 "--defaults-out", str(tmp_path / "new.json")]) == 2
    assert "forloop" in capsys.readouterr().err


TINY = ["--numel", "4096", "--tensors", "3", "--repeats", "3"]


def _check_ratios(printed: dict[str, Any]) -> None:
    """The ratios are their entries' times divided as each ratio says (median and min)."""
    medians = {t["label"]: t["median_s"] for t in printed["timings"]}
    mins = {t["label"]: t["min_s"] for t in printed["timings"]}
    assert set(printed["ratios"]) == set(printed["ratios_min"]) == set(printed["targets"])
    for ratios, times in ((printed["ratios"], medians), (printed["ratios_min"], mins)):
        if "DWMGrad/fused" in times:
            assert math.isclose(ratios["dwmgrad_fused_over_adam_fused"],
                                times["DWMGrad/fused"] / times["torch.Adam/fused"],
                                rel_tol=1e-9)
        if "DWMGrad/foreach" in times:
            assert math.isclose(ratios["authors_over_foreach"],
                                times["authors.DWMGrad/forloop"] / times["DWMGrad/foreach"],
                                rel_tol=1e-9)


def test_uncompiled_paths_beside_every_peer_and_the_default_table(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, table = tmp_path / "bench.json", tmp_path / "paths.json"
    table.write_text(json.dumps({"paths": {"cuda": {"DWMGrad": "foreach"}}}))
    code = main(["bench", "optimizers", "--json", *TINY, "--out", str(out),
                 "--optimizers", "DWMGrad,Aida", "--paths", "forloop,foreach",
                 "--defaults-out", str(table)])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text())
    assert (printed["numel"], printed["tensors"], printed["repeats"]) == (4096, 3, 3)
    labels = [t["label"] for t in printed["timings"]]
    expected = {f"{name}/{path}" for name in ("DWMGrad", "Aida") for path in UNCOMPILED}
    expected |= {f"torch.Adam/{p}" for p in ("fused", "foreach", "forloop")}
    expected |= {f"torch.RMSprop(momentum=0.9)/{p}" for p in ("foreach", "forloop")}
    expected |= {"authors.DWMGrad/forloop", "pytorch_optimizer.Aida"}
    assert set(labels) == expected and len(labels) == len(expected)
    for t in printed["timings"]:
        assert 0 < t["min_s"] <= t["median_s"] < 60 and t["first_s"] > 0
    assert printed["rooflines"] == [] and printed["bandwidth_gb_s"] > 0
    assert printed["ratios"]["roofline_fraction_DWMGrad"] is None  # no fused entry
    _check_ratios(printed)
    medians = {t["label"]: t["median_s"] for t in printed["timings"]}
    assert set(printed["default_paths"]) == {"DWMGrad", "Aida"}
    for name, path in printed["default_paths"].items():
        assert medians[f"{name}/{path}"] == min(medians[f"{name}/{p}"] for p in UNCOMPILED)
    written = json.loads(table.read_text())
    assert written["paths"] == {"cuda": {"DWMGrad": "foreach"}, "cpu": printed["default_paths"]}
    assert "bench optimizers" in written["measured"]["cpu"]["command"]


@pytest.mark.slow
def test_every_fused_path_beside_its_roofline_and_peers(capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    """The issue's "done when": a fused path for all seven optimizers, each with its roofline
    fraction and compile time, and every target ratio (compiles seven times: slow)."""
    assert main(["bench", "optimizers", "--json", *TINY]) == 0
    printed = json.loads(capsys.readouterr().out)
    labels = {t["label"] for t in printed["timings"]}
    assert {f"{name}/fused" for name in OPTIMIZERS} <= labels
    medians = {t["label"]: t["median_s"] for t in printed["timings"]}
    rooflines = {r["optimizer"]: r for r in printed["rooflines"]}
    assert set(rooflines) == set(OPTIMIZERS) == set(printed["compile_s"])
    for name, roof in rooflines.items():
        assert roof["bytes_per_step"] == MODELS[name].minimal_streams * 4 * 4096
        assert math.isclose(roof["roofline_s"],
                            roof["bytes_per_step"] / (printed["bandwidth_gb_s"] * 1e9),
                            rel_tol=1e-9)
        assert math.isclose(roof["fraction"], roof["roofline_s"] / medians[f"{name}/fused"],
                            rel_tol=1e-9)
        assert math.isclose(printed["ratios"][f"roofline_fraction_{name}"], roof["fraction"],
                            rel_tol=1e-9)
    for name in ("AdaBelief", "Aida"):
        assert math.isclose(printed["ratios"][f"pytorch_optimizer_over_{name}_fused"],
                            medians[f"pytorch_optimizer.{name}"] / medians[f"{name}/fused"],
                            rel_tol=1e-9)
    assert all(value is not None for value in printed["ratios"].values())
    _check_ratios(printed)


def test_bench_optimizers_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "optimizers", "--numel", "512", "--tensors", "2", "--repeats", "1",
                 "--optimizers", "AdaBelief", "--paths", "forloop"]) == 0
    out = capsys.readouterr().out
    for needle in ("AdaBelief/forloop", "torch.Adam/fused", "authors.DWMGrad/forloop",
                   "pytorch_optimizer.AdaBelief", "triad bandwidth",
                   "roofline_fraction_AdaBelief: n/a", "authors_over_foreach: n/a",
                   "pytorch_optimizer_over_AdaBelief_fused: n/a"):
        assert needle in out


def test_a_missing_peer_package_is_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(optimizers, "peer_package", lambda: None)
    builders, notes = optimizers.optimizer_builders(("Aida", "DemonSGD"), ("forloop",))
    assert not any(label.startswith("pytorch_optimizer") for label, _, _ in builders)
    assert len(notes) == 1 and "pytorch_optimizer.Aida skipped" in notes[0]


def test_authors_transcription_computes_dwmgrad() -> None:
    """The baseline must do DWMGrad's arithmetic (window_rule="loss"), or the speed ratio
    would compare different work."""
    gen = torch.Generator().manual_seed(3)
    init = [torch.randn(4, 3, generator=gen, dtype=torch.float64),
            torch.randn(5, generator=gen, dtype=torch.float64)]
    ours = [x.clone().requires_grad_(True) for x in init]
    theirs = [x.clone().requires_grad_(True) for x in init]
    opt = DWMGrad(ours, lr=1e-2, window_rule="loss")
    authors = AuthorsDWMGrad(theirs, lr=1e-2)
    for t, loss in enumerate([1.0, -2.0, -1.0, 3.0, 0.5, 0.0, -4.0, 2.0]):
        for p, q in zip(ours, theirs, strict=True):
            g = torch.sin(p.detach() * (t + 1))
            p.grad, q.grad = g.clone(), g.clone()
        opt.step(loss=loss)
        authors.step(loss=torch.tensor(loss))
        assert authors.window == float(opt.window)  # type: ignore[attr-defined]
    for p, q in zip(ours, theirs, strict=True):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-14)


def test_bench_blocks_json_structure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "blocks.json"
    code = main(["bench", "blocks", "--json", "--numel", "4096", "--tensors", "2",
                 "--repeats", "2", "--sizes", "512,1024", "--threads", "1", "--out", str(out)])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text())
    (result,) = printed["results"]
    assert result["threads"] == 1 and result["default_size"] >= 1
    assert [b["size"] for b in result["blocks"]] == [512, 1024, "whole"]
    references = {t["label"]: t for t in result["references"]}
    assert set(references) == {"DWMGrad/foreach", "DWMGrad/forloop", "authors.DWMGrad/forloop"}
    authors = references["authors.DWMGrad/forloop"]["median_s"]
    for b in result["blocks"]:
        assert 0 < b["min_s"] <= b["median_s"] < 60
        assert math.isclose(b["authors_over_this"], authors / b["median_s"], rel_tol=1e-9)


@pytest.mark.parametrize("bad", [["--sizes", "abc"], ["--sizes", "0"], ["--sizes", ","],
                                 ["--threads", "0"], ["--threads", "two"], ["--repeats", "0"],
                                 ["--numel", "3", "--tensors", "4"]])
def test_bench_blocks_bad_options_are_usage_errors(
        bad: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "blocks", *bad]) == 2
    err = capsys.readouterr().err
    assert bad[-1] in err and "Traceback" not in err


@pytest.mark.slow  # two child processes stepping 2^10-2^11 floats: 6 s, mostly imports
def test_allocator_bench_reports_both_allocators_per_size(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "allocator", "--sizes", "10,11", "--steps", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for column in ("default", "mmap_threshold_raised"):
        assert [row["log2_d"] for row in result[column]] == [10, 11]
        assert all(row["cpu_s"] > 0 and row["minor_faults"] >= 0 for row in result[column])
    assert result["exponent_default"][0] is None and len(result["exponent_raised"]) == 2


def test_allocator_local_exponents_read_the_growth() -> None:
    from benchmarks.allocator import local_exponents

    quadratic = [{"log2_d": e, "cpu_s": 4.0**e} for e in (3, 4, 6)]
    assert local_exponents(quadratic) == [None, 2.0, 2.0]
