"""Waveforms of audio-only files (a sound recorder's WAV, MP3, M4A, FLAC): the player's lane.

A file-level function (:func:`waveform_of`, ffmpeg) wraps a buffer-level one
(:func:`peaks_from_levels`, pure): ffmpeg rectifies every channel at the source rate and
resamples it to a low rate, which leaves each channel's short-time mean absolute amplitude (a
~1/rate s window); the peaks are that level's maximum in each of at most ``points`` equal
buckets along the file. The result is small (``channels x points`` numbers, 2000 points by
default, whatever the file's length), is stored beside the preview as JSON and drawn by the
browser on a canvas; :func:`draw_poster` draws the same peaks as a JPEG still.

Conventions
-----------
Bucket ``k`` covers file time ``[k * bucket_s, (k + 1) * bucket_s)`` from the file's t=0 (the
same t=0 as the audio proxy and the sync offsets). Levels are linear amplitude, full scale 1.0;
a silent file has all-zero peaks.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from syncengine import media
from syncengine.errors import NoAudioStream, ParameterError
from syncengine.types import MediaInfo

__all__ = ["DEFAULT_POINTS", "Waveform", "draw_poster", "peaks_from_levels", "waveform_of"]

DEFAULT_POINTS = 2000
#: The level's rate (Hz) aims at this many samples a bucket, within these bounds.
_SAMPLES_PER_BUCKET = 8
_MIN_RATE_HZ = 200
_MAX_RATE_HZ = 4000
_MAX_CHANNELS = 16  # a poly recorder's tracks; more are not drawn (the proxy mixes them all)


@dataclass(frozen=True)
class Waveform:
    """Per-channel peaks of a file's level: ``peaks[shape=(channels, n_points)]``, 0..1."""

    peaks: NDArray[np.float32]
    bucket_s: float
    duration_s: float

    @property
    def channels(self) -> int:
        return int(self.peaks.shape[0])

    def to_json(self) -> dict[str, Any]:
        """``{"duration_s", "bucket_s", "channels", "peaks": [[int 0..1000, ...], ...]}``."""
        return {
            "duration_s": round(self.duration_s, 6),
            "bucket_s": round(self.bucket_s, 9),
            "channels": self.channels,
            # Thousandths of full scale: small in JSON, finer than any lane draws.
            "peaks": np.rint(np.clip(self.peaks, 0.0, 1.0) * 1000).astype(int).tolist(),
        }

    def write_json(self, target: str | os.PathLike[str]) -> Path:
        target = Path(target)
        target.write_text(json.dumps(self.to_json(), separators=(",", ":")))
        return target


def peaks_from_levels(
    levels: NDArray[np.float32], *, rate_hz: float, points: int = DEFAULT_POINTS
) -> Waveform:
    """The maximum of ``levels[shape=(n_samples, channels)]`` in at most ``points`` buckets.

    Raises
    ------
    ParameterError
        ``levels`` is not 2-D, ``rate_hz`` or ``points`` is not positive.
    """
    if levels.ndim != 2:
        raise ParameterError(f"levels must be (n_samples, channels), got shape {levels.shape}")
    if not rate_hz > 0 or points < 1:
        raise ParameterError(f"rate_hz and points must be positive, got {rate_hz}, {points}")
    n, channels = levels.shape
    duration_s = n / rate_hz
    if n == 0:
        return Waveform(np.zeros((channels, 0), np.float32), 1.0 / rate_hz, 0.0)
    per_bucket = max(1, math.ceil(n / points))
    n_buckets = math.ceil(n / per_bucket)
    padded = np.zeros((n_buckets * per_bucket, channels), np.float32)
    padded[:n] = np.abs(np.nan_to_num(levels, nan=0.0, posinf=1.0, neginf=1.0))
    peaks = padded.reshape(n_buckets, per_bucket, channels).max(axis=1).T
    return Waveform(np.ascontiguousarray(peaks), per_bucket / rate_hz, duration_s)


def waveform_of(
    path: str | os.PathLike[str],
    *,
    info: MediaInfo | None = None,
    points: int = DEFAULT_POINTS,
    ffmpeg_bin: str | None = None,
    timeout_s: float = 1800.0,
) -> Waveform:
    """The peaks of the first audio track of ``path``, one row per channel (at most 16).

    Raises
    ------
    NoAudioStream
        The file has no audio track.
    RenderError
        ffmpeg could not decode it (the message holds its last line).
    """
    info = info or media.probe(path)
    if info.audio is None:
        raise NoAudioStream(f"'{info.filename}' has no audio track to draw", filename=info.filename)
    channels = max(1, min(info.audio.channels, _MAX_CHANNELS))
    duration_s = max(info.duration_s, 1e-3)
    rate_hz = int(
        min(_MAX_RATE_HZ, max(_MIN_RATE_HZ, math.ceil(_SAMPLES_PER_BUCKET * points / duration_s)))
    )
    with tempfile.TemporaryDirectory(prefix="syncengine-waveform-") as tmp:
        raw = Path(tmp) / "levels.f32"
        media.run_ffmpeg(
            [
                *media.safe_input_args(path),
                "-map",
                "0:a:0",
                "-vn",
                "-sn",
                "-dn",
                "-af",
                # Rectify at the source rate, then resample: what is left is the level.
                f"aresample=async=1:first_pts=0,aeval=abs(val(ch)):c=same,aresample={rate_hz}",
                "-ac",
                str(channels),
                "-f",
                "f32le",
                "-y",
                str(raw),
            ],
            ffmpeg_bin=ffmpeg_bin,
            timeout_s=timeout_s,
            stage="waveform",
        )
        samples = np.fromfile(raw, dtype=np.float32)
    frames = samples.size // channels
    levels = samples[: frames * channels].reshape(frames, channels)
    return peaks_from_levels(levels, rate_hz=rate_hz, points=points)


def draw_poster(
    waveform: Waveform,
    target: str | os.PathLike[str],
    *,
    width: int = 640,
    height: int = 360,
) -> Path:
    """Draw ``waveform`` as a JPEG still (a lane per channel, mirrored bars); returns ``target``.

    The bars are scaled to the loudest peak of the file, so a quiet recording still shows its
    shape; a silent one (peaks below -60 dBFS) is drawn as flat lines.
    """
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (13, 17, 26))
    draw = ImageDraw.Draw(image)
    peaks = waveform.peaks
    channels = max(1, waveform.channels)
    loudest = float(peaks.max()) if peaks.size else 0.0
    gain = 1.0 / loudest if loudest > 1e-3 else 0.0
    lane_h = height / channels
    n = peaks.shape[1]
    for c in range(channels):
        middle = lane_h * (c + 0.5)
        draw.line([(0, middle), (width, middle)], fill=(60, 72, 96))
        if n == 0 or c >= peaks.shape[0]:
            continue
        # One column of pixels takes the largest peak of the buckets it covers.
        edges = np.linspace(0, n, width + 1).astype(int)
        for x in range(width):
            lo, hi = edges[x], max(edges[x] + 1, edges[x + 1])
            half = float(peaks[c, lo:hi].max()) * gain * (lane_h * 0.45)
            if half >= 0.5:
                draw.line([(x, middle - half), (x, middle + half)], fill=(94, 160, 255))
    target = Path(target)
    image.save(target, format="JPEG", quality=85)
    return target
