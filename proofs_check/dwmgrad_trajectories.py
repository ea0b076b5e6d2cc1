"""The recorded DWMGrad runs that the trajectory steps of :mod:`proofs_check.dwmgrad_regret`
check, made by the experiments' runner.

A :class:`RunConfig` names an online game of :mod:`experiments.problems` and DWMGrad's settings
(``theory.dwmgrad.ANALYSED_OPTIONS`` plus its own); :func:`record_run` turns it into a
:class:`~experiments.spec.RunSpec` and runs it with :func:`experiments.runner.run_spec`
(float64, projection by clamping onto the game's box, the game's x_1), recording x_t, g_t and
the state s, s^, v after every step, the window omega_t and mu_t, and the regret R_t (computed
by the runner, :func:`experiments.metrics.regret`, against the exact comparator of every
horizon t). The spec runs one round past the horizon so that x_{T+1} is recorded too.
:class:`Trajectory` holds the per-round arrays; :func:`per_coordinate` and :func:`per_round`
lay the recorded runs out as check instances.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

import numpy as np
import torch

import theory.dwmgrad as th
from experiments.problems import make_problem
from experiments.problems.online import _Online
from experiments.runner import run_spec
from experiments.spec import RunSpec

#: The ``experiment`` field of the proof's specs (they are run in process, never stored).
EXPERIMENT = "proof_dwmgrad_regret"


@dataclass(frozen=True)
class RunConfig:
    """A DWMGrad run on an online game; ``options`` go on top of ANALYSED_OPTIONS."""

    name: str
    problem: str
    problem_params: dict[str, Any]
    seed: int
    horizon: int
    lr: float
    momentum: float
    max_window: int
    init_window: int
    window_rule: str
    momentum_decay: float = th.ANALYSED_MOMENTUM_DECAY
    eps: float = 1e-8
    options: dict[str, object] = field(default_factory=dict)

    def optimizer_kwargs(self) -> dict[str, object]:
        return {**th.ANALYSED_OPTIONS, "lr": self.lr, "momentum": self.momentum, "eps": self.eps,
                "init_window": self.init_window, "max_window": self.max_window,
                "window_rule": self.window_rule, "momentum_decay": self.momentum_decay,
                **self.options}

    def bound_kwargs(self) -> dict[str, float]:
        return {"lr": self.lr, "momentum": self.momentum, "eps": self.eps,
                "max_window": self.max_window, "momentum_decay": self.momentum_decay}

    def game(self) -> _Online:
        problem = make_problem(self.problem, (self.seed,), self.problem_params)
        if not isinstance(problem, _Online):
            raise ValueError(f"problem {self.problem!r} is not an online game")
        return problem

    def spec(self, horizon: int, *, regret: bool) -> RunSpec:
        """The runner's spec for ``horizon`` rounds (run for horizon + 1 to record x_{T+1})."""
        kwargs = self.optimizer_kwargs()
        record = ["x", "grad", "state:s", "state:v", "window", "momentum"]
        if kwargs["max_second_moment"]:
            record.append("state:s_hat")
        if regret:
            record.append("regret")
        return RunSpec(experiment=EXPERIMENT, problem=self.problem,
                       problem_params=self.problem_params, optimizer="DWMGrad",
                       hyperparameters=kwargs, seeds=(self.seed,), horizon=horizon + 1,
                       record=tuple(record))


