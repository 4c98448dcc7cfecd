"""Streaming audio extraction: a clip's search features built while ffmpeg decodes it.

Conventions
-----------
``stream_prepared_audio(path)`` gives the same :class:`~syncengine.audio.PreparedAudio` as
``prepare_audio(media.decode_audio(path))``, sample for sample, without ever holding the track
at the analysis rate in memory:

- ffmpeg's output is read block by block from a pipe; each block is decimated to
  ``COARSE_RATE_HZ`` (the same taps and the same blocks as :func:`syncengine.audio._decimate`,
  so the same samples) and cut into scout frames whose energies give the scout envelope at the
  end (its median and mean need the whole clip), and its RMS is summed for the silence check.
- The analysis-rate samples go to an anonymous temporary file (unlinked from the start: nothing
  is left behind on any error) that ``PreparedAudio.track.samples`` maps read-only
  (``numpy.memmap``). Only what the refinement, the drift fit and the coherence read (about
  three minutes of a long take, wherever the lag puts them) is ever paged in; the file goes
  when the last reference to the track goes.

In memory per clip: the coarse signal (``COARSE_RATE_HZ`` float32, 0.96 MB per minute), the
scout envelope (``SCOUT_RATE_HZ``, 0.12 MB per minute) and one block in flight.

Sample ``k`` of the track is at file time ``k / sample_rate_hz``, as in
:func:`syncengine.media.decode_audio` (whose ffmpeg command this module runs).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from syncengine import media
from syncengine.audio import (
    _DECIMATOR_TAPS,
    COARSE_RATE_HZ,
    DECIMATE_BLOCK,
    LONG_TAKE_S,
    SCOUT_RATE_HZ,
    PreparedAudio,
    check_levels,
    decimate_block,
    decimator_taps,
    envelope_from_energy,
    frame_energy,
)
from syncengine.errors import NoAudioStream, ParameterError, UnreadableMedia
from syncengine.types import AudioTrack, MediaInfo

__all__ = ["stream_prepared_audio"]

_READ_SAMPLES = 1 << 17  # 16 s at 8 kHz per pipe read
_TIMEOUT_S = 3600.0
_PIPE_BYTES = 1 << 20  # the default /proc/sys/fs/pipe-max-size


class _Growing:
    """A float32 array filled from the front, grown by half when full (like decode_audio)."""

    def __init__(self, expected: int) -> None:
        self.buf = np.empty(max(1, expected), dtype=np.float32)
        self.size = 0

    def extend(self, x: NDArray[np.float32]) -> None:
        if self.size + x.size > self.buf.size:
            grown = np.empty(max(self.size + x.size, self.buf.size * 3 // 2), dtype=np.float32)
            grown[: self.size] = self.buf[: self.size]
            self.buf = grown
        self.buf[self.size : self.size + x.size] = x
        self.size += x.size

    def array(self) -> NDArray[np.float32]:
        return self.buf[: self.size]


@dataclass
class _Decimator:
    """:func:`syncengine.audio._decimate` fed block by block: the same blocks, halos and taps.

    ``_decimate`` filters ``x[start - half : start + block + half]`` (clipped to the signal)
    for each ``start`` in ``range(0, n, block)`` and keeps every ``factor``-th output of the
    block; each output depends only on the samples under the taps (or, filtered by FFT, on the
    block's samples), so cutting the same slices from a stream gives bit-identical samples.
    """

    factor: int
    out: _Growing
    fast: bool  # filter by FFT (a long take), as _decimate does for a track this long
    pending: NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, np.float32))
    pending_at: int = 0  # signal index of pending[0]
    start: int = 0  # next block start

    def __post_init__(self) -> None:
        self.half = _DECIMATOR_TAPS * self.factor
        self.block = self.factor * DECIMATE_BLOCK
        self.taps = decimator_taps(self.factor)

    def feed(self, x: NDArray[np.float32], *, final: bool = False) -> NDArray[np.float32]:
        """Take the next samples; return the coarse samples this completes."""
        if self.factor == 1:  # _decimate returns its input unchanged
            self.out.extend(x)
            return x.copy()
        self.pending = np.concatenate([self.pending, x]) if self.pending.size else x.copy()
        end = self.pending_at + self.pending.size  # samples seen so far
        made = []
        while self.start < end and (final or self.start + self.block + self.half <= end):
            lo = max(0, self.start - self.half)
            hi = min(end, self.start + self.block + self.half)
            seg = self.pending[lo - self.pending_at : hi - self.pending_at]
            y = decimate_block(seg, self.taps, fast=self.fast)
            first = self.start - lo
            made.append(y[first : first + min(self.block, end - self.start) : self.factor])
            self.start += self.block
            keep_from = max(0, self.start - self.half)
            self.pending = self.pending[keep_from - self.pending_at :]
            self.pending_at = keep_from
        for piece in made:
            self.out.extend(piece)
        return np.concatenate(made) if made else np.zeros(0, np.float32)


@dataclass
class _Frames:
    """Scout frame energies of the coarse signal, as it arrives (see ``audio.frame_energy``)."""

    energy: _Growing
    tail: NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, np.float32))

    def feed(self, coarse: NDArray[np.float32]) -> None:
        step = COARSE_RATE_HZ // SCOUT_RATE_HZ
        x = np.concatenate([self.tail, coarse]) if self.tail.size else coarse
        n = max(0, (x.size - 1) // step)
        if n:
            self.energy.extend(frame_energy(x[: n * step + 1]))
        self.tail = x[n * step :].copy()  # frame n starts here (its first sample is shared)


def stream_prepared_audio(
    path: str | os.PathLike[str],
    *,
    sample_rate_hz: int = 8000,
    info: MediaInfo | None = None,
    ffmpeg_bin: str | None = None,
    timeout_s: float = _TIMEOUT_S,
    memory_mb: int | None = None,
    spill_dir: str | os.PathLike[str] | None = None,
) -> PreparedAudio:
    """Decode ``path``'s first audio track and prepare it for the search, block by block.

    Parameters
    ----------
    path : path-like
        Local media file.
    sample_rate_hz : int
        Analysis rate, a multiple of ``COARSE_RATE_HZ``.
    info : MediaInfo, optional
        A probe result, to skip probing again.
    memory_mb : int, optional
        ffmpeg's memory limit, MiB (see :func:`syncengine.media.memory_limit_mb`).
    spill_dir : path-like, optional
        Folder of the unlinked temporary file holding the analysis-rate samples (default: the
        system's temporary folder); needs ``4 * sample_rate_hz`` bytes per second of audio.

    Returns
    -------
    PreparedAudio
        Equal, sample for sample, to ``prepare_audio(decode_audio(path))`` (a take that
        declares ``LONG_TAKE_S`` or more is low-passed by FFT, as ``prepare_audio`` does when
        it decodes that long); its ``track.samples`` is a read-only memory map of the spilled
        samples.

    Raises
    ------
    NoAudioStream, UnreadableMedia, DecoderCrashed, MemoryLimitExceeded
        As :func:`syncengine.media.decode_audio`.
    ClipTooShort, SilentAudio, ParameterError
        As :func:`syncengine.audio.prepare_audio`.
    """
    rate = int(sample_rate_hz)
    if rate % COARSE_RATE_HZ:
        raise ParameterError(f"analysis rate {rate} Hz is not a multiple of {COARSE_RATE_HZ} Hz")
    info = info or media.probe(path)
    if info.audio is None:
        raise NoAudioStream(
            f"'{info.filename}' has no audio track, so audio sync is unavailable. Try visual sync.",
            filename=info.filename,
        )
    factor = rate // COARSE_RATE_HZ
    expected = int((info.duration_s + 1.0) * rate)
    coarse = _Growing(expected // factor + 1)
    frames = _Frames(_Growing(expected // (rate // SCOUT_RATE_HZ) + 1))
    declared_s = info.audio.duration_s or info.duration_s
    # The in-memory path decides by the decoded length, known only at the end here: the
    # declared one stands in (they differ by a fraction of a second unless the file is cut).
    decimator = _Decimator(factor, coarse, fast=declared_s >= LONG_TAKE_S)
    with tempfile.TemporaryFile(dir=spill_dir) as spill:  # unlinked: gone on any error

        def sink(block: NDArray[np.float32]) -> None:
            spill.write(block.tobytes())
            frames.feed(decimator.feed(block))

        n, square_sum = _decode_into(
            Path(path),
            info=info,
            rate=rate,
            ffmpeg_bin=ffmpeg_bin,
            timeout_s=timeout_s,
            memory_mb=memory_mb,
            sink=sink,
        )
        frames.feed(decimator.feed(np.zeros(0, np.float32), final=True))
        decoded_s = n / rate
        if declared_s > 2.0 and decoded_s < 0.9 * declared_s - 0.5:
            raise UnreadableMedia(
                f"'{info.filename}' is truncated: its audio stops at {decoded_s:.1f} s of the "
                f"{declared_s:.1f} s it declares. Upload the complete file again.",
                filename=info.filename,
            )
        check_levels(
            duration_s=decoded_s,
            rms=float(np.sqrt(square_sum / max(1, n))),
            filename=info.filename,
        )
        spill.flush()
        # The map keeps the unlinked file's pages reachable after the file object closes.
        samples: NDArray[np.float32] = np.memmap(spill, dtype=np.float32, mode="r", shape=(n,))
    track = AudioTrack(samples=samples, sample_rate_hz=rate, start_s=0.0)
    return PreparedAudio(
        track=track, coarse=coarse.array(), scout=envelope_from_energy(frames.energy.array())
    )


def _decode_into(
    path: Path,
    *,
    info: MediaInfo,
    rate: int,
    ffmpeg_bin: str | None,
    timeout_s: float,
    memory_mb: int | None,
    sink: Callable[[NDArray[np.float32]], None],
) -> tuple[int, float]:
    """Run the decoder, handing each block of samples to ``sink``; (samples, sum of squares).

    Errors are those of :func:`syncengine.media.decode_audio`, raised the same way.
    """
    cap_mb = media.memory_limit_mb(memory_mb)
    # Whole buffers: some 25 times fewer reads (1.6 k instead of 40 k for 30 min at 8 kHz).
    argv = media.decode_audio_argv(
        path, sample_rate_hz=rate, ffmpeg_bin=ffmpeg_bin, whole_buffers=True
    )
    block = np.empty(_READ_SAMPLES, dtype=np.float32)
    raw = memoryview(block.view(np.uint8))  # type: ignore[arg-type]
    n_bytes, square_sum = 0, 0.0
    read_fd, write_fd = os.pipe()
    with contextlib.suppress(OSError, AttributeError):  # Linux: room for ~30 s of audio, so
        fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)  # ffmpeg runs on while we filter
    pipe = os.fdopen(read_fd, "rb", buffering=0)
    with pipe, tempfile.SpooledTemporaryFile(max_size=1 << 16) as err:
        try:
            proc = media._popen(argv, stdout=write_fd, stderr=err, memory_mb=cap_mb)
        finally:
            os.close(write_fd)  # ffmpeg holds the write end; EOF when it exits
        with media._Watchdog(proc, timeout_s) as dog:
            filled = 0
            while True:
                got = pipe.readinto(raw[filled:])
                if got:
                    filled += got
                if filled == len(raw) or (not got and filled):
                    whole = filled // 4 * 4
                    samples = block[: whole // 4]
                    square_sum += float(np.dot(samples, samples))
                    sink(samples)
                    n_bytes += whole
                    leftover = filled - whole
                    raw[:leftover] = raw[whole:filled]
                    filled = leftover
                if not got:
                    break
            code = proc.wait()
        if dog.fired:
            raise UnreadableMedia(
                f"decoding the audio of '{info.filename}' took longer than {timeout_s:.0f} s",
                filename=info.filename,
            )
        failure = media._decoder_failure(
            code, media._read_all(err), filename=info.filename, doing="decoded", memory_mb=cap_mb
        )
        if failure is not None:
            raise failure
        if code != 0:
            raise UnreadableMedia(
                f"'{info.filename}': the audio could not be decoded ({media._last_line(err)}). "
                "Re-export the file as MP4 (H.264/AAC) and upload it again.",
                filename=info.filename,
            )
    return n_bytes // 4, square_sum
