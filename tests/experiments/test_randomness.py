"""The counter-based draws: the lowbias32 hash as specified, bit for bit, and the draws the
results on disk were made with (pinned before the hash moved from int64 torch arithmetic to
NumPy's uint32)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from experiments.problems import randomness
from experiments.problems.randomness import counter_normal, counter_uniform

M32 = (1 << 32) - 1
SEEDS = [0, 1, 7, -3, 2**40 + 5, -(2**50)]
STEPS = [1, 2, 3, 1000, 2**31 + 17, 2**33 + 1]


def _lowbias32(x: int) -> int:
    """C. Wellons' lowbias32 on Python integers, reduced mod 2**32 after each product."""
    x &= M32
    x ^= x >> 16
    x = (x * 0x7FEB352D) & M32
    x ^= x >> 15
    x = (x * 0x846CA68B) & M32
    return x ^ (x >> 16)


def _reference_uniform(seed: int, stream: str, step: int, size: int) -> list[float]:
    constant = int.from_bytes(hashlib.sha256(stream.encode()).digest()[:4], "little")
    h = _lowbias32(_lowbias32((seed & M32) ^ constant) ^ ((seed >> 32) & M32))
    h = _lowbias32(h + step)
    out = []
    for i in range(size):
        high = _lowbias32(h ^ _lowbias32(2 * i + 0x9E3779B9)) >> 5
        low = _lowbias32(h ^ _lowbias32(2 * i + 1 + 0x9E3779B9)) >> 6
        out.append((float(high * 2**26 + low) + 0.5) * 2.0**-53)
    return out


def test_counter_uniform_is_the_lowbias32_construction_bit_for_bit() -> None:
    u = counter_uniform(torch.tensor(SEEDS), "stream", torch.tensor(STEPS), 3)
    assert u.shape == (len(SEEDS), len(STEPS), 3) and u.dtype == torch.float64
    for b, seed in enumerate(SEEDS):
        for n, step in enumerate(STEPS):
            assert u[b, n].tolist() == _reference_uniform(seed, "stream", step, 3)
    assert bool(((u > 0) & (u < 1)).all())


def test_draws_equal_those_of_the_int64_torch_hash_they_replaced() -> None:
    """Digests of the draws made at main c2214cf (int64 torch arithmetic): stored results
    were made with these, so a changed draw would change every stochastic run."""
    seeds, steps = torch.tensor(SEEDS), torch.tensor(STEPS)
    u = counter_uniform(seeds, "stream", steps, 3).numpy().tobytes()
    n = counter_normal(seeds, "normal", steps, 2).numpy().tobytes()
    assert hashlib.sha256(u).hexdigest() == (
        "0a9ed6f867261f0cd4bdd2cd0507abd27846c2d886e53ef7f357c1ea30f0700a")
    assert hashlib.sha256(n).hexdigest() == (
        "69293b6cfc3aeb678d142f006209b51b40d263d7acc91d9f3d85753082e1b9a2")


def test_a_mixer_missing_its_last_step_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference test fails on a mixer without its final xor-shift (so it can fail)."""
    def truncated(x: np.ndarray) -> np.ndarray:
        x = x ^ (x >> np.uint32(16))
        x = x * np.uint32(0x7FEB352D)
        x = x ^ (x >> np.uint32(15))
        return x * np.uint32(0x846CA68B)

    monkeypatch.setattr(randomness, "_hash32", truncated)
    with pytest.raises(AssertionError):
        test_counter_uniform_is_the_lowbias32_construction_bit_for_bit()
