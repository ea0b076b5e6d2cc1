"""Deterministic randomness for problems.

Two sources, both pure functions of the seed so that an instance is the same whether it runs
alone or batched with others, on any device:

* :func:`generator` — a CPU ``torch.Generator`` seeded from (seed, stream), for data drawn
  once when a problem is built (matrices, rotations, initial points).
* :func:`counter_uniform` / :func:`counter_normal` — counter-based draws indexed by
  (seed, stream, step, index), for per-step randomness (noise, minibatches, stochastic online
  losses). They hash integers with the "lowbias32" mixer (C. Wellons) in NumPy's uint32
  arithmetic on the host (unsigned, so a product wraps modulo 2**32 by definition: the
  mixer's own arithmetic), then move the draws to the seeds' device, so results are
  identical on every device and need no state.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import torch

_M32 = (1 << 32) - 1


def generator(seed: int, stream: str) -> torch.Generator:
    """A CPU generator for (seed, stream); distinct streams give independent draws."""
    digest = hashlib.sha256(f"{stream}:{seed}".encode()).digest()
    return torch.Generator(device="cpu").manual_seed(int.from_bytes(digest[:8], "little") >> 1)


def _low32(x: np.ndarray) -> np.ndarray:
    """x mod 2**32 as uint32 (NumPy's integer casts keep the low bits, also of negatives)."""
    return x.astype(np.uint32)


def _hash32(x: np.ndarray) -> np.ndarray:
    """lowbias32 of uint32 ``x``: its products wrap modulo 2**32 (uint32 arithmetic)."""
    x = x ^ (x >> np.uint32(16))
    x = x * np.uint32(0x7FEB352D)
    x = x ^ (x >> np.uint32(15))
    x = x * np.uint32(0x846CA68B)
    return x ^ (x >> np.uint32(16))


def _stream_constant(stream: str) -> int:
    return int.from_bytes(hashlib.sha256(stream.encode()).digest()[:4], "little")


def counter_uniform(seeds: torch.Tensor, stream: str, steps: torch.Tensor,
                    size: int) -> torch.Tensor:
    """Uniform(0, 1) float64 draws of shape (B, len(steps), size), open interval, on the
    device of ``seeds``.

    ``seeds`` is an int64 tensor (B,), ``steps`` an int64 tensor (n,). Each value has 53
    random bits built from two 32-bit hashes of (seed, stream, step, index).
    """
    seed = seeds.cpu().numpy()
    h = _hash32(_low32(seed) ^ np.uint32(_stream_constant(stream)))
    h = _hash32(h ^ _low32(seed >> 32))
    h = _hash32(h[:, None] + _low32(steps.cpu().numpy())[None, :])           # (B, n)
    index = _hash32(_low32(np.arange(2 * size, dtype=np.int64) + 0x9E3779B9))
    bits = _hash32(h[..., None] ^ index)                                     # (B, n, 2*size)
    high, low = bits[..., 0::2] >> np.uint32(5), bits[..., 1::2] >> np.uint32(6)  # 27 + 26
    integer = torch.from_numpy(high.astype(np.int64) * 67108864 + low).to(torch.float64)
    return ((integer + 0.5) * 2.0**-53).to(seeds.device)


def counter_normal(seeds: torch.Tensor, stream: str, steps: torch.Tensor,
                   size: int) -> torch.Tensor:
    """Standard normal float64 draws of shape (B, len(steps), size) (Box–Muller, cosine)."""
    u = counter_uniform(seeds, stream, steps, 2 * size)
    radius = torch.sqrt(-2.0 * torch.log(u[..., :size]))
    return radius * torch.cos(2.0 * math.pi * u[..., size:])
