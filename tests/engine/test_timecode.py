"""Timecode: parsing and checking, conversion between rates, stamping by remux, read back.

Files are made with ffmpeg at test time; every stamp is read back with the engine's own probe
(``MediaInfo.timecode``) or, for a WAV's BWF ``bext`` chunk, with PyAV.
"""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from mediasynth.clips import CameraSpec, write_clips
from syncengine import media
from syncengine.errors import ParameterError
from syncengine.render import render_synced
from syncengine.timecode import (
    BadTimecode,
    is_drop_frame_rate,
    parse_timecode,
    stamp_timecode,
    timecode_at_rate,
)
from syncengine.types import Placement

NTSC = 30000 / 1001
NTSC60 = 60000 / 1001
FILM = 24000 / 1001


# Parsing and checking: pure --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fps", "expected"),
    [
        ("01:00:00:00", 25.0, "01:00:00:00"),
        ("10:20:30:24", 25.0, "10:20:30:24"),
        ("00:00:00:29", 30.0, "00:00:00:29"),
        ("01:00:00:00", NTSC, "01:00:00;00"),  # NTSC rates are written drop-frame
        ("01:00:00;00", NTSC, "01:00:00;00"),
        ("00:10:00;00", NTSC, "00:10:00;00"),  # minute 10: no frames dropped
        ("00:01:00;02", NTSC, "00:01:00;02"),
        ("00:01:00;04", NTSC60, "00:01:00;04"),
        ("23:59:59:23", FILM, "23:59:59:23"),  # 23.976 counts 24 frames, non-drop
    ],
)
def test_it_reads_valid_timecodes(text: str, fps: float, expected: str) -> None:
    assert str(parse_timecode(text, fps)) == expected


@pytest.mark.parametrize(
    ("text", "fps", "match"),
    [
        ("1:00:00:00", 25.0, "is not a timecode: write it as HH:MM:SS:FF"),
        ("01:00:00", 25.0, "is not a timecode"),
        ("one hour", 25.0, "is not a timecode"),
        ("", 25.0, "is not a timecode"),
        ("24:00:00:00", 25.0, "hours must be below 24"),
        ("01:60:00:00", 25.0, "minutes must be below 60"),
        ("01:00:60:00", 25.0, "seconds must be below 60"),
        ("01:00:00:25", 25.0, "the frames go from 00 to 24, got 25"),
        ("01:00:00:30", NTSC, "the frames go from 00 to 29"),
        ("01:00:00;00", 25.0, "drop-frame timecode .*exists only at 29.97 and 59.94"),
        ("00:01:00;00", NTSC, "does not exist in drop-frame timecode.*use 00:01:00;02"),
        ("00:01:00:01", NTSC, "does not exist in drop-frame"),
        ("00:02:00;03", NTSC60, "use 00:02:00;04"),
    ],
)
def test_it_rejects_bad_timecodes_with_what_to_write(text: str, fps: float, match: str) -> None:
    with pytest.raises(BadTimecode, match=match) as caught:
        parse_timecode(text, fps)
    assert caught.value.code == "bad_timecode"
    assert isinstance(caught.value, ParameterError)


def test_drop_frame_rates_are_the_ntsc_ones() -> None:
    assert is_drop_frame_rate(NTSC) and is_drop_frame_rate(NTSC60)
    assert not any(is_drop_frame_rate(f) for f in (FILM, 24.0, 25.0, 30.0, 50.0, 60.0))


@pytest.mark.parametrize(
    ("text", "fps", "other_fps", "expected"),
    [
        ("01:00:00:00", 25.0, NTSC, "01:00:00;00"),
        ("01:00:00;00", NTSC, 25.0, "01:00:00:00"),
        ("01:00:00:12", 25.0, 50.0, "01:00:00:24"),  # half a second at both rates
        ("01:00:00:12", 24.0, 30.0, "01:00:00:15"),
        ("00:00:59:99", 100.0, NTSC, "00:01:00;02"),  # 00:01:00;00 does not exist: next
        ("23:59:59:24", 25.0, 25.0, "23:59:59:24"),
    ],
)
def test_a_timecode_keeps_its_label_time_at_another_rate(text, fps, other_fps, expected) -> None:
    assert str(timecode_at_rate(parse_timecode(text, fps), other_fps)) == expected


# Stamping by remux ---------------------------------------------------------------------------


def _testsrc(path: Path, *, rate: str, seconds: float = 1.0) -> Path:
    media.run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size=160x120:rate={rate}:d={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=f=440:d={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            "-shortest",
            "-y",
            str(path),
        ],
        timeout_s=60.0,
    )
    return path


