"""Agreement with the peer implementations in ``pytorch_optimizer`` (PyPI pytorch-optimizer,
read at version 4.1.0: ``pytorch_optimizer.AdaBelief``, ``pytorch_optimizer.Aida``).

Peer flags: ``weight_decay=0`` (so weight_decouple/fixed_decay are inert), ``rectify=False``,
``ams_bound=False``, ``maximize=False``, no adanorm, ``adam_debias`` unset (so the step size is
lr/(1-β1^t)). What remains, from the peer source:

- AdaBelief: m ← lerp(m, g, 1-β1); s ← β2 s + (1-β2)(g-m)² + ε; update
  (lr/(1-β1^t)) m / (sqrt(s)/sqrt(1-β2^t) + ε). That is the spec's placement exactly, so the
  derived difference is zero and only rounding separates the two (float64, relative 1e-12).
- Aida: same m and s (ε in the state); denominator ``apply_ams_bound(eps=ε)``, i.e.
  D' = (sqrt(s + ζ) + ε)/sqrt(1-β2^t) with ζ = 1e-15 (``exp_avg_sq_eps``), where the spec has
  D = sqrt(s)/sqrt(1-β2^t). With the same state, the step ratio is D/D' and
      0 ≤ 1 - D/D' ≤ (D' - D)/D = (sqrt(s+ζ) - sqrt(s) + ε)/sqrt(s) ≤ ε/sqrt(s) + ζ/(2s),
  per coordinate and per step. On an online linear problem (prescribed gradients) m and s do
  not depend on the iterates, so both optimizers carry the same state and the bound applies
  to every step: |Δθ - Δθ'| ≤ |Δθ| (ε/sqrt(s_t) + ζ/(2 s_t)) and Δθ' is never larger in
  magnitude nor of the other sign. The gradients are scaled so that some coordinates have s
  near the ε floor, where the bound (≤ sqrt(ε) + ζ/(2ε)) is loose, and most far above it.
"""

from __future__ import annotations

import pytorch_optimizer
import torch
from optimizer_cases import construct

SHAPES = [(5, 4), (9,)]
STEPS = 40
ZETA = 1e-15  # pytorch_optimizer's exp_avg_sq_eps default
ROUNDING = 1e-12


def prescribed_gradients() -> list[list[torch.Tensor]]:
    gen = torch.Generator().manual_seed(9)
    scales = torch.logspace(-6, 1, 20, dtype=torch.float64).reshape(5, 4)
    return [
        [torch.randn(5, 4, generator=gen, dtype=torch.float64) * scales,
         torch.randn(9, generator=gen, dtype=torch.float64)]
        for _ in range(STEPS)
    ]


PEER_FLAGS = {"weight_decay": 0.0, "rectify": False, "ams_bound": False, "maximize": False}


def run_pair(ours_name: str, peer_cls: type, kwargs: dict[str, object], foreach: bool):
    """Yield (our displacement, peer displacement, our state) per step, same gradients."""
    ours = [torch.zeros(s, dtype=torch.float64) for s in SHAPES]
    peer = [torch.zeros(s, dtype=torch.float64) for s in SHAPES]
    opt = construct(ours_name, ours, **kwargs, foreach=foreach)
    peer_opt = peer_cls(peer, **kwargs, **PEER_FLAGS, foreach=foreach)
    for grads in prescribed_gradients():
        ours_before = [p.clone() for p in ours]
        peer_before = [p.clone() for p in peer]
        for p, q, g in zip(ours, peer, grads, strict=True):
            p.grad, q.grad = g.clone(), g.clone()
        opt.step()
        peer_opt.step()
        yield ([p - b for p, b in zip(ours, ours_before, strict=True)],
               [q - b for q, b in zip(peer, peer_before, strict=True)],
               [opt.state[p] for p in ours])


def test_adabelief_matches_peer() -> None:
    kwargs = {"lr": 1e-2, "betas": (0.9, 0.999), "eps": 1e-8}
    for foreach in (False, True):
        for ours, peer, _ in run_pair("AdaBelief", pytorch_optimizer.AdaBelief, kwargs, foreach):
            for d, d_peer in zip(ours, peer, strict=True):
                torch.testing.assert_close(d, d_peer, rtol=ROUNDING, atol=1e-18)


def test_aida_within_eps_placement_bound() -> None:
    eps = 1e-8
    kwargs = {"lr": 1e-2, "betas": (0.9, 0.999), "eps": eps, "k": 2, "xi": 1e-20}
    largest_gap = 0.0
    for foreach in (False, True):
        for ours, peer, states in run_pair("Aida", pytorch_optimizer.Aida, kwargs, foreach):
            for d, d_peer, state in zip(ours, peer, states, strict=True):
                s = state["s"]
                bound = eps / s.sqrt() + ZETA / (2 * s)
                gap = (d - d_peer).abs()
                assert bool((gap <= d.abs() * (bound + ROUNDING) + 1e-18).all())
                assert bool((d * d_peer >= 0).all())
                assert bool((d_peer.abs() <= d.abs() * (1 + ROUNDING)).all())
                largest_gap = max(largest_gap, float((gap / d.abs().clamp_min(1e-300)).max()))
    # The placements really differ: the gap is visible where s is near the ε floor.
    assert largest_gap > 1e-6
