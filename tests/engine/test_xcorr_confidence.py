"""Cross-correlation sign convention, sub-sample peaks, and the confidence statistic."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from syncengine.confidence import band, combine_independent, confidence_from_stats, peak_statistics
from syncengine.errors import ParameterError
from syncengine.xcorr import correlate_window, refine_peak


@pytest.mark.parametrize(("n", "m", "lag"), [(1000, 800, 37), (1001, 700, -123), (500, 501, 0)])
@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_correlation_follows_scipys_lag_convention(n: int, m: int, lag: int, beta: float) -> None:
    rng = np.random.default_rng(n + m)
    world = rng.standard_normal(4000).astype(np.float32)
    ref = world[1000 : 1000 + n]
    other = world[1000 + lag : 1000 + lag + m]
    corr = correlate_window(ref, other, min_lag=-400, max_lag=400, beta=beta)
    expected = scipy.signal.correlation_lags(n, m)[np.argmax(scipy.signal.correlate(ref, other))]
    assert corr.lags[np.argmax(corr.values)] == expected == lag


def test_correlation_rejects_bad_input() -> None:
    with pytest.raises(ParameterError, match="1-D ndarray"):
        correlate_window(np.zeros((2, 2)), np.zeros(4), min_lag=-1, max_lag=1)
    with pytest.raises(ParameterError, match="NaN or infinite"):
        correlate_window(np.array([1.0, np.nan]), np.zeros(4), min_lag=-1, max_lag=1)


@pytest.mark.parametrize("true_peak", [50.0, 50.25, 49.6, 50.5])
def test_refine_peak_finds_a_fractional_peak(true_peak: float) -> None:
    x = np.arange(100, dtype=np.float64)
    values = np.sinc((x - true_peak) * 0.8)  # a band-limited peak
    k = int(np.argmax(values))
    assert abs(refine_peak(values, k) - true_peak) < 0.02


def test_confidence_is_zero_for_noise_and_high_for_a_clear_peak() -> None:
    rng = np.random.default_rng(1)
    noise = rng.standard_normal(50_000)
    assert confidence_from_stats(peak_statistics(noise, exclusion=5)) == 0.0
    clear = noise.copy()
    clear[25_000] = 60.0
    stats = peak_statistics(clear, exclusion=5)
    assert stats.index == 25_000
    assert confidence_from_stats(stats) > 0.95


def test_a_competing_peak_lowers_confidence() -> None:
    rng = np.random.default_rng(2)
    curve = rng.standard_normal(50_000)
    curve[10_000] = 60.0
    curve[30_000] = 57.0  # a repetition: nearly as strong
    stats = peak_statistics(curve, exclusion=5)
    assert stats.second == pytest.approx(57.0)
    assert confidence_from_stats(stats) < 0.2


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (1.0, "excellent"),
        (0.8, "excellent"),
        (0.79, "good"),
        (0.5, "good"),
        (0.3, "fair"),
        (0.2, "fair"),
        (0.19, "poor"),
        (0.0, "poor"),
    ],
)
def test_bands_follow_the_seed(value: float, name: str) -> None:
    assert band(value) == name


def test_independent_agreeing_measurements_combine() -> None:
    assert combine_independent(0.5, 0.5) == pytest.approx(0.75)
    assert combine_independent(0.9) == pytest.approx(0.9)
