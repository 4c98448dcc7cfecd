"""The probe reads what files say about their device and clock: make/model/serial, BWF, iXML."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from syncengine.media import ffmpeg_executable, probe
from syncengine.probe import device_tags, read_ixml

IXML = """<?xml version="1.0" encoding="UTF-8"?>
<BWFXML><IXML_VERSION>2.10</IXML_VERSION><PROJECT>Syncsite</PROJECT><SCENE>12A</SCENE>
<TAKE>3</TAKE><TAPE>DAY1</TAPE><SPEED><TIMECODE_RATE>25/1</TIMECODE_RATE>
<TIMECODE_FLAG>NDF</TIMECODE_FLAG><FILE_SAMPLE_RATE>48000</FILE_SAMPLE_RATE>
<TIMESTAMP_SAMPLE_RATE>48000</TIMESTAMP_SAMPLE_RATE>
<TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI>1</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI>
<TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO>5</TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO></SPEED></BWFXML>"""


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-v", "error", "-y", *args], check=True, timeout=60
    )


def _chunk(cid: bytes, data: bytes) -> bytes:
    return cid + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) & 1 else b"")


def _wav_with_chunks(path: Path, *extra: bytes, after_data: bytes = b"") -> Path:
    """A 1 s 48 kHz 16-bit WAV with ``extra`` chunks before its data and ``after_data`` after."""
    samples = (np.sin(np.arange(48000) * 0.05) * 8000).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, 48000, 96000, 2, 16)
    body = b"WAVE" + _chunk(b"fmt ", fmt) + b"".join(extra) + _chunk(b"data", samples)
    body += after_data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        (
            ["make=Canon", "model=EOS R5", "serial=ABC123"],
            {"make": "Canon", "model": "EOS R5", "serial": "ABC123"},
        ),
        (
            ["com.apple.quicktime.make=Apple", "com.apple.quicktime.model=iPhone 15 Pro"],
            {"make": "Apple", "model": "iPhone 15 Pro"},
        ),
        (
            ["com.android.manufacturer=Google", "com.android.model=Pixel 8"],
            {"make": "Google", "model": "Pixel 8"},
        ),
    ],
)
def test_probe_reads_device_tags_of_a_mov(tmp_path, metadata, expected) -> None:
    out = tmp_path / "tagged.mov"
    meta = [a for m in metadata for a in ("-metadata", m)]
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc=s=320x240:d=1", "-c:v", "libx264", *meta,
        "-movflags", "use_metadata_tags", str(out),
    )  # fmt: skip
    info = probe(out)
    assert {k: info.tags[k] for k in expected} == expected
    assert "encoder" not in info.tags and not any("Lavf" in v for v in info.tags.values())


def test_probe_reads_make_and_model_of_an_mp4(tmp_path) -> None:
    out = tmp_path / "tagged.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc=s=320x240:d=1", "-c:v", "libx264",
        "-metadata", "make=GoPro", "-metadata", "model=HERO12 Black",
        "-movflags", "use_metadata_tags", str(out),
    )  # fmt: skip
    info = probe(out)
    assert info.tags["make"] == "GoPro" and info.tags["model"] == "HERO12 Black"


def test_a_file_without_device_tags_has_none(clips) -> None:
    info = probe(clips["a"])
    assert not {"make", "model", "serial", "time_reference"} & set(info.tags)


def test_probe_reads_a_bwf_time_reference_written_by_ffmpeg(tmp_path) -> None:
    out = tmp_path / "recorder.wav"
    _ffmpeg(
        "-f", "lavfi", "-i", "sine=d=1:sample_rate=48000", "-c:a", "pcm_s24le",
        "-write_bext", "1", "-metadata", "time_reference=172800000",
        "-metadata", "originator=ZOOM F8", "-metadata", "origination_date=2026-12-01",
        "-metadata", "origination_time=01:00:00", str(out),
    )  # fmt: skip
    info = probe(out)
    assert info.tags["time_reference"] == "172800000"  # 1 h at 48 kHz
    assert info.tags["originator"] == "ZOOM F8"
    assert info.creation_time == "2026-12-01T01:00:00"  # bext date and time joined


def test_probe_reads_ixml_of_a_wav(tmp_path) -> None:
    wav = _wav_with_chunks(tmp_path / "ixml.wav", _chunk(b"iXML", IXML.encode()))
    info = probe(wav)
    assert info.audio is not None and info.audio.sample_rate_hz == 48000
    assert info.tags["ixml_project"] == "Syncsite"
    assert info.tags["ixml_scene"] == "12A" and info.tags["ixml_take"] == "3"
    assert info.tags["ixml_timecode_rate"] == "25/1"
    assert info.tags["ixml_timestamp_samples"] == str((1 << 32) + 5)
    assert info.tags["time_reference"] == str((1 << 32) + 5)  # no bext: iXML's timestamp


def test_ixml_after_the_data_chunk_is_found(tmp_path) -> None:
    wav = _wav_with_chunks(tmp_path / "late.wav", after_data=_chunk(b"iXML", IXML.encode()))
    assert read_ixml(wav)["ixml_tape"] == "DAY1"


@pytest.mark.parametrize(
    "bad",
    [
        _chunk(b"iXML", b"<BWFXML><PROJECT>unclosed"),  # not XML
        _chunk(
            b"iXML", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><BWFXML><PROJECT>&a;</PROJECT></BWFXML>'
        ),
        b"iXML" + struct.pack("<I", 0x7FFFFFF0) + b"<BWFXML>",  # a size past the end of the file
        b"junk" + struct.pack("<I", 0xFFFFFFFE),  # a chunk claiming 4 GB
    ],
)
def test_bad_ixml_or_chunk_sizes_are_ignored(tmp_path, bad) -> None:
    wav = tmp_path / "bad.wav"
    wav.write_bytes(_wav_with_chunks(tmp_path / "good.wav").read_bytes() + bad)
    assert read_ixml(wav) == {}


def test_read_ixml_of_a_non_wav_is_empty(clips, tmp_path) -> None:
    assert read_ixml(clips["a"]) == {}
    wav = tmp_path / "plain.wav"
    wavfile.write(wav, 8000, np.zeros(8000, np.int16))
    assert read_ixml(wav) == {}


def test_device_tags_normalise_spellings_and_drop_bad_values() -> None:
    raw = {
        "COM.APPLE.QUICKTIME.MAKE": "Apple\x00\x07",
        "model": "  ",
        "com.android.model": "Pixel",
        "time_reference": "12ab",
        "encoder": "Lavf63",
    }
    assert device_tags(raw) == {"make": "Apple", "model": "Pixel"}
