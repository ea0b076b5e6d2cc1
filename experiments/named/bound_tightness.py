"""``bound_tightness``: how close each registered DWMGrad regret bound comes to a real worst case.

For every registered regret bound (:data:`SETTINGS`: the λ < 1 bound ``dwmgrad_regret`` and the
constant-momentum bounds, worst case and data-dependent) the experiment runs the algorithm the
bound covers at γ = 0.5, δ = 4 (where the bounds are informative, see ``dwmgrad_regret``) with
the bound's tuned α and a larger one, on adversarial games (:data:`GAMES`: the block-sign game
``online_block_sign``, whose sign flips every ``half_period`` rounds, with half periods tuned to
the momentum's memory: 13 (of 3 to 30 scanned; 8 came within 3 % on the real optimizer),
and reads the problem suite of ``dwmgrad_regret`` from its stored runs (its bounded
variants; run it first; the data-dependent bound needs gradients and second moments, recorded
only here).
The same settings are also run on every sequence the CMA-ES counterexample search replayed
(``counterexample_search``; read from its measurement file, never re-searched: run it first),
each with its own G∞, and, for a target that reads loss values, on its copy with every loss
offset 0: one batched ``periodic_online`` run per setting (:func:`search`, an adaptive stage
after the search's). Each entry has a ``source``: ``suite``, ``adversarial game`` or
``counterexample search`` (the game then names the sequence's replay file).

For each (bound, setting, game) it reports the largest measured/bound ratio over seeds and
horizons, the horizon attaining it and bound/trivial there, and per horizon the minimax lower
bound over the bound (``theory.online``: what a worst-case adversary forces on any algorithm,
so the best ratio a bound could reach on a worst case); per bound the largest of those,
with the game and setting (the tightness table), the same per bound and source
(``by_source``), and ``exceeds_one`` (any instance above its bound: the bound would be false).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from experiments.measurements.bound_tightness import (
    SOURCES,
    BoundTightnessMetrics,
    TightnessEntry,
    TightnessRow,
    TightnessTarget,
)
from experiments.measurements.counterexample_search import CounterexampleSearchMetrics
from experiments.named import counterexample_search as search_experiment
from experiments.named import dwmgrad_regret as regret_experiment
from experiments.named.common import (
    Scale,
    check_scale,
    envelope,
    load_records,
    log_grid,
    resolve_scale,
)
from experiments.problems import make_problem
from experiments.problems.periodic import gradient_bound
from experiments.records import RunRecord
from experiments.spec import RunSpec
from experiments.store import ResultStore
from theory import dwmgrad as th
from theory import dwmgrad_constant_momentum as cm
from theory import online as online_theory
from theory.core import Bound
from theory.dwmgrad import ANALYSED_OPTIONS

NAME = "bound_tightness"
DESCRIPTION = "largest measured/bound ratio of every DWMGrad regret bound (suite + adversarial)"
HORIZON: dict[Scale, int] = {"quick": 5_000, "full": 20_000}
EPS = 1e-8
GAMMA, DELTA = 0.5, 4
#: The target of issue 10: the constant-momentum bound within 10x of a real worst case.
TARGET = 0.1

SUITE, GAME, SEARCH = SOURCES
"""The sources of an entry: dwmgrad_regret's problems, :data:`GAMES`, the search's sequences."""
#: Adversarial games: (problem, params).
GAMES: list[tuple[str, dict[str, Any]]] = [
    ("online_block_sign", {"half_period": 13}),
]


@dataclass(frozen=True)
class Setting:
    """A registered bound and the DWMGrad settings it is measured at."""

    label: str
    bound: Bound
    momentum_decay: float
    alphas: tuple[float, ...]
    data_dependent: bool = False

    def hyperparameters(self, alpha: float) -> dict[str, Any]:
        return {**ANALYSED_OPTIONS, "lr": alpha, "momentum": GAMMA, "max_window": DELTA,
                "init_window": 1, "window_rule": "loss_decrease", "eps": EPS,
                "momentum_decay": self.momentum_decay}


_TUNED_DECAYING = float(th.TUNED_ALPHA.subs({th.D_inf: 2, th.gamma: GAMMA, th.delta: DELTA,
                                             th.lam: 0.9}))
_TUNED_CONSTANT = float(cm.TUNED_ALPHA.subs({cm.D_inf: 2, cm.gamma: GAMMA, cm.delta: DELTA,
                                             cm.K: 0}))
SETTINGS: tuple[Setting, ...] = (
    Setting("decaying", th.REGRET_BOUND, 0.9, (_TUNED_DECAYING, 1.2)),
    Setting("constant", cm.REGRET_BOUND, 1.0, (_TUNED_CONSTANT, 1.2)),
    Setting("constant:data", cm.REGRET_DATA_BOUND, 1.0, (_TUNED_CONSTANT, 1.2),
            data_dependent=True),
)
#: dwmgrad_regret's bounded variants and the bound each is read against.
SUITE_BOUNDS: dict[str, Bound] = regret_experiment.VARIANT_BOUNDS


RECORD = ("regret", "window", "grad", "state:s_hat")
"""What the bounds read from a run: the regret, and the data symbols S_T, N, K_T."""


def _game_spec(setting: Setting, alpha: float, game: tuple[str, dict[str, Any]],
               scale: Scale) -> RunSpec:
    problem, params = game
    return RunSpec(experiment=NAME, problem=problem, problem_params=params,
                   optimizer="DWMGrad", hyperparameters=setting.hyperparameters(alpha),
                   seeds=(0,), horizon=HORIZON[scale], record=RECORD)


def _own_runs(scale: Scale) -> list[tuple[Setting, float, tuple[str, dict[str, Any]]]]:
    """(setting, alpha, game) of every run of this experiment. The data-dependent setting
    shares the runs of the worst-case constant-momentum one (same algorithm)."""
    return [(s, a, g) for s in SETTINGS for a in s.alphas for g in GAMES]


def specs(scale: Scale) -> list[RunSpec]:
    """This experiment's own runs; the suite's are ``dwmgrad_regret``'s (run that first), the
    search sequences' are made by :func:`search`."""
    check_scale(scale)
    return list({_game_spec(s, a, g, scale).key(): _game_spec(s, a, g, scale)
                 for s, a, g in _own_runs(scale)}.values())


