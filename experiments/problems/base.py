"""The problem interface shared by every problem class.

A problem is built for a tuple of seeds, one independent instance per seed, and evaluates all
instances at once: ``x`` has shape (B, d), ``loss(x, t)`` returns (B,), ``grad(x, t)`` (B, d).
``t`` (1, 2, ...) is the step: deterministic problems ignore it, stochastic problems draw their
noise from (seed, t), online problems use it to pick f_t. Data are built in float64 from the
seed (see :mod:`experiments.problems.randomness`) and then cast to the requested dtype and
device, so an instance does not depend on which other seeds share its batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch

from experiments.problems.randomness import generator


class Problem:
    """Base class. Subclasses set ``NAME``, ``PARAMS`` (defaults) and implement ``_build``,
    ``loss`` and ``grad``; they may set ``L``, ``mu``, ``x_star``, ``f_star``, ``solver_info``.
    """

    NAME: ClassVar[str] = ""
    PARAMS: dict[str, Any] = {}   # defaults; not a ClassVar so subclasses may annotate it
    #: True when loss(x, t) depends on t through randomness (minibatches, noise).
    stochastic: bool = False
    #: True for online convex games (loss sequence on a box, regret against a comparator).
    online: ClassVar[bool] = False
    #: Problem-specific per-step quantities the runner can record (name -> method name).
    QUANTITIES: ClassVar[dict[str, str]] = {}

    dim: int
    L: float | None = None
    mu: float | None = None
    x_star: torch.Tensor | None = None
    f_star: torch.Tensor | None = None
    box: tuple[float, float] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A class that redefines ``loss`` or ``grad`` but not ``loss_and_grad`` gets the
        default ``loss_and_grad`` (its own ``loss`` and ``grad``), never an ancestor's fused
        one, so the runner (which calls ``loss_and_grad``) sees the redefinition."""
        super().__init_subclass__(**kwargs)
        if {"loss", "grad"} & cls.__dict__.keys() and "loss_and_grad" not in cls.__dict__:
            cls.loss_and_grad = Problem.loss_and_grad  # type: ignore[method-assign]

    def __init__(self, seeds: Sequence[int], *, dtype: torch.dtype = torch.float64,
                 device: str | torch.device = "cpu", **params: Any) -> None:
        unknown = sorted(set(params) - set(self.PARAMS))
        if unknown:
            raise ValueError(
                f"Invalid parameter(s) {unknown} for problem {self.NAME!r}; "
                f"expected some of {sorted(self.PARAMS)}"
            )
        if not seeds:
            raise ValueError("Invalid seeds: (); expected at least one seed")
        self.seeds = tuple(int(s) for s in seeds)
        self.params: dict[str, Any] = {**self.PARAMS, **params}
        self.dtype = dtype
        self.device = torch.device(device)
        self.seeds_cpu = torch.tensor(self.seeds, dtype=torch.int64)
        self.seed_tensor = self.seeds_cpu.to(self.device)
        self.solver_info: dict[str, Any] = {}
        self._build()

    @property
    def batch(self) -> int:
        return len(self.seeds)

    # ---- to implement -----------------------------------------------------------------------

    def _build(self) -> None:
        raise NotImplementedError

    def loss(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        raise NotImplementedError

    def grad(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        raise NotImplementedError

    def _x0_one(self, gen: torch.Generator) -> torch.Tensor:
        """Initial point of one instance (float64, CPU) drawn from ``gen``."""
        raise NotImplementedError

    # ---- shared -----------------------------------------------------------------------------

    def loss_and_grad(self, x: torch.Tensor, t: int | None = None
                      ) -> tuple[torch.Tensor, torch.Tensor]:
        """(loss, grad) at x; a class may compute both at once (the same values as ``loss``
        and ``grad``, from intermediates they share)."""
        return self.loss(x, t), self.grad(x, t)

    def objective(self, x: torch.Tensor) -> torch.Tensor:
        """The deterministic objective (the expected loss of a stochastic problem)."""
        return self.loss(x)

    def x0(self, seeds: Sequence[int] | None = None) -> torch.Tensor:
        """Initial points (B, d), one per seed of the problem, each from its own generator.

        ``seeds``, if given, must be the problem's seeds (the contract's ``x0(seeds)``).
        """
        if seeds is not None and tuple(seeds) != self.seeds:
            raise ValueError(f"Invalid seeds {tuple(seeds)!r}: this problem was built for "
                             f"{self.seeds!r}")
        rows = [self._x0_one(generator(seed, f"{self.NAME}:x0")) for seed in self.seeds]
        return self.to(torch.stack(rows))

    def to(self, value: torch.Tensor) -> torch.Tensor:
        """Cast float64 CPU data to the problem's dtype and device."""
        return value.to(device=self.device, dtype=self.dtype)

    def info(self) -> dict[str, Any]:
        """Deterministic, JSON-able facts for the run record."""
        f_star = None if self.f_star is None else self.f_star.double().cpu().tolist()
        return {"problem": self.NAME, "dim": self.dim, "L": self.L, "mu": self.mu,
                "f_star": f_star, "x_star_available": self.x_star is not None,
                "solver": self.solver_info}


class SharedLossGrad(Problem):
    """A problem whose loss and gradient come out of one computation, :meth:`_loss_and_grad`
    (it shares intermediates, e.g. x - b): ``loss`` and ``grad`` are its two halves, and
    ``loss_and_grad`` (what the runner calls every step) computes it once."""

    def _loss_and_grad(self, x: torch.Tensor, t: int | None
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def loss(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        return self._loss_and_grad(x, t)[0]

    def grad(self, x: torch.Tensor, t: int | None = None) -> torch.Tensor:
        return self._loss_and_grad(x, t)[1]

    def loss_and_grad(self, x: torch.Tensor, t: int | None = None
                      ) -> tuple[torch.Tensor, torch.Tensor]:
        return self._loss_and_grad(x, t)


def expand(value: torch.Tensor, batch: int) -> torch.Tensor:
    """Broadcast a per-problem (d,) tensor to (B, d); leave (B, d) alone."""
    return value.expand(batch, *value.shape) if value.dim() == 1 else value
