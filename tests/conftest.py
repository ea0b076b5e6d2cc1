"""Settings for every test: the CLI's list cache goes to a temporary directory, never to the
user's cache. The helper module next to this file (``tiny_experiment_scales``) is imported by
plain name; the directory is put on ``sys.path`` here so that this works under every pytest
import mode."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture(autouse=True, scope="session")
def _list_cache_in_a_temporary_directory(tmp_path_factory: pytest.TempPathFactory
                                         ) -> Iterator[Path]:
    cache = tmp_path_factory.mktemp("list-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DWMGRAD_VERIFY_CACHE", str(cache))
        yield cache