def horizons(scale: Scale) -> list[int]:
    return log_grid(10, HORIZON[scale], 4)


# --- the counterexample search's sequences ----------------------------------------------------
@dataclass(frozen=True)
class SearchSequences:
    """Every distinct sequence the counterexample search replayed, with its name (the replay
    file, and "loss offsets 0" for the offset-free copy of a loss-reading target's)."""

    sequences: list[dict[str, Any]]
    names: list[str]


def search_sequences(store: ResultStore) -> SearchSequences:
    """The replayed sequences, read from ``measurements/counterexample_search.json`` (the
    typed record: a corrupt file is InvalidData naming it); FileNotFoundError when absent."""
    path = store.measurement_path(search_experiment.NAME)
    if not path.exists():
        raise FileNotFoundError(f"no measurement {search_experiment.NAME!r} in {store.root}: "
                                f"{NAME} reads its sequences; run 'dwmgrad-verify run "
                                f"{search_experiment.NAME} --out {store.root}' first")
    metrics = CounterexampleSearchMetrics.from_measurement(
        store.read_measurement(search_experiment.NAME), f"measurements/{path.name}")
    found: dict[str, str] = {}
    for label in sorted(metrics.targets):
        for candidate in metrics.targets[label].candidates:
            phases = [list(p) for p in candidate.sequence.phases]
            copies = [(phases, candidate.replay)]
            if candidate.without_offsets is not None:
                copies.append(([[a, b, 0.0] for a, b, _ in phases],
                               f"{candidate.replay} with loss offsets 0"))
            for seq_phases, name in copies:
                key = json.dumps({"phases": seq_phases, "x0": candidate.sequence.x0})
                found.setdefault(key, name)
    return SearchSequences([json.loads(k) for k in found], list(found.values()))