@pytest.mark.parametrize(
    ("name", "rate", "fps", "given", "written"),
    [
        ("ntsc.mp4", "30000/1001", NTSC, "01:00:00:00", "01:00:00;00"),
        ("ntsc.mov", "30000/1001", NTSC, "00:10:00;00", "00:10:00;00"),
        ("pal.mp4", "25", 25.0, "10:00:00:12", "10:00:00:12"),
        ("pal.mkv", "25", 25.0, "01:02:03:04", "01:02:03:04"),
    ],
)
def test_stamped_timecode_reads_back(tmp_path: Path, name, rate, fps, given, written) -> None:
    path = _testsrc(tmp_path / name, rate=rate)
    before = media.probe(path)
    assert stamp_timecode(path, given, fps) == written
    after = media.probe(path)
    assert after.timecode == written
    # A remux: the same streams, the same length, nothing left beside the file.
    assert after.video is not None and before.video is not None
    assert after.video.codec == before.video.codec and after.audio is not None
    assert after.duration_s == pytest.approx(before.duration_s, abs=0.05)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_wav_gets_its_bwf_time_reference(tmp_path: Path) -> None:
    wav = tmp_path / "recorder.wav"
    media.run_ffmpeg(
        ["-f", "lavfi", "-i", "sine=d=1:sample_rate=48000", "-c:a", "pcm_s24le", "-y", str(wav)],
        timeout_s=60.0,
    )
    # 01:00:00:12 at 25 fps: 3600.48 s since midnight, 172 823 040 samples at 48 kHz.
    assert stamp_timecode(wav, "01:00:00:12", 25.0) == "172823040"
    with av.open(str(wav)) as container:
        assert container.metadata.get("time_reference") == "172823040"
        assert container.streams.audio[0].format.name == "s32"  # still 24-bit PCM, not re-encoded
    assert media.probe(wav).tags.get("time_reference") in (None, "172823040")


def test_stamping_rejects_a_bad_timecode_and_leaves_the_file(tmp_path: Path) -> None:
    path = _testsrc(tmp_path / "pal.mp4", rate="25")
    before = path.read_bytes()
    with pytest.raises(BadTimecode, match="frames go from 00 to 24"):
        stamp_timecode(path, "01:00:00:25", 25.0)
    assert path.read_bytes() == before


def test_stamping_rejects_a_container_without_timecode(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    path.write_bytes(b"not really")
    with pytest.raises(ParameterError, match="stamp MP4, MOV, MKV or WAV files"):
        stamp_timecode(path, "01:00:00:00", 25.0)


# render_synced(start_timecode=...) ------------------------------------------------------------


@pytest.fixture(scope="module")
def two_rates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    specs = [
        CameraSpec("ntsc", 0.0, 8.0, fps=NTSC, width=160, height=120),
        CameraSpec("pal", 0.8, 7.0, fps=25.0, width=160, height=120, container="mov"),
    ]
    return write_clips(specs, tmp_path_factory.mktemp("tc-src"), seed=21)


def _placements(paths: dict[str, Path]) -> list[Placement]:
    return [
        Placement("ntsc", paths["ntsc"], 0.0, "ntsc.mp4", estimate_s=0.0, is_reference=True),
        Placement("pal", paths["pal"], 0.8, "pal.mov", estimate_s=0.8),
    ]


def test_render_stamps_one_start_timecode_into_every_file(two_rates, tmp_path: Path) -> None:
    result = render_synced(_placements(two_rates), tmp_path, start_timecode="01:00:00:00")
    assert result.verified
    by_key = {f.key: f for f in result.files}
    # The reference (29.97 fps) sets the timeline's rate: drop-frame there, the same label
    # time at 25 fps, read back from the files themselves.
    assert by_key["ntsc"].timecode == "01:00:00;00"
    assert by_key["pal"].timecode == "01:00:00:00"
    assert media.probe(by_key["ntsc"].output).timecode == "01:00:00;00"
    assert media.probe(by_key["pal"].output).timecode == "01:00:00:00"
    assert result.start_timecode == "01:00:00;00"
    assert any("starts at timecode" in n for n in result.notes)


def test_render_rejects_a_bad_timecode_before_encoding(two_rates, tmp_path: Path) -> None:
    with pytest.raises(BadTimecode, match="frames go from 00 to 29, got 30") as caught:
        render_synced(_placements(two_rates), tmp_path, start_timecode="01:00:00:30")
    assert caught.value.code == "bad_timecode"
    assert not list(tmp_path.glob("*_synced.*"))  # nothing was encoded
