"""``counterexample_search``: an adaptive, calibrated search for non-vanishing average regret.

For each target optimizer, CMA-ES (:mod:`experiments.named.sequence_space`, fixed seed
:data:`SEARCH_SEED`) searches periodic online convex sequences on [-1, 1] whose parameters
cover everything the optimizer reads: the gradients (curvature and slope per phase), the loss
values (an offset per phase: they change no gradient and no regret, but DWMGrad's
loss-driven window reads them) and the start. Each generation is one batched run of horizon
T0 (one instance per candidate, spec stored like every run), started at the sequence's
comparator x*; the score maximised (:func:`search_score`) is the normalised average regret of
the second half plus the drift away from x*.

The best :data:`REPLAYED` distinct candidates of each target are then replayed at 100·T0 for
the target and its controls (AMSGrad and the analysed DWMGrad)
and judged by the calibrated criterion of
:mod:`experiments.named.counterexample_criterion`. For an optimizer that reads loss values,
each candidate is also replayed with every offset set to 0, so a counterexample that a loss
offset alone produces is reported as such. Every replayed candidate is saved as a replay file
(``measurements/counterexamples/<target>-<k>.json``; ``dwmgrad-verify replay FILE``).

Targets: at quick scale Adam in the setting of Reddi, Kale, Kumar (ICLR 2018) Theorem 1
(β1 = 0, β2 = 1/(1+C²) = 0.1 for C = 3, α/√t) and DWMGrad as published with each window rule;
at full scale also every optimizer of :mod:`experiments.named.online`.

The search is adaptive, so it is not a static spec list: :func:`search` drives it, running
each generation through the caller's ``run`` (which stores the records); :func:`measure`
retraces the same deterministic path from the stored records alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from experiments.measurements.counterexample_search import (
    CandidateEntry,
    CounterexampleSearchMetrics,
    Criterion,
    PeriodicSequence,
    SearchSettings,
    SettingEntry,
    TargetEntry,
)
from experiments.named import online
from experiments.named.common import Scale, check_scale, envelope, resolve_scale
from experiments.named.counterexample_criterion import (
    CRITERION_TEXT,
    HORIZON_FACTOR,
    Outcome,
    ReplayFile,
    Setting,
    Verdict,
    average_regret,
    outcomes,
    persists,
    replay_spec,
)
from experiments.named.sequence_space import Search, SequenceSpace
from experiments.optimizers import registry
from experiments.problems.periodic import gradient_bound
from experiments.records import RunRecord
from experiments.spec import RunSpec
from experiments.store import ResultStore

NAME = "counterexample_search"
DESCRIPTION = "CMA-ES search of periodic online games for non-vanishing average regret"
SEARCH_SEED = 2018
T0: dict[Scale, int] = {"quick": 30, "full": 200}
PERIOD: dict[Scale, int] = {"quick": 3, "full": 6}
GENERATIONS: dict[Scale, int] = {"quick": 40, "full": 100}
POPSIZE: dict[Scale, int] = {"quick": 10, "full": 16}
REPLAYED: dict[Scale, int] = {"quick": 2, "full": 4}
REPLAY_DIR = "measurements/counterexamples"
ADAM_REDDI = "Adam (Reddi Thm 1: beta1=0, beta2=0.1)"
WINDOW_RULES = ("loss", "loss_decrease", "loss_increase")

Run = Callable[[Sequence[RunSpec]], list[RunRecord]]


def dwmgrad_label(rule: str) -> str:
    return "DWMGrad" if rule == "loss" else f"DWMGrad ({rule})"


def targets(scale: Scale) -> list[Setting]:
    """The optimizers searched against (module docstring)."""
    out = [Setting(ADAM_REDDI, "Adam", online.reddi_adam((0.0, 0.1)))]
    out += [Setting(dwmgrad_label(rule), "DWMGrad",
                    {"lr": online.ADAPTIVE_LR, **({} if rule == "loss" else
                                                 {"window_rule": rule})})
            for rule in WINDOW_RULES]
    if scale == "full":
        known = {s.label for s in out}
        out += [Setting(label, name, dict(hyper))
                for label, (name, hyper) in online.all_settings((0.9, 0.99)).items()
                if label not in known]
    return out


def controls(target: Setting) -> tuple[Setting, ...]:
    """AMSGrad (the target's betas and schedule if the target is Adam, else Reddi et al.'s
    (0.9, 0.99) with α/√t) and the analysed DWMGrad (``theory.dwmgrad``): both have a proven
    O(√T) regret on this class; neither when it is the target."""
    amsgrad = (dict(target.hyperparameters) if target.optimizer == "Adam"
               else online.reddi_adam((0.9, 0.99)))
    candidates = (Setting("AMSGrad", "AMSGrad", amsgrad),
                  Setting(online.ANALYSED, "DWMGrad", online.analysed_dwmgrad()))
    # At full scale a control can be a target itself: it is not its own control.
    return tuple(c for c in candidates if _key(c) != _key(target))


def reads_losses(setting: Setting) -> bool:
    info = registry().get(setting.optimizer)
    return bool(info is not None and info.needs_loss)


def _generation_spec(target: Setting, scale: Scale, points: list[np.ndarray]) -> RunSpec:
    space = SequenceSpace(PERIOD[scale])
    return RunSpec(experiment=NAME, problem="periodic_online",
                   problem_params={"sequences": [space.decode(z) for z in points]},
                   optimizer=target.optimizer, hyperparameters=target.hyperparameters,
                   seeds=tuple(range(len(points))), horizon=T0[scale], record=("x",))


def _new_search(scale: Scale) -> Search:
    return Search(SequenceSpace(PERIOD[scale]), SEARCH_SEED, POPSIZE[scale])


def specs(scale: str) -> list[RunSpec]:
    """The first generation of every target's search (the rest depend on results)."""
    chosen = check_scale(scale)
    return [_generation_spec(t, chosen, _new_search(chosen).ask()) for t in targets(chosen)]