def _search_spec(setting: Setting, alpha: float, found: SearchSequences,
                 scale: Scale) -> RunSpec:
    return RunSpec(experiment=NAME, problem="periodic_online",
                   problem_params={"sequences": found.sequences}, optimizer="DWMGrad",
                   hyperparameters=setting.hyperparameters(alpha),
                   seeds=tuple(range(len(found.sequences))), horizon=HORIZON[scale],
                   record=RECORD)


def _search_runs(scale: Scale) -> list[tuple[Setting, float]]:
    return [(s, a) for s in SETTINGS for a in s.alphas]


def search(store: ResultStore, scale: str, run: search_experiment.Run) -> None:
    """Run every setting on the counterexample search's sequences (stored runs are kept)."""
    chosen = check_scale(scale)
    found = search_sequences(store)
    specs = {_search_spec(s, a, found, chosen).key(): _search_spec(s, a, found, chosen)
             for s, a in _search_runs(chosen)}
    run(list(specs.values()))


# --- measuring -------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunData:
    """What the bounds read from one run: its dimension and box, per seed the regret and the
    arrays behind the data symbols (gradients, second moments, windows)."""

    d: int
    D_inf: float
    grad: np.ndarray
    s_hat: np.ndarray
    window: np.ndarray
    regret: np.ndarray

    @classmethod
    def of(cls, record: RunRecord) -> RunData:
        problem = make_problem(record.spec.problem, record.spec.seeds[:1],
                               record.spec.problem_params)
        return cls(problem.dim, float(problem.D_inf),  # type: ignore[attr-defined]
                   record.vector("grad"), record.vector("state:s_hat"),
                   record.quantity("window"), record.quantity("regret"))


def _values(setting: Setting, run: RunData, alpha: float, T: int, seed: int, G_inf: float
            ) -> dict[str, float]:
    """Every symbol the setting's bound may need at horizon T for one seed (data symbols
    from the run)."""
    stats = cm.run_statistics(run.grad[seed, :T], run.s_hat[seed, :T], run.window[seed, :T],
                              EPS)
    values = {"T": T, "d": run.d, "D_inf": run.D_inf, "G_inf": G_inf, "alpha": alpha,
              "gamma": GAMMA, "epsilon": EPS, "delta": DELTA,
              "lambda": setting.momentum_decay, **stats}
    return {name: values[name] for name in setting.bound.arg_names}


@dataclass(frozen=True)
class Measured:
    """An entry of the measurement, its ratio by T and the minimax lower bound over the
    bound by T (the largest over seeds: the figure's series)."""

    entry: TightnessEntry
    ratio_by_T: list[float]
    lower_over_bound_by_T: list[float]
    T_grid: list[int]
    game: str

    def series_key(self) -> str:
        """bound|setting|game, the game naming the whole set of seeds (the search's)."""
        return f"{self.entry.bound}|{self.entry.setting}|{self.game}"


@dataclass(frozen=True)
class Instances:
    """One (bound, setting) on the seeds of one run, per seed and horizon (seeds, T): regret,
    bound, trivial comparator and minimax lower bound; the game each seed plays."""

    regret: np.ndarray
    bounds: np.ndarray
    trivial: np.ndarray
    lower: np.ndarray
    games: list[str]


def _lower(d: int, G_inf: float, D_inf: float, grid: list[int]) -> list[float]:
    return [float(online_theory.MINIMAX_LOWER_BOUND.evaluate(T=T, d=d, G_inf=G_inf,
                                                              D_inf=D_inf)) for T in grid]


