"""Metrics computed after the runs, from the records only (never by re-running anything).

- regret ``R_t = sum_{s<=t} f_s(x_s) - min_x sum_{s<=t} f_s(x)`` (Zinkevich 2003);
- suboptimality ``f(x_k) - f*`` and distance ``||x_k - x*||``;
- power laws ``y ~ c * x^a`` fitted on log-log axes, with a bootstrap confidence interval
  over seeds (or repetitions): the regret exponent and the cost exponents;
- linear rates ``e_k ~ c * rho^k`` fitted on a window of steps, plainly or allowing the
  Jordan-block factor ``e_k ~ c * k^p * rho^k`` that heavy ball shows at the extreme
  eigenvalues (algorithms.md §2);
- steps to reach a threshold, and a bootstrap interval of a statistic over seeds;
- the step at which a run diverged (:func:`diverged_steps`, the one definition every sweep
  uses).

Every function takes numpy arrays and returns plain floats or small frozen dataclasses with
``as_dict()`` so that measurements are JSON-able.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

DEFAULT_BOOTSTRAP = 2000
DEFAULT_LEVEL = 0.9


def _as_2d(values: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (seeds, steps) or (steps,); got {arr.shape}")
    return arr


def regret(losses: ArrayLike, comparator: ArrayLike) -> FloatArray:
    """Regret curve ``R_t`` for t = 1..T, shape (seeds, T).

    ``losses[s, t-1] = f_t(x_t)`` for seed s; ``comparator[..., t-1] = min_x sum_{u<=t} f_u(x)``
    (shape (T,) shared by all seeds, or (seeds, T)).
    """
    f = _as_2d(losses, "losses")
    comp = np.asarray(comparator, dtype=np.float64)
    if comp.shape[-1] != f.shape[1]:
        raise ValueError(
            f"comparator has {comp.shape[-1]} steps but losses have {f.shape[1]}"
        )
    return np.cumsum(f, axis=1) - comp


def suboptimality(losses: ArrayLike, f_star: ArrayLike) -> FloatArray:
    """``f(x_k) - f*`` for every seed and step; ``f_star`` scalar or one value per seed."""
    f = _as_2d(losses, "losses")
    fs = np.asarray(f_star, dtype=np.float64)
    if fs.ndim == 1:
        fs = fs[:, None]
    return f - fs


def distance(x: ArrayLike, x_star: ArrayLike) -> FloatArray:
    """``||x_k - x*||_2`` for iterates ``x`` of shape (seeds, steps, d)."""
    xs = np.asarray(x, dtype=np.float64)
    xo = np.asarray(x_star, dtype=np.float64)
    if xs.ndim != 3:
        raise ValueError(f"x must have shape (seeds, steps, d); got {xs.shape}")
    if xo.ndim == 1:
        xo = xo[None, None, :]
    elif xo.ndim == 2:
        xo = xo[:, None, :]
    return np.sqrt(((xs - xo) ** 2).sum(axis=-1))


class _FloatRecord:
    """Base of the fit results below: ``as_dict`` gives every field as a float (for JSON)."""

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}  # type: ignore[call-overload]


@dataclass(frozen=True)
class PowerLawFit(_FloatRecord):
    """``y ~ exp(intercept) * x^slope`` with a bootstrap interval ``[ci_low, ci_high]``."""

    slope: float
    intercept: float
    ci_low: float
    ci_high: float
    level: float
    n_samples: int


def _loglog_slope(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Least-squares slope and intercept of log y on log x; y may be (n_x,) or (batch, n_x)."""
    lx = np.log(x)
    ly = np.log(y)
    cx = lx - lx.mean()
    slope = (ly * cx).sum(axis=-1) / (cx * cx).sum()
    return slope, ly.mean(axis=-1) - slope * lx.mean()


def _median_rows(a: FloatArray) -> FloatArray:
    """Median over the samples axis (-2) of (..., samples, n_x)."""
    return np.median(a, axis=-2)


