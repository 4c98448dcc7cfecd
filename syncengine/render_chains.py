"""The ffmpeg filter chains a render is made of: shift, pad, cut and retime picture and sound.

Conventions
-----------
See :mod:`syncengine.render`: a chain puts a source's t=0 at ``lead_s`` on an output that lasts
``total_s`` (video to the frame at the output's rate, audio to the sample), padding with black
and silence; a ``speed`` other than 1 stretches it by that factor (drift correction).
Every picture leaves a chain as 8-bit ``yuv420p`` SDR: HDR (PQ or HLG transfer) is tone-mapped
to BT.709 and wide-gamut SDR (BT.2020 primaries) converted to BT.709 by :func:`color_filters`,
the same filters the browser proxy uses (:mod:`syncengine.proxy`).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from syncengine.media import VideoColor

__all__ = [
    "AAC_BITRATE",
    "AAC_CHANNEL_KBPS",
    "AAC_MAX_CHANNELS",
    "AAC_RATES_HZ",
    "X264_CRF",
    "X264_PRESET",
    "aac_audio",
    "audio_chain",
    "color_filters",
    "color_tags",
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
#: zscale's names of FFmpeg's colour enum numbers (transfer, primaries, matrix).
_TRANSFERS = {1: "bt709", 6: "601", 14: "2020_10", 15: "2020_12", 16: "smpte2084"}
_TRANSFERS[18] = "arib-std-b67"
_PRIMARIES = {1: "bt709", 5: "bt470bg", 6: "smpte170m", 9: "bt2020"}
_MATRICES = {1: "bt709", 5: "470bg", 6: "170m", 9: "2020_ncl", 10: "2020_cl"}
_BT709_TAGS = ("-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709")


def color_filters(color: VideoColor | None) -> tuple[list[str], list[str]]:
    """Filters that bring a picture to 8-bit SDR BT.709 ``yuv420p``, and the output's tags.

    HDR (PQ or HLG) goes to linear light (100 nits = 1.0), BT.709 primaries, then
    ``tonemap=hable``; wide-gamut SDR (BT.2020 primaries) is converted to BT.709 without
    tone-mapping; both are tagged BT.709. Any other picture (or ``None``, colours unknown) only
    becomes ``yuv420p`` and keeps its tags (no tags returned).
    """
    if color is None or not (color.hdr or color.wide_gamut):
        return ["format=yuv420p"], []
    tin = _TRANSFERS.get(color.transfer, "2020_10")  # wide gamut with an unknown transfer
    matrix = _MATRICES.get(color.matrix, "2020_ncl")
    primaries = _PRIMARIES.get(color.primaries, "bt2020")  # PQ/HLG without primaries: 2020
    # zimg needs the output primaries spelt out whenever the transfer changes
    source = f"tin={tin}:min={matrix}:pin={primaries}:rin=limited:p={primaries}"
    if color.hdr:
        # PQ/HLG to linear light (100 nits = 1.0), BT.709 primaries, then compress the highlights
        chain = [
            f"zscale={source}:t=linear:npl=100",
            "format=gbrpf32le",
            "zscale=p=bt709",
            "tonemap=tonemap=hable:desat=0",
            "zscale=t=bt709:m=bt709:r=limited",
        ]
    else:
        chain = [f"zscale={source}:t=linear", "format=gbrpf32le", "zscale=p=bt709",
                 "zscale=t=bt709:m=bt709:r=limited"]  # fmt: skip
    return [*chain, "format=yuv420p"], list(_BT709_TAGS)


def color_tags(colors: Sequence[VideoColor | None]) -> list[str]:
    """The output's colour tags when its pictures are ``colors`` (converted by the chains).

    BT.709 when any of them was converted (every converted picture is BT.709, and the others
    are SDR), else none: the encoder keeps what the frames say.
    """
    return list(_BT709_TAGS) if any(color_filters(c)[1] for c in colors) else []


def rate_text(fps: float) -> str:
    """Exact frame rate text for ffmpeg: 29.97... -> "30000/1001"."""
    return str(Fraction(fps).limit_denominator(1001))


def video_chain(
    *,
    lead_s: float,
    fps: float,
    total_s: float,
    speed: float = 1.0,
    color: VideoColor | None = None,
) -> str:
    """Shift by whole frames with one ``tpad`` (start and end padding), cut with ``trim``.

    A ``speed`` other than 1 stretches the frames' times by it first (drift correction). An
    HDR or wide-gamut ``color`` (the source's) adds :func:`color_filters` last, ending in
    ``yuv420p``: they change pixels only, never which frame lands where (nor the padding's
    black). Other pictures get no colour filters.
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
    colors, tags = color_filters(color)
    if tags:  # HDR or wide gamut; other pictures' chains are unchanged (the encoder's -pix_fmt)
        parts += colors
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
