"""Timelines for video editors: the synced clips placed on one sequence, one track each.

Conventions
-----------
- ``offset_s`` is the time on the reference's timeline at which a clip's t=0 happens (positive:
  it started later). The sequence starts at the earliest clip, so a clip starts at
  ``offset_s - min(offset_s)`` on it, rounded to the nearest frame of the sequence (editors
  place clips on frames: sub-frame offsets become at most half a frame off).
- The sequence's frame rate is the reference's (``fps`` argument). 29.97/59.94/23.976 are
  written as NTSC rates (``1001`` denominators), others as whole frames per second.
- Media are referenced by file name (``file://localhost/<name>``); the editor relinks them to
  the originals on the user's disk.
- Two formats: FCP7 XML (``xmeml`` v4: Premiere Pro, DaVinci Resolve, Final Cut Pro 7) and
  FCPXML 1.9 (Final Cut Pro 10.4.1+, DaVinci Resolve).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from urllib.parse import quote
from xml.etree import ElementTree as ET

from syncengine.errors import ParameterError

__all__ = ["TimelineClip", "fcpxml", "sequence_rate", "xmeml"]


@dataclass(frozen=True)
class TimelineClip:
    name: str
    offset_s: float
    duration_s: float
    has_video: bool = True
    has_audio: bool = True
    width: int = 1920
    height: int = 1080
    sample_rate_hz: int = 48000
    channels: int = 2


def sequence_rate(fps: float) -> tuple[int, bool]:
    """``(timebase, ntsc)``: 29.97 -> (30, True), 25 -> (25, False)."""
    if not (math.isfinite(fps) and fps > 0):
        raise ParameterError(f"fps must be a positive number, got {fps}")
    nominal = round(fps)
    if abs(fps - nominal) < 0.01:
        return nominal, False
    ntsc_base = round(fps * 1001 / 1000)
    if abs(fps - ntsc_base * 1000 / 1001) < 0.01:
        return ntsc_base, True
    return max(1, nominal), False  # an unusual rate: the nearest whole rate


def _check(clips: Sequence[TimelineClip]) -> None:
    if not clips:
        raise ParameterError("a timeline needs at least one clip")
    for c in clips:
        if not (math.isfinite(c.offset_s) and math.isfinite(c.duration_s) and c.duration_s > 0):
            raise ParameterError(f"'{c.name}' needs a finite offset and a positive duration")


def _frames(clips: Sequence[TimelineClip], rate: Fraction) -> list[tuple[int, int]]:
    """``(start, length)`` of each clip in sequence frames."""
    start_s = min(c.offset_s for c in clips)
    return [
        (round((c.offset_s - start_s) * rate), max(1, round(c.duration_s * rate))) for c in clips
    ]


def _rate_fraction(fps: float) -> tuple[Fraction, int, bool]:
    base, ntsc = sequence_rate(fps)
    return (Fraction(base * 1000, 1001) if ntsc else Fraction(base)), base, ntsc


def _url(name: str) -> str:
    return "file://localhost/" + quote(name)


def _sub(parent: ET.Element, tag: str, text: object = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = str(text)
    return el


def _xml(root: ET.Element, doctype: str) -> str:
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE {doctype}>\n{body}\n'


def xmeml(clips: Sequence[TimelineClip], *, fps: float, name: str = "Syncsite") -> str:
    """FCP7 XML: a sequence with one video track and one audio track per clip.

    Parameters
    ----------
    clips : sequence of TimelineClip
        The clips with their offsets in seconds (positive: started after the reference).
    fps : float
        Sequence frame rate (the reference's), frames per second.
    name : str
        Sequence name.

    Raises
    ------
    ParameterError
        No clips, a non-finite offset, a duration <= 0, or a bad ``fps``.
    """
    _check(clips)
    rate, base, ntsc = _rate_fraction(fps)
    placed = _frames(clips, rate)
    root = ET.Element("xmeml", version="4")
    seq = _sub(root, "sequence", id="sequence-1")
    _sub(seq, "name", name)
    _sub(seq, "duration", max(s + n for s, n in placed))

    def add_rate(parent: ET.Element) -> None:
        r = _sub(parent, "rate")
        _sub(r, "timebase", base)
        _sub(r, "ntsc", "TRUE" if ntsc else "FALSE")

    add_rate(seq)
    media = _sub(seq, "media")
    video, audio = _sub(media, "video"), _sub(media, "audio")
    first = next((c for c in clips if c.has_video), clips[0])
    chars = _sub(_sub(video, "format"), "samplecharacteristics")
    add_rate(chars)
    _sub(chars, "width", first.width)
    _sub(chars, "height", first.height)
    for k, (clip, (start, length)) in enumerate(zip(clips, placed, strict=True), start=1):
        kinds = [("video", video)] if clip.has_video else []
        kinds += [("audio", audio)] if clip.has_audio else []
        for kind, parent in kinds:
            item = _sub(_sub(parent, "track"), "clipitem", id=f"clipitem-{kind}-{k}")
            _sub(item, "name", clip.name)
            _sub(item, "duration", length)
            add_rate(item)
            for tag, value in (
                ("start", start),
                ("end", start + length),
                ("in", 0),
                ("out", length),
            ):
                _sub(item, tag, value)
            file_el = _sub(item, "file", id=f"file-{k}")
            if kind == "video" or not clip.has_video:  # the full description once per file
                _sub(file_el, "name", clip.name)
                _sub(file_el, "pathurl", _url(clip.name))
                add_rate(file_el)
                _sub(file_el, "duration", length)
                fm = _sub(file_el, "media")
                if clip.has_video:
                    _sub(fm, "video")
                if clip.has_audio:
                    _sub(_sub(fm, "audio"), "channelcount", clip.channels)
            if kind == "audio":
                src = _sub(item, "sourcetrack")
                _sub(src, "mediatype", "audio")
                _sub(src, "trackindex", 1)
    return _xml(root, "xmeml")


def _t(frames: int, frame: Fraction) -> str:
    value = frames * frame
    return f"{value.numerator}/{value.denominator}s" if value.denominator != 1 else f"{value}s"


def fcpxml(clips: Sequence[TimelineClip], *, fps: float, name: str = "Syncsite") -> str:
    """FCPXML 1.9: one project whose clips are connected to a gap, one lane each.

    Same parameters and errors as :func:`xmeml`. Times are exact multiples of the frame
    duration (``1001/30000s`` at 29.97 fps).
    """
    _check(clips)
    rate, _, _ = _rate_fraction(fps)
    frame = 1 / rate
    placed = _frames(clips, rate)
    total = max(s + n for s, n in placed)
    first = next((c for c in clips if c.has_video), clips[0])
    root = ET.Element("fcpxml", version="1.9")
    resources = _sub(root, "resources")
    _sub(
        resources,
        "format",
        id="r0",
        frameDuration=_t(1, frame),
        width=str(first.width),
        height=str(first.height),
    )
    for k, (clip, (_, length)) in enumerate(zip(clips, placed, strict=True), start=1):
        asset = _sub(
            resources,
            "asset",
            id=f"r{k}",
            name=clip.name,
            start="0s",
            duration=_t(length, frame),
            hasVideo=str(int(clip.has_video)),
            hasAudio=str(int(clip.has_audio)),
            format="r0",
        )
        if clip.has_audio:
            asset.set("audioSources", "1")
            asset.set("audioChannels", str(clip.channels))
            asset.set("audioRate", str(clip.sample_rate_hz))
        _sub(asset, "media-rep", kind="original-media", src=_url(clip.name))
    project = _sub(_sub(_sub(root, "library"), "event", name="Syncsite"), "project", name=name)
    seq = _sub(
        project, "sequence", format="r0", duration=_t(total, frame), tcStart="0s", tcFormat="NDF"
    )
    gap = _sub(
        _sub(seq, "spine"), "gap", name="Synced", offset="0s", start="0s", duration=_t(total, frame)
    )
    for k, (clip, (start, length)) in enumerate(zip(clips, placed, strict=True), start=1):
        _sub(
            gap,
            "asset-clip",
            ref=f"r{k}",
            lane=str(k),
            name=clip.name,
            offset=_t(start, frame),
            duration=_t(length, frame),
            start="0s",
        )
    return _xml(root, "fcpxml")
