"""SMPTE timecode: parse and check it, convert it between frame rates, stamp it into files.

Conventions
-----------
- A timecode is ``HH:MM:SS:FF`` (non-drop-frame) or ``HH:MM:SS;FF`` (drop-frame, the NTSC rates
  29.97 and 59.94 only). At those two rates timecodes are always written drop-frame (``;``),
  the convention of NTSC cameras and editors; ``HH:MM:SS:FF`` given for them is read as the
  drop-frame label with the same digits.
- A timecode's *nominal rate* is ``round(fps)`` (24 for 23.976, 30 for 29.97); ``FF`` counts
  frames of it. Its *label time* is ``HH*3600 + MM*60 + SS + FF / nominal`` seconds: what an
  editor's "sync by timecode" lines up. One start timecode for files at several rates means
  one label time, each file's ``FF`` taken at its own nominal rate (to the nearest frame).
- Stamping remuxes (``-c copy``): MP4/MOV get a ``tmcd`` track, MKV a ``TIMECODE`` tag, a WAV
  the BWF ``bext`` chunk's ``TimeReference`` (samples since midnight at the label time).
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from syncengine import media
from syncengine.errors import ParameterError, RenderError

__all__ = [
    "BadTimecode",
    "Timecode",
    "is_drop_frame_rate",
    "parse_timecode",
    "stamp_timecode",
    "timecode_at_rate",
]

_PATTERN = re.compile(r"^(\d{2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")
_DROP_RATES = (30000 / 1001, 60000 / 1001)
_STAMP_TIMEOUT_S = 600.0
_VIDEO_MUXERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}


class BadTimecode(ParameterError):
    """A start timecode that is not ``HH:MM:SS:FF`` at the file's rate."""

    code = "bad_timecode"


@dataclass(frozen=True)
class Timecode:
    """One timecode label at a frame rate (``nominal`` frames per timecode second)."""

    hours: int
    minutes: int
    seconds: int
    frames: int
    nominal: int
    drop_frame: bool

    def __str__(self) -> str:
        sep = ";" if self.drop_frame else ":"
        return f"{self.hours:02d}:{self.minutes:02d}:{self.seconds:02d}{sep}{self.frames:02d}"

    @property
    def label_s(self) -> float:
        """The label time, seconds since midnight (see the module Conventions)."""
        return self.hours * 3600 + self.minutes * 60 + self.seconds + self.frames / self.nominal


def is_drop_frame_rate(fps: float) -> bool:
    """True at 29.97 and 59.94 fps (``30000/1001``, ``60000/1001``), whose timecode drops frames."""
    return any(abs(fps - rate) < 0.005 for rate in _DROP_RATES)


def _nominal(fps: float) -> int:
    if not (math.isfinite(fps) and fps > 0):
        raise BadTimecode(f"a timecode needs a frame rate above 0, got {fps}")
    return max(1, round(fps))


def parse_timecode(text: str, fps: float) -> Timecode:
    """Read ``HH:MM:SS:FF`` (or ``HH:MM:SS;FF`` at 29.97/59.94) at ``fps``, checking every field.

    Raises
    ------
    BadTimecode
        Not in that form, a field out of range (hours 0-23, minutes and seconds 0-59, frames
        below the nominal rate), a drop-frame ``;`` at a rate without drop-frame timecode, or a
        drop-frame label that does not exist (frames 00 and 01, at 59.94 also 02 and 03, of
        every minute not divisible by ten).
    """
    nominal = _nominal(fps)
    drop = is_drop_frame_rate(fps)
    match = _PATTERN.match(str(text).strip())
    if match is None:
        raise BadTimecode(
            f"'{text}' is not a timecode: write it as HH:MM:SS:FF, for example 01:00:00:00",
            timecode=str(text),
        )
    hh, mm, ss, sep, ff = match.groups()
    hours, minutes, seconds, frames = int(hh), int(mm), int(ss), int(ff)
    if sep == ";" and not drop:
        raise BadTimecode(
            f"'{text}' is a drop-frame timecode (;), which exists only at 29.97 and 59.94 fps; "
            f"at {fps:g} fps write HH:MM:SS:FF",
            timecode=str(text),
        )
    for name, value, top in (
        ("hours", hours, 24),
        ("minutes", minutes, 60),
        ("seconds", seconds, 60),
    ):
        if value >= top:
            raise BadTimecode(
                f"'{text}': {name} must be below {top}, got {value}", timecode=str(text)
            )
    if frames >= nominal:
        raise BadTimecode(
            f"'{text}': at {fps:g} fps the frames go from 00 to {nominal - 1:02d}, "
            f"got {frames:02d}",
            timecode=str(text),
        )
    dropped = 2 * round(nominal / 30) if drop else 0
    if dropped and seconds == 0 and minutes % 10 != 0 and frames < dropped:
        raise BadTimecode(
            f"'{text}' does not exist in drop-frame timecode at {fps:g} fps (frames 00 to "
            f"{dropped - 1:02d} of minute {minutes} are dropped); use "
            f"{hh}:{mm}:{ss};{dropped:02d}",
            timecode=str(text),
        )
    return Timecode(hours, minutes, seconds, frames, nominal, drop)


