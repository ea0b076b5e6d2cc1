"""One torch thread per test: these tests use small tensors, and on a shared 2-core machine an
OpenMP thread waiting for a busy core makes a small op take up to 100x longer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
