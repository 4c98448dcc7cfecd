"""Debug data the engine returns for plots: correlation curves per pair, motion energy per video."""

from __future__ import annotations

import json

import numpy as np
import pytest

from syncengine import estimate_offsets
from syncengine.audio import CURVE_POINTS, pool_curve


def _block_s(lags_s: np.ndarray) -> float:
    return float(np.max(np.diff(lags_s)))


@pytest.mark.parametrize("method", ["audio", "visual"])
def test_every_pair_carries_a_small_curve_peaking_at_its_lag(clips, method) -> None:
    names = ["a", "b_late", "c_early"]
    result = estimate_offsets([clips[n] for n in names], method=method, max_lag_s=None)
    assert len(result.pairs) == 3
    for pair in result.pairs:
        assert pair.curve is not None, pair
        lags_s, values = pair.curve
        assert lags_s.dtype == values.dtype == np.float32
        assert lags_s.shape == values.shape and 10 < values.size <= CURVE_POINTS
        assert np.all(np.diff(lags_s) > 0) and np.all(values >= 0)
        peak_s = float(lags_s[np.argmax(values)])
        # Within one block (plus one visual frame: the curve is sampled at the motion rate).
        assert abs(peak_s - pair.lag_s) <= _block_s(lags_s) + 0.04, (pair, peak_s)


def test_the_json_keeps_no_curve_or_motion(clips) -> None:
    result = estimate_offsets([clips["a"], clips["b_late"]], method="auto")
    data = result.to_dict()
    assert all("curve" not in p for p in data["pairs"])
    assert "motion" not in data
    assert len(json.dumps(data)) < 10_000


@pytest.mark.parametrize("method", ["visual", "auto"])
def test_visual_runs_return_motion_energy_per_video(clips, method) -> None:
    names = ["a", "b_late", "noaudio"]
    result = estimate_offsets([clips[n] for n in names], method=method)
    assert len(result.motion) == len(names)
    for series, video in zip(result.motion, result.videos, strict=True):
        assert series is not None, video.filename
        times_s, energy = series
        assert times_s.shape == energy.shape and 10 < energy.size <= CURVE_POINTS
        assert times_s[0] >= 0 and times_s[-1] <= video.duration_s + 0.1
        assert np.all(np.isfinite(energy)) and energy.max() > 0


def test_audio_runs_return_no_motion(clips) -> None:
    result = estimate_offsets([clips["a"], clips["b_late"]], method="audio")
    assert result.motion == ()


@pytest.mark.parametrize("n", [1999, 2000, 2001, 10_007])
def test_pooling_keeps_the_peak_and_the_point_limit(n) -> None:
    rng = np.random.default_rng(3)
    x = np.arange(n) / 100.0
    values = rng.normal(size=n)
    values[n // 3] = -50.0  # the pooled curve is of |values|
    xs, pooled = pool_curve(x, values)
    assert pooled.size <= CURVE_POINTS and xs.size == pooled.size
    assert pooled.max() == pytest.approx(50.0)
    assert abs(xs[np.argmax(pooled)] - x[n // 3]) <= _block_s(xs)
    _, means = pool_curve(x, np.ones(n), how="mean")
    assert np.allclose(means, 1.0)
