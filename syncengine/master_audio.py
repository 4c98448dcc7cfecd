"""The master recorder's sound under the cameras: check it, choose its channel, lay it on a clip.

Conventions
-----------
- The master: its own time ``v`` happens at ``offset_m + v * (1 + m * 1e-6)`` on the reference
  timeline (``m`` its drift, ppm); a clip's own time ``u`` at ``offset_c + u * (1 + d * 1e-6)``.
  The clip's output shows its time ``u`` at ``lead_c + u * speed_c``, so the master's sound at
  that moment is the one of reference time ``offset_c + u * (1 + d * 1e-6)``: the master is
  laid on the output at ``lead_c + (offset_m - offset_c) * speed_c / (1 + d * 1e-6)`` with
  speed ``(1 + m * 1e-6) * speed_c / (1 + d * 1e-6)``. A clip retimed to the reference clock
  (``speed_c = 1 + d * 1e-6``) gets the master on the reference clock; one rendered at its own
  clock gets it retimed to that clock. The master sounds only where the clip's footage is.
- Channels are 0-based; the master track is mono.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.io import wavfile

from syncengine import media
from syncengine.errors import ParameterError, SyncEngineError
from syncengine.sync import renamed
from syncengine.timeline import Job
from syncengine.types import MediaInfo, Placement

__all__ = [
    "ANALYSIS_RATE_HZ",
    "MasterAudioError",
    "MasterPlan",
    "channel_rms_db",
    "master_chain",
    "master_lead_speed",
    "master_placement",
]

#: Rate of the per-channel energy analysis (channel by energy).
ANALYSIS_RATE_HZ = 8000
_STRETCH_RATE_HZ = 1_000_000  # as syncengine.render_chains: speed exact to 0.5 ppm
_RMS_CHUNK = 1 << 20


class MasterAudioError(ParameterError):
    """The master audio cannot be used: missing, not placed, silent-less, a bad channel."""

    code = "master_audio"


@dataclass(frozen=True)
class MasterPlan:
    """The master recorder as the render uses it."""

    placement: Placement
    info: MediaInfo
    channel: int
    #: Each channel's RMS level (dBFS) when the channel was chosen by energy, else ().
    levels_db: tuple[float, ...] = ()

    @property
    def clock(self) -> float:
        """Reference seconds per second of the master (``1 + m * 1e-6``)."""
        return 1.0 + (self.placement.drift_ppm or 0.0) * 1e-6


def master_placement(
    master: Placement | None,
    *,
    audio: str,
    channel: int | None,
    ffmpeg_bin: str | None,
    timeout_s: float,
) -> MasterPlan | None:
    """Check and probe the master, choosing its channel (``channel``, else the loudest).

    Raises
    ------
    MasterAudioError
        ``audio`` asks for the master and none is given, it is not placed, has no sound, or
        ``channel`` is not one of its channels.
    """
    if audio == "camera":
        return None
    if master is None:
        raise MasterAudioError(
            f"audio='{audio}' needs the master audio: choose the recorder's file as the master"
        )
    if not isinstance(master, Placement):
        raise ParameterError(f"master must be a Placement, got {type(master).__name__}")
    if master.offset_s is None or not math.isfinite(master.offset_s):
        raise MasterAudioError(
            f"the master audio '{master.name}' is not synced, so its sound cannot be laid "
            "under the cameras; sync it (or place it by hand) first",
            filename=master.name,
        )
    try:
        info = replace(media.probe(master.path), filename=master.name)
    except SyncEngineError as exc:
        raise renamed(exc, master.path, master.name) from None
    if info.audio is None:
        raise MasterAudioError(
            f"the master audio '{master.name}' has no sound; choose a file with sound",
            filename=master.name,
        )
    n = info.audio.channels
    if channel is not None:
        if isinstance(channel, bool) or not isinstance(channel, int) or not 0 <= channel < n:
            raise MasterAudioError(
                f"the master audio '{master.name}' has {n} channel(s), numbered 0 to {n - 1}; "
                f"got channel {channel!r}",
                filename=master.name,
                channels=n,
            )
        return MasterPlan(master, info, channel)
    if n == 1:
        return MasterPlan(master, info, 0)
    levels = channel_rms_db(master.path, ffmpeg_bin=ffmpeg_bin, timeout_s=timeout_s)
    return MasterPlan(master, info, int(np.argmax(levels)), tuple(levels))


def channel_rms_db(
    path: Path, *, ffmpeg_bin: str | None = None, timeout_s: float = 600.0
) -> list[float]:
    """Each channel's RMS level over the whole file, dBFS (decoded at ``ANALYSIS_RATE_HZ``).

    The channels are decoded to a 16-bit WAV in a temporary folder and read memory-mapped in
    chunks, so a long multichannel take is never held in memory.
    """
    with tempfile.TemporaryDirectory(prefix="channels-") as tmp:
        wav = Path(tmp) / "channels.wav"
        media.run_ffmpeg(
            [
                *media.safe_input_args(path),
                "-map",
                "0:a:0",
                "-ar",
                str(ANALYSIS_RATE_HZ),
                "-c:a",
                "pcm_s16le",
                "-f",
                "wav",
                "-y",
                str(wav),
            ],
            ffmpeg_bin=ffmpeg_bin,
            timeout_s=timeout_s,
            stage="analysing",
        )
        _, data = wavfile.read(wav, mmap=True)
        frames = data.reshape(len(data), -1)
        n_frames = max(1, len(frames))
        power = np.zeros(frames.shape[1])
        for a in range(0, len(frames), _RMS_CHUNK):
            chunk = frames[a : a + _RMS_CHUNK].astype(np.float64) / 32768.0
            power += (chunk**2).sum(axis=0)
        del data, frames  # release the map before the folder goes
    rms = np.sqrt(power / n_frames)
    return [float(20.0 * np.log10(max(x, 1e-10))) for x in rms]


def master_lead_speed(job: Job, clip: Placement, master: MasterPlan) -> tuple[float, float]:
    """Where the master's t=0 goes on the clip's output and its speed there (module Conventions)."""
    clip_clock = 1.0 + (clip.drift_ppm or 0.0) * 1e-6
    ratio = job.speed / clip_clock
    offset_m = float(master.placement.offset_s or 0.0)
    return job.lead_s + (offset_m - job.offset_s) * ratio, master.clock * ratio


def master_chain(
    *,
    channel: int,
    lead_s: float,
    speed: float,
    rate_hz: int,
    n_samples: int,
    span_s: tuple[float, float],
    master_duration_s: float,
) -> str | None:
    """Filters turning the master's sound into one segment's mono track, or None (silence).

    ``lead_s``, ``speed`` and ``span_s`` (where the clip's footage is) are in the segment's
    own seconds; the segment lasts ``n_samples`` at ``rate_hz``. Only the master's sound
    within ``span_s`` is kept, the rest is silence.
    """
    j0 = round((span_s[0] - lead_s) * rate_hz)
    j1 = round((span_s[1] - lead_s) * rate_hz)
    j_start = max(0, j0)
    j_end = min(j1, math.floor(master_duration_s * speed * rate_hz))
    if j_end - j_start < 1:
        return None
    out_at = round(lead_s * rate_hz) + j_start
    if out_at >= n_samples:
        return None
    parts = [f"aresample={rate_hz}:async=1:first_pts=0", f"pan=mono|c0=c{channel}"]
    if abs(speed - 1.0) * _STRETCH_RATE_HZ >= 0.5:
        parts += [
            f"asetrate={_STRETCH_RATE_HZ}",
            f"aresample={round(_STRETCH_RATE_HZ * speed)}",
            f"asetrate={rate_hz}",
        ]
    parts += [f"atrim=start_sample={j_start}:end_sample={j_end}", "asetpts=PTS-STARTPTS"]
    if out_at > 0:
        parts.append(f"adelay={out_at}S:all=1")
    parts += [f"apad=whole_len={n_samples}", f"atrim=end_sample={n_samples}"]
    return ",".join(parts)
