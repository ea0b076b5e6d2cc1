"""Unit tests of experiments.metrics on sequences whose answer is known exactly."""

from __future__ import annotations

import numpy as np
import pytest

from experiments import metrics


def test_power_law_slope_of_exact_power_law() -> None:
    x = np.logspace(1, 4, 7)
    y = np.stack([c * x**0.5 for c in (1.0, 2.0, 3.0)])
    fit = metrics.fit_power_law(x, y, n_boot=200)
    assert fit.slope == pytest.approx(0.5, abs=1e-12)
    assert fit.ci_low == pytest.approx(0.5, abs=1e-12)
    assert fit.ci_high == pytest.approx(0.5, abs=1e-12)


def test_power_law_bootstrap_interval_covers_truth_for_noisy_seeds() -> None:
    rng = np.random.default_rng(1)
    x = np.logspace(1, 4, 10)
    covered = 0
    for trial in range(40):
        noise = rng.lognormal(0.0, 0.3, size=(12, x.size))
        fit = metrics.fit_power_law(x, 5.0 * x**0.7 * noise, n_boot=300, seed=trial)
        assert fit.ci_low <= fit.slope <= fit.ci_high
        covered += fit.ci_low <= 0.7 <= fit.ci_high
    # nominal 90%: allow sampling slack, but a broken interval would cover far less often
    assert covered >= 30


def test_power_law_rejects_nonpositive_values() -> None:
    with pytest.raises(ValueError, match="y > 0"):
        metrics.fit_power_law([1.0, 10.0], [[1.0, -1.0]])


def test_linear_rate_plain_and_jordan_fits() -> None:
    rho = 0.9
    k = np.arange(0, 300)
    pure = 3.0 * rho**k
    assert metrics.fit_linear_rate(pure, 10, 200).rho == pytest.approx(rho, rel=1e-12)
    jordan = np.maximum(k, 1) * rho**k
    fit = metrics.fit_linear_rate(jordan, 100, 250, jordan=True)
    assert fit.rho == pytest.approx(rho, rel=1e-10)
    assert fit.power == pytest.approx(1.0, abs=1e-8)
    # the plain fit of k rho^k is biased upwards by about exp(mean 1/k)
    assert metrics.fit_linear_rate(jordan, 100, 250).rho > rho + 1e-3


def test_linear_rate_published_window_bias() -> None:
    """algorithms.md §2: plain fit of k rho*^k at kappa = 100 over steps 200..400 is 0.8210."""
    rho = 9 / 11
    k = np.arange(0, 401)
    fit = metrics.fit_linear_rate(np.maximum(k, 1) * rho**k, 200, 400)
    assert fit.rho == pytest.approx(0.8210, abs=5e-5)


def test_linear_rate_rejects_bad_window() -> None:
    with pytest.raises(ValueError, match="first"):
        metrics.fit_linear_rate(np.ones(10), 5, 20)
    with pytest.raises(ValueError, match="first must be >= 1"):
        metrics.fit_linear_rate(np.ones(10), 0, 5, jordan=True)


def test_bootstrap_ci_contains_true_median_for_synthetic_data() -> None:
    rng = np.random.default_rng(0)
    hits = 0
    for trial in range(50):
        ci = metrics.bootstrap_ci(rng.normal(2.0, 1.0, 40), n_boot=300, seed=trial)
        assert ci.ci_low <= ci.estimate <= ci.ci_high
        hits += ci.ci_low <= 2.0 <= ci.ci_high
    assert hits >= 38


def test_regret_of_linear_losses_against_comparator() -> None:
    # f_t(x) = x on [-1, 1], played x_t = 1: loss 1 each step, comparator -t
    t = np.arange(1, 6)
    r = metrics.regret(np.ones((2, 5)), -t)
    np.testing.assert_allclose(r, np.stack([2.0 * t, 2.0 * t]))
    with pytest.raises(ValueError, match="comparator"):
        metrics.regret(np.ones(5), np.ones(4))


def test_suboptimality_distance_threshold_and_spread() -> None:
    np.testing.assert_allclose(metrics.suboptimality([[3.0, 2.0]], [1.0]), [[2.0, 1.0]])
    x = np.zeros((1, 2, 2))
    x[0, 1] = [3.0, 4.0]
    np.testing.assert_allclose(metrics.distance(x, [0.0, 0.0]), [[0.0, 5.0]])
    curves = np.array([[5.0, 3.0, 1.0, 0.5], [5.0, 4.0, 4.0, 4.0]])
    np.testing.assert_array_equal(metrics.steps_to_threshold(curves, 1.0), [2, -1])
    assert metrics.log10_spread(np.logspace(-3, 1, 1001), 0.0, 1.0) == pytest.approx(4.0)


def test_diverged_steps_first_non_finite_or_blown_up_value() -> None:
    curves = np.array([[1.0, 2.0, 3.0, np.nan, 1.0],       # not finite at step 4
                       [2.0, 1.0, 2e10 + 1.0, 1.0, 1.0],   # above 1e10 x its start at step 3
                       [2.0, 1.0, 2e10, 1e9, np.inf],       # at 1e10 x start is not above it
                       [0.0, 5.0, 1e30, 1.0, 1.0],          # a zero start: only non-finite
                       [1.0, 0.5, 0.25, 0.1, 0.05]])        # never
    assert metrics.diverged_steps(curves).tolist() == [4, 3, 5, 0, 0]
    assert metrics.first_divergence(curves) == 3
    assert metrics.first_divergence(curves[3:]) is None
    assert metrics.diverged_steps(curves[1:2], blowup=1e12).tolist() == [0]