def _entry(bound: Bound, setting: str, source: str, game: str, grid: list[int],
           found: Instances) -> Measured:
    """The largest measured/bound over seeds and horizons of one (bound, setting, game);
    ``game`` names the whole set, the entry names the seed's game attaining the maximum."""
    ratios = found.regret / found.bounds                             # (seeds, grid)
    seed, j = np.unravel_index(int(np.argmax(ratios)), ratios.shape)
    entry = TightnessEntry(bound=bound.name, setting=setting, source=source,
                           game=found.games[seed], T=grid[j],
                           regret=float(found.regret[seed, j]),
                           bound_value=float(found.bounds[seed, j]),
                           ratio=float(ratios[seed, j]),
                           bound_over_trivial=float(found.bounds[seed, j]
                                                    / found.trivial[seed, j]),
                           exceeds_one=bool(np.any(ratios > 1)))
    return Measured(entry, [float(x) for x in ratios.max(axis=0)],
                    [float(x) for x in (found.lower / found.bounds).max(axis=0)], grid, game)


def _setting_label(setting: Setting, alpha: float) -> str:
    return (f"{setting.label} gamma={GAMMA} delta={DELTA:g} "
            f"lambda={setting.momentum_decay:g} alpha={alpha:.4g}")


def _instances(setting: Setting, record: RunRecord, grid: list[int], G_inf: list[float],
               games: list[str]) -> Instances:
    """``setting``'s bound on every seed of ``record`` (seed s has gradient bound G_inf[s])."""
    run = RunData.of(record)
    alpha = float(record.spec.hyperparameters["lr"])
    values = [[_values(setting, run, alpha, T, seed, G_inf[seed]) for T in grid]
              for seed in range(len(G_inf))]
    bounds = np.array([[float(setting.bound.evaluate(**v)) for v in row] for row in values])
    trivial = np.array([[setting.bound.trivial_value(**v) for v in row] for row in values],
                       dtype=float)
    lower = np.array([_lower(run.d, G, run.D_inf, grid) for G in G_inf])
    return Instances(run.regret[:, np.array(grid) - 1], bounds, trivial, lower, games)


def _own_entries(store: ResultStore, scale: Scale, grid: list[int]) -> tuple[
        list[Measured], list[RunRecord]]:
    entries, records = [], []
    for setting, alpha, game in _own_runs(scale):
        (record,) = load_records(store, [_game_spec(setting, alpha, game, scale)])
        records.append(record)
        problem = make_problem(game[0], (0,), game[1])
        name = f"{game[0]}{game[1]}"
        found = _instances(setting, record, grid,
                           [float(problem.G_inf)], [name])  # type: ignore[attr-defined]
        entries.append(_entry(setting.bound, _setting_label(setting, alpha), GAME, name, grid,
                              found))
    return entries, records


def _search_entries(store: ResultStore, scale: Scale, grid: list[int]) -> tuple[
        list[Measured], list[RunRecord]]:
    found = search_sequences(store)
    G_inf = [gradient_bound(seq) for seq in found.sequences]
    everything = f"{SEARCH} (largest over {len(found.sequences)} sequences)"
    entries, records = [], []
    for setting, alpha in _search_runs(scale):
        (record,) = load_records(store, [_search_spec(setting, alpha, found, scale)])
        records.append(record)
        entries.append(_entry(setting.bound, _setting_label(setting, alpha), SEARCH,
                              everything, grid,
                              _instances(setting, record, grid, G_inf, found.names)))
    return entries, records


