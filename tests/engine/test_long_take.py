"""Long takes: streamed audio features equal the in-memory ones, drift points, and the
streaming extractor's error paths. Media made with ffmpeg at test time (the search of takes
longer than LONG_TAKE_S is tested in test_long_take_search.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from mediasynth.audio import world_audio
from syncengine import audio, media
from syncengine.audio import estimate_audio_lag, prepare_audio
from syncengine.audio_stream import stream_prepared_audio
from syncengine.errors import (
    ClipTooShort,
    NoAudioStream,
    ParameterError,
    SilentAudio,
    UnreadableMedia,
)
from syncengine.types import AudioTrack, LagEstimate

WORLD_HZ = 20000  # 20000 * (1 + 300e-6) = 20006: a whole rate, so the drift is exact
RATE_HZ = 8000  # the engine's analysis rate
DRIFT_PPM = 300.0


def _ffmpeg(*args: str, stdin: bytes | None = None) -> None:
    subprocess.run(
        [media.ffmpeg_executable(), "-nostdin", "-v", "error", "-y", *args],
        input=stdin,
        check=True,
        timeout=300,
    )


def _camera(
    dst: Path, *, world_start_s: float, duration_s: float, drift_ppm: float, seed: int
) -> Path:
    """The world from ``world_start_s``, its clock ``drift_ppm`` fast, with its own noise."""
    read_hz = round(WORLD_HZ * (1 + drift_ppm * 1e-6))
    x = world_audio(
        duration_s=duration_s * read_hz / WORLD_HZ + 1.0,
        start_s=world_start_s,
        sample_rate_hz=WORLD_HZ,
        seed=11,
    )
    x = x + 0.005 * np.random.default_rng(seed).standard_normal(x.size).astype(np.float32)
    codec = ["-c:a", "aac", "-b:a", "96k", "-ar", "48000"]
    if dst.suffix == ".wav":
        codec = ["-c:a", "pcm_s16le", "-ar", "16000"]
    _ffmpeg(
        *("-f", "f32le", "-ar", str(read_hz), "-ac", "1", "-i", "pipe:0"),
        *("-t", str(duration_s), *codec, str(dst)),
        stdin=x.astype("<f4").tobytes(),
    )
    return dst


def _both_ways(path: Path) -> tuple[audio.PreparedAudio, audio.PreparedAudio]:
    in_memory = prepare_audio(media.decode_audio(path, sample_rate_hz=RATE_HZ))
    return in_memory, stream_prepared_audio(path, sample_rate_hz=RATE_HZ)


def _same_features(a: audio.PreparedAudio, b: audio.PreparedAudio) -> None:
    assert isinstance(b.track.samples, np.memmap)  # not held in memory
    assert np.array_equal(a.track.samples, b.track.samples)
    assert np.array_equal(a.coarse, b.coarse)
    assert a.scout is not None and b.scout is not None
    assert np.array_equal(a.scout, b.scout)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two AAC recordings: B starts 20 s after A and its clock runs 300 ppm fast."""
    folder = tmp_path_factory.mktemp("long_pair")
    a = _camera(folder / "a.m4a", world_start_s=0.0, duration_s=150.0, drift_ppm=0.0, seed=1)
    b = _camera(folder / "b.m4a", world_start_s=20.0, duration_s=130.0, drift_ppm=DRIFT_PPM, seed=2)
    return a, b


@pytest.fixture(scope="module")
def estimates(pair) -> tuple[LagEstimate, LagEstimate]:
    """The pair's estimate from the in-memory features and from the streamed ones."""
    (mem_a, str_a), (mem_b, str_b) = _both_ways(pair[0]), _both_ways(pair[1])
    _same_features(mem_a, str_a)
    _same_features(mem_b, str_b)
    e_mem = estimate_audio_lag(mem_a, mem_b, max_lag_s=None)
    return e_mem, estimate_audio_lag(str_a, str_b, max_lag_s=None)


def test_streamed_features_and_estimates_equal_the_in_memory_ones(estimates) -> None:
    e_mem, e_str = estimates
    assert (e_str.lag_s, e_str.drift_ppm, e_str.confidence, e_str.features) == (
        e_mem.lag_s,
        e_mem.drift_ppm,
        e_mem.confidence,
        e_mem.features,
    )
    assert e_str.drift_points == e_mem.drift_points
    assert abs(e_str.lag_s - 20.0) < 0.001
    assert e_str.drift_ppm is not None and abs(e_str.drift_ppm - DRIFT_PPM) < 5.0


