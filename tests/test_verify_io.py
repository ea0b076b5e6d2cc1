"""verify_io's shared option parsing and tables: the machine's worker limit, a table's rows,
an empty result directory path (each refused with what was expected)."""

from __future__ import annotations

import pytest

from verify_io import options
from verify_io.errors import UsageError
from verify_io.paths import result_dir
from verify_io.tables import format_table


def test_workers_are_limited_by_memory_where_it_binds_before_the_cores(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(options, "machine_cores", lambda: 8)
    monkeypatch.setattr(options, "machine_memory_bytes",
                        lambda: 3 * options.WORKER_MEMORY_BYTES + 2**20)
    assert options.max_workers() == (3, "6.0 GiB of memory at about 2048 MiB per worker")
    assert options.worker_count("--workers", "3") == 3
    with pytest.raises(UsageError, match=r"--workers 4 is more than this machine can run; "
                                         r"expected at most 3 \(6.0 GiB of memory"):
        options.worker_count("--workers", "4")
    monkeypatch.setattr(options, "machine_memory_bytes", lambda: None)     # the OS does not say
    assert options.max_workers() == (8, "8 CPU core(s)")


def test_a_table_row_with_a_missing_cell_is_refused() -> None:
    assert format_table(["a", "b"], [[1, "x"], [2.5, None]]).splitlines() == [
        "a    b", "---  ----", "1    x", "2.5  None"]
    with pytest.raises(ValueError, match=r"row \['1'\] has 1 cells; expected 2"):
        format_table(["a", "b"], [[1]])


def test_an_empty_result_directory_path_is_refused() -> None:
    with pytest.raises(UsageError, match="--out '' is empty; expected a directory path"):
        result_dir("")