@dataclass(frozen=True)
class Trajectory:
    """Per-round quantities of one run, rows t = 1..T: x (x_t before the step), x_next
    (x_{t+1} after projection), g, loss f_t(x_t), s, s_hat (the moment in the denominator),
    v, eta, and per round window omega_t, mu_t, alpha_t; on a game with a box, also the
    regret R_t, the comparator x* of horizon T and f_t(x*)."""

    config: RunConfig
    problem: _Online
    x: np.ndarray
    x_next: np.ndarray
    g: np.ndarray
    loss: np.ndarray
    s: np.ndarray
    s_hat: np.ndarray
    v: np.ndarray
    eta: np.ndarray
    window: np.ndarray
    mu: np.ndarray
    alpha_t: np.ndarray
    regret: np.ndarray | None
    x_star: np.ndarray | None
    loss_at_x_star: np.ndarray | None

    @property
    def t(self) -> np.ndarray:
        return np.arange(1, self.x.shape[0] + 1, dtype=float)

    def final_regret(self) -> float:
        """R_T at the run's horizon."""
        if self.regret is None:
            raise ValueError(f"run {self.config.name!r} is on the real line: no regret")
        return float(self.regret[-1])

    def bound_at(self, horizon: int) -> float:
        """theory.dwmgrad.regret_bound at ``horizon`` for this run's problem and settings."""
        p = self.problem
        return th.regret_bound(horizon, self.x.shape[1], p.D_inf, p.G_inf,
                               **self.config.bound_kwargs())

    def final_bound(self) -> float:
        return self.bound_at(self.x.shape[0])

    @cached_property
    def closed_form_bound(self) -> np.ndarray:
        """theory.dwmgrad.regret_bound at every horizon t <= T."""
        return np.array([self.bound_at(k) for k in range(1, self.x.shape[0] + 1)])


def record_run(config: RunConfig, horizon: int | None = None) -> Trajectory:
    """Run ``config`` for ``horizon`` rounds (default its own) with the experiments' runner
    and read the record into a :class:`Trajectory`."""
    T = config.horizon if horizon is None else horizon
    problem = config.game()
    projected = problem.box is not None
    record = run_spec(config.spec(T, regret=projected))
    if record.status != "ok":
        raise ValueError(f"run {config.name!r} {record.status} (diverged at "
                         f"{record.diverged_at}); the trajectory checks need a finite run")

    def rows(name: str) -> np.ndarray:
        return record.vector(name)[0]

    x_all, s = rows("x"), rows("state:s")[:T]
    kwargs = config.optimizer_kwargs()
    s_hat = rows("state:s_hat")[:T] if kwargs["max_second_moment"] else s
    t = np.arange(1, T + 1, dtype=float)
    inv_sqrt = kwargs["lr_schedule"] == "inv_sqrt"
    alpha_t = config.lr / np.sqrt(t) if inv_sqrt else np.full(T, config.lr)
    regret = x_star = loss_at_x_star = None
    if projected:
        regret = record.quantity("regret")[0, :T]
        best, _ = problem.comparator(T)
        x_star = best[0].numpy()
        point = best.to(torch.float64)
        loss_at_x_star = np.array([float(problem.loss(point, k)[0]) for k in range(1, T + 1)])
    return Trajectory(config, problem, x_all[:T], x_all[1:T + 1], rows("grad")[:T],
                      record.losses[0, :T], s, s_hat, rows("state:v")[:T],
                      alpha_t[:, None] / (np.sqrt(s_hat) + config.eps),
                      record.quantity("window")[0, :T], record.quantity("momentum")[0, :T],
                      alpha_t, regret, x_star, loss_at_x_star)


#: The runs the trajectory steps check: every window rule, a linear game and one whose losses
#: couple the coordinates, several (gamma, delta, lambda); small horizons so the whole check
#: stays well under a minute.
RUNS: tuple[RunConfig, ...] = (
    RunConfig("linear/loss", "online_linear", {"d": 5, "bias": 0.3}, 1, 2000, lr=0.05,
              momentum=0.9, max_window=10, init_window=5, window_rule="loss"),
    RunConfig("least_squares/loss_decrease", "online_least_squares", {"d": 5}, 2, 2000,
              lr=0.1, momentum=0.5, max_window=4, init_window=2, window_rule="loss_decrease",
              momentum_decay=0.9),
    RunConfig("linear-drift/loss_increase", "online_linear", {"d": 3, "bias": 0.05}, 3, 2000,
              lr=0.2, momentum=0.95, max_window=20, init_window=20,
              window_rule="loss_increase", momentum_decay=0.999),
)