def timecode_at_rate(start: Timecode, fps: float) -> Timecode:
    """The label nearest to ``start``'s label time at another rate (frames rounded).

    A drop-frame label that does not exist (the first frames of a minute) moves on to the
    first one that does.
    """
    nominal = _nominal(fps)
    drop = is_drop_frame_rate(fps)
    total = round(start.label_s * nominal) % (24 * 3600 * nominal)
    seconds_total, frames = divmod(total, nominal)
    minutes_total, seconds = divmod(seconds_total, 60)
    hours, minutes = divmod(minutes_total, 60)
    dropped = 2 * round(nominal / 30) if drop else 0
    if dropped and seconds == 0 and minutes % 10 != 0 and frames < dropped:
        frames = dropped
    return Timecode(hours, minutes, seconds, frames, nominal, drop)


def stamp_timecode(
    path: str | os.PathLike[str],
    start_timecode: str | Timecode,
    fps: float,
    *,
    ffmpeg_bin: str | None = None,
    timeout_s: float = _STAMP_TIMEOUT_S,
) -> str:
    """Stamp a start timecode into a file in place, by remuxing it (no re-encoding).

    Parameters
    ----------
    path : path-like
        An MP4/MOV/MKV file (its ``t=0`` gets the timecode: a ``tmcd`` track, a ``TIMECODE``
        tag), or a WAV (its BWF ``bext`` ``TimeReference`` is set to the samples since
        midnight at the timecode's label time).
    start_timecode : str or Timecode
        ``HH:MM:SS:FF`` read at ``fps`` (see :func:`parse_timecode`); a :class:`Timecode` is
        converted to ``fps`` (:func:`timecode_at_rate`).
    fps : float
        The file's frame rate (for a WAV: the rate the timecode's frames count).

    Returns
    -------
    str
        The timecode written (drop-frame with ``;`` at 29.97/59.94), for a WAV the
        ``TimeReference`` in samples as text.

    Raises
    ------
    BadTimecode
        ``start_timecode`` is not a timecode at ``fps``.
    ParameterError
        The file is not MP4, MOV, MKV or WAV.
    RenderError
        ffmpeg failed; the file is left as it was.
    """
    target = Path(path)
    if isinstance(start_timecode, Timecode):
        tc = timecode_at_rate(start_timecode, fps)
    else:
        tc = parse_timecode(start_timecode, fps)
    suffix = target.suffix.lower()
    if suffix == ".wav":
        info = media.probe(target)
        if info.audio is None:
            raise ParameterError(f"'{target.name}' has no sound to stamp", filename=target.name)
        reference = round(tc.label_s * info.audio.sample_rate_hz)
        args = ["-map", "0", "-c", "copy", "-write_bext", "1"]
        args += ["-metadata", f"time_reference={reference}", "-f", "wav"]
        written = str(reference)
    elif suffix in _VIDEO_MUXERS:
        muxer = _VIDEO_MUXERS[suffix]
        args = ["-map", "0:v?", "-map", "0:a?", "-c", "copy", "-timecode", str(tc)]
        args += ["-movflags", "+faststart"] if muxer in ("mp4", "mov") else []
        args += ["-f", muxer]
        written = str(tc)
    else:
        raise ParameterError(
            f"'{target.name}' cannot carry a timecode here: stamp MP4, MOV, MKV or WAV files",
            filename=target.name,
        )
    # Remux beside the file, then rename over it: a failure leaves the original untouched.
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".timecode-") as tmp:
        staged = Path(tmp) / target.name
        try:
            media.run_ffmpeg(
                [*media.safe_input_args(target), *args, "-y", str(staged)],
                ffmpeg_bin=ffmpeg_bin,
                timeout_s=timeout_s,
            )
        except RenderError as exc:
            raise RenderError(
                f"stamping the timecode into '{target.name}' failed: {exc.message}",
                filename=target.name,
            ) from exc
        os.replace(staged, target)
    return written
