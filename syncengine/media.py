"""The engine's only I/O boundary: PyAV probing and ffmpeg subprocesses <-> numpy arrays.

Conventions
-----------
- A file's t=0 is its container start (what players show as 0:00); stream times are relative to it.
- Only local files in real media containers are opened: every open passes a protocol whitelist
  (``file`` only) and a demuxer whitelist, so a playlist or concat script renamed ``.mp4`` cannot
  make ffmpeg read other files or URLs.
- ffmpeg comes from the ``imageio-ffmpeg`` wheel unless a path is passed as ``ffmpeg_bin``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from syncengine import probe as _probe
from syncengine.errors import (
    MediaError,
    NoAudioStream,
    NoVideoStream,
    RenderError,
    SyncEngineError,
    UnreadableMedia,
)
from syncengine.types import AudioTrack, MediaInfo, ProgressCallback

__all__ = [
    "ALLOWED_DEMUXERS",
    "decode_audio",
    "ffmpeg_executable",
    "iter_gray_frames",
    "keyframe_at_or_before",
    "probe",
    "run_ffmpeg",
    "safe_input_args",
]

ALLOWED_DEMUXERS = _probe.ALLOWED_DEMUXERS
probe = _probe.probe
keyframe_at_or_before = _probe.keyframe_at_or_before

_CHUNK_BYTES = 1 << 20
_DEFAULT_TIMEOUT_S = 3600.0


def ffmpeg_executable(ffmpeg_bin: str | None = None) -> str:
    """Path of the ffmpeg binary: ``ffmpeg_bin`` if given, else the imageio-ffmpeg static build."""
    if ffmpeg_bin:
        return ffmpeg_bin
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def safe_input_args(path: str | os.PathLike[str]) -> list[str]:
    """ffmpeg input options that open ``path`` as a local media file and nothing else."""
    return [
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        ALLOWED_DEMUXERS,
        "-i",
        "file:" + str(Path(path).resolve()),
    ]


class _Watchdog:
    """Kill a subprocess that outlives its timeout (reads on its pipe then end)."""

    def __init__(self, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
        self.fired = False
        self._proc = proc
        self._timer = threading.Timer(timeout_s, self._kill)
        self._timer.daemon = True

    def _kill(self) -> None:
        self.fired = True
        self._proc.kill()

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self._timer.cancel()
        # Leaving on an error (a progress callback that cancels, say): never orphan ffmpeg.
        if exc_type is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


def _popen(argv: list[str], *, error: type[SyncEngineError] = MediaError, **kwargs: Any) -> Any:
    """Start ffmpeg; a missing or broken binary becomes a typed error that says what to fix."""
    try:
        return subprocess.Popen(argv, **kwargs)
    except OSError as exc:
        raise error(
            f"ffmpeg could not be started ({argv[0]}: {exc.strerror or exc}). Check the "
            "FFMPEG_BIN / SYNCSITE_FFMPEG setting, or unset it to use the bundled ffmpeg."
        ) from exc


def _last_line(stderr_file: tempfile.SpooledTemporaryFile[bytes]) -> str:
    stderr_file.seek(0)
    lines = [ln.strip() for ln in stderr_file.read().decode("utf-8", "replace").splitlines()]
    lines = [ln for ln in lines if ln]
    return lines[-1] if lines else "no error output"


def decode_audio(
    path: str | os.PathLike[str],
    *,
    sample_rate_hz: int = 8000,
    info: MediaInfo | None = None,
    ffmpeg_bin: str | None = None,
    timeout_s: float = _DEFAULT_TIMEOUT_S,
) -> AudioTrack:
    """Decode the first audio track to mono float32 at ``sample_rate_hz``, streamed from ffmpeg.

    Parameters
    ----------
    path : path-like
        Local media file.
    sample_rate_hz : int
        Analysis rate; ffmpeg resamples (44.1 and 48 kHz sources end up on one rate).
    info : MediaInfo, optional
        A probe result, to skip probing again.

    Returns
    -------
    AudioTrack
        ``samples[k]`` is at file time ``k / sample_rate_hz``: ``aresample=async=1:first_pts=0``
        pads or trims so that sample 0 is the container's t=0 whatever the stream's start time.

    Raises
    ------
    NoAudioStream
        The file has no audio track.
    UnreadableMedia
        ffmpeg failed, or the file stops far before its declared end (truncated upload).
    """
    info = info or probe(path)
    if info.audio is None:
        raise NoAudioStream(
            f"'{info.filename}' has no audio track, so audio sync is unavailable. Try visual sync.",
            filename=info.filename,
        )
    argv = [
        ffmpeg_executable(ffmpeg_bin),
        "-nostdin",
        "-v",
        "error",
        *safe_input_args(path),
        "-map",
        "0:a:0",
        "-vn",
        "-sn",
        "-dn",
        "-af",
        "aresample=async=1:first_pts=0",
        "-ac",
        "1",
        "-ar",
        str(int(sample_rate_hz)),
        "-f",
        "f32le",
        "pipe:1",
    ]
    expected = int((info.duration_s + 1.0) * sample_rate_hz)
    buf = np.empty(max(expected, sample_rate_hz), dtype=np.float32)
    n_bytes = 0
    with tempfile.SpooledTemporaryFile(max_size=1 << 16) as err:
        proc = _popen(argv, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        with _Watchdog(proc, timeout_s) as dog:
            raw = buf.view(np.uint8)
            while True:
                if n_bytes == raw.size:  # the declared duration was short: grow by half
                    grown = np.empty(buf.size + buf.size // 2 + sample_rate_hz, np.float32)
                    grown[: buf.size] = buf
                    buf, raw = grown, grown.view(np.uint8)
                end = min(raw.size, n_bytes + _CHUNK_BYTES)
                got = proc.stdout.readinto(memoryview(raw)[n_bytes:end])
                if not got:
                    break
                n_bytes += got
            proc.stdout.close()
            code = proc.wait()
        if dog.fired:
            raise UnreadableMedia(
                f"decoding the audio of '{info.filename}' took longer than {timeout_s:.0f} s",
                filename=info.filename,
            )
        if code != 0:
            raise UnreadableMedia(
                f"'{info.filename}': the audio could not be decoded ({_last_line(err)}). "
                "Re-export the file as MP4 (H.264/AAC) and upload it again.",
                filename=info.filename,
            )
    samples = buf[: n_bytes // 4]  # a view: the unused tail is at most ~1 s plus growth slack
    decoded_s = samples.size / sample_rate_hz
    declared_s = info.audio.duration_s or info.duration_s
    if declared_s > 2.0 and decoded_s < 0.9 * declared_s - 0.5:
        raise UnreadableMedia(
            f"'{info.filename}' is truncated: its audio stops at {decoded_s:.1f} s of the "
            f"{declared_s:.1f} s it declares. Upload the complete file again.",
            filename=info.filename,
        )
    return AudioTrack(samples=samples, sample_rate_hz=int(sample_rate_hz), start_s=0.0)


_YUV8_PLANAR = {
    "yuv420p",
    "yuvj420p",
    "yuv422p",
    "yuvj422p",
    "yuv444p",
    "yuvj444p",
    "nv12",
    "nv21",
    "yuv411p",
    "yuv410p",
    "gray",
}


def iter_gray_frames(
    path: str | os.PathLike[str], *, info: MediaInfo | None = None, width: int = 160
) -> Iterator[tuple[float, NDArray[np.uint8]]]:
    """Yield ``(time_s, gray)`` for every decoded frame, one small frame at a time.

    ``time_s`` is the frame's real presentation time relative to the container start (variable
    frame rates keep their true timestamps); ``gray`` is the luma plane area-averaged to ``width``
    pixels wide, shape ``(height, width)``. Only one frame is held at a time.

    Raises
    ------
    NoVideoStream, UnreadableMedia
    """
    import av
    import cv2

    info = info or probe(path)
    if info.video is None:
        raise NoVideoStream(
            f"'{info.filename}' has no picture, so visual sync is unavailable. Try audio sync.",
            filename=info.filename,
        )
    scale = min(1.0, width / max(info.video.width, 1))
    size = (max(2, round(info.video.width * scale)), max(2, round(info.video.height * scale)))
    with _probe.open_container(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        origin = _probe.container_start_s(container)
        try:
            for frame in container.decode(stream):
                if frame.pts is None or frame.time is None:
                    continue
                if frame.format.name in _YUV8_PLANAR:
                    plane = frame.planes[0]
                    luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
                    luma = luma[: frame.height, : frame.width]
                else:
                    luma = frame.to_ndarray(format="gray")
                # Halving steps take OpenCV's fast 2x2 path: ~3x faster than one big INTER_AREA.
                while luma.shape[1] >= 2 * size[0] and luma.shape[0] >= 2 * size[1]:
                    half = (luma.shape[1] // 2, luma.shape[0] // 2)
                    luma = cv2.resize(luma, half, interpolation=cv2.INTER_AREA)
                small = cv2.resize(luma, size, interpolation=cv2.INTER_AREA)
                yield float(frame.time) - origin, small
        except av.FFmpegError as exc:
            raise UnreadableMedia(
                f"'{info.filename}': the picture could not be decoded ({exc}). "
                "Re-export the file as MP4 (H.264/AAC) and upload it again.",
                filename=info.filename,
            ) from exc


def run_ffmpeg(
    args: Sequence[str],
    *,
    ffmpeg_bin: str | None = None,
    timeout_s: float = _DEFAULT_TIMEOUT_S,
    duration_s: float | None = None,
    progress: ProgressCallback | None = None,
    stage: str = "rendering",
) -> None:
    """Run ffmpeg with ``args`` (everything after the binary), reporting progress.

    Raises
    ------
    RenderError
        ffmpeg exited with an error or outlived ``timeout_s``; the message holds its last line.
    """
    argv = [
        ffmpeg_executable(ffmpeg_bin),
        "-nostdin",
        "-v",
        "error",
        "-nostats",
        "-progress",
        "pipe:1",
        *args,
    ]
    with tempfile.SpooledTemporaryFile(max_size=1 << 16) as err:
        proc = _popen(argv, stdout=subprocess.PIPE, stderr=err, text=True, error=RenderError)
        assert proc.stdout is not None
        with _Watchdog(proc, timeout_s) as dog:
            for line in proc.stdout:
                if progress and duration_s and line.startswith("out_time_us="):
                    value = line.split("=", 1)[1].strip()
                    if value.isdigit():
                        progress(stage, min(1.0, int(value) / 1e6 / duration_s))
            code = proc.wait()
        if dog.fired:
            raise RenderError(f"ffmpeg took longer than {timeout_s:.0f} s and was stopped")
        if code != 0:
            raise RenderError(f"ffmpeg failed: {_last_line(err)}")
