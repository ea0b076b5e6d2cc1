"""Fixtures of the optimizer tests.

The helper modules next to this file (``optimizer_cases``, ``numpy_transcriptions``) are
imported by plain name; the directory is put on ``sys.path`` here so that this works under
every pytest import mode.
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


@pytest.fixture(autouse=True, scope="session")
def _compile_every_fused_case() -> Iterator[None]:
    """The fused path is torch.compile'd; past ``recompile_limit`` (8) distinct signatures in
    one process, dynamo silently runs the function eagerly, and the "fused" tests would test
    eager code. The suite compiles more signatures than that (different models per test), so
    the limit is raised while these tests run."""
    import torch._dynamo.config as dynamo_config

    previous = dynamo_config.recompile_limit
    dynamo_config.recompile_limit = 64
    yield
    dynamo_config.recompile_limit = previous


@pytest.fixture(autouse=True)
def _seeded_float_defaults() -> Iterator[None]:
    """Each test starts from torch seed 0 and leaves the default dtype as it found it."""
    dtype = torch.get_default_dtype()
    torch.manual_seed(0)
    yield
    torch.set_default_dtype(dtype)
