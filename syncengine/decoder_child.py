"""The PyAV side of probing and frame decoding, run as a child process by :mod:`syncengine.media`.

Conventions
-----------
Run as a script (``python -I decoder_child.py <command> ...``), never imported by the engine: a
decoder that corrupts memory (PyAV 18.1 on some 8-channel PCM MOV files) kills this process,
not the web server or the worker, and :func:`syncengine.media.run_decoder` turns the crash into a
typed error. It imports only the standard library, PyAV, and for ``frames`` numpy and OpenCV,
so it starts in well under a second (the engine package pulls in scipy).

Results go to file descriptor 1 (JSON for ``probe``, ``keyframe`` and ``color``; for ``frames``
a stream of records, each a little-endian float64 time followed by ``height * width`` luma
bytes). Anything a library prints goes to stderr. A media failure is reported on stderr as one
line starting with :data:`ERROR_PREFIX` followed by JSON ``{"kind", "detail"}``, and exit
status 2.

Times are seconds relative to the container start (the file's t=0).
"""

from __future__ import annotations

import json
import os
import struct
import sys
from fractions import Fraction
from typing import Any, BinaryIO

ERROR_PREFIX = "syncengine-decoder-error: "
#: libavformat demuxer names we accept; the engine's copy is ``syncengine.probe.ALLOWED_DEMUXERS``.
ALLOWED_DEMUXERS = "mov,matroska,webm,avi,mpegts,wav,w64,mp3,flac,ogg,aac,mxf,dv,asf"
_VFR_TOLERANCE = 0.01
#: How far before a stream's declared end the tail check seeks, and how many packets it reads.
_TAIL_SEEK_S = 3.0
_TAIL_PACKETS = 2000
_FRAME_HEAD = struct.Struct("<d")
#: Metadata keys passed to the parent: clocks, device names (QuickTime, Android, plain udta),
#: and the BWF ``bext`` fields the wav demuxer exposes (``originator`` is ``encoded_by``, the
#: origination date and time are ``date`` and ``creation_time``). ``encoder`` names the muxing
#: software, not the device, and is not passed on.
_TAG_KEYS = frozenset(
    {
        "creation_time",
        "timecode",
        "date",
        "make",
        "model",
        "serial",
        "serial_number",
        "camera_serial_number",
        "firmware",
        "manufacturer",
        "com.apple.quicktime.make",
        "com.apple.quicktime.model",
        "com.apple.quicktime.software",
        "com.apple.quicktime.camera.identifier",
        "com.apple.quicktime.creationdate",
        "com.apple.proapps.serialno",
        "com.android.manufacturer",
        "com.android.model",
        "com.android.version",
        "time_reference",
        "encoded_by",
        "originator_reference",
        "umid",
    }
)
_TAG_MAX_CHARS = 256
#: PyAV >= 17 frees a custom-order channel layout twice when ``codec_context.layout`` (or
#: ``.channels``) is read: the AudioLayout it returns is a shallow copy that uninitialises the
#: context's channel map when collected. Keeping every such object alive until this process
#: ends with ``os._exit`` (no collection) avoids the double free; the map leaks, which does not
#: matter in a process that lives for one probe.
_KEEP_ALIVE: list[Any] = []
_YUV8_PLANAR = {
    "yuv420p",
    "yuvj420p",
    "yuv422p",
    "yuvj422p",
    "yuv444p",
    "yuvj444p",
    "nv12",
    "nv21",
    "yuv411p",
    "yuv410p",
    "gray",
}

#: High-bit-depth planar YUV (HEVC/ProRes/AV1 10- and 12-bit): little-endian 16-bit luma words,
#: shifted right by this many bits to 8 (the same limited-range scale as an 8-bit picture).
_YUV_DEEP_SHIFT = {
    f"yuv{chroma}p{bits}le": bits - 8 for chroma in ("420", "422", "444") for bits in (10, 12)
}


