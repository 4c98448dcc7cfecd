"""Known offsets under the conditions real shoots have: each clip placed within one frame with
confidence >= 0.5, or refused when it shares nothing. Real files, written with ffmpeg at test
time by the evaluation synthesiser (the tuning style's song, crowd and rooms)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediasynth.clips import CameraSpec, write_clips
from syncengine import estimate_offsets

SMALL = {"width": 160, "height": 120}
EVENT = "song_a+crowd+cheers"
SEED = 11


def _write(tmp: Path, *specs: CameraSpec) -> list[Path]:
    paths = write_clips(specs, tmp, seed=SEED)
    return [paths[s.name] for s in specs]


def _placed(result, path: Path, truth_s: float, *, fps: float = 30.0) -> None:
    video = result.video(path.name)
    assert video.synced, (path.name, video.notes, video.confidence)
    assert abs(video.offset_s - truth_s) <= 1 / fps, (path.name, video.offset_s, truth_s)
    assert video.confidence >= 0.5, (path.name, video.confidence)


def test_loud_music_with_repetition_and_a_crowd(tmp_path: Path) -> None:
    """A song whose sections repeat note for note, under crowd babble, one camera in a room."""
    specs = [
        CameraSpec("ref", 0.0, 24.0, audio_kind=EVENT, noise_db=-60.0, **SMALL),
        CameraSpec("late", 7.37, 20.0, audio_kind=EVENT, rt60_s=0.6, drr_db=2.0, **SMALL),
        CameraSpec(
            "early", -5.21, 20.0, audio_kind=EVENT, band_hz=(300.0, 3400.0), noise_db=-45.0, **SMALL
        ),
    ]
    paths = _write(tmp_path, *specs)
    result = estimate_offsets(paths, method="audio")
    _placed(result, paths[1], 7.37)
    _placed(result, paths[2], -5.21)


def test_a_reverberant_hall_and_a_distant_microphone(tmp_path: Path) -> None:
    """RT60 about 1 s: the room's early reflections are side peaks of the match, not rivals."""
    specs = [
        CameraSpec("ref", 0.0, 24.0, audio_kind="speech", noise_db=-60.0, **SMALL),
        CameraSpec("hall", 4.42, 20.0, audio_kind="speech", rt60_s=1.1, drr_db=-2.0, **SMALL),
        CameraSpec(
            "far",
            -3.03,
            20.0,
            audio_kind="speech",
            rt60_s=1.0,
            drr_db=-8.0,
            gain_db=-14.0,
            noise_db=-50.0,
            lowpass_hz=4000.0,
            **SMALL,
        ),
    ]
    paths = _write(tmp_path, *specs)
    result = estimate_offsets(paths, method="audio")
    _placed(result, paths[1], 4.42)
    _placed(result, paths[2], -3.03)


def test_offsets_beyond_twenty_seconds_are_found_by_default(tmp_path: Path) -> None:
    """Cameras switched on half a minute apart: the default searches the whole overlap."""
    specs = [
        CameraSpec("ref", 0.0, 60.0, audio_kind=EVENT, **SMALL),
        CameraSpec("late", 38.5, 18.0, audio_kind=EVENT, rt60_s=0.5, **SMALL),
        CameraSpec("edge", 19.7, 20.0, audio_kind=EVENT, **SMALL),
    ]
    paths = _write(tmp_path, *specs)
    result = estimate_offsets(paths, method="audio")
    assert result.max_lag_s is None
    _placed(result, paths[1], 38.5)
    _placed(result, paths[2], 19.7)


def test_an_unrelated_camera_next_to_syncable_ones_is_refused(tmp_path: Path) -> None:
    specs = [
        CameraSpec("ref", 0.0, 20.0, audio_kind=EVENT, **SMALL),
        CameraSpec("mate", 3.3, 16.0, audio_kind=EVENT, rt60_s=0.5, **SMALL),
        CameraSpec(
            "stranger", 2.0, 16.0, audio="unrelated", video="unrelated", audio_kind=EVENT, **SMALL
        ),
    ]
    paths = _write(tmp_path, *specs)
    for method in ("audio", "auto"):
        result = estimate_offsets(paths, method=method)
        _placed(result, paths[1], 3.3)
        stranger = result.video(paths[2].name)
        assert not stranger.synced and stranger.offset_s is None, (method, stranger)
        assert stranger.confidence < 0.2, (method, stranger.confidence)


@pytest.mark.parametrize("method", ["audio", "auto"])
def test_a_camera_without_an_audio_track(tmp_path: Path, method: str) -> None:
    """Audio reports it not synced with the reason and syncs the rest; auto uses its picture."""
    specs = [
        CameraSpec("ref", 0.0, 20.0, **SMALL),
        CameraSpec("mate", -2.6, 18.0, rt60_s=0.5, **SMALL),
        CameraSpec("mute", 4.1, 16.0, audio="none", crop=0.8, **SMALL),
    ]
    paths = _write(tmp_path, *specs)
    result = estimate_offsets(paths, method=method)
    _placed(result, paths[1], -2.6)
    mute = result.video(paths[2].name)
    if method == "audio":
        assert not mute.synced and any("no audio track" in n for n in mute.notes), mute.notes
    else:
        _placed(result, paths[2], 4.1)