def gap_config(gap: th.AssumptionGap) -> RunConfig:
    """The published algorithm (``gap.published`` restored) on the gap's own instance."""
    return RunConfig(f"gap:{gap.name}", "dwmgrad_paper_gap", {"gap": gap.name}, 0, 2000,
                     lr=0.1, momentum=0.9, max_window=10, init_window=10, window_rule="loss",
                     options=dict(gap.published))


@cache
def recorded_runs() -> tuple[Trajectory, ...]:
    """The trajectories of :data:`RUNS` (computed once per process)."""
    return tuple(record_run(config) for config in RUNS)


def per_coordinate(runs: tuple[Trajectory, ...]) -> dict[str, np.ndarray]:
    """Every (run, t, i) as one instance: the recorded quantities, the previous round's v and
    eta, the comparator x* of the run's horizon, and the run's constants."""
    cols: dict[str, list[np.ndarray]] = {}
    for index, run in enumerate(runs):
        T, d = run.x.shape
        cfg, p = run.config, run.problem
        lo, hi = p.bounds()
        per_round_values = {"t": run.t, "window": run.window, "mu": run.mu,
                            "alpha_t": run.alpha_t}
        per_run = {"run": index, "alpha": cfg.lr, "gamma": cfg.momentum, "eps": cfg.eps,
                   "delta": cfg.max_window, "lam": cfg.momentum_decay, "G": p.G_inf,
                   "D": p.D_inf, "lo": lo, "hi": hi}
        zero = np.zeros((1, d))
        x_star = run.x_star
        assert x_star is not None
        fields = {
            "coord": np.broadcast_to(np.arange(d, dtype=float), (T, d)),
            "x": run.x, "x_next": run.x_next, "g": run.g, "s": run.s, "s_hat": run.s_hat,
            "v": run.v, "eta": run.eta,
            "v_prev": np.vstack([zero, run.v[:-1]]),
            "s_prev": np.vstack([zero, run.s[:-1]]),
            "s_hat_prev": np.vstack([zero, run.s_hat[:-1]]),
            "eta_prev": np.vstack([np.full((1, d), np.inf), run.eta[:-1]]),
            "x_star": np.broadcast_to(x_star, (T, d)),
            "telescoped": np.cumsum(((run.x - x_star) ** 2 - (run.x_next - x_star) ** 2)
                                    / (2 * run.eta), axis=0),
            **{k: np.broadcast_to(v[:, None], (T, d)) for k, v in per_round_values.items()},
            **{k: np.full((T, d), float(v)) for k, v in per_run.items()},
        }
        for k, v in fields.items():
            cols.setdefault(k, []).append(np.asarray(v, dtype=float).ravel())
    return {k: np.concatenate(v) for k, v in cols.items()}


def per_round(runs: tuple[Trajectory, ...]) -> dict[str, np.ndarray]:
    """Every (run, t) as one instance: R_t, the closed-form and the data-dependent bounds, and
    the convexity gap at the run's comparator."""
    cols: dict[str, list[np.ndarray]] = {}
    for index, run in enumerate(runs):
        assert run.regret is not None and run.x_star is not None
        assert run.loss_at_x_star is not None
        fields = {
            "run": np.full(run.t.size, float(index)), "t": run.t,
            "regret": run.regret, "bound": run.closed_form_bound,
            "data_bound": th.data_dependent_bound(run.eta, run.v, run.mu, run.problem.D_inf),
            "excess": run.loss - run.loss_at_x_star,
            "linearised": np.sum(run.g * (run.x - run.x_star), axis=1),
        }
        for k, v in fields.items():
            cols.setdefault(k, []).append(np.asarray(v, dtype=float))
    return {k: np.concatenate(v) for k, v in cols.items()}