class ChildError(Exception):
    """A media failure to report to the parent: ``kind`` is ``open``, ``decode`` or ``memory``."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def _open(path: str) -> Any:
    import av

    try:
        return av.open(
            "file:" + path,
            options={"protocol_whitelist": "file", "format_whitelist": ALLOWED_DEMUXERS},
        )
    except av.FFmpegError as exc:
        raise ChildError("open", str(getattr(exc, "strerror", None) or exc)) from exc


def _origin_s(container: Any) -> float:
    start = container.start_time
    return float(start) / 1_000_000 if start is not None else 0.0


def _start_s(stream: Any, origin_s: float) -> float:
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base) - origin_s


def _duration_s(stream: Any) -> float | None:
    if stream.duration is None or stream.time_base is None:
        return None
    return float(stream.duration * stream.time_base)


def _channels(stream: Any) -> int:
    layout = stream.codec_context.layout
    _KEEP_ALIVE.append(layout)
    return int(layout.nb_channels)


def _tags(container: Any) -> dict[str, str]:
    """The container's, then the streams', values of the keys in :data:`_TAG_KEYS` (first wins).

    Only those keys are passed on, each value cut to :data:`_TAG_MAX_CHARS`: the parent
    normalises them (:func:`syncengine.probe.device_tags`).
    """
    tags: dict[str, str] = {}
    for meta in [container.metadata, *(s.metadata for s in container.streams)]:
        for key, value in meta.items():
            key = str(key).lower()
            if key in _TAG_KEYS and key not in tags and value:
                tags[key] = str(value)[:_TAG_MAX_CHARS]
    return tags


def _video_facts(stream: Any, origin_s: float) -> dict[str, Any]:
    avg = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(0)
    base = stream.base_rate or avg
    variable = bool(avg and base and abs(float(base) / float(avg) - 1.0) > _VFR_TOLERANCE)
    return {
        "index": stream.index,
        "codec": stream.codec_context.name,
        "width": int(stream.codec_context.width),
        "height": int(stream.codec_context.height),
        "fps": float(avg),
        "variable_fps": variable,
        "start_s": _start_s(stream, origin_s),
        "duration_s": _duration_s(stream),
        "frame_count": int(stream.frames or 0),
    }


def _audio_facts(stream: Any, origin_s: float) -> dict[str, Any]:
    ctx = stream.codec_context
    return {
        "index": stream.index,
        "codec": ctx.name,
        "sample_rate_hz": int(ctx.sample_rate or 0),
        "channels": _channels(stream),
        "start_s": _start_s(stream, origin_s),
        "duration_s": _duration_s(stream),
    }


def _first_rotation(container: Any, stream: Any) -> int:
    import av

    try:
        for frame in container.decode(stream):
            return int(round(frame.rotation or 0)) % 360
    except av.FFmpegError as exc:
        raise ChildError("decode", str(exc)) from exc
    return 0


def _packet_end_s(packet: Any, origin_s: float) -> float | None:
    if packet.pts is None or packet.time_base is None or packet.size == 0:
        return None
    return float((packet.pts + (packet.duration or 0)) * packet.time_base) - origin_s


def _reach_s(path: str, index: int, declared_end_s: float, origin_s: float) -> float | None:
    """How far (file time, s) the packets of stream ``index`` reach near its declared end.

    Seeks a few seconds before the declared end and demuxes (no decoding: demuxing is what a cut
    file fails); when the seek fails, demuxes the stream from the start. ``None``: no packet.
    """
    import av

    reached: float | None = None
    with _open(path) as container:
        stream = container.streams[index]
        target_s = max(0.0, declared_end_s - _TAIL_SEEK_S) + origin_s
        try:
            container.seek(int(target_s / stream.time_base), backward=True, stream=stream)
            budget = _TAIL_PACKETS
        except av.FFmpegError:
            container.seek(0)
            budget = sys.maxsize
        try:
            for packet in container.demux(stream):
                end_s = _packet_end_s(packet, origin_s)
                if end_s is not None:
                    reached = end_s if reached is None else max(reached, end_s)
                budget -= 1
                if budget <= 0 or (reached is not None and reached >= declared_end_s):
                    break
        except (av.FFmpegError, EOFError):
            pass  # a cut file ends in a read error: what was reached before it counts
    return reached


def _last_packet_s(path: str, index: int, origin_s: float) -> float | None:
    """The end (file time, s) of the last packet of stream ``index``, demuxed from the start."""
    import av

    reached: float | None = None
    with _open(path) as container:
        try:
            for packet in container.demux(container.streams[index]):
                end_s = _packet_end_s(packet, origin_s)
                if end_s is not None:
                    reached = end_s if reached is None else max(reached, end_s)
        except (av.FFmpegError, EOFError):
            pass
    return reached


def probe(path: str, max_side: int, max_pixels: int, max_duration_s: float) -> dict[str, Any]:
    """Header facts, the first frame's rotation, and how far each stream's packets reach.

    ``tails`` lists, for the first video and the first audio stream, the declared end and the
    end of the last packet reached near it (``None``: none), so the parent can tell a cut file.

    A picture or duration over the given limits skips every decode and seek: the parent refuses
    the file from the headers alone.
    """
    import av

    with _open(path) as container:
        origin_s = _origin_s(container)
        duration_s = float(container.duration) / 1_000_000 if container.duration else 0.0
        cover_art = av.stream.Disposition.attached_pic
        videos = [s for s in container.streams.video if not s.disposition & cover_art]
        audios = list(container.streams.audio)
        facts: dict[str, Any] = {
            "container": container.format.name,
            "duration_s": duration_s,
            "videos": [_video_facts(s, origin_s) for s in videos],
            "audio": _audio_facts(audios[0], origin_s) if audios else None,
            "tags": _tags(container),
            "rotation_deg": 0,
            "tails": [],
        }
        durations = [duration_s] + [
            s["duration_s"] or 0.0 for s in [*facts["videos"], facts["audio"] or {}] if s
        ]
        too_big = any(
            max(v["width"], v["height"]) > max_side or v["width"] * v["height"] > max_pixels
            for v in facts["videos"]
        )
        if too_big or max(durations) > max_duration_s:
            return facts
        if videos:
            facts["rotation_deg"] = _first_rotation(container, videos[0])
    chosen = [facts["videos"][0]] if facts["videos"] else []
    chosen += [facts["audio"]] if facts["audio"] else []
    for s in chosen:
        end_s = s["start_s"] + s["duration_s"] if s["duration_s"] is not None else duration_s
        if end_s <= 0:
            continue  # nothing declared, nothing to check
        reached = _reach_s(path, s["index"], end_s, origin_s)
        if reached is None or reached < end_s - _TAIL_SEEK_S:
            reached = _last_packet_s(path, s["index"], origin_s)  # how far it really goes
        facts["tails"].append({"index": s["index"], "declared_end_s": end_s, "reached_s": reached})
    return facts


def keyframe(path: str, time_s: float) -> float | None:
    """File time (s) of the last video keyframe at or before ``time_s``; ``None`` if none."""
    with _open(path) as container:
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        origin_s = _origin_s(container)
        tb = stream.time_base
        container.seek(int((time_s + origin_s) / tb), backward=True, any_frame=False, stream=stream)
        for packet in container.demux(stream):
            if packet.pts is not None and packet.is_keyframe:
                return float(packet.pts * tb) - origin_s
    return None


def frames(path: str, width: int, height: int, out: BinaryIO) -> None:
    """Write every decoded frame's time and luma, area-averaged to ``width`` x ``height``."""
    import av
    import cv2
    import numpy as np

    size = (width, height)
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        origin_s = _origin_s(container)
        try:
            for frame in container.decode(stream):
                if frame.pts is None or frame.time is None:
                    continue
                if frame.format.name in _YUV8_PLANAR:
                    plane = frame.planes[0]
                    luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
                    luma = luma[: frame.height, : frame.width]
                elif frame.format.name in _YUV_DEEP_SHIFT:  # ~6x cheaper than to_ndarray
                    plane = frame.planes[0]
                    words = np.frombuffer(plane, "<u2").reshape(-1, plane.line_size // 2)
                    words = words[: frame.height, : frame.width]
                    luma = (words >> _YUV_DEEP_SHIFT[frame.format.name]).astype(np.uint8)
                else:
                    luma = frame.to_ndarray(format="gray")
                # Halving steps take OpenCV's fast 2x2 path: ~3x faster than one big INTER_AREA.
                while luma.shape[1] >= 2 * size[0] and luma.shape[0] >= 2 * size[1]:
                    half = (luma.shape[1] // 2, luma.shape[0] // 2)
                    luma = cv2.resize(luma, half, interpolation=cv2.INTER_AREA)
                small = cv2.resize(luma, size, interpolation=cv2.INTER_AREA)
                out.write(_FRAME_HEAD.pack(float(frame.time) - origin_s))
                out.write(np.ascontiguousarray(small, dtype=np.uint8).tobytes())
        except av.FFmpegError as exc:
            raise ChildError("decode", str(exc)) from exc
    out.flush()


def color(path: str) -> dict[str, Any] | None:
    """The first video stream's colour description (FFmpeg's enum numbers, as the codec
    parameters give them; 2 is "unspecified") and pixel format; ``None`` without a picture."""
    with _open(path) as container:
        cover_art = 0x0400  # AV_DISPOSITION_ATTACHED_PIC
        videos = [s for s in container.streams.video if not s.disposition & cover_art]
        if not videos:
            return None
        ctx = videos[0].codec_context
        return {
            "transfer": int(ctx.color_trc),
            "primaries": int(ctx.color_primaries),
            "matrix": int(ctx.colorspace),
            "pixel_format": ctx.format.name if ctx.format is not None else "",
        }


def main(argv: list[str]) -> int:
    """Run one command; the result goes to the original stdout, library output to stderr."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library that prints to stdout must not corrupt the result
    command, path, *args = argv
    try:
        if command == "probe":
            limits = (int(args[0]), int(args[1]), float(args[2]))
            out.write(json.dumps(probe(path, *limits)).encode())
        elif command == "keyframe":
            out.write(json.dumps(keyframe(path, float(args[0]))).encode())
        elif command == "frames":
            frames(path, int(args[0]), int(args[1]), out)
        elif command == "color":
            out.write(json.dumps(color(path)).encode())
        else:
            raise ValueError(f"unknown command {command!r}")
        out.flush()
    except ChildError as exc:
        sys.stderr.write(ERROR_PREFIX + json.dumps({"kind": exc.kind, "detail": exc.detail}) + "\n")
        return 2
    except MemoryError:
        sys.stderr.write(ERROR_PREFIX + json.dumps({"kind": "memory", "detail": ""}) + "\n")
        return 2
    except BrokenPipeError:
        return 0  # the parent stopped reading (it had what it needed)
    return 0


if __name__ == "__main__":
    sys.stderr.flush()
    code = main(sys.argv[1:])
    sys.stderr.flush()
    os._exit(code)  # no collection at exit: see _KEEP_ALIVE
