"""Decoders run in child processes: a crash, a memory limit or a cut-off file fails one clip.

The 8-channel PCM MOV that corrupts memory inside PyAV 18.1 cannot be made by the bundled ffmpeg
(its README says why), so it is read from ``../shared/media`` and those tests skip without it.
A decoder crash is reproduced for real by killing the decoder child with SIGSEGV, found by its
command line under this process.
"""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from syncengine import decoder_child
from syncengine.errors import (
    DecoderCrashed,
    MemoryLimitExceeded,
    ParameterError,
    RenderMemoryLimit,
    TruncatedMedia,
    UnreadableMedia,
)
from syncengine.media import (
    ALLOWED_DEMUXERS,
    MEMORY_ENV,
    decode_audio,
    iter_gray_frames,
    keyframe_at_or_before,
    memory_limit_mb,
    probe,
    run_ffmpeg,
)
from syncengine.sync import estimate_offsets
from tests.engine.decoder_faults import (
    PCM8,
    crash_decoder_on_start,
    decoder_children,
    ffmpeg,
    needs_pcm8,
    write_clip,
    write_cut_copy,
)

# What PyAV 18.1 does on that file when asked for the audio channel count in this process.
_PLAIN_PYAV = (
    "import av, sys\n"
    "c = av.open(sys.argv[1])\n"
    "print(c.streams.audio[0].codec_context.channels)\n"
    "for f in c.decode(c.streams.video[0]):\n"
    "    break\n"
    "c.close()\n"
)


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 s of moving picture without sound: its frame decoder is alive long enough to kill."""
    path = tmp_path_factory.mktemp("long") / "long_take.mp4"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x120:rate=30",
        "-t",
        "120",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        str(path),
    )
    return path


@needs_pcm8
def test_plain_pyav_still_crashes_on_the_8_channel_mov() -> None:
    # Why the isolation exists: the same reads in one process abort it (heap corruption).
    run = subprocess.run(
        [sys.executable, "-c", _PLAIN_PYAV, str(PCM8)], capture_output=True, timeout=120
    )
    assert run.returncode < 0, run


@needs_pcm8
def test_the_8_channel_mov_is_probed_decoded_and_this_process_survives() -> None:
    for _ in range(3):
        info = probe(PCM8)
        assert info.audio is not None and info.video is not None
        assert (info.audio.codec, info.audio.channels) == ("pcm_s24le", 8)
        assert info.audio.sample_rate_hz == 48000
        assert (info.video.width, info.video.height) == (320, 240)
        assert info.duration_s == pytest.approx(1.0, abs=0.05)
    assert len(list(iter_gray_frames(PCM8, info=info))) == 25
    assert decode_audio(PCM8, info=info).duration_s == pytest.approx(1.0, abs=0.05)
    assert keyframe_at_or_before(PCM8, 0.5) == 0.0


@needs_pcm8
def test_a_run_with_the_8_channel_mov_syncs_the_others_and_reports_it(clips, tmp_path) -> None:
    result = estimate_offsets([clips["a"], clips["b_late"], PCM8], method="auto")
    a, late, pcm8 = (result.video(k) for k in ("a.mp4", "b_late.mov", PCM8.name))
    assert a.is_reference and late.synced
    assert late.offset_s == pytest.approx(clips.truth_s("b_late"), abs=1 / 25)
    assert not pcm8.synced and pcm8.offset_s is None
    assert "not synced" in " ".join(pcm8.notes)


def test_a_crashed_frame_decoder_is_a_typed_error_naming_the_file(long_clip) -> None:
    frames = iter_gray_frames(long_clip)
    next(frames)  # the child is running, and blocked on the full pipe: it cannot finish alone
    (pid,) = decoder_children("frames", long_clip)
    os.kill(pid, signal.SIGSEGV)
    with pytest.raises(DecoderCrashed) as caught:
        for _ in frames:
            pass
    err = caught.value
    assert err.code == "decoder_crashed" and err.filename == "long_take.mp4"
    assert err.message.startswith("'long_take.mp4' crashed the video decoder (SIGSEGV)")
    assert "Re-export it as MP4" in err.message
    assert decoder_children("frames", long_clip) == []


def test_stopping_early_stops_the_frame_decoder(long_clip) -> None:
    frames = iter_gray_frames(long_clip)
    next(frames)
    assert len(decoder_children("frames", long_clip)) == 1
    frames.close()
    assert decoder_children("frames", long_clip) == []


def test_a_clip_whose_decoder_crashes_mid_run_fails_alone(clips, long_clip) -> None:
    with crash_decoder_on_start("frames", long_clip) as killed:
        result = estimate_offsets([clips["a"], clips["b_late"], long_clip], method="auto")
    assert len(killed) == 1
    a, late, bad = (result.video(k) for k in ("a.mp4", "b_late.mov", "long_take.mp4"))
    assert a.is_reference and late.synced
    assert late.offset_s == pytest.approx(clips.truth_s("b_late"), abs=1 / 25)
    assert not bad.synced and bad.offset_s is None
    assert any(n.startswith("'long_take.mp4' crashed the video decoder") for n in bad.notes)


@pytest.mark.parametrize(("suffix", "faststart"), [(".mp4", True), (".mkv", False)])
def test_a_cut_off_copy_is_refused_at_probe(tmp_path, suffix: str, faststart: bool) -> None:
    whole = write_clip(tmp_path / f"whole{suffix}", faststart=faststart)
    assert probe(whole).duration_s == pytest.approx(20.0, abs=0.1)  # the whole file is fine
    cut = write_cut_copy(whole, tmp_path / f"cut{suffix}")
    with pytest.raises(TruncatedMedia) as caught:
        probe(cut)
    err = caught.value
    assert err.code == "truncated" and err.filename == cut.name
    assert err.message.startswith(f"'{cut.name}' is incomplete: it declares 20.0 s")
    assert "Copy the complete file" in err.message
    assert 8.0 < err.extra["reached_s"] < 12.0


def test_a_decoder_over_its_memory_limit_is_a_typed_error(clips) -> None:
    # The frame decoder (PyAV, numpy, OpenCV) maps more than 256 MiB before its first frame.
    with pytest.raises(MemoryLimitExceeded) as caught:
        next(iter_gray_frames(clips["a"], memory_mb=256))
    err = caught.value
    assert err.code == "memory_limit" and err.filename == "a.mp4"
    assert err.message.startswith("'a.mp4' needed more than the 256 MiB of memory")
    assert MEMORY_ENV in err.message


def test_ffmpeg_over_its_memory_limit_is_a_typed_render_error(tmp_path) -> None:
    # x264 needs far more than 256 MiB for a 4K picture.
    args = ["-f", "lavfi", "-i", "testsrc2=size=3840x2160:rate=25", "-t", "1"]
    with pytest.raises(RenderMemoryLimit) as caught:
        run_ffmpeg([*args, "-c:v", "libx264", str(tmp_path / "big.mp4")], memory_mb=256)
    assert caught.value.code == "render_memory_limit"
    assert "256 MiB" in caught.value.message and MEMORY_ENV in caught.value.message


def test_the_memory_limit_comes_from_the_argument_or_the_environment(monkeypatch) -> None:
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    assert memory_limit_mb() == 4096
    monkeypatch.setenv(MEMORY_ENV, "8192")
    assert memory_limit_mb() == 8192
    assert memory_limit_mb(512) == 512
    monkeypatch.setenv(MEMORY_ENV, "0")
    assert memory_limit_mb() == 0  # no limit
    monkeypatch.setenv(MEMORY_ENV, "lots")
    with pytest.raises(ParameterError, match=f"{MEMORY_ENV} must be a whole number.*'lots'"):
        memory_limit_mb()
    with pytest.raises(ParameterError, match="at least 256 MiB, got 64"):
        memory_limit_mb(64)


def test_the_child_and_the_engine_allow_the_same_demuxers() -> None:
    assert decoder_child.ALLOWED_DEMUXERS == ALLOWED_DEMUXERS


def test_only_the_decoder_child_imports_pyav() -> None:
    # PyAV in a long-lived process (web, worker) would let one file kill it: see the module doc.
    root = Path(__file__).resolve().parents[2]
    importers = []
    for folder in ("syncengine", "projects", "syncsite"):
        for path in sorted((root / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                if any(n == "av" or n.startswith("av.") for n in names):
                    importers.append(str(path.relative_to(root)))
    assert sorted(set(importers)) == ["syncengine/decoder_child.py"]


def test_a_probe_that_outlives_its_timeout_is_stopped_with_a_clear_error(clips) -> None:
    # No interpreter loads PyAV within a millisecond: the watchdog always fires first.
    with pytest.raises(UnreadableMedia) as caught:
        probe(clips["a"], timeout_s=0.001)
    assert caught.value.message.startswith("'a.mp4' took longer than")
    assert "while it was being probed and was stopped" in caught.value.message
    assert decoder_children("probe", clips["a"]) == []