def search_score(record: RunRecord) -> np.ndarray:
    """What CMA-ES maximises, per instance of a generation run of horizon T0:

        (R_T0 - R_{T0/2}) / (T0 - T0/2) / (d·G∞·D∞)  +  |x_T0 - x_1| / D∞

    the normalised average regret of the second half plus the drift away from the start x_1 =
    x* (a slow optimizer leaving x* shows the drift long before its regret becomes large).
    """
    r = average_regret(record)
    t0, half = record.spec.horizon, record.spec.horizon // 2
    tail = (r[:, t0 - 1] * t0 - r[:, half - 1] * half) / (t0 - half)
    sequences = record.spec.problem_params["sequences"]
    scale = np.array([2.0 * gradient_bound(sequences[s]) for s in record.spec.seeds])
    x = record.vector("x")[:, :, 0]
    drift = np.abs(x[:, -1] - x[:, 0]) / 2.0
    score = tail / scale + drift
    return np.where(np.isfinite(score), score, -np.inf)


@dataclass(frozen=True)
class Found:
    """A target's search path: every evaluated sequence with its score."""

    target: Setting
    sequences: list[dict[str, Any]] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)

    def best(self, k: int) -> list[tuple[dict[str, Any], float]]:
        order = sorted(range(len(self.scores)), key=lambda i: -self.scores[i])
        out: list[tuple[dict[str, Any], float]] = []
        for i in order:
            if all(self.sequences[i] != s for s, _ in out):
                out.append((self.sequences[i], self.scores[i]))
            if len(out) == k:
                break
        return out


def _walk(store: ResultStore, scale: Scale, run: Run | None,
          chosen: Sequence[Setting] | None = None) -> list[Found]:
    """Every target's (or ``chosen``'s) CMA-ES path; each generation from the store, or run
    by ``run``."""
    found = []
    for target in targets(scale) if chosen is None else chosen:
        search, path = _new_search(scale), Found(target)
        for _ in range(GENERATIONS[scale]):
            points = search.ask()
            spec = _generation_spec(target, scale, points)
            (record,) = _records(store, [spec], run)
            scores = search_score(record)
            search.tell(points, scores)
            path.sequences.extend(spec.problem_params["sequences"])
            path.scores.extend(float(s) for s in scores)
        found.append(path)
    return found


def _records(store: ResultStore, specs: list[RunSpec], run: Run | None) -> list[RunRecord]:
    if run is not None:
        return run(specs)
    missing = [s for s in specs if not store.has(s)]
    if missing:
        raise FileNotFoundError(f"{len(missing)} searched runs of {NAME!r} have no result in "
                                f"{store.root} (first: {missing[0].key()}); run the experiment "
                                "first")
    return [store.load(s) for s in specs]


def _without_offsets(sequence: dict[str, Any]) -> dict[str, Any]:
    return {"phases": [[a, b, 0.0] for a, b, _ in sequence["phases"]], "x0": sequence["x0"]}



@dataclass(frozen=True)
class Plan:
    """The replay stage: one global sequence list, and which seeds each setting replays."""

    sequences: list[dict[str, Any]]
    candidates: dict[str, list[tuple[int, float]]]     # target -> [(seed, search score)]
    offset_free: dict[str, list[int]]                  # target -> seeds of offset-free copies
    runs: dict[str, tuple[Setting, list[int]]]         # setting key -> (setting, seeds)

    def specs(self, scale: Scale) -> list[RunSpec]:
        return [replay_spec(NAME, setting, self.sequences, tuple(sorted(seeds)),
                            HORIZON_FACTOR * T0[scale]) for setting, seeds in self.runs.values()]


