"""Probe media files with PyAV (the imageio-ffmpeg wheel ships no ffprobe).

Conventions
-----------
Stream start times are given relative to the container start, which is the file's t=0.
Every open goes through :func:`open_container`, which only reads local files in the demuxers
listed in :data:`ALLOWED_DEMUXERS`.
:func:`probe` refuses a picture or a duration above :mod:`syncengine.limits` from the headers,
before it decodes anything.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any

from syncengine.errors import MediaTooLong, PictureTooLarge, UnreadableMedia, UnsupportedMedia
from syncengine.limits import MAX_DURATION_S, MAX_PICTURE_PIXELS, MAX_PICTURE_SIDE
from syncengine.types import AudioStreamInfo, MediaInfo, VideoStreamInfo

__all__ = [
    "ALLOWED_DEMUXERS",
    "SUPPORTED_HINT",
    "container_start_s",
    "keyframe_at_or_before",
    "open_container",
    "probe",
]

#: libavformat demuxer names we accept (mov covers mp4/m4a/3gp, matroska covers webm).
ALLOWED_DEMUXERS = "mov,matroska,webm,avi,mpegts,wav,w64,mp3,flac,ogg,aac,mxf,dv,asf"
SUPPORTED_HINT = "Supported: MP4/MOV, MKV/WebM, AVI, MPEG-TS, MXF, WAV, MP3, FLAC, OGG."
# Text formats that make a demuxer open other files or URLs. We name them in the error.
_PLAYLIST_MAGIC = (b"#EXTM3U", b"ffconcat", b"[playlist]", b"<?xml", b"#EXT")
_VFR_TOLERANCE = 0.01


def open_container(path: str | os.PathLike[str]) -> Any:
    """Open ``path`` with PyAV, restricted to the file protocol and the allowed demuxers.

    Raises
    ------
    UnreadableMedia
        Missing, empty, not media, or corrupt.
    UnsupportedMedia
        A playlist/concat script or a container outside the allowed list.
    """
    import av

    p = Path(path)
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
    try:
        return av.open(
            "file:" + str(p.resolve()),
            options={"protocol_whitelist": "file", "format_whitelist": ALLOWED_DEMUXERS},
        )
    except av.FFmpegError as exc:
        raise UnreadableMedia(
            f"'{name}' is not a video or audio file Syncsite can read, or it is corrupt "
            f"({getattr(exc, 'strerror', None) or exc}). If it plays elsewhere, re-export it as "
            "MP4 (H.264/AAC). " + SUPPORTED_HINT,
            filename=name,
        ) from exc


def container_start_s(container: Any) -> float:
    start = container.start_time
    return float(start) / 1_000_000 if start is not None else 0.0


def _stream_start_s(stream: Any, origin_s: float) -> float:
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base) - origin_s


def _stream_duration_s(stream: Any, fallback_s: float) -> float:
    if stream.duration is None or stream.time_base is None:
        return fallback_s
    return float(stream.duration * stream.time_base)


def _first_tag(container: Any, key: str) -> str | None:
    for meta in [container.metadata, *(s.metadata for s in container.streams)]:
        if meta.get(key):
            return str(meta[key])
    return None


def _check_limits(name: str, streams: list[Any], duration_s: float) -> None:
    """Refuse, from the headers alone, a picture or a duration above :mod:`syncengine.limits`."""
    for stream in streams:
        if stream.type != "video":
            continue
        width, height = int(stream.codec_context.width), int(stream.codec_context.height)
        if max(width, height) > MAX_PICTURE_SIDE or width * height > MAX_PICTURE_PIXELS:
            raise PictureTooLarge(
                f"'{name}' has a {width}x{height} picture; Syncsite takes at most 7680x4320 "
                f"(8K) and {MAX_PICTURE_SIDE} pixels on either side. Re-export it at 4K or "
                "lower and upload it again.",
                filename=name,
                width=width,
                height=height,
            )
    longest = max([duration_s, *(_stream_duration_s(s, 0.0) for s in streams)])
    if longest > MAX_DURATION_S:
        raise MediaTooLong(
            f"'{name}' declares a duration of {longest / 3600:,.1f} hours; Syncsite takes clips "
            f"of at most {MAX_DURATION_S / 3600:g} hours. Cut it into shorter parts (or "
            "re-export it if it is shorter than that) and upload them.",
            filename=name,
            duration_s=longest,
        )


def _video_info(container: Any, stream: Any, origin_s: float, duration_s: float) -> VideoStreamInfo:
    import av

    avg = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(0)
    base = stream.base_rate or avg
    fps = float(avg)
    variable = bool(avg and base and abs(float(base) / float(avg) - 1.0) > _VFR_TOLERANCE)
    rotation = 0
    try:
        for frame in container.decode(stream):
            rotation = int(round(frame.rotation or 0)) % 360
            break
    except av.FFmpegError as exc:
        raise UnreadableMedia(
            f"'{Path(container.name).name}': the picture cannot be decoded ({exc}). "
            "The file may be corrupt; upload it again or re-export it as MP4 (H.264/AAC).",
        ) from exc
    return VideoStreamInfo(
        codec=stream.codec_context.name,
        width=int(stream.codec_context.width),
        height=int(stream.codec_context.height),
        fps=fps,
        variable_fps=variable,
        rotation_deg=rotation,
        start_s=_stream_start_s(stream, origin_s),
        duration_s=_stream_duration_s(stream, duration_s),
        frame_count=int(stream.frames or 0),
    )


def _audio_info(stream: Any, origin_s: float, duration_s: float) -> AudioStreamInfo:
    ctx = stream.codec_context
    return AudioStreamInfo(
        codec=ctx.name,
        sample_rate_hz=int(ctx.sample_rate or 0),
        channels=int(ctx.channels or 0),
        start_s=_stream_start_s(stream, origin_s),
        duration_s=_stream_duration_s(stream, duration_s),
    )


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Describe a media file: streams, duration, fps, audio rate/channels, rotation, tags.

    The first video frame is decoded, so a file whose picture cannot be decoded fails here.

    Raises
    ------
    UnreadableMedia, UnsupportedMedia
    PictureTooLarge, MediaTooLong
        Checked from the headers, before the first frame is decoded.
    """
    import av

    p = Path(path)
    container = open_container(p)
    with container:
        origin_s = container_start_s(container)
        duration_s = float(container.duration) / 1_000_000 if container.duration else 0.0
        cover_art = av.stream.Disposition.attached_pic
        videos = [s for s in container.streams.video if not s.disposition & cover_art]
        audios = list(container.streams.audio)
        if not videos and not audios:
            raise UnreadableMedia(f"'{p.name}' contains no audio or video stream.", filename=p.name)
        _check_limits(p.name, [*videos, *audios], duration_s)
        audio = _audio_info(audios[0], origin_s, duration_s) if audios else None
        video = _video_info(container, videos[0], origin_s, duration_s) if videos else None
        if duration_s <= 0:
            duration_s = max((s.duration_s for s in (audio, video) if s is not None), default=0.0)
        return MediaInfo(
            path=str(p),
            filename=p.name,
            container=container.format.name,
            size_bytes=p.stat().st_size,
            duration_s=duration_s,
            video=video,
            audio=audio,
            creation_time=_first_tag(container, "creation_time"),
            timecode=_first_tag(container, "timecode"),
        )


def keyframe_at_or_before(path: str | os.PathLike[str], time_s: float) -> float | None:
    """File time (s) of the last video keyframe at or before ``time_s``; ``None`` if none."""
    with open_container(path) as container:
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        origin_s = container_start_s(container)
        tb = stream.time_base
        container.seek(int((time_s + origin_s) / tb), backward=True, any_frame=False, stream=stream)
        for packet in container.demux(stream):
            if packet.pts is not None and packet.is_keyframe:
                return float(packet.pts * tb) - origin_s
    return None
