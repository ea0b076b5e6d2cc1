"""`dwmgrad-verify bench`: dispatch, output structure at a tiny size (not speed), and the
authors' baseline doing the same arithmetic as DWMGrad."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from benchmarks.authors_dwmgrad import AuthorsDWMGrad
from benchmarks.cli import BENCHMARKS
from dwmgrad import DWMGrad
from dwmgrad.registry import OPTIMIZERS
from dwmgrad_verify.cli import main


def test_unknown_benchmark_is_a_usage_error_listing_the_names(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "nonsense" in err and "Traceback" not in err
    for name in BENCHMARKS:
        assert name in err


@pytest.mark.parametrize("bad", [["--numel", "0"], ["--tensors", "0"], ["--repeats", "0"],
                                 ["--threads", "0"],
                                 ["--numel", "3", "--tensors", "4"]])
def test_bad_sizes_are_usage_errors(bad: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "optimizers", *bad]) == 2
    assert bad[-1] in capsys.readouterr().err


def test_bench_optimizers_json_structure(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    code = main(["bench", "optimizers", "--json", "--numel", "4096", "--tensors", "3",
                 "--repeats", "3", "--out", str(out)])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text())
    assert (printed["numel"], printed["tensors"], printed["repeats"]) == (4096, 3, 3)

    labels = [t["label"] for t in printed["timings"]]
    expected = {f"{name}/{path}" for name, info in OPTIMIZERS.items() for path in info.paths}
    expected |= {"torch.Adam/foreach", "torch.Adam/fused", "authors.DWMGrad/forloop"}
    assert set(labels) == expected and len(labels) == len(expected)
    for t in printed["timings"]:
        assert 0 < t["min_s"] <= t["median_s"] < 60

    roof = printed["roofline"]
    assert roof["bytes_per_step"] == 7 * 4 * 4096
    assert roof["bandwidth_gb_s"] > 0
    assert math.isclose(roof["roofline_s"], roof["bytes_per_step"] / (roof["bandwidth_gb_s"] * 1e9),
                        rel_tol=1e-9)
    assert math.isclose(roof["fraction"], roof["roofline_s"] / roof["fused_s"], rel_tol=1e-9)

    medians = {t["label"]: t["median_s"] for t in printed["timings"]}
    mins = {t["label"]: t["min_s"] for t in printed["timings"]}
    names = {"dwmgrad_fused_over_adam_fused", "roofline_fraction", "authors_over_foreach"}
    assert set(printed["ratios"]) == set(printed["ratios_min"]) == set(printed["targets"]) == names
    for ratios, times in ((printed["ratios"], medians), (printed["ratios_min"], mins)):
        assert math.isclose(ratios["dwmgrad_fused_over_adam_fused"],
                            times["DWMGrad/fused"] / times["torch.Adam/fused"], rel_tol=1e-9)
        assert math.isclose(ratios["authors_over_foreach"],
                            times["authors.DWMGrad/forloop"] / times["DWMGrad/foreach"],
                            rel_tol=1e-9)
    assert math.isclose(printed["ratios"]["roofline_fraction"], roof["fraction"], rel_tol=1e-9)
    assert len(printed["load_average"]) == 2


def test_bench_optimizers_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "optimizers", "--numel", "512", "--tensors", "2", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    for needle in ("DWMGrad/fused", "torch.Adam/fused", "authors.DWMGrad/forloop",
                   "triad bandwidth", "roofline_fraction", "authors_over_foreach",
                   "dwmgrad_fused_over_adam_fused"):
        assert needle in out


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
