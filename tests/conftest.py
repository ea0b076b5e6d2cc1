"""Settings for every test: the CLI's list cache goes to a temporary directory, never to the
user's cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _list_cache_in_a_temporary_directory(tmp_path_factory: pytest.TempPathFactory
                                         ) -> Iterator[Path]:
    cache = tmp_path_factory.mktemp("list-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DWMGRAD_VERIFY_CACHE", str(cache))
        yield cache
