"""The engine's only I/O boundary: decoder child processes (PyAV) and ffmpeg <-> numpy arrays.

Conventions
-----------
- A file's t=0 is its container start (what players show as 0:00); stream times are relative to it.
- Only local files in real media containers are opened: every open passes a protocol whitelist
  (``file`` only) and a demuxer whitelist, so a playlist or concat script renamed ``.mp4`` cannot
  make ffmpeg read other files or URLs.
- ffmpeg comes from the ``imageio-ffmpeg`` wheel unless a path is passed as ``ffmpeg_bin``.
- PyAV runs only in child processes (:func:`run_decoder` starts :mod:`syncengine.decoder_child`):
  a decoder that corrupts memory kills the child, and the caller gets :class:`DecoderCrashed`.
- Every decoder process (ffmpeg and the PyAV child) runs under an address-space limit
  (RLIMIT_AS) of :func:`memory_limit_mb` MiB: ``memory_mb`` if given, else the
  ``SYNCENGINE_FFMPEG_MEMORY_MB`` environment variable, else 4096; 0 lifts it. Running out of
  it is :class:`MemoryLimitExceeded` (:class:`RenderMemoryLimit` while rendering).
"""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from syncengine import probe as _probe
from syncengine.errors import (
    DecoderCrashed,
    MediaError,
    MemoryLimitExceeded,
    NoAudioStream,
    NoVideoStream,
    ParameterError,
    RenderError,
    RenderMemoryLimit,
    SyncEngineError,
    UnreadableMedia,
)
from syncengine.types import AudioTrack, MediaInfo, ProgressCallback

__all__ = [
    "ALLOWED_DEMUXERS",
    "DEFAULT_MEMORY_MB",
    "HDR_TRANSFERS",
    "MEMORY_ENV",
    "VideoColor",
    "decode_audio",
    "decode_audio_argv",
    "ffmpeg_executable",
    "iter_gray_frames",
    "keyframe_at_or_before",
    "memory_limit_mb",
    "probe",
    "run_decoder",
    "run_ffmpeg",
    "safe_input_args",
    "video_color",
]

ALLOWED_DEMUXERS = _probe.ALLOWED_DEMUXERS
probe = _probe.probe
keyframe_at_or_before = _probe.keyframe_at_or_before

_CHUNK_BYTES = 1 << 20
_DEFAULT_TIMEOUT_S = 3600.0
#: Environment variable with the memory limit (MiB) of every decoder process; 0 lifts it.
MEMORY_ENV = "SYNCENGINE_FFMPEG_MEMORY_MB"
#: Default memory limit, MiB: ample for decoding 8K and rendering 4K, far below a runaway.
DEFAULT_MEMORY_MB = 4096
#: Below this a decoder cannot even load its libraries, so a smaller limit is a mistake.
MIN_MEMORY_MB = 256
_CHILD_SCRIPT = Path(__file__).with_name("decoder_child.py")
_CHILD_ERROR = "syncengine-decoder-error: "  # decoder_child.ERROR_PREFIX
_FRAME_HEAD = struct.Struct("<d")  # decoder_child._FRAME_HEAD: the frame time, seconds
# What a process that ran out of its address space says (glibc, x264, Python, the loader).
_MEMORY_WORDS = (
    "cannot allocate memory",
    "out of memory",
    "memoryerror",
    "malloc",
    "failed to map segment",
    "bad_alloc",
    "memory allocation",
)
_RE_EXPORT = (
    "Re-export it as MP4 (H.264 video with AAC or stereo audio), or convert its audio, and "
    "upload it again."
)


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


def memory_limit_mb(memory_mb: int | None = None) -> int:
    """The memory limit (MiB of address space) of one decoder process; 0 means none.

    ``memory_mb`` if given, else the ``SYNCENGINE_FFMPEG_MEMORY_MB`` environment variable, else
    :data:`DEFAULT_MEMORY_MB`.

    Raises
    ------
    ParameterError
        Not a whole number, negative, or between 1 and :data:`MIN_MEMORY_MB` - 1.
    """
    if memory_mb is None:
        raw = os.environ.get(MEMORY_ENV, "").strip()
        if not raw:
            return DEFAULT_MEMORY_MB
        try:
            memory_mb = int(raw)
        except ValueError:
            raise ParameterError(
                f"{MEMORY_ENV} must be a whole number of MiB (0 for no limit), got '{raw}'"
            ) from None
    if memory_mb != 0 and memory_mb < MIN_MEMORY_MB:
        raise ParameterError(
            f"the decoder memory limit must be 0 (none) or at least {MIN_MEMORY_MB} MiB, "
            f"got {memory_mb}"
        )
    return int(memory_mb)


