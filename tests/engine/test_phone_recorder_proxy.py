"""A file without picture (a sound recorder's WAV, an M4A) gets an AAC-only proxy."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from syncengine.errors import ParameterError, RenderError, UnreadableMedia
from syncengine.media import decode_audio, ffmpeg_executable, probe, video_color
from syncengine.proxy import make_poster, make_proxy

CLICKS_S = (0.5, 1.7, 2.9)


def _recording(path: Path, *, codec: str, channels: int) -> Path:
    clicks = "+".join(f"between(t,{t},{t + 0.02})" for t in CLICKS_S)
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
         f"aevalsrc='0.01*sin(2*PI*220*t)+0.8*({clicks})*sin(2*PI*2000*t)':s=48000:d=4",
         "-ac", str(channels), "-c:a", codec, str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return path


def _onsets_s(path: Path) -> list[float]:
    sound = decode_audio(path, sample_rate_hz=48000)
    loud = np.abs(sound.samples) > 0.2
    found: list[float] = []
    for k in np.flatnonzero(loud[1:] & ~loud[:-1]) + 1:
        if not found or k / 48000 - found[-1] > 0.3:
            found.append(k / 48000)
    return found


@pytest.mark.parametrize(
    ("name", "codec", "channels"),
    [("rec24.wav", "pcm_s24le", 1), ("rec32f.wav", "pcm_f32le", 2), ("six.wav", "pcm_s16le", 6)],
)
def test_a_recorder_file_gets_an_aac_audio_proxy_with_its_timing(
    tmp_path: Path, name: str, codec: str, channels: int
) -> None:
    source = _recording(tmp_path / name, codec=codec, channels=channels)
    target = tmp_path / "proxy.m4a"
    assert make_proxy(source, target) == target
    info = probe(target)
    assert info.video is None
    assert info.audio is not None and info.audio.codec == "aac" and info.audio.channels == 2
    assert info.duration_s == pytest.approx(4.0, abs=0.05)
    np.testing.assert_allclose(_onsets_s(target), CLICKS_S, atol=0.002)
    assert not (tmp_path / ".proxy.m4a.part").exists()
    assert make_poster(source, tmp_path / "poster.jpg") is None  # no picture, no poster


def test_a_bad_max_height_is_refused(tmp_path: Path) -> None:
    source = _recording(tmp_path / "rec.wav", codec="pcm_s16le", channels=1)
    with pytest.raises(ParameterError, match="max_height must be a positive even number, got 7"):
        make_proxy(source, tmp_path / "proxy.m4a", max_height=7)


def test_a_failed_proxy_is_a_render_error_and_leaves_nothing(tmp_path: Path) -> None:
    source = _recording(tmp_path / "rec.wav", codec="pcm_s16le", channels=1)
    target = tmp_path / "missing_folder" / "proxy.m4a"
    with pytest.raises(RenderError, match="ffmpeg failed"):
        make_proxy(source, target)
    assert not target.exists() and not target.with_name(".proxy.m4a.part").exists()


def test_video_color_of_a_file_that_is_not_media_says_so(tmp_path: Path) -> None:
    junk = tmp_path / "notes.mp4"
    junk.write_bytes(b"this is not a video at all" * 100)
    with pytest.raises(UnreadableMedia, match="'notes.mp4' is not a video or audio file"):
        video_color(junk)
