"""Timecode, BWF time references and creation times as a first guess that narrows the search.

Ground truth is each clip's world start (``CameraSpec.start_s``). A pair with a first guess is
searched within ``METADATA_WINDOW_S`` of it first; what was searched shows in the pair's
correlation curve (its lags), so these tests see the narrowing itself, not only its result.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mediasynth.clips import CameraSpec, write_clips
from syncengine import estimate_offsets
from syncengine.media import ffmpeg_executable
from syncengine.sync import (
    METADATA_WINDOW_S,
    _Clock,
    _clock,
    _creation_s,
    _metadata_offset,
    _timecode_s,
)
from syncengine.types import AudioStreamInfo, MediaInfo, VideoStreamInfo

SEED = 23
FRAME_S = 1 / 30
WINDOW_S = METADATA_WINDOW_S["time of day"]


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-v", "error", "-y", *args], check=True, timeout=120
    )


def _with_timecode(src: Path, timecode: str, name: str) -> Path:
    out = src.with_name(name)
    _ffmpeg(
        "-i", str(src), "-c", "copy", "-map", "0", "-metadata", f"timecode={timecode}", str(out)
    )
    return out


@pytest.fixture(scope="module")
def shoot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("metadata")
    specs = [
        CameraSpec("wide", start_s=0.0, duration_s=22.0, container="mp4"),
        CameraSpec("s1", start_s=2.0, duration_s=7.0, container="mp4"),
        CameraSpec("s2", start_s=12.0, duration_s=8.0, container="mp4"),
        # Heard and saw another event: nothing of it matches "wide", only its timecode says.
        CameraSpec("stranger", 3.0, 6.0, audio="unrelated", video="unrelated", container="mp4"),
    ]
    paths = write_clips(specs, out, seed=SEED)
    recorder = out / "recorder.wav"
    # The recorder heard what s2 heard, from 12 s on: its BWF time reference says 01:00:12.
    _ffmpeg(
        "-i", str(paths["s2"]), "-vn", "-c:a", "pcm_s24le", "-write_bext", "1",
        "-metadata", f"time_reference={(3600 + 12) * 48000}", str(recorder),
    )  # fmt: skip
    return {
        "wide": _with_timecode(paths["wide"], "01:00:00:00", "wide_tc.mp4"),
        "wide_wrong": _with_timecode(paths["wide"], "01:00:01:00", "wide_wrong.mp4"),
        "s1": _with_timecode(paths["s1"], "01:00:02:00", "s1_tc.mp4"),
        "s2": _with_timecode(paths["s2"], "01:00:12:00", "s2_tc.mp4"),
        "s1_wrong": _with_timecode(paths["s1"], "01:00:05:06", "s1_wrong.mp4"),  # 3.20 s late
        "s1_far": _with_timecode(paths["s1"], "01:02:00:00", "s1_far.mp4"),  # 118 s late
        "recorder": recorder,
        "stranger": _with_timecode(paths["stranger"], "01:00:03:15", "stranger_tc.mp4"),
        "s1_plain": paths["s1"],
    }


def _pair(result, key: str):
    keys = [v.key for v in result.videos]
    k = keys.index(key)
    (pair,) = [p for p in result.pairs if k in (p.i, p.j) and 0 in (p.i, p.j)]
    return pair


def _searched(pair) -> tuple[float, float]:
    lags = pair.curve[0]
    return float(lags.min()), float(lags.max())


def test_timecodes_narrow_the_search_to_their_guess(shoot) -> None:
    result = estimate_offsets([shoot["wide"], shoot["s1"], shoot["s2"]], method="audio")
    for key, truth_s in [("s1_tc.mp4", 2.0), ("s2_tc.mp4", 12.0)]:
        video = result.video(key)
        error_ms = (video.offset_s - truth_s) * 1000
        print(f"{key}: {error_ms:.3f} ms off, searched {_searched(_pair(result, key))}")
        assert video.synced and video.placed_by == "content" and abs(error_ms) <= 1.0
        low, high = _searched(_pair(result, key))
        assert truth_s - WINDOW_S - 0.01 <= low and high <= truth_s + WINDOW_S + 0.01
        assert not any("timecode" in note for note in video.notes)


def test_without_metadata_the_whole_overlap_is_searched(shoot) -> None:
    result = estimate_offsets([shoot["wide"], shoot["s1_plain"]], method="audio")
    low, high = _searched(_pair(result, "s1.mp4"))
    assert low < 2.0 - WINDOW_S - 1 and high > 2.0 + WINDOW_S + 1


def test_a_wrong_timecode_is_overruled_by_the_sound_and_said(shoot) -> None:
    result = estimate_offsets([shoot["wide"], shoot["s1_wrong"]], method="audio")
    video = result.video("s1_wrong.mp4")
    print(f"wrong timecode: {(video.offset_s - 2.0) * 1000:.3f} ms off")
    assert video.synced and abs(video.offset_s - 2.0) <= 0.001
    assert "the sound places it 3.20 s earlier than its timecode says" in video.notes
    low, high = _searched(_pair(result, "s1_wrong.mp4"))
    assert low >= 5.2 - WINDOW_S - 0.01 and high <= 5.2 + WINDOW_S + 0.01  # found near it


def test_a_timecode_far_off_falls_back_on_the_whole_search(shoot) -> None:
    result = estimate_offsets([shoot["wide"], shoot["s1_far"]], method="audio")
    video = result.video("s1_far.mp4")
    print(f"far timecode: {(video.offset_s - 2.0) * 1000:.3f} ms off")
    assert video.synced and abs(video.offset_s - 2.0) <= 0.001
    assert "the sound places it 118.00 s earlier than its timecode says" in video.notes
    low, high = _searched(_pair(result, "s1_far.mp4"))
    assert low < 0 < 2.0 < high  # the whole overlap, not around 120 s


def test_a_recorders_bwf_time_reference_is_a_first_guess_against_timecode(shoot) -> None:
    result = estimate_offsets([shoot["wide"], shoot["recorder"]], method="audio")
    video = result.video("recorder.wav")
    print(f"BWF recorder: {(video.offset_s - 12.0) * 1000:.3f} ms off")
    assert video.synced and abs(video.offset_s - 12.0) <= 0.001
    low, high = _searched(_pair(result, "recorder.wav"))
    assert low >= 12.0 - WINDOW_S - 0.01 and high <= 12.0 + WINDOW_S + 0.01
    assert not any("time reference" in note for note in video.notes)


@pytest.mark.parametrize(
    ("timecode", "fps", "expected_s"),
    [
        ("01:00:00:00", 25.0, 3600.0),
        ("00:00:01:12", 25.0, 1.48),
        ("00:01:00;02", 30000 / 1001, 1800 / (30000 / 1001)),  # drop frame: ;00 and ;01 skipped
        ("00:10:00;00", 30000 / 1001, 17982 / (30000 / 1001)),  # each tenth minute keeps them
        ("00:00:00:30", 30.0, None),  # no frame 30 at 30 fps
        ("garbage", 25.0, None),
    ],
)
def test_timecode_seconds(timecode, fps, expected_s) -> None:
    got = _timecode_s(timecode, fps)
    assert got == (None if expected_s is None else pytest.approx(expected_s, abs=1e-9))


def test_a_clip_that_matches_nothing_is_placed_by_its_timecode_and_says_so(shoot) -> None:
    result = estimate_offsets([shoot["wide"], shoot["stranger"]], method="audio")
    video = result.video("stranger_tc.mp4")
    assert video.synced and video.placed_by == "metadata" and video.band == "fair"
    assert video.offset_s == pytest.approx(3.5, abs=1e-6)  # 01:00:03:15 at 30 fps
    assert "placed by its timecode, 3.50 s after 'wide_tc.mp4'" in video.notes[-1]
    assert "not measured" in video.notes[-1]
    plain = estimate_offsets([shoot["s1_plain"], shoot["stranger"]], method="audio")
    assert not plain.video("stranger_tc.mp4").synced  # no clock on the other side: nothing


def test_the_clock_most_clips_share_decides_whose_timecode_is_wrong(shoot) -> None:
    clips = [shoot["wide_wrong"], shoot["s1"], shoot["s2"]]  # the reference's is 1 s late
    result = estimate_offsets(clips, method="audio")
    assert "the sound places it 1.00 s earlier than its timecode says" in (
        result.video("wide_wrong.mp4").notes
    )
    for key, truth_s in [("s1_tc.mp4", 2.0), ("s2_tc.mp4", 12.0)]:
        video = result.video(key)
        assert abs(video.offset_s - truth_s) <= 0.001
        assert not any("timecode" in note for note in video.notes)


def _info(*, timecode=None, tags=None, creation=None, fps=25.0, video_start_s=0.0) -> MediaInfo:
    video = VideoStreamInfo("h264", 320, 240, fps, False, 0, video_start_s, 10.0, 250)
    audio = AudioStreamInfo("pcm_s24le", 48000, 2, 0.0, 10.0)
    return MediaInfo(
        "x.mov", "x.mov", "mov", 1, 10.0, video, audio, creation, timecode, dict(tags or {})
    )


def test_a_clips_clock_prefers_timecode_then_bwf_then_creation_time() -> None:
    both = _info(timecode="01:00:00:00", tags={"time_reference": "96000"}, video_start_s=0.5)
    assert _clock(both) == _Clock("time of day", 3599.5, "timecode")  # of its first frame
    bwf = _info(tags={"time_reference": str(3600 * 48000)}, creation="2026-12-01T10:00:00Z")
    assert _clock(bwf) == _Clock("time of day", 3600.0, "BWF time reference")
    created = _info(timecode="not a timecode", creation="2026-12-01T10:00:02.000000Z")
    assert _clock(created) == _Clock("creation", 1796119202.0, "creation time")
    assert _clock(_info(creation="yesterday", tags={"time_reference": "12ab"})) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T10:00:02Z", 1796119202.0),
        ("2026-12-01T10:00:02.000000Z", 1796119202.0),  # how ffmpeg writes it
        ("2026-12-01T11:00:02+01:00", 1796119202.0),
        ("2026-12-01T10:00:02", 1796119202.0),  # no zone: read as UTC
        ("0000-00-00T00:00:00", None),
        ("", None),
        (None, None),
    ],
)
def test_creation_times(text, expected) -> None:
    assert _creation_s(text) == expected


def test_a_time_of_day_clock_wraps_at_midnight() -> None:
    before = _Clock("time of day", 86399.0, "timecode")
    after = _Clock("time of day", 1.0, "BWF time reference")
    assert _metadata_offset(before, after) == 2.0
    assert _metadata_offset(after, before) == -2.0
    assert _metadata_offset(before, _Clock("creation", 1.0, "creation time")) is None
