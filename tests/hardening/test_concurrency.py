"""Concurrent writers to one output directory corrupt nothing.

* Two processes run the same specs into one directory at the same time, one of them then
  other specs (while the first may still write), while this process reads whatever exists:
  every file read is whole, and afterwards every .json parses, every .csv has all its rows,
  no temporary file is left, and the files equal a sequential run's.
* (slow) Two processes rewrite the same record in a loop while this process reads it in a
  loop: the reader only ever sees a complete file (atomic ``os.replace``).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from experiments.records import read_csv_text
from experiments.runner import run_specs
from experiments.spec import RunSpec
from experiments.store import ResultStore

REPO = Path(__file__).resolve().parents[2]


def specs(first_seed: int, count: int) -> list[RunSpec]:
    return [RunSpec(experiment="concurrent", problem="quadratic", optimizer="DWMGrad",
                    hyperparameters={"lr": 0.02}, seeds=(first_seed + i, first_seed + i + 100),
                    horizon=150, problem_params={"d": 8}, record=("window", "grad_norm"))
            for i in range(count)]


RUN_CHILD = textwrap.dedent("""
    import json, sys
    from experiments.runner import run_specs
    from experiments.spec import RunSpec
    from experiments.store import ResultStore
    specs = [RunSpec.from_dict(d) for d in json.loads(sys.argv[2])]
    run_specs(specs, ResultStore(sys.argv[1]), progress=False)
""")

SAVE_LOOP_CHILD = textwrap.dedent("""
    import json, sys
    from experiments.runner import run_spec
    from experiments.spec import RunSpec
    from experiments.store import ResultStore
    spec = RunSpec.from_dict(json.loads(sys.argv[2]))
    record = run_spec(spec)
    store = ResultStore(sys.argv[1])
    for _ in range(int(sys.argv[3])):
        store.save(record)
""")


def start(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err


def payload(items: list[RunSpec]) -> str:
    return json.dumps([s.to_dict() for s in items])


def assert_intact(root: Path, expected: list[RunSpec]) -> None:
    """Every result of ``expected`` complete and loadable; nothing else but locks and timings;
    each .json parses and each .csv.gz has seeds x horizon x quantities rows."""
    store = ResultStore(root)
    names = set()
    for spec in expected:
        assert store.has(spec), spec.key()
        csv_path, json_path, timings_path = store.paths(spec)
        meta = json.loads(json_path.read_text())
        json.loads(timings_path.read_text())
        rows = list(csv.reader(read_csv_text(csv_path).splitlines()))
        assert len(rows) - 1 == len(spec.seeds) * spec.horizon * len(meta["quantities"])
        record = store.load(spec)
        assert record.losses.shape == (len(spec.seeds), spec.horizon)
        names |= {csv_path.name, json_path.name, timings_path.name}
    leftovers = {p.name for p in (root / "runs" / "concurrent").iterdir()} - names - {".lock"}
    assert not leftovers, leftovers


def assert_complete_when_present(root: Path, items: list[RunSpec]) -> int:
    """Read every result of ``items`` that exists now; each must be whole. Returns how many."""
    store = ResultStore(root)
    seen = 0
    for spec in items:
        csv_path, json_path, _ = store.paths(spec)
        if json_path.exists():
            meta = json.loads(json_path.read_text())
            text = read_csv_text(csv_path)              # the .csv.gz is written before the .json
            assert text.count("\n") == 1 + len(spec.seeds) * spec.horizon * len(
                meta["quantities"]), spec.key()
            seen += 1
    return seen


@pytest.mark.slow  # 4-13 s each on the idle machine: the slow step
def test_concurrent_sweeps_into_one_directory(tmp_path: Path) -> None:
    """Processes A and B run the same specs into one directory at once, B then other specs,
    while this process keeps reading whatever results exist. (Two processes, not three: each
    costs an interpreter start-up, most of this test's time.)"""
    same, other = specs(0, 5), specs(50, 4)
    procs = [start(RUN_CHILD, str(tmp_path / "shared"), payload(same)),
             start(RUN_CHILD, str(tmp_path / "shared"), payload(same + other))]
    reads = 0
    deadline = time.monotonic() + 600
    while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
        reads += assert_complete_when_present(tmp_path / "shared", same + other)
        time.sleep(0.005)
    finish(procs)
    assert reads > 0
    assert_intact(tmp_path / "shared", same + other)
    run_specs(same + other, ResultStore(tmp_path / "alone"), progress=False)
    for spec in same + other:
        shared = ResultStore(tmp_path / "shared").paths(spec)
        alone = ResultStore(tmp_path / "alone").paths(spec)
        assert shared[0].read_bytes() == alone[0].read_bytes()


@pytest.mark.slow
def test_readers_never_see_a_partial_file(tmp_path: Path) -> None:
    (spec,) = specs(7, 1)
    writers = [start(SAVE_LOOP_CHILD, str(tmp_path), json.dumps(spec.to_dict()), "40")
               for _ in range(2)]
    reads = 0
    deadline = time.monotonic() + 300
    while any(w.poll() is None for w in writers) and time.monotonic() < deadline:
        reads += assert_complete_when_present(tmp_path, [spec])
    finish(writers)
    assert reads > 0
    assert_intact(tmp_path, [spec])
