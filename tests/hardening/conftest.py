"""Fixtures of the hardening tests (bad input, determinism, interruption, concurrency).

The helper module next to this file (``hardening_helpers``) is imported by plain name; the
directory is put on ``sys.path`` here so that this works under every pytest import mode.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture(autouse=True)
def _seeded_float_defaults() -> Iterator[None]:
    """Each test starts from torch seed 0 and leaves the default dtype as it found it."""
    dtype = torch.get_default_dtype()
    torch.manual_seed(0)
    yield
    torch.set_default_dtype(dtype)