def _key(setting: Setting) -> str:
    return RunSpec(experiment=NAME, problem="periodic_online", optimizer=setting.optimizer,
                   hyperparameters=setting.hyperparameters, seeds=(0,), horizon=1).key()


def _plan(found: list[Found], scale: Scale) -> Plan:
    sequences: list[dict[str, Any]] = []
    candidates: dict[str, list[tuple[int, float]]] = {}
    offset_free: dict[str, list[int]] = {}
    runs: dict[str, tuple[Setting, list[int]]] = {}

    def add(setting: Setting, seed: int) -> None:
        runs.setdefault(_key(setting), (setting, []))[1].append(seed)

    for path in found:
        target = path.target
        candidates[target.label], offset_free[target.label] = [], []
        for sequence, score in path.best(REPLAYED[scale]):
            seed = len(sequences)
            sequences.append(sequence)
            candidates[target.label].append((seed, score))
            for setting in (target, *controls(target)):
                add(setting, seed)
            if reads_losses(target):
                sequences.append(_without_offsets(sequence))
                offset_free[target.label].append(seed + 1)
                add(target, seed + 1)
    return Plan(sequences, candidates, offset_free, runs)


def search(store: ResultStore, scale: str, run: Run,
           chosen: Sequence[Setting] | None = None) -> None:
    """Run every target's (or only ``chosen``'s) search, then the replays (stored runs are
    not repeated)."""
    checked = check_scale(scale)
    plan = _plan(_walk(store, checked, run, chosen), checked)
    run(plan.specs(checked))


@dataclass(frozen=True)
class Candidate:
    """One replayed candidate of a target: outcomes, verdict and its replay file."""

    sequence: dict[str, Any]
    search_score: float
    target: Outcome
    controls: tuple[Outcome, ...]
    verdict: Verdict
    without_offsets: Outcome | None
    replay: str

    @property
    def offset_made(self) -> bool:
        """A counterexample that disappears when every loss offset is set to 0."""
        free = self.without_offsets
        return bool(self.verdict.counterexample and free is not None
                    and not persists(free.r_T0, free.r_100T0, self.verdict.floor))

    def entry(self) -> CandidateEntry:
        return CandidateEntry(
            sequence=PeriodicSequence(
                phases=tuple((float(a), float(b), float(c)) for a, b, c in self.sequence["phases"]),
                x0=float(self.sequence["x0"])),
            search_score=self.search_score, target=self.target, controls=self.controls,
            floor=self.verdict.floor, persists=self.verdict.persists,
            controls_fall=self.verdict.controls_fall,
            counterexample=self.verdict.counterexample,
            without_offsets=self.without_offsets, offset_made=self.offset_made,
            replay=self.replay)


@dataclass(frozen=True)
class TargetResult:
    setting: Setting
    controls: tuple[Setting, ...]
    evaluations: int
    best_search_score: float
    candidates: tuple[Candidate, ...]

    @property
    def found(self) -> bool:
        return any(c.verdict.counterexample for c in self.candidates)

    def reported(self) -> Candidate:
        """The counterexample with the largest r(100·T0)/floor, else the best-scored one."""
        pool = [c for c in self.candidates if c.verdict.counterexample] or list(self.candidates)
        return max(pool, key=lambda c: c.target.r_100T0 / c.verdict.floor)

    def conditions(self, t0: int) -> str:
        c = self.reported()
        offsets = sorted({round(p[2], 3) for p in c.sequence["phases"]})
        text = (f"period {len(c.sequence['phases'])}, x1 = {c.sequence['x0']:.3g}, loss offsets "
                f"{offsets}, T0 = {t0}")
        if c.offset_made:
            text += ("; with every offset set to 0 the average regret vanishes: the "
                     "counterexample is produced by loss offsets alone (which change no "
                     "gradient and no regret)")
        return text

    def entry(self, t0: int) -> TargetEntry:
        c = self.reported()
        return TargetEntry(
            optimizer=self.setting.optimizer, hyperparameters=self.setting.hyperparameters,
            controls=tuple(SettingEntry(s.label, s.optimizer, s.hyperparameters)
                           for s in self.controls),
            found=self.found, n_found=sum(x.verdict.counterexample for x in self.candidates),
            evaluations=self.evaluations, best_search_score=self.best_search_score,
            avg_regret_by_T={str(t0): c.target.r_T0, str(HORIZON_FACTOR * t0): c.target.r_100T0},
            final_x=c.target.final_x, replay=c.replay, conditions=self.conditions(t0),
            candidates=tuple(x.entry() for x in self.candidates))


