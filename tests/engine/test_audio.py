"""Audio lag estimation on arrays: known offsets both ways, confidence, drift, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from syncengine.audio import estimate_audio_lag
from syncengine.errors import ClipTooShort, ParameterError, SilentAudio
from syncengine.types import AudioTrack

RATE_HZ = 8000


def _world(seconds: float, *, seed: int = 0, rate_hz: int = RATE_HZ) -> np.ndarray:
    """Speech-like world: noise bursts with a random on/off envelope (10 Hz syllables)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate_hz)
    env = np.repeat(rng.random(n // (rate_hz // 10) + 1) > 0.4, rate_hz // 10)[:n]
    return (rng.standard_normal(n) * (0.3 * env + 0.01)).astype(np.float32)


def _cut(world: np.ndarray, start_s: float, dur_s: float, *, rate_hz: int = RATE_HZ) -> AudioTrack:
    a = int(round((start_s + 30.0) * rate_hz))  # world sample 0 is at -30 s
    return AudioTrack(world[a : a + int(dur_s * rate_hz)].copy(), rate_hz)


@pytest.fixture(scope="module")
def world() -> np.ndarray:
    return _world(90.0)


@pytest.mark.parametrize(
    ("offset_s", "ref_s", "other_s"),
    [
        (0.0, 10.0, 10.0),
        (1.2345, 12.0, 9.0),
        (-3.3001, 12.0, 10.0),
        (7.5, 10.0, 10.0),
        (-6.0, 9.0, 11.0),
        (0.000125, 10.0, 10.0),
        (12.25, 30.0, 5.0),
    ],
)
def test_it_recovers_known_offsets_in_both_directions(world, offset_s, ref_s, other_s) -> None:
    ref = _cut(world, 0.0, ref_s)
    other = _cut(world, offset_s, other_s)
    est = estimate_audio_lag(ref, other)
    assert abs(est.lag_s - round(offset_s * RATE_HZ) / RATE_HZ) <= 1 / RATE_HZ
    assert est.confidence >= 0.8


@pytest.mark.parametrize("rate_hz", [8000, 16000, 12000])
def test_it_works_at_other_analysis_rates_and_odd_lengths(rate_hz: int) -> None:
    world = _world(40.0, seed=3, rate_hz=rate_hz)
    ref = _cut(world, 0.0, 7.0001, rate_hz=rate_hz)
    other = _cut(world, -2.71, 6.3337, rate_hz=rate_hz)
    est = estimate_audio_lag(ref, other)
    assert abs(est.lag_s - round(-2.71 * rate_hz) / rate_hz) <= 1 / rate_hz


def test_unrelated_noise_gets_no_confidence(world) -> None:
    ref = _cut(world, 0.0, 12.0)
    other = AudioTrack(_world(10.0, seed=99), RATE_HZ)
    assert estimate_audio_lag(ref, other).confidence < 0.2


def test_repetitive_content_lowers_confidence() -> None:
    rng = np.random.default_rng(5)
    loop = rng.standard_normal(RATE_HZ // 2).astype(np.float32)  # a 0.5 s pattern, repeated
    world = np.tile(loop, 80)
    ref = AudioTrack(world[: 12 * RATE_HZ].copy(), RATE_HZ)
    other = AudioTrack(world[3 * RATE_HZ + 17 : 13 * RATE_HZ].copy(), RATE_HZ)
    assert estimate_audio_lag(ref, other).confidence < 0.2


def test_it_finds_offsets_beyond_the_default_range_only_when_asked(world) -> None:
    ref = _cut(world, 0.0, 50.0)
    other = _cut(world, 25.0, 20.0)
    assert estimate_audio_lag(ref, other, max_lag_s=20.0).confidence < 0.2
    est = estimate_audio_lag(ref, other, max_lag_s=None)
    assert abs(est.lag_s - 25.0) <= 1 / RATE_HZ


@pytest.mark.parametrize("drift_ppm", [100.0, -150.0])
def test_it_measures_clock_drift_and_the_offset_at_the_start(drift_ppm: float) -> None:
    rng = np.random.default_rng(11)
    world = rng.standard_normal(200 * RATE_HZ).astype(np.float32)
    t_world = 4.0 + np.arange(150 * RATE_HZ) / RATE_HZ * (1 + drift_ppm * 1e-6)
    other = np.interp(t_world * RATE_HZ, np.arange(world.size), world).astype(np.float32)
    est = estimate_audio_lag(AudioTrack(world, RATE_HZ), AudioTrack(other, RATE_HZ))
    assert est.drift_ppm is not None
    assert abs(est.drift_ppm - drift_ppm) < 5.0
    assert abs(est.lag_s - 4.0) < 0.001


def test_it_rejects_silence(world) -> None:
    silent = AudioTrack(np.zeros(10 * RATE_HZ, dtype=np.float32), RATE_HZ)
    with pytest.raises(SilentAudio, match="silent audio track"):
        estimate_audio_lag(_cut(world, 0.0, 10.0), silent)


def test_it_rejects_a_clip_too_short(world) -> None:
    with pytest.raises(ClipTooShort, match="at least 1 s"):
        estimate_audio_lag(_cut(world, 0.0, 10.0), _cut(world, 1.0, 0.5))


def test_it_rejects_mismatched_rates(world) -> None:
    other = AudioTrack(np.ones(16000 * 5, dtype=np.float32), 16000)
    with pytest.raises(ParameterError, match="sample rates differ: 8000 Hz vs 16000 Hz"):
        estimate_audio_lag(_cut(world, 0.0, 10.0), other)


def test_it_rejects_non_float32_samples(world) -> None:
    bad = AudioTrack(np.ones(RATE_HZ * 5, dtype=np.float64), RATE_HZ)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="float32"):
        estimate_audio_lag(_cut(world, 0.0, 10.0), bad)
