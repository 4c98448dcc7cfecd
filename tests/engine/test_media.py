"""Probing and decoding real files, and every bad-file error path."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from syncengine.errors import NoAudioStream, NoVideoStream, UnreadableMedia, UnsupportedMedia
from syncengine.media import (
    decode_audio,
    ffmpeg_executable,
    iter_gray_frames,
    probe,
    safe_input_args,
)


def test_probe_describes_streams(clips) -> None:
    info = probe(clips["b_late"])
    assert info.filename == "b_late.mov"
    assert info.duration_s == pytest.approx(10.0, abs=0.05)
    assert info.video is not None and info.audio is not None
    assert info.video.fps == pytest.approx(30000 / 1001, rel=1e-4)
    assert not info.video.variable_fps
    assert (info.video.width, info.video.height) == (160, 120)
    assert info.audio.sample_rate_hz == 44100
    assert info.audio.channels == 2


def test_probe_reads_rotation_creation_time_and_timecode(clips, tmp_path) -> None:
    tagged = tmp_path / "tagged.mov"
    subprocess.run(
        [
            ffmpeg_executable(),
            "-nostdin",
            "-v",
            "error",
            "-display_rotation:v:0",
            "90",
            "-i",
            str(clips["a"]),
            "-c",
            "copy",
            "-metadata",
            "creation_time=2026-05-01T10:00:00Z",
            "-timecode",
            "01:02:03:04",
            str(tagged),
        ],
        check=True,
        timeout=60,
    )
    info = probe(tagged)
    assert info.video is not None and info.video.rotation_deg in (90, 270)
    assert info.creation_time is not None and info.creation_time.startswith("2026-05-01T10:00:00")
    assert info.timecode == "01:02:03:04"


def test_probe_sees_a_missing_audio_track(clips) -> None:
    info = probe(clips["noaudio"])
    assert info.audio is None and info.video is not None


def test_decode_audio_resamples_to_the_analysis_rate(clips) -> None:
    track = decode_audio(clips["b_late"], sample_rate_hz=8000)
    assert track.sample_rate_hz == 8000
    assert track.samples.dtype == np.float32
    assert track.duration_s == pytest.approx(10.0, abs=0.05)
    assert float(np.abs(track.samples).max()) > 0.01


def test_decode_audio_refuses_a_file_without_audio(clips) -> None:
    with pytest.raises(NoAudioStream, match="has no audio track.*Try visual sync"):
        decode_audio(clips["noaudio"])


def test_frames_carry_real_timestamps(clips) -> None:
    frames = iter_gray_frames(clips["c_early"], width=80)
    times = [t for t, _ in frames]
    assert len(times) == 250
    assert np.allclose(np.diff(times), 1 / 25, atol=1e-3)


def test_a_truncated_file_is_reported(clips) -> None:
    with pytest.raises(UnreadableMedia, match="truncated|corrupt"):
        info = probe(clips["truncated"])
        decode_audio(clips["truncated"], info=info)


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("not_media", UnreadableMedia, "not a video or audio file"),
        ("empty", UnreadableMedia, "is empty"),
        ("playlist", UnsupportedMedia, "playlist or script"),
        ("concat", UnsupportedMedia, "playlist or script"),
    ],
)
def test_bad_files_get_a_clear_error(clips, name: str, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        probe(clips[name])


def test_a_missing_file_is_reported(tmp_path) -> None:
    with pytest.raises(UnreadableMedia, match="does not exist"):
        probe(tmp_path / "nope.mp4")


@pytest.mark.parametrize("name", ["playlist", "concat"])
def test_ffmpeg_itself_refuses_playlists_past_our_precheck(clips, name: str) -> None:
    # Defence in depth: even called directly, ffmpeg with our input options opens no playlist.
    argv = [
        ffmpeg_executable(),
        "-nostdin",
        "-v",
        "error",
        *safe_input_args(clips[name]),
        "-f",
        "null",
        "-",
    ]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    unguarded = [
        ffmpeg_executable(),
        "-nostdin",
        "-v",
        "error",
        "-safe",
        "0",
        "-i",
        str(clips[name]),
        "-f",
        "null",
        "-",
    ]
    if name == "concat":  # proves the file is a working exploit when the guard is absent
        assert subprocess.run(unguarded, capture_output=True, timeout=60).returncode == 0


def test_frames_need_a_picture(tmp_path, clips) -> None:
    wav = tmp_path / "sound.wav"
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-v", "error", "-i", str(clips["a"]), "-vn", str(wav)],
        check=True,
        timeout=60,
    )
    with pytest.raises(NoVideoStream, match="no picture"):
        next(iter_gray_frames(wav))