def test_drift_points_are_the_fit_windows_and_follow_the_fitted_line(estimates) -> None:
    est = estimates[1]
    assert est.drift_ppm is not None and abs(est.drift_ppm - DRIFT_PPM) < 5.0
    t, lag = np.array(est.drift_points).T
    assert t.size >= 10  # 130 s of overlap in 5 s windows, up to 24 of them
    assert np.all(np.diff(t) > 0)
    assert t[0] >= 20.0 and t[-1] <= 150.0  # the overlap, in reference time
    slope, _ = np.polyfit(t, lag, 1)
    assert abs(slope * 1e6 - est.drift_ppm) < 1.0
    # The points scatter about the fitted line (the fit is in the clip's own time u = t - lag)
    # by the windows' own error, well under a millisecond, and the line crosses them.
    residual = lag - (est.lag_s + est.drift_ppm * 1e-6 * (t - lag))
    assert np.median(np.abs(residual)) < 0.0005 and np.max(np.abs(residual)) < 0.002
    assert abs(np.median(residual)) < 0.0002
    # Over the ~120 s between the first and the last window, 300 ppm adds ~36 ms of lag.
    assert lag[-1] - lag[0] == pytest.approx(DRIFT_PPM * 1e-6 * (t[-1] - t[0]), abs=0.002)


def test_no_drift_points_when_the_overlap_is_too_short() -> None:
    rng = np.random.default_rng(5)
    world = (rng.standard_normal(30 * RATE_HZ) * 0.1).astype(np.float32)
    est = estimate_audio_lag(
        AudioTrack(world[: 12 * RATE_HZ].copy(), RATE_HZ),
        AudioTrack(world[4 * RATE_HZ : 16 * RATE_HZ].copy(), RATE_HZ),
    )
    assert abs(est.lag_s - 4.0) < 0.001
    assert est.drift_ppm is None and est.drift_points == ()


# --- the streaming extractor's error paths --------------------------------------------------


def test_a_file_without_audio_is_refused(tmp_path: Path) -> None:
    video = tmp_path / "picture.mp4"
    _ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=64x48:r=10:d=2", "-c:v", "libx264", str(video))
    with pytest.raises(NoAudioStream, match="no audio track"):
        stream_prepared_audio(video)


def test_a_truncated_file_is_refused(tmp_path: Path) -> None:
    whole = _camera(
        tmp_path / "whole.m4a", world_start_s=0.0, duration_s=20.0, drift_ppm=0.0, seed=6
    )
    cut = tmp_path / "cut.m4a"
    # The index first (faststart), so half the file still declares the whole duration.
    _ffmpeg("-i", str(whole), "-c", "copy", "-movflags", "+faststart", str(cut))
    data = cut.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    # The probe already refuses such a file; the decoder's own check is what remains when a
    # file's stream stops early without the container saying so: declared 20 s, decoded ~10 s.
    declared = media.probe(whole)
    with pytest.raises(UnreadableMedia, match="truncated: its audio stops at"):
        stream_prepared_audio(cut, info=declared)


def test_silence_and_too_short_clips_are_refused_and_leave_no_file(tmp_path: Path) -> None:
    silent = tmp_path / "silent.wav"
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "5", str(silent))
    short = tmp_path / "short.wav"
    _ffmpeg("-f", "lavfi", "-i", "sine=f=440:r=48000", "-t", "0.5", str(short))
    spill = tmp_path / "spill"
    spill.mkdir()
    with pytest.raises(SilentAudio, match="silent audio track"):
        stream_prepared_audio(silent, spill_dir=spill)
    with pytest.raises(ClipTooShort, match="0.50 s of audio"):
        stream_prepared_audio(short, spill_dir=spill)
    with pytest.raises(ParameterError, match="not a multiple"):
        stream_prepared_audio(short, sample_rate_hz=6000)
    prepared = stream_prepared_audio(
        _camera(tmp_path / "ok.wav", world_start_s=0.0, duration_s=3.0, drift_ppm=0.0, seed=7),
        spill_dir=spill,
    )
    assert list(spill.iterdir()) == []  # the spilled samples live in an unlinked file
    assert prepared.track.duration_s == pytest.approx(3.0, abs=0.01)
    assert float(np.abs(prepared.track.samples).max()) > 0.01  # and they are readable
