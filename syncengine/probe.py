"""Probe media files with PyAV in a child process (the imageio-ffmpeg wheel ships no ffprobe).

Conventions
-----------
Stream start times are given relative to the container start, which is the file's t=0.
PyAV never runs in the calling process: :mod:`syncengine.decoder_child` opens the file (only
local files, only the demuxers listed in :data:`ALLOWED_DEMUXERS`) in a child started by
:func:`syncengine.media.run_decoder`, under a timeout and a memory limit, so a decoder crash (PyAV
18.1 corrupts memory on some 8-channel PCM MOV files) is a typed error, never a dead server.
:func:`probe` refuses a picture or a duration above :mod:`syncengine.limits` from the headers,
before it decodes anything, and a cut-off file (:class:`~syncengine.errors.TruncatedMedia`)
from the packets near its declared end.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from syncengine.errors import (
    MediaTooLong,
    PictureTooLarge,
    TruncatedMedia,
    UnreadableMedia,
    UnsupportedMedia,
)
from syncengine.limits import MAX_DURATION_S, MAX_PICTURE_PIXELS, MAX_PICTURE_SIDE
from syncengine.types import AudioStreamInfo, MediaInfo, VideoStreamInfo

__all__ = [
    "ALLOWED_DEMUXERS",
    "PROBE_TIMEOUT_S",
    "SUPPORTED_HINT",
    "keyframe_at_or_before",
    "probe",
]

#: libavformat demuxer names we accept (mov covers mp4/m4a/3gp, matroska covers webm).
ALLOWED_DEMUXERS = "mov,matroska,webm,avi,mpegts,wav,w64,mp3,flac,ogg,aac,mxf,dv,asf"
SUPPORTED_HINT = "Supported: MP4/MOV, MKV/WebM, AVI, MPEG-TS, MXF, WAV, MP3, FLAC, OGG."
#: Wall-clock and CPU limit of one probe child, seconds (a cut file is demuxed to its end once).
PROBE_TIMEOUT_S = 120.0
# Text formats that make a demuxer open other files or URLs. We name them in the error.
_PLAYLIST_MAGIC = (b"#EXTM3U", b"ffconcat", b"[playlist]", b"<?xml", b"#EXT")
#: A stream is cut off when its packets stop more than max(2 s, 2 %) before its declared end.
_TRUNCATED_MIN_S = 2.0
_TRUNCATED_FRACTION = 0.02


def _precheck(p: Path) -> None:
    """Refuse, without opening it, a missing or empty file or a playlist/concat script.

    Raises
    ------
    UnreadableMedia
        Missing or empty.
    UnsupportedMedia
        A playlist or script (which would make a demuxer open other files or URLs).
    """
    name = p.name
    if not p.is_file():
        raise UnreadableMedia(f"'{name}' does not exist or is not a file.", filename=name)
    if p.stat().st_size == 0:
        raise UnreadableMedia(f"'{name}' is empty (0 bytes). Upload the file again.", filename=name)
    with p.open("rb") as fh:
        head = fh.read(64).lstrip()
    if head.startswith(_PLAYLIST_MAGIC):
        raise UnsupportedMedia(
            f"'{name}' is a playlist or script, not a video. Upload the video file itself. "
            + SUPPORTED_HINT,
            filename=name,
        )


def _check_limits(name: str, streams: list[dict[str, Any]], duration_s: float) -> None:
    """Refuse, from the headers alone, a picture or a duration above :mod:`syncengine.limits`."""
    for stream in streams:
        if "width" not in stream:  # an audio stream
            continue
        width, height = int(stream["width"]), int(stream["height"])
        if max(width, height) > MAX_PICTURE_SIDE or width * height > MAX_PICTURE_PIXELS:
            raise PictureTooLarge(
                f"'{name}' has a {width}x{height} picture; Syncsite takes at most 7680x4320 "
                f"(8K) and {MAX_PICTURE_SIDE} pixels on either side. Re-export it at 4K or "
                "lower and upload it again.",
                filename=name,
                width=width,
                height=height,
            )
    longest = max([duration_s, *(float(s["duration_s"] or 0.0) for s in streams)])
    if longest > MAX_DURATION_S:
        raise MediaTooLong(
            f"'{name}' declares a duration of {longest / 3600:,.1f} hours; Syncsite takes clips "
            f"of at most {MAX_DURATION_S / 3600:g} hours. Cut it into shorter parts (or "
            "re-export it if it is shorter than that) and upload them.",
            filename=name,
            duration_s=longest,
        )


def _video_info(facts: dict[str, Any], rotation_deg: int, duration_s: float) -> VideoStreamInfo:
    return VideoStreamInfo(
        codec=str(facts["codec"]),
        width=int(facts["width"]),
        height=int(facts["height"]),
        fps=float(facts["fps"]),
        variable_fps=bool(facts["variable_fps"]),
        rotation_deg=int(rotation_deg),
        start_s=float(facts["start_s"]),
        duration_s=_declared(facts, duration_s),
        frame_count=int(facts["frame_count"]),
    )


def _audio_info(facts: dict[str, Any], duration_s: float) -> AudioStreamInfo:
    return AudioStreamInfo(
        codec=str(facts["codec"]),
        sample_rate_hz=int(facts["sample_rate_hz"]),
        channels=int(facts["channels"]),
        start_s=float(facts["start_s"]),
        duration_s=_declared(facts, duration_s),
    )


def _declared(facts: dict[str, Any], fallback_s: float) -> float:
    return float(facts["duration_s"]) if facts["duration_s"] is not None else fallback_s


def _check_tails(name: str, tails: list[dict[str, Any]]) -> None:
    """Refuse a file whose first video or audio stream stops well before its declared end."""
    for tail in tails:
        declared_s, reached_s = float(tail["declared_end_s"]), tail["reached_s"]
        if declared_s <= _TRUNCATED_MIN_S:
            continue
        reached_s = 0.0 if reached_s is None else float(reached_s)
        if reached_s < declared_s - max(_TRUNCATED_MIN_S, _TRUNCATED_FRACTION * declared_s):
            raise TruncatedMedia(
                f"'{name}' is incomplete: it declares {declared_s:.1f} s but its data stops at "
                f"{reached_s:.1f} s, so the copy was probably cut off. Copy the complete file "
                "from the camera or card again and upload that.",
                filename=name,
                declared_s=declared_s,
                reached_s=reached_s,
            )


def probe(
    path: str | os.PathLike[str],
    *,
    timeout_s: float = PROBE_TIMEOUT_S,
    memory_mb: int | None = None,
) -> MediaInfo:
    """Describe a media file: streams, duration, fps, audio rate/channels, rotation, tags.

    The work runs in a child process (:func:`syncengine.media.run_decoder`), so a decoder that
    crashes or exhausts memory fails this call with a typed error and never the caller. The first
    video frame is decoded, so a file whose picture cannot be decoded fails here; and the packets
    near the declared end of the first video and audio stream are read, so a cut-off copy fails
    here (:class:`TruncatedMedia`) instead of at sync time.

    Parameters
    ----------
    timeout_s : float
        Wall-clock (and CPU) limit of the child, seconds.
    memory_mb : int, optional
        Address-space limit of the child, MiB (see :func:`syncengine.media.memory_limit_mb`).

    Raises
    ------
    UnreadableMedia, UnsupportedMedia
    PictureTooLarge, MediaTooLong
        Checked from the headers, before the first frame is decoded.
    TruncatedMedia
        A stream's data stops well before the end its header declares.
    DecoderCrashed, MemoryLimitExceeded
        The child died of a signal, or needed more memory than its limit.
    """
    from syncengine import media  # media imports this module

    p = Path(path)
    _precheck(p)
    facts = media.run_decoder(
        "probe",
        p,
        str(MAX_PICTURE_SIDE),
        str(MAX_PICTURE_PIXELS),
        repr(MAX_DURATION_S),
        filename=p.name,
        doing="being probed",
        timeout_s=timeout_s,
        memory_mb=memory_mb,
    )
    duration_s = float(facts["duration_s"])
    videos, audio = facts["videos"], facts["audio"]
    if not videos and audio is None:
        raise UnreadableMedia(f"'{p.name}' contains no audio or video stream.", filename=p.name)
    _check_limits(p.name, [*videos, *([audio] if audio else [])], duration_s)
    _check_tails(p.name, facts["tails"])
    audio_info = _audio_info(audio, duration_s) if audio else None
    video_info = _video_info(videos[0], facts["rotation_deg"], duration_s) if videos else None
    if duration_s <= 0:
        duration_s = max(
            (s.duration_s for s in (audio_info, video_info) if s is not None), default=0.0
        )
    tags = facts["tags"]
    return MediaInfo(
        path=str(p),
        filename=p.name,
        container=str(facts["container"]),
        size_bytes=p.stat().st_size,
        duration_s=duration_s,
        video=video_info,
        audio=audio_info,
        creation_time=tags.get("creation_time"),
        timecode=tags.get("timecode"),
    )


def keyframe_at_or_before(
    path: str | os.PathLike[str], time_s: float, *, timeout_s: float = PROBE_TIMEOUT_S
) -> float | None:
    """File time (s) of the last video keyframe at or before ``time_s``; ``None`` if none.

    Demuxed in a child process, like :func:`probe`.
    """
    from syncengine import media  # media imports this module

    p = Path(path)
    _precheck(p)
    found = media.run_decoder(
        "keyframe",
        p,
        repr(float(time_s)),
        filename=p.name,
        doing="searched for a keyframe",
        timeout_s=timeout_s,
    )
    return None if found is None else float(found)
