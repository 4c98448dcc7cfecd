"""The ffmpeg filter chains a render is made of: shift, pad, cut and retime picture and sound.

Conventions
-----------
See :mod:`syncengine.render`: a chain puts a source's t=0 at ``lead_s`` on an output that lasts
``total_s`` (video to the frame at the output's rate, audio to the sample), padding with black
and silence; a ``speed`` other than 1 stretches it by that factor (drift correction).
"""

from __future__ import annotations

from fractions import Fraction

__all__ = [
    "AAC_BITRATE",
    "AAC_CHANNEL_KBPS",
    "AAC_MAX_CHANNELS",
    "AAC_RATES_HZ",
    "X264_CRF",
    "X264_PRESET",
    "aac_audio",
    "audio_chain",
    "rate_text",
    "video_chain",
]

X264_PRESET = "fast"
X264_CRF = 18
AAC_BITRATE = "192k"  # up to two channels; more get AAC_CHANNEL_KBPS each
AAC_CHANNEL_KBPS = 96
#: The sample rates FFmpeg's AAC encoder takes, highest first: other rates are resampled to the
#: highest of these at or below the source's (192 kHz becomes 96 kHz).
AAC_RATES_HZ = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)
#: AAC carries at most 7.1; more channels are mixed down to 7.1.
AAC_MAX_CHANNELS = 8
#: The sound is stretched by resampling from this (relabelled) rate to ``round(it * speed)``:
#: the speed is then exact to ``0.5 / _STRETCH_RATE_HZ`` (0.5 ppm, 0.9 ms over 30 minutes).
_STRETCH_RATE_HZ = 1_000_000


def rate_text(fps: float) -> str:
    """Exact frame rate text for ffmpeg: 29.97... -> "30000/1001"."""
    return str(Fraction(fps).limit_denominator(1001))


def video_chain(*, lead_s: float, fps: float, total_s: float, speed: float = 1.0) -> str:
    """Shift by whole frames with one ``tpad`` (start and end padding), cut with ``trim``.

    A ``speed`` other than 1 stretches the frames' times by it first (drift correction).
    """
    shift = round(lead_s * fps)
    pts = "PTS-STARTPTS" if speed == 1.0 else f"(PTS-STARTPTS)*{speed!r}"
    parts = [f"setpts={pts}", f"fps={rate_text(fps)}"]  # frame k at k / fps from here on
    if shift < 0:
        parts += [f"trim=start_frame={-shift}", "setpts=PTS-STARTPTS"]
    # One tpad for both ends: with a start tpad followed by a stop tpad, ffmpeg 9 emits only
    # part of the stop padding (31 of 60 frames in our test), so the output ends early.
    parts += [
        f"tpad=start={max(shift, 0)}:stop=-1:stop_mode=add:color=black",
        f"trim=end_frame={max(1, round(total_s * fps))}",
    ]
    return ",".join(parts)


def aac_audio(sample_rate_hz: int, channels: int) -> tuple[int, int, str]:
    """``(sample rate, channels, bitrate)`` of the AAC track written for such source audio."""
    rate = next((r for r in AAC_RATES_HZ if r <= sample_rate_hz), AAC_RATES_HZ[-1])
    out_channels = min(channels, AAC_MAX_CHANNELS)
    bitrate = AAC_BITRATE if out_channels <= 2 else f"{AAC_CHANNEL_KBPS * out_channels}k"
    return rate, out_channels, bitrate


def audio_chain(
    *,
    lead_s: float,
    sample_rate_hz: int,
    total_s: float,
    source_rate_hz: int | None = None,
    speed: float = 1.0,
) -> str:
    """Shift to the sample at the output rate, then pad or cut to exactly the timeline length.

    A ``source_rate_hz`` other than ``sample_rate_hz`` is resampled on the way in. A ``speed``
    other than 1 stretches the sound by it (drift correction): relabelled as
    ``_STRETCH_RATE_HZ`` it is resampled to ``round(_STRETCH_RATE_HZ * speed)``, then labelled
    ``sample_rate_hz`` again, so every second of the source lasts ``speed`` seconds.
    """
    shift = round(lead_s * sample_rate_hz)
    n_total = max(1, round(total_s * sample_rate_hz))
    # Sample 0 = file t=0, as in media.decode_audio.
    resample = "" if source_rate_hz in (None, sample_rate_hz) else f"{sample_rate_hz}:"
    parts = [f"aresample={resample}async=1:first_pts=0"]
    if speed != 1.0:
        stretched = round(_STRETCH_RATE_HZ * speed)
        parts += [
            f"asetrate={_STRETCH_RATE_HZ}",
            f"aresample={stretched}",
            f"asetrate={sample_rate_hz}",
        ]
    if shift > 0:
        parts.append(f"adelay={shift}S:all=1")
    elif shift < 0:
        parts += [f"atrim=start_sample={-shift}", "asetpts=PTS-STARTPTS"]
    parts += [f"apad=whole_len={n_total}", f"atrim=end_sample={n_total}"]
    return ",".join(parts)
