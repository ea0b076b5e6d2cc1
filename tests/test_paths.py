"""verify_io.paths: output paths are validated before work, with one clear UsageError."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from verify_io.errors import UsageError
from verify_io.paths import writable_dir, writable_file

UNWRITABLE_DIR = Path("/proc/self")  # refuses new files even to root


def _refuses(call: object, *args: object, match: str, **kwargs: object) -> str:
    with pytest.raises(UsageError, match=match) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return str(info.value)


def test_dir_existing_and_new_nested(tmp_path: Path) -> None:
    assert writable_dir(str(tmp_path)) == tmp_path
    nested = tmp_path / "a" / "b"
    assert writable_dir(nested) == nested and nested.is_dir()
    assert list(nested.iterdir()) == []  # the probe leaves nothing behind


def test_dir_missing_without_create(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    message = _refuses(writable_dir, missing, match="does not exist", create=False)
    assert str(missing) in message and not missing.exists()


def test_dir_refuses_a_file_and_paths_under_it(tmp_path: Path) -> None:
    file = tmp_path / "f.txt"
    file.write_text("x")
    message = _refuses(writable_dir, file, match="is a file; expected a directory",
                       option="--appendix")
    assert message.startswith(f"--appendix {str(file)!r}")
    for under in (file / "sub", file / "deeper" / "dir"):
        assert str(under) in _refuses(writable_dir, under, match="cannot be created")


@pytest.mark.skipif(not UNWRITABLE_DIR.is_dir(), reason="needs Linux /proc")
def test_dir_refuses_an_unwritable_directory() -> None:
    assert "/proc/self" in _refuses(writable_dir, UNWRITABLE_DIR, match="is not writable")
    assert "new_dir" in _refuses(writable_dir, UNWRITABLE_DIR / "new_dir",
                                 match="cannot be created")


def test_file_new_existing_and_in_new_directory(tmp_path: Path) -> None:
    target = tmp_path / "out" / "bench.json"
    assert writable_file(str(target)) == target
    assert target.parent.is_dir() and not target.exists()
    target.write_text("{}")
    assert writable_file(target) == target and target.read_text() == "{}"


def test_file_refuses_a_directory_and_a_file_parent(tmp_path: Path) -> None:
    _refuses(writable_file, tmp_path, match="is a directory; expected a file path")
    parent = tmp_path / "a_file.txt"
    parent.write_text("x")
    message = _refuses(writable_file, parent / "bench.json", match="is a file")
    assert str(parent / "bench.json") in message
    assert str(parent / "d" / "b.json") in _refuses(writable_file, parent / "d" / "b.json",
                                                    match="cannot be created")


@pytest.mark.skipif(not UNWRITABLE_DIR.is_dir(), reason="needs Linux /proc")
def test_file_refuses_an_unwritable_directory() -> None:
    _refuses(writable_file, UNWRITABLE_DIR / "bench.json", match="is not writable")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write a read-only file")
def test_file_refuses_a_read_only_file(tmp_path: Path) -> None:
    target = tmp_path / "ro.json"
    target.write_text("{}")
    target.chmod(0o444)
    _refuses(writable_file, target, match="is not writable")
