"""Deterministic randomness for problems.

Two sources, both pure functions of the seed so that an instance is the same whether it runs
alone or batched with others, on any device:

* :func:`generator` — a CPU ``torch.Generator`` seeded from (seed, stream), for data drawn
  once when a problem is built (matrices, rotations, initial points).
* :func:`counter_uniform` / :func:`counter_normal` — counter-based draws indexed by
  (seed, stream, step, index), for per-step randomness (noise, minibatches, stochastic online
  losses). They hash integers with the "lowbias32" mixer (C. Wellons) in int64 arithmetic
  that never overflows, so results are identical on every device and need no state.
"""

from __future__ import annotations

import hashlib
import math

import torch

_M32 = (1 << 32) - 1


def generator(seed: int, stream: str) -> torch.Generator:
    """A CPU generator for (seed, stream); distinct streams give independent draws."""
    digest = hashlib.sha256(f"{stream}:{seed}".encode()).digest()
    return torch.Generator(device="cpu").manual_seed(int.from_bytes(digest[:8], "little") >> 1)


def _mul32(x: torch.Tensor, c: int) -> torch.Tensor:
    """(x * c) mod 2**32 for 0 <= x, c < 2**32 without int64 overflow."""
    high, low = x >> 16, x & 0xFFFF
    return (low * c + ((high * c) & 0xFFFF) * 65536) & _M32


def _hash32(x: torch.Tensor) -> torch.Tensor:
    x = x & _M32
    x = x ^ (x >> 16)
    x = _mul32(x, 0x7FEB352D)
    x = x ^ (x >> 15)
    x = _mul32(x, 0x846CA68B)
    return x ^ (x >> 16)


def _stream_constant(stream: str) -> int:
    return int.from_bytes(hashlib.sha256(stream.encode()).digest()[:4], "little")


def counter_uniform(seeds: torch.Tensor, stream: str, steps: torch.Tensor,
                    size: int) -> torch.Tensor:
    """Uniform(0, 1) float64 draws of shape (B, len(steps), size), open interval.

    ``seeds`` is an int64 tensor (B,), ``steps`` an int64 tensor (n,). Each value has 53
    random bits built from two 32-bit hashes of (seed, stream, step, index).
    """
    device = seeds.device
    h = _hash32((seeds & _M32) ^ _stream_constant(stream))
    h = _hash32(h ^ (seeds >> 32))
    h = _hash32(h[:, None] + steps.to(device)[None, :])                      # (B, n)
    index = _hash32(torch.arange(2 * size, device=device, dtype=torch.int64) + 0x9E3779B9)
    bits = _hash32(h[..., None] ^ index)                                     # (B, n, 2*size)
    high, low = bits[..., 0::2] >> 5, bits[..., 1::2] >> 6                   # 27 + 26 bits
    integer = (high * 67108864 + low).to(torch.float64)
    return (integer + 0.5) * 2.0**-53


def counter_normal(seeds: torch.Tensor, stream: str, steps: torch.Tensor,
                   size: int) -> torch.Tensor:
    """Standard normal float64 draws of shape (B, len(steps), size) (Box–Muller, cosine)."""
    u = counter_uniform(seeds, stream, steps, 2 * size)
    radius = torch.sqrt(-2.0 * torch.log(u[..., :size]))
    return radius * torch.cos(2.0 * math.pi * u[..., size:])