@dataclass(frozen=True)
class CounterexampleSearch:
    """The measurement of this experiment (``metrics`` of its JSON: :meth:`metrics`)."""

    scale: Scale
    T0: int
    space: SequenceSpace
    targets: tuple[TargetResult, ...]

    def adam(self) -> TargetResult:
        return next(t for t in self.targets if t.setting.label == ADAM_REDDI)

    def amsgrad_flagged_on_adam(self) -> list[bool]:
        """Would the criterion's persistence test flag AMSGrad on Adam's counterexamples?"""
        return [c.controls[0].r_100T0 >= 0.5 * c.controls[0].r_T0
                and c.controls[0].r_100T0 >= c.verdict.floor
                for c in self.adam().candidates if c.verdict.counterexample]

    def metrics(self) -> CounterexampleSearchMetrics:
        flagged = self.amsgrad_flagged_on_adam()
        return CounterexampleSearchMetrics(
            targets={t.setting.label: t.entry(self.T0) for t in self.targets},
            adam_rediscovered=bool(flagged) and not all(flagged),
            amsgrad_flagged_on_adam_counterexamples=tuple(flagged),
            search=SearchSettings(
                algorithm="CMA-ES (package cma), box constraints [0, 1]", seed=SEARCH_SEED,
                T0=self.T0, replay_horizon=HORIZON_FACTOR * self.T0,
                generations=GENERATIONS[self.scale], popsize=POPSIZE[self.scale],
                replayed_per_target=REPLAYED[self.scale], space=self.space.describe(),
                score="(R_T0 - R_{T0/2}) / (T0 - T0/2) / (d G_inf D_inf) + |x_T0 - x_1| / "
                      "D_inf, maximised; x_1 = the comparator of one period",
                evaluations_total=sum(t.evaluations for t in self.targets)),
            criterion=Criterion(CRITERION_TEXT, self.T0))


def slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")


def _judge(found: list[Found], plan: Plan, records: list[RunRecord], scale: Scale,
           store: ResultStore) -> tuple[TargetResult, ...]:
    t0 = T0[scale]
    by_setting: dict[tuple[str, int], Outcome] = {}
    for (key, (setting, _)), record in zip(plan.runs.items(), records, strict=True):
        for seed, outcome in zip(record.spec.seeds, outcomes(record, setting.label, t0),
                                 strict=True):
            by_setting[(key, seed)] = outcome
    results = []
    for path in found:
        target, ctrl = path.target, controls(path.target)
        cands = []
        for k, (seed, score) in enumerate(plan.candidates[target.label]):
            mine = by_setting[(_key(target), seed)]
            theirs = [by_setting[(_key(c), seed)] for c in ctrl]
            verdict = Verdict.of(plan.sequences[seed], mine, theirs)
            free = (by_setting[(_key(target), plan.offset_free[target.label][k])]
                    if plan.offset_free[target.label] else None)
            path_rel = f"{REPLAY_DIR}/{slug(target.label)}-{k}.json"
            ReplayFile(target, ctrl, plan.sequences[seed], t0,
                       {o.label: o for o in (mine, *theirs)},
                       verdict.counterexample).write(store.root / path_rel)
            cands.append(Candidate(plan.sequences[seed], score, mine, tuple(theirs), verdict,
                                   free, path_rel))
        results.append(TargetResult(target, ctrl, len(path.scores), max(path.scores),
                                    tuple(cands)))
    return tuple(results)


@dataclass(frozen=True)
class Judged:
    """A search read back from the store: the paths, the replay plan and its records, and
    every target's result."""

    found: list[Found]
    plan: Plan
    records: list[RunRecord]
    results: tuple[TargetResult, ...]


def judged(store: ResultStore, scale: Scale, chosen: Sequence[Setting] | None = None
           ) -> Judged:
    """Retrace the search of every target (or ``chosen``) from the stored records and judge
    its replays (FileNotFoundError when a run is missing)."""
    found = _walk(store, scale, None, chosen)
    plan = _plan(found, scale)
    records = _records(store, plan.specs(scale), None)
    return Judged(found, plan, records, _judge(found, plan, records, scale, store))


def measure(store: ResultStore, scale: str | None = None) -> dict[str, Any]:
    chosen = resolve_scale(store, specs, scale)
    done = judged(store, chosen)
    found, plan, records = done.found, done.plan, done.records
    result = CounterexampleSearch(chosen, T0[chosen], SequenceSpace(PERIOD[chosen]),
                                  done.results)
    series = {"T": [T0[chosen], HORIZON_FACTOR * T0[chosen]],
              "search_scores": {p.target.label: p.scores for p in found},
              "floor": {t.setting.label: [c.verdict.floor for c in t.candidates]
                        for t in result.targets}}
    labelled = {setting.label: record
                for (setting, _), record in zip(plan.runs.values(), records, strict=True)}
    return envelope(NAME, chosen, records, result.metrics(), series, labelled)


__all__ = ["NAME", "DESCRIPTION", "specs", "search", "measure"]