def _suite_entries(store: ResultStore, scale: Scale) -> tuple[list[Measured],
                                                              list[RunRecord]]:
    grid = regret_experiment.horizons(scale)
    entries, records = [], []
    for variant, bound in SUITE_BOUNDS.items():
        hyper = regret_experiment.variants()[variant]
        for label in regret_experiment.PROBLEMS:
            (record,) = load_records(store, [regret_experiment.run_spec_for(variant, label,
                                                                            scale)])
            records.append(record)
            regret = record.quantity("regret")[:, np.array(grid) - 1]
            decrements = regret_experiment.seed_decrements(record, grid)
            bounds = np.array([[regret_experiment.bound_for(record, T, float(k))
                                for T, k in zip(grid, row, strict=True)] for row in decrements])
            trivial = np.array([bound.trivial_value(**{
                name: regret_experiment.bound_values(record, T)[name]
                for name in bound.arg_names}) for T in grid], dtype=float)
            lower = np.array([regret_experiment.minimax_lower(record, T) for T in grid])
            seeds = len(record.spec.seeds)
            found = Instances(regret, bounds, np.tile(trivial, (seeds, 1)),
                              np.tile(lower, (seeds, 1)), [label] * seeds)
            setting = (f"{variant} gamma={hyper['momentum']:g} delta={hyper['max_window']:g} "
                       f"lambda={hyper.get('momentum_decay', th.ANALYSED_MOMENTUM_DECAY):g} "
                       f"alpha={hyper['lr']:.4g}")
            entries.append(_entry(bound, setting, SUITE, label, grid, found))
    return entries, records


def _largest(entries: list[TightnessEntry], key: Callable[[TightnessEntry], Any]
             ) -> list[TightnessRow]:
    """Per ``key`` (in order of first appearance), the entry with the largest ratio, whether
    any entry of that key exceeds 1, and how many entries it has."""
    best: dict[Any, TightnessEntry] = {}
    for e in entries:
        if key(e) not in best or e.ratio > best[key(e)].ratio:
            best[key(e)] = e
    return [TightnessRow(bound=e.bound, source=e.source, setting=e.setting, game=e.game, T=e.T,
                         ratio=e.ratio, regret=e.regret, bound_value=e.bound_value,
                         bound_over_trivial=e.bound_over_trivial,
                         exceeds_one=any(x.exceeds_one for x in entries if key(x) == k),
                         instances=sum(1 for x in entries if key(x) == k))
            for k, e in best.items()]


def tightness_table(entries: list[TightnessEntry]) -> list[TightnessRow]:
    """Per bound (in order of first appearance), the entry with the largest ratio, whether
    any entry of that bound exceeds 1, and how many entries it has."""
    return _largest(entries, lambda e: e.bound)


def by_source(entries: list[TightnessEntry]) -> list[TightnessRow]:
    """The same per (bound, source): the suite, the adversarial games, the search."""
    return _largest(entries, lambda e: (e.bound, e.source))


def measure(store: ResultStore, scale: str | None = None) -> dict[str, Any]:
    chosen = resolve_scale(store, specs, scale)
    grid = horizons(chosen)
    suite, suite_records = _suite_entries(store, chosen)
    own, own_records = _own_entries(store, chosen, grid)
    searched, search_records = _search_entries(store, chosen, grid)
    measured = own + searched + suite
    entries = [m.entry for m in measured]
    table = tightness_table(entries)
    constant = next(row for row in table if row.bound == cm.REGRET_DATA_BOUND.name)
    metrics_out = BoundTightnessMetrics(
        entries=tuple(entries), table=tuple(table), by_source=tuple(by_source(entries)),
        any_exceeds_one=any(row.exceeds_one for row in table),
        target=TightnessTarget(bound=cm.REGRET_DATA_BOUND.name, ratio=constant.ratio,
                               required=TARGET, met=constant.ratio >= TARGET,
                               setting=constant.setting, game=constant.game, T=constant.T))
    series = {"ratio_by_T": {m.series_key(): {"T": m.T_grid, "ratio": m.ratio_by_T,
                                              "lower_over_bound": m.lower_over_bound_by_T}
                             for m in measured}}
    return envelope(NAME, chosen, own_records + search_records + suite_records, metrics_out,
                    series, inputs=[f"measurements/{search_experiment.NAME}.json"])