def fit_power_law(
    x: ArrayLike,
    y: ArrayLike,
    *,
    center: Callable[[FloatArray], FloatArray] | None = None,
    n_boot: int = DEFAULT_BOOTSTRAP,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> PowerLawFit:
    """Log-log slope of ``y`` against ``x``, with a bootstrap interval over samples.

    ``y`` has shape (samples, len(x)) (samples = seeds or timing repetitions). The point
    estimate fits the per-x ``center`` of the samples (median by default; ``center`` maps an
    array (..., samples, len(x)) to (..., len(x))); the interval resamples the samples (rows)
    with replacement ``n_boot`` times and refits. Only strictly positive, finite values can be
    fitted: anything else raises ValueError.
    """
    xs = np.asarray(x, dtype=np.float64)
    ys = _as_2d(y, "y")
    if xs.ndim != 1 or xs.size < 2 or ys.shape[1] != xs.size:
        raise ValueError(f"need >= 2 x values matching y's columns; got x {xs.shape}, y {ys.shape}")
    if not (np.all(xs > 0) and np.all(np.isfinite(ys)) and np.all(ys > 0)):
        raise ValueError("power-law fit needs x > 0 and finite y > 0")
    if not 0 < level < 1:
        raise ValueError(f"Invalid level: {level!r}; expected 0 < level < 1")
    stat = center if center is not None else _median_rows
    slope, intercept = _loglog_slope(xs, stat(ys))
    n = ys.shape[0]
    if n == 1:
        low = high = float(slope)
    else:
        rng = np.random.default_rng(seed)
        resampled = ys[rng.integers(0, n, (n_boot, n))]             # (n_boot, n, n_x)
        boots, _ = _loglog_slope(xs, stat(resampled))
        low, high = (float(q) for q in np.quantile(boots, [(1 - level) / 2, (1 + level) / 2]))
    return PowerLawFit(float(slope), float(intercept), low, high, level, n)


@dataclass(frozen=True)
class BootstrapCI(_FloatRecord):
    """A statistic of per-seed values with a percentile bootstrap interval."""

    estimate: float
    ci_low: float
    ci_high: float
    level: float
    n_samples: int


def bootstrap_ci(
    values: ArrayLike,
    statistic: Callable[..., FloatArray] = np.median,
    *,
    n_boot: int = DEFAULT_BOOTSTRAP,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> BootstrapCI:
    """Percentile bootstrap interval of ``statistic`` over the 1-D ``values`` (one per seed).

    ``statistic(array, axis=-1)`` must reduce the last axis (np.median, np.mean, ...): all
    resamples are evaluated in one call.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError("bootstrap_ci needs at least one value")
    est = float(statistic(v, axis=-1))
    rng = np.random.default_rng(seed)
    boots = statistic(v[rng.integers(0, v.size, (n_boot, v.size))], axis=-1)
    low, high = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return BootstrapCI(est, float(low), float(high), level, int(v.size))


@dataclass(frozen=True)
class RateFit(_FloatRecord):
    """``e_k ~ c * k^power * rho^k`` over steps ``[first, last]`` (power = 0 for a plain fit)."""

    rho: float
    power: float
    log_c: float
    first: int
    last: int


def fit_linear_rate(
    errors: ArrayLike, first: int, last: int, *, jordan: bool = False
) -> RateFit:
    """Fit a linear convergence rate to ``errors[k]`` (k = 0, 1, ...) for k in [first, last].

    Plain: least squares of ``log e_k = log c + k log rho``. With ``jordan=True`` the model is
    ``log e_k = log c + p log k + k log rho`` (needs first >= 1), which recovers rho exactly
    from an exact ``k^p rho^k`` sequence; the plain fit of ``k rho^k`` over [200, 400] at
    rho = 9/11 gives 0.8210 instead of 0.8182 (algorithms.md §2).
    """
    e = np.asarray(errors, dtype=np.float64).ravel()
    if not 0 <= first < last < e.size:
        raise ValueError(f"need 0 <= first < last < {e.size}; got first={first}, last={last}")
    if jordan and first < 1:
        raise ValueError("the Jordan fit uses log k: first must be >= 1")
    seg = e[first : last + 1]
    if not (np.all(np.isfinite(seg)) and np.all(seg > 0)):
        raise ValueError(f"errors on steps [{first}, {last}] must be finite and > 0")
    k = np.arange(first, last + 1, dtype=np.float64)
    cols = [np.ones_like(k), k] + ([np.log(k)] if jordan else [])
    coef, *_ = np.linalg.lstsq(np.stack(cols, axis=1), np.log(seg), rcond=None)
    power = float(coef[2]) if jordan else 0.0
    return RateFit(float(np.exp(coef[1])), power, float(coef[0]), first, last)


def steps_to_threshold(curves: ArrayLike, threshold: float) -> NDArray[np.int64]:
    """First step where each curve (row) is <= threshold; -1 where it never is."""
    c = _as_2d(curves, "curves")
    hit = c <= threshold
    first = np.argmax(hit, axis=1)
    return np.where(hit.any(axis=1), first, -1).astype(np.int64)


BLOWUP = 1e10
"""A value above BLOWUP times its size at step 1 has blown up (:func:`diverged_steps`)."""


def diverged_steps(curves: ArrayLike, blowup: float = BLOWUP) -> NDArray[np.int64]:
    """The step (1-based, like the runner's ``diverged_at``) at which each curve (row: one
    seed's f - f* or loss per step) diverged: the first value that is not finite or exceeds
    ``blowup`` times the absolute value at step 1; 0 where the curve never does. A curve
    starting at 0 diverges only by a non-finite value."""
    c = _as_2d(curves, "curves")
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(c) | ((c[:, :1] != 0) & (np.abs(c) > blowup * np.abs(c[:, :1])))
    return np.where(bad.any(axis=1), bad.argmax(axis=1) + 1, 0).astype(np.int64)


def first_divergence(curves: ArrayLike, blowup: float = BLOWUP) -> int | None:
    """The step at which the first of the curves diverged (:func:`diverged_steps`); None
    when none did: the step a sweep records for one setting over its seeds."""
    steps = diverged_steps(curves, blowup)
    hit = steps[steps > 0]
    return int(hit.min()) if hit.size else None


def log10_spread(values: ArrayLike, low_q: float = 0.05, high_q: float = 0.95) -> float:
    """Width in decades of the central [low_q, high_q] range of positive ``values``."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        raise ValueError("log10_spread needs at least one finite positive value")
    lo, hi = np.quantile(np.log10(v), [low_q, high_q])
    return float(hi - lo)


def quantile_band(
    values: ArrayLike, low: float = 0.1, high: float = 0.9
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Median and [low, high] quantiles over seeds (axis 0) at every step."""
    v = _as_2d(values, "values")
    q = np.quantile(v, [0.5, low, high], axis=0)
    return q[0], q[1], q[2]
