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
import re
import struct
import xml.etree.ElementTree as ET
from collections.abc import Mapping
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
    "device_tags",
    "read_ixml",
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
#: Normalised tag -> the raw keys that say it, first found wins (QuickTime, Android, plain
#: udta, GoPro). ``encoder`` is the muxing software, never the device.
_DEVICE_KEYS = {
    "make": ("make", "com.apple.quicktime.make", "com.android.manufacturer", "manufacturer"),
    "model": ("model", "com.apple.quicktime.model", "com.android.model"),
    "serial": (
        "serial",
        "serial_number",
        "camera_serial_number",
        "com.apple.proapps.serialno",
    ),
    "firmware": ("firmware", "com.apple.quicktime.software", "com.android.version"),
    "camera_identifier": ("com.apple.quicktime.camera.identifier",),
    "time_reference": ("time_reference",),
    "originator": ("encoded_by",),
    "originator_reference": ("originator_reference",),
}
#: RIFF walk bounds: chunk headers visited, and the largest iXML chunk read.
_RIFF_MAX_CHUNKS = 64
_IXML_MAX_BYTES = 256 * 1024
#: iXML elements kept (path below ``BWFXML`` -> tag name after ``ixml_``).
_IXML_FIELDS = {
    "PROJECT": "project",
    "SCENE": "scene",
    "TAKE": "take",
    "TAPE": "tape",
    "NOTE": "note",
    "SPEED/TIMECODE_RATE": "timecode_rate",
    "SPEED/TIMECODE_FLAG": "timecode_flag",
    "SPEED/FILE_SAMPLE_RATE": "file_sample_rate",
    "SPEED/TIMESTAMP_SAMPLE_RATE": "timestamp_sample_rate",
    "SPEED/TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI": "_ts_hi",
    "SPEED/TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO": "_ts_lo",
}
_PRINTABLE = re.compile(r"[^\x20-\x7e\u00a0-\uffff]")


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
    raw = facts["tags"]
    container = str(facts["container"])
    tags = device_tags(raw)
    if container == "wav":
        for key, value in read_ixml(p).items():  # the bext time reference wins over iXML's
            tags.setdefault(key, value)
    creation = raw.get("creation_time")
    # A BWF's origination time is a clock time; its date comes separately.
    if creation and re.fullmatch(r"\d\d:\d\d:\d\d", creation):
        date = raw.get("date", "")
        creation = f"{date}T{creation}" if re.fullmatch(r"\d{4}-\d\d-\d\d", date) else None
    return MediaInfo(
        path=str(p),
        filename=p.name,
        container=container,
        size_bytes=p.stat().st_size,
        duration_s=duration_s,
        video=video_info,
        audio=audio_info,
        creation_time=creation,
        timecode=raw.get("timecode"),
        tags=tags,
    )


def _clean(value: object) -> str:
    return _PRINTABLE.sub("", str(value)).strip()[:256]


def device_tags(raw: Mapping[str, str]) -> dict[str, str]:
    """The normalised tags (:attr:`MediaInfo.tags`) from a file's raw metadata keys.

    ``make``, ``model``, ``serial``, ``firmware``, ``camera_identifier`` from whichever spelling
    the file uses (plain udta ``make``/``model``, QuickTime ``com.apple.quicktime.*``, Android
    ``com.android.*``); a BWF's ``time_reference`` (samples since midnight, digits only),
    ``originator`` and ``originator_reference``. Empty values are left out.
    """
    lowered = {str(k).lower(): v for k, v in raw.items()}
    out: dict[str, str] = {}
    for name, keys in _DEVICE_KEYS.items():
        for key in keys:
            value = _clean(lowered.get(key, ""))
            if value:
                out[name] = value
                break
    if "time_reference" in out and not out["time_reference"].isdigit():
        del out["time_reference"]
    return out


def _riff_chunks(fh: Any, size_bytes: int) -> dict[bytes, tuple[int, int]]:
    """Chunk id -> (data offset, data size) of a RIFF/RF64 WAV, first of each id, bounded.

    At most :data:`_RIFF_MAX_CHUNKS` headers are read; a size that runs past the end of the
    file ends the walk (the sizes of a damaged or hostile file are never trusted further).
    """
    head = fh.read(12)
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
        return {}
    found: dict[bytes, tuple[int, int]] = {}
    pos = 12
    for _ in range(_RIFF_MAX_CHUNKS):
        fh.seek(pos)
        header = fh.read(8)
        if len(header) < 8:
            break
        cid, size = header[:4], struct.unpack("<I", header[4:])[0]
        if cid == b"data" and size == 0xFFFFFFFF:  # RF64: the real size is in ds64
            ds64 = found.get(b"ds64")
            if ds64 is None or ds64[1] < 16:
                break
            fh.seek(ds64[0] + 8)
            size = struct.unpack("<Q", fh.read(8))[0]
        if pos + 8 + size > size_bytes:
            if cid != b"data":
                break
            size = size_bytes - pos - 8  # a recorder cut short: nothing after its data
        found.setdefault(cid, (pos + 8, size))
        pos += 8 + size + (size & 1)
    return found


def read_ixml(path: str | os.PathLike[str]) -> dict[str, str]:
    """The iXML fields of a WAV (``ixml_project``, ``ixml_scene``, ``ixml_take``, ...), else ``{}``.

    The RIFF chunk headers are walked in plain Python (no decoder) within fixed bounds; an iXML
    chunk larger than :data:`_IXML_MAX_BYTES`, one with a DTD or entities, or one that is not
    well-formed XML is ignored. The recorder's timestamp (``SPEED``'s samples since midnight,
    high and low words) becomes ``ixml_timestamp_samples``; where the file has no ``bext``
    ``time_reference`` it also becomes ``time_reference``.
    """
    p = Path(path)
    try:
        with p.open("rb") as fh:
            chunks = _riff_chunks(fh, p.stat().st_size)
            where = chunks.get(b"iXML")
            if where is None or where[1] > _IXML_MAX_BYTES:
                return {}
            fh.seek(where[0])
            data = fh.read(where[1])
    except OSError:
        return {}
    text = data.rstrip(b"\x00").decode("utf-8", errors="replace")
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        return {}
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return {}
    out: dict[str, str] = {}
    for where_, name in _IXML_FIELDS.items():
        node = root.find(where_)
        value = _clean(node.text) if node is not None and node.text else ""
        if value:
            out[name] = value
    hi, lo = out.pop("_ts_hi", None), out.pop("_ts_lo", None)
    tags = {f"ixml_{k}": v for k, v in out.items()}
    if hi is not None and lo is not None and hi.isdigit() and lo.isdigit():
        samples = str((int(hi) << 32) + int(lo))
        tags["ixml_timestamp_samples"] = samples
        tags["time_reference"] = samples
    return tags


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