def _limiter(memory_mb: int, cpu_s: float | None) -> Any:
    """A ``preexec_fn`` that caps the child's address space (and CPU time): only setrlimit
    calls, which are safe between fork and exec."""
    limits = []
    if memory_mb:
        limits.append((resource.RLIMIT_AS, memory_mb << 20))
    if cpu_s:
        limits.append((resource.RLIMIT_CPU, max(1, int(cpu_s))))

    def apply() -> None:
        for which, value in limits:
            resource.setrlimit(which, (value, value))

    return apply if limits else None


def _popen(
    argv: list[str],
    *,
    error: type[SyncEngineError] = MediaError,
    memory_mb: int,
    cpu_s: float | None = None,
    **kwargs: Any,
) -> Any:
    """Start ffmpeg (or the decoder child) under its limits; a binary that cannot be started
    becomes a typed error that says what to fix."""
    # Few malloc arenas: each one reserves 64 MiB of address space, which the limit counts.
    env = {**os.environ, "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "4")}
    if argv[:1] == [sys.executable]:
        env["OPENBLAS_NUM_THREADS"] = "1"  # numpy's BLAS threads reserve memory; none is used
    try:
        return subprocess.Popen(argv, preexec_fn=_limiter(memory_mb, cpu_s), env=env, **kwargs)
    except OSError as exc:
        if exc.errno == errno.ENOMEM:
            raise (RenderMemoryLimit if issubclass(error, RenderError) else MemoryLimitExceeded)(
                f"{Path(argv[0]).name} could not start within the {memory_mb} MiB memory limit. "
                f"Raise {MEMORY_ENV}."
            ) from exc
        raise error(
            f"ffmpeg could not be started ({argv[0]}: {exc.strerror or exc}). Check the "
            "FFMPEG_BIN / SYNCSITE_FFMPEG setting, or unset it to use the bundled ffmpeg."
        ) from exc


def _read_all(stderr_file: tempfile.SpooledTemporaryFile[bytes]) -> str:
    stderr_file.seek(0)
    return stderr_file.read().decode("utf-8", "replace")


def _out_of_memory(stderr: str, memory_mb: int) -> bool:
    lowered = stderr.lower()
    return bool(memory_mb) and any(word in lowered for word in _MEMORY_WORDS)


def _memory_error(filename: str, doing: str, memory_mb: int) -> MemoryLimitExceeded:
    return MemoryLimitExceeded(
        f"'{filename}' needed more than the {memory_mb} MiB of memory one decoder may use "
        f"while it was {doing}. Re-export it at a lower resolution and upload it again, or ask "
        f"the administrator to raise {MEMORY_ENV}.",
        filename=filename,
        memory_mb=memory_mb,
    )


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def _decoder_failure(
    code: int, stderr: str, *, filename: str, doing: str, memory_mb: int
) -> MediaError | None:
    """The typed error for a decoder process that crashed or ran out of memory, else ``None``.

    ``doing`` says what was being done to the file ("being probed", "decoded").
    """
    if _out_of_memory(stderr, memory_mb):
        return _memory_error(filename, doing, memory_mb)
    if code < 0 and -code == signal.SIGXCPU:
        return UnreadableMedia(
            f"'{filename}' took too long to read while it was {doing} and was stopped. "
            + _RE_EXPORT,
            filename=filename,
        )
    if code < 0:
        return DecoderCrashed(
            f"'{filename}' crashed the video decoder ({_signal_name(code)}) while it was "
            f"{doing}; nothing else was affected. The file has something the decoder cannot "
            "handle (often multichannel PCM audio in a MOV). " + _RE_EXPORT,
            filename=filename,
            signal=_signal_name(code),
        )
    return None


def _child_error(stderr: str) -> tuple[str, str] | None:
    """``(kind, detail)`` of the media failure the decoder child reported, if it did."""
    for line in reversed(stderr.splitlines()):
        if line.startswith(_CHILD_ERROR):
            try:
                data = json.loads(line[len(_CHILD_ERROR) :])
            except ValueError:
                return None
            return str(data.get("kind", "")), str(data.get("detail", ""))
    return None


def _child_argv(command: str, path: Path, *args: str) -> list[str]:
    # -I: no user site, no PYTHON* variables and not the script's folder (syncengine/types.py
    # would shadow the standard library's types module).
    return [sys.executable, "-I", str(_CHILD_SCRIPT), command, str(path.resolve()), *args]


def _child_media_error(
    kind: str, detail: str, *, filename: str, doing: str, memory_mb: int
) -> MediaError:
    if kind == "memory":
        return _memory_error(filename, doing, memory_mb)
    if kind == "open":
        return UnreadableMedia(
            f"'{filename}' is not a video or audio file Syncsite can read, or it is corrupt "
            f"({detail}). If it plays elsewhere, re-export it as MP4 (H.264/AAC). "
            + _probe.SUPPORTED_HINT,
            filename=filename,
        )
    return UnreadableMedia(
        f"'{filename}': the picture cannot be decoded ({detail}). The file may be corrupt; "
        "upload it again or re-export it as MP4 (H.264/AAC).",
        filename=filename,
    )


def _check_child(
    code: int,
    err: tempfile.SpooledTemporaryFile[bytes],
    *,
    fired: bool,
    filename: str,
    doing: str,
    timeout_s: float,
    memory_mb: int,
) -> None:
    """Raise the typed error for a decoder child that did not finish cleanly."""
    if fired:
        raise UnreadableMedia(
            f"'{filename}' took longer than {timeout_s:.0f} s while it was {doing} and was "
            "stopped. " + _RE_EXPORT,
            filename=filename,
        )
    if code == 0:
        return
    stderr = _read_all(err)
    reported = _child_error(stderr)
    if reported is not None:
        raise _child_media_error(*reported, filename=filename, doing=doing, memory_mb=memory_mb)
    failure = _decoder_failure(code, stderr, filename=filename, doing=doing, memory_mb=memory_mb)
    if failure is not None:
        raise failure
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    raise MediaError(
        f"'{filename}' could not be read while it was {doing}: the decoder stopped with status "
        f"{code} ({lines[-1] if lines else 'no error output'}).",
        filename=filename,
    )


def run_decoder(
    command: str,
    path: str | os.PathLike[str],
    *args: str,
    filename: str,
    doing: str,
    timeout_s: float,
    memory_mb: int | None = None,
) -> Any:
    """Run one JSON command of :mod:`syncengine.decoder_child` on ``path``; its parsed result.

    The child runs under ``timeout_s`` of wall-clock and CPU time and :func:`memory_limit_mb`.

    Raises
    ------
    DecoderCrashed
        The child died of a signal (a crash in the decoder).
    MemoryLimitExceeded
        It needed more memory than its limit.
    UnreadableMedia
        The file cannot be opened or decoded, or the child outlived ``timeout_s``.
    """
    cap_mb = memory_limit_mb(memory_mb)
    argv = _child_argv(command, Path(path), *args)
    with tempfile.SpooledTemporaryFile(max_size=1 << 16) as err:
        proc = _popen(argv, stdout=subprocess.PIPE, stderr=err, memory_mb=cap_mb, cpu_s=timeout_s)
        assert proc.stdout is not None
        with _Watchdog(proc, timeout_s) as dog:
            out = proc.stdout.read()
            proc.stdout.close()
            code = proc.wait()
        _check_child(
            code,
            err,
            fired=dog.fired,
            filename=filename,
            doing=doing,
            timeout_s=timeout_s,
            memory_mb=cap_mb,
        )
    try:
        return json.loads(out)
    except ValueError:
        raise MediaError(
            f"'{filename}' could not be read while it was {doing}: the decoder gave no result.",
            filename=filename,
        ) from None


def _last_line(stderr_file: tempfile.SpooledTemporaryFile[bytes]) -> str:
    stderr_file.seek(0)
    lines = [ln.strip() for ln in stderr_file.read().decode("utf-8", "replace").splitlines()]
    lines = [ln for ln in lines if ln]
    return lines[-1] if lines else "no error output"


def decode_audio_argv(
    path: str | os.PathLike[str],
    *,
    sample_rate_hz: int,
    ffmpeg_bin: str | None = None,
    whole_buffers: bool = False,
) -> list[str]:
    """The ffmpeg command that decodes ``path``'s first audio stream to mono float32 at
    ``sample_rate_hz`` on its stdout (resampled from the stream's first timestamp).

    ``whole_buffers``: the muxer writes whole 32 KiB buffers (``-flush_packets 0``) instead of
    one write per audio frame (under 1 KiB at 8 kHz): the same samples in far fewer reads.
    """
    return [
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
        *(["-flush_packets", "0"] if whole_buffers else []),
        "-f",
        "f32le",
        "pipe:1",
    ]


def decode_audio(
    path: str | os.PathLike[str],
    *,
    sample_rate_hz: int = 8000,
    info: MediaInfo | None = None,
    ffmpeg_bin: str | None = None,
    timeout_s: float = _DEFAULT_TIMEOUT_S,
    memory_mb: int | None = None,
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
    memory_mb : int, optional
        ffmpeg's memory limit, MiB (see :func:`memory_limit_mb`).

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
    DecoderCrashed, MemoryLimitExceeded
        ffmpeg died of a signal, or needed more memory than its limit.
    """
    cap_mb = memory_limit_mb(memory_mb)
    info = info or probe(path)
    if info.audio is None:
        raise NoAudioStream(
            f"'{info.filename}' has no audio track, so audio sync is unavailable. Try visual sync.",
            filename=info.filename,
        )
    argv = decode_audio_argv(path, sample_rate_hz=sample_rate_hz, ffmpeg_bin=ffmpeg_bin)
    expected = int((info.duration_s + 1.0) * sample_rate_hz)
    buf = np.empty(max(expected, sample_rate_hz), dtype=np.float32)
    n_bytes = 0
    with tempfile.SpooledTemporaryFile(max_size=1 << 16) as err:
        proc = _popen(argv, stdout=subprocess.PIPE, stderr=err, memory_mb=cap_mb)
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
        failure = _decoder_failure(
            code, _read_all(err), filename=info.filename, doing="decoded", memory_mb=cap_mb
        )
        if failure is not None:
            raise failure
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


def _quarter_turns(rotation_deg: int) -> int:
    """Counter-clockwise quarter turns (0-3) that bring stored pixels to display orientation.

    ``rotation_deg`` is the display matrix's counter-clockwise angle (PyAV's ``frame.rotation``,
    as :func:`syncengine.probe.probe` reads it); an angle that is not a multiple of 90 is taken
    to the nearest one (players do the same).
    """
    return int(round((rotation_deg % 360) / 90.0)) % 4


#: FFmpeg's numbers (``AVColorTransferCharacteristic``) of the HDR transfers: PQ and HLG.
HDR_TRANSFERS = {16: "smpte2084", 18: "arib-std-b67"}


@dataclass(frozen=True)
class VideoColor:
    """How a file's first video stream describes its colours (FFmpeg's enum numbers).

    ``transfer`` is ``AVColorTransferCharacteristic`` (1 bt709, 16 PQ / smpte2084, 18 HLG /
    arib-std-b67), ``primaries`` ``AVColorPrimaries`` (1 bt709, 9 bt2020), ``matrix``
    ``AVColorSpace`` (1 bt709, 9 bt2020nc); 2 means the file does not say.
    """

    transfer: int
    primaries: int
    matrix: int
    pixel_format: str

    @property
    def hdr(self) -> bool:
        """PQ or HLG: the picture needs tone-mapping to be shown on an SDR screen."""
        return self.transfer in HDR_TRANSFERS

    @property
    def wide_gamut(self) -> bool:
        """BT.2020 primaries: colours need converting to BT.709 for an SDR browser."""
        return self.primaries == 9


def video_color(
    path: str | os.PathLike[str], *, timeout_s: float = _probe.PROBE_TIMEOUT_S
) -> VideoColor | None:
    """The colour description of ``path``'s first video stream; ``None`` without a picture.

    Read from the codec parameters (nothing is decoded) in a decoder child, like
    :func:`probe`.

    Raises
    ------
    UnreadableMedia, DecoderCrashed, MemoryLimitExceeded
    """
    p = Path(path)
    facts = run_decoder(
        "color", p, filename=p.name, doing="read for its colours", timeout_s=timeout_s
    )
    if facts is None:
        return None
    return VideoColor(
        transfer=int(facts["transfer"]),
        primaries=int(facts["primaries"]),
        matrix=int(facts["matrix"]),
        pixel_format=str(facts["pixel_format"]),
    )


def iter_gray_frames(
    path: str | os.PathLike[str],
    *,
    info: MediaInfo | None = None,
    width: int = 160,
    timeout_s: float = _DEFAULT_TIMEOUT_S,
    memory_mb: int | None = None,
) -> Iterator[tuple[float, NDArray[np.uint8]]]:
    """Yield ``(time_s, gray)`` for every decoded frame, one small frame at a time.

    ``time_s`` is the frame's real presentation time relative to the container start (variable
    frame rates keep their true timestamps); ``gray`` is the luma plane area-averaged to ``width``
    pixels wide (never enlarged), shape ``(height, width)``, turned to the orientation the file
    is displayed in: a phone clip stored as landscape pixels with a rotation tag
    (``info.video.rotation_deg``, counter-clockwise, a multiple of 90) comes out upright, as
    players and the browser proxy show it. Only one frame is held at a time. The frames are
    decoded by PyAV in a child process (:mod:`syncengine.decoder_child`) under ``timeout_s`` and
    :func:`memory_limit_mb`, and streamed over a pipe; stopping the iteration stops the child.

    Raises
    ------
    NoVideoStream, UnreadableMedia
    DecoderCrashed, MemoryLimitExceeded
        The decoder died of a signal, or needed more memory than its limit (raised where the
        iteration stops).
    """
    cap_mb = memory_limit_mb(memory_mb)
    info = info or probe(path)
    if info.video is None:
        raise NoVideoStream(
            f"'{info.filename}' has no picture, so visual sync is unavailable. Try audio sync.",
            filename=info.filename,
        )
    turns = _quarter_turns(info.video.rotation_deg)
    shown_width = info.video.height if turns % 2 else info.video.width
    scale = min(1.0, width / max(shown_width, 1))
    # size: the stored picture's (width, height) after scaling; turned after the pipe
    size = (max(2, round(info.video.width * scale)), max(2, round(info.video.height * scale)))
    argv = _child_argv("frames", Path(path), str(size[0]), str(size[1]))
    record = _FRAME_HEAD.size + size[0] * size[1]
    with tempfile.SpooledTemporaryFile(max_size=1 << 16) as err:
        proc = _popen(argv, stdout=subprocess.PIPE, stderr=err, memory_mb=cap_mb)
        assert proc.stdout is not None
        with _Watchdog(proc, timeout_s) as dog:
            while True:
                buf = bytearray(record)
                got = proc.stdout.readinto(buf)
                while got and got < record:  # a pipe hands over at most its buffer at a time
                    more = proc.stdout.readinto(memoryview(buf)[got:])
                    if not more:
                        break
                    got += more
                if got < record:  # the end, or a child that died mid-frame
                    break
                (time_s,) = _FRAME_HEAD.unpack_from(buf)
                gray = np.frombuffer(buf, np.uint8, offset=_FRAME_HEAD.size)
                gray = gray.reshape(size[1], size[0])
                yield time_s, np.ascontiguousarray(np.rot90(gray, turns)) if turns else gray
            proc.stdout.close()
            code = proc.wait()
        _check_child(
            code,
            err,
            fired=dog.fired,
            filename=info.filename,
            doing="decoded",
            timeout_s=timeout_s,
            memory_mb=cap_mb,
        )


def run_ffmpeg(
    args: Sequence[str],
    *,
    ffmpeg_bin: str | None = None,
    timeout_s: float = _DEFAULT_TIMEOUT_S,
    duration_s: float | None = None,
    progress: ProgressCallback | None = None,
    stage: str = "rendering",
    memory_mb: int | None = None,
) -> None:
    """Run ffmpeg with ``args`` (everything after the binary), reporting progress.

    ffmpeg runs under :func:`memory_limit_mb` (``memory_mb``, MiB).

    Raises
    ------
    RenderError
        ffmpeg exited with an error, died of a signal or outlived ``timeout_s``; the message
        holds its last line.
    RenderMemoryLimit
        ffmpeg needed more memory than its limit.
    """
    cap_mb = memory_limit_mb(memory_mb)
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
        proc = _popen(
            argv, stdout=subprocess.PIPE, stderr=err, text=True, error=RenderError, memory_mb=cap_mb
        )
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
        if code != 0 and _out_of_memory(_read_all(err), cap_mb):
            raise RenderMemoryLimit(
                f"ffmpeg needed more than the {cap_mb} MiB of memory it may use and was stopped "
                f"({_last_line(err)}). Export at a lower resolution, or ask the administrator "
                f"to raise {MEMORY_ENV}.",
                memory_mb=cap_mb,
            )
        if code < 0:
            raise RenderError(f"ffmpeg crashed ({_signal_name(code)}): {_last_line(err)}")
        if code != 0:
            raise RenderError(f"ffmpeg failed: {_last_line(err)}")
