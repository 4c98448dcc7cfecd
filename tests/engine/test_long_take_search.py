"""The search of two takes longer than LONG_TAKE_S: streamed identically (a take that long is
low-passed by FFT in both paths), and the bounded search agrees with the full one. Media made
with ffmpeg at test time."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from syncengine import audio
from syncengine.audio import LONG_TAKE_S, estimate_audio_lag
from syncengine.audio_stream import stream_prepared_audio
from tests.engine.test_long_take import DRIFT_PPM, RATE_HZ, _both_ways, _camera, _same_features


@pytest.fixture(scope="module")
def long_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two takes longer than LONG_TAKE_S (WAV, quick to write): B +40 s, 300 ppm fast."""
    folder = tmp_path_factory.mktemp("long_take")
    d = LONG_TAKE_S + 60.0
    a = _camera(folder / "a.wav", world_start_s=0.0, duration_s=d + 40.0, drift_ppm=0.0, seed=3)
    b = _camera(folder / "b.wav", world_start_s=40.0, duration_s=d, drift_ppm=DRIFT_PPM, seed=4)
    return a, b


def test_long_takes_stream_identically_and_the_bounded_search_agrees_with_the_full_one(
    long_pair, monkeypatch
) -> None:
    mem_b, str_b = _both_ways(long_pair[1])
    _same_features(mem_b, str_b)  # a take this long is low-passed by FFT in both paths
    del mem_b
    str_a = stream_prepared_audio(long_pair[0], sample_rate_hz=RATE_HZ)
    bounded = estimate_audio_lag(str_a, str_b, max_lag_s=None)
    monkeypatch.setattr(audio, "LONG_TAKE_S", math.inf)  # the search every shorter pair gets
    full = estimate_audio_lag(str_a, str_b, max_lag_s=None)
    for est in (bounded, full):
        assert abs(est.lag_s - 40.0) < 0.001
        assert est.drift_ppm is not None and abs(est.drift_ppm - DRIFT_PPM) < 5.0
        assert est.margin_z >= 8.0  # placed (sync.PLACE_MARGIN_Z)
    assert abs(bounded.lag_s - full.lag_s) < 0.0001
    assert bounded.drift_ppm is not None and full.drift_ppm is not None
    assert abs(bounded.drift_ppm - full.drift_ppm) < 1.0
