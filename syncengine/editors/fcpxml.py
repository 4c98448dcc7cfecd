"""FCPXML for Final Cut Pro: the cameras as one multicam clip, one angle each; and its check.

Conventions
-----------
- FCPXML 1.10 (Final Cut Pro 10.6+). Times are rational seconds (``"1001/30000s"``); every
  time on the multicam's or the project's timeline is a whole number of the sequence's frames
  (FCP refuses others), a clip's ``start`` (where in its file it begins) a whole number of its
  own frames, counted from its file's start timecode.
- ``resources`` holds one ``format`` per (frame rate, picture size), one ``asset`` per media
  file (its ``format`` is its own rate), and one ``media`` with the ``multicam``: one
  ``mc-angle`` per camera (named as the track, ``angleID`` its 1-based number), its clips at
  their places with ``gap`` elements between. The project's spine holds one ``mc-clip`` over
  the whole multicam, its picture from the reference camera and its sound from the master
  audio (a camera without picture) when there is one, else from the reference.
- Unplaced clips are connected to the ``mc-clip`` on lane 1, end to end from its start, with
  ``enabled="0"``, and are also in the event's browser, so the editor sees each one.
- A drift-corrected clip (a ``LinearTimeWarp`` in the model) gets a linear ``timeMap``: from
  its local time (its ``start`` on, at the timeline's pace) to its media's time, pitch kept.
- OTIO's own FCPXML adapter is no longer maintained and writes no multicam, hence this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from xml.etree import ElementTree as ET

import opentimelineio as otio

from syncengine.editors.model import UNPLACED_TRACK, placed_start_s, rate_fraction
from syncengine.errors import ParameterError

__all__ = ["FcpxmlClip", "parse", "write"]

VERSION = "1.10"


def _t(seconds: Fraction) -> str:
    if seconds.denominator == 1:
        return f"{seconds.numerator}s"
    return f"{seconds.numerator}/{seconds.denominator}s"


def _rate(t: otio.opentime.RationalTime) -> Fraction:
    return rate_fraction(t.rate)


def _seconds(t: otio.opentime.RationalTime) -> Fraction:
    """Exact seconds of a whole number of frames at an exact rate."""
    return Fraction(round(t.value)) / _rate(t)


def _on(seconds: Fraction, rate: Fraction) -> Fraction:
    """``seconds`` at the nearest frame of ``rate``."""
    return Fraction(round(seconds * rate)) / rate


def _meta(clip: otio.schema.Clip) -> dict:
    return dict(clip.metadata.get("syncsite", {}))


def _sub(parent: ET.Element, tag: str, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, tag, attrs)


class _Resources:
    def __init__(self, root: ET.Element) -> None:
        self.element = _sub(root, "resources")
        self.formats: dict[tuple[Fraction, int, int], str] = {}
        self.assets: dict[str, str] = {}
        self._next = 1

    def new_id(self) -> str:
        self._next += 1
        return f"r{self._next - 1}"

    def format(self, rate: Fraction, width: int, height: int) -> str:
        key = (rate, width, height)
        if key not in self.formats:
            self.formats[key] = self.new_id()
            _sub(
                self.element,
                "format",
                id=self.formats[key],
                frameDuration=_t(1 / rate),
                width=str(width),
                height=str(height),
            )
        return self.formats[key]

    def asset(self, clip: otio.schema.Clip, seq_format: str) -> str:
        ref = clip.media_reference
        url = ref.target_url
        if url in self.assets:
            return self.assets[url]
        meta = _meta(clip)
        available = ref.available_range
        rate = _rate(available.start_time)
        fmt = (
            self.format(rate, int(meta.get("width", 1920)), int(meta.get("height", 1080)))
            if meta.get("has_video", True)
            else seq_format
        )
        asset_id = self.new_id()
        attrs = {
            "id": asset_id,
            "name": ref.name or clip.name,
            "start": _t(_seconds(available.start_time)),
            "duration": _t(_seconds(available.duration)),
            "hasVideo": "1" if meta.get("has_video", True) else "0",
            "hasAudio": "1" if meta.get("has_audio", True) else "0",
            "format": fmt,
        }
        if meta.get("has_video", True):
            attrs["videoSources"] = "1"
        if meta.get("has_audio", True):
            attrs["audioSources"] = "1"
            attrs["audioChannels"] = str(meta.get("channels", 2))
            attrs["audioRate"] = str(meta.get("sample_rate_hz", 48000))
        asset = _sub(self.element, "asset", **attrs)
        _sub(asset, "media-rep", kind="original-media", src=url)
        self.assets[url] = asset_id
        return asset_id


def _cameras(
    timeline: otio.schema.Timeline,
) -> list[tuple[str, list[tuple[Fraction, Fraction, otio.schema.Clip]]]]:
    """Per camera, ``(start s, duration s, clip)`` on the timeline: video clips, else audio."""
    cameras: dict[str, dict[str, otio.schema.Clip]] = {}
    places: dict[str, tuple[Fraction, Fraction]] = {}
    for track in [*timeline.video_tracks(), *timeline.audio_tracks()]:
        if track.name == UNPLACED_TRACK:
            continue
        for clip in track.find_clips():
            key = _meta(clip).get("key", clip.name)
            if key in places:
                continue
            placed = track.range_of_child(clip)
            exact_s = placed_start_s(clip, timeline)
            start = (
                Fraction(placed.start_time.to_seconds()) if exact_s is None else Fraction(exact_s)
            )
            places[key] = (start, _seconds(placed.duration))
            cameras.setdefault(track.name, {})[key] = clip
    return [
        (name, sorted(((*places[k], c) for k, c in clips.items()), key=lambda x: x[0]))
        for name, clips in cameras.items()
    ]


def _unplaced(timeline: otio.schema.Timeline) -> list[otio.schema.Clip]:
    seen: dict[str, otio.schema.Clip] = {}
    for track in [*timeline.video_tracks(), *timeline.audio_tracks()]:
        if track.name == UNPLACED_TRACK:
            for clip in track.find_clips():
                seen.setdefault(_meta(clip).get("key", clip.name), clip)
    return list(seen.values())


def _speed(clip: otio.schema.Clip) -> float:
    for effect in clip.effects:
        if isinstance(effect, otio.schema.LinearTimeWarp):
            return float(effect.time_scalar)
    return 1.0


def _fine(seconds: Fraction, rate: Fraction) -> Fraction:
    """``seconds`` on the finest grid whose denominator still fits FCPXML's 32 bits and holds
    every frame of ``rate`` (about a nanosecond)."""
    step = rate.numerator * max(1, (2**31) // (rate.numerator * rate.numerator))
    return Fraction(round(seconds * step), step)


def _time_map(
    item: ET.Element, start: Fraction, duration: Fraction, speed: float, rate: Fraction
) -> None:
    """A constant speed as FCPXML's retime: ``timeMap`` from the clip's local time (its
    ``start`` onwards, at the timeline's pace) to its media's time, linear, pitch kept, so a
    drift-corrected clip stays in sync along its whole length in Final Cut Pro."""
    time_map = _sub(item, "timeMap", frameSampling="floor", preservesPitch="1")
    _sub(time_map, "timept", time=_t(start), value=_t(start), interp="linear")
    end_value = start + _fine(duration * Fraction(speed), rate)
    _sub(time_map, "timept", time=_t(start + duration), value=_t(end_value), interp="linear")


def _clip_start(clip: otio.schema.Clip) -> Fraction:
    """Where the clip begins in its asset's time (its file's start timecode plus the trim)."""
    return _seconds(clip.source_range.start_time)


def write(timeline: otio.schema.Timeline) -> bytes:
    """FCPXML 1.10 with the cameras as the angles of one multicam clip (see the module notes).

    Raises
    ------
    ParameterError
        No placed clip.
    """
    cameras = _cameras(timeline)
    if not cameras:
        raise ParameterError("a multicam clip needs at least one placed clip")
    seq_rate = _rate(timeline.global_start_time)
    frame = 1 / seq_rate
    root = ET.Element("fcpxml", version=VERSION)
    res = _Resources(root)
    first_video = next(
        (c for _, clips in cameras for _, _, c in clips if _meta(c).get("has_video", True)), None
    )
    size = _meta(first_video) if first_video is not None else {}
    seq_format = res.format(seq_rate, int(size.get("width", 1920)), int(size.get("height", 1080)))
    for _, clips in cameras:
        for _, _, clip in clips:
            res.asset(clip, seq_format)
    unplaced = _unplaced(timeline)
    for clip in unplaced:
        res.asset(clip, seq_format)
    total = max(_on(s + d, seq_rate) for _, clips in cameras for s, d, _ in clips)
    media_id = res.new_id()
    media = _sub(res.element, "media", id=media_id, name=f"{timeline.name} multicam")
    multicam = _sub(media, "multicam", format=seq_format, tcStart="0s", tcFormat="NDF")
    video_angle = audio_angle = None
    for k, (camera, clips) in enumerate(cameras, start=1):
        angle_id = str(k)
        angle = _sub(multicam, "mc-angle", name=camera, angleID=angle_id)
        metas = [_meta(c) for _, _, c in clips]
        has_video = any(m.get("has_video", True) for m in metas)
        if has_video and (video_angle is None or any(m.get("is_reference") for m in metas)):
            video_angle = angle_id
        if not has_video and audio_angle is None:
            audio_angle = angle_id
        end = Fraction(0)
        for start_s, duration_s, clip in clips:
            offset = _on(start_s, seq_rate)
            # Never past the file's end: the last whole sequence frame inside it.
            duration = max(
                frame, Fraction(math.floor((start_s + duration_s) * seq_rate)) / seq_rate - offset
            )
            if offset > end:
                _sub(
                    angle, "gap", name="Gap", offset=_t(end), start="0s", duration=_t(offset - end)
                )
            meta = _meta(clip)
            ref = clip.media_reference
            item = _sub(
                angle,
                "asset-clip",
                ref=res.assets[ref.target_url],
                name=clip.name,
                offset=_t(offset),
                start=_t(_clip_start(clip)),
                duration=_t(duration),
            )
            speed = _speed(clip)
            if speed != 1.0:
                _time_map(
                    item, _clip_start(clip), duration, speed, _rate(clip.source_range.start_time)
                )
            if not meta.get("has_video", True):
                item.set("audioRole", "dialogue")
            for marker in clip.markers:
                _sub(
                    item,
                    "marker",
                    start=_t(_clip_start(clip)),
                    duration=_t(_on(Fraction(1), _rate(clip.source_range.start_time))),
                    value=marker.name,
                )
            end = offset + duration
        if end < total:
            _sub(angle, "gap", name="Gap", offset=_t(end), start="0s", duration=_t(total - end))
    video_angle = video_angle or "1"
    audio_angle = audio_angle or video_angle
    event = _sub(_sub(root, "library"), "event", name="Syncsite")
    project = _sub(event, "project", name=timeline.name)
    sequence = _sub(
        project,
        "sequence",
        format=seq_format,
        duration=_t(total),
        tcStart="0s",
        tcFormat="NDF",
        audioLayout="stereo",
        audioRate="48k",
    )
    spine = _sub(sequence, "spine")
    mc_clip = _sub(
        spine,
        "mc-clip",
        ref=media_id,
        name=f"{timeline.name} multicam",
        offset="0s",
        start="0s",
        duration=_t(total),
    )
    _sub(mc_clip, "mc-source", angleID=video_angle, srcEnable="video")
    _sub(mc_clip, "mc-source", angleID=audio_angle, srcEnable="audio")
    at = Fraction(0)
    for clip in unplaced:
        length = max(frame, _on(_seconds(clip.source_range.duration), seq_rate))
        _sub(
            mc_clip,
            "asset-clip",
            ref=res.assets[clip.media_reference.target_url],
            name=clip.name,
            lane="1",
            offset=_t(at),
            start=_t(_clip_start(clip)),
            duration=_t(length),
            enabled="0",
        )
        at += length
    for clip in unplaced:  # in the browser too, as they are
        _sub(
            event,
            "asset-clip",
            ref=res.assets[clip.media_reference.target_url],
            name=clip.name,
            start=_t(_clip_start(clip)),
            duration=_t(_seconds(clip.source_range.duration)),
        )
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n{body}\n'.encode()


@dataclass(frozen=True)
class FcpxmlClip:
    """A clip as a parsed FCPXML holds it: its angle (or None), place, rate and whether it is on."""

    name: str
    src: str
    angle: str | None
    offset_s: Fraction
    duration_s: Fraction
    frame_s: Fraction
    enabled: bool
    speed: float = 1.0  # media seconds per timeline second, from its timeMap (1: none)


def _time(element: ET.Element, attr: str, *, default: str | None = None) -> Fraction:
    text = element.get(attr, default)
    if text is None:
        raise ParameterError(f"<{element.tag}> has no {attr}")
    if not text.endswith("s"):
        raise ParameterError(f"<{element.tag} {attr}='{text}'> is not a time in seconds")
    try:
        return Fraction(text[:-1])
    except (ValueError, ZeroDivisionError) as exc:
        raise ParameterError(f"<{element.tag} {attr}='{text}'> is not a rational time") from exc


def _whole(value: Fraction, frame: Fraction, what: str) -> None:
    if (value / frame).denominator != 1:
        raise ParameterError(f"{what} {value} s is not a whole number of {frame} s frames")


def _parse_speed(item: ET.Element) -> float:
    """The constant speed a clip's ``timeMap`` gives (media time over local time), 1 without."""
    time_map = item.find("timeMap")
    if time_map is None:
        return 1.0
    points = [(_time(p, "time"), _time(p, "value")) for p in time_map.iterfind("timept")]
    if len(points) < 2 or points[-1][0] <= points[0][0]:
        raise ParameterError(f"the timeMap of '{item.get('name')}' needs two increasing times")
    return float((points[-1][1] - points[0][1]) / (points[-1][0] - points[0][0]))


def parse(data: bytes) -> list[FcpxmlClip]:
    """Read an FCPXML written by :func:`write` back, checking the structure FCP requires.

    Checks: the root and version; every ``format`` with a rational ``frameDuration`` and a size;
    every ``asset`` naming an existing format, with a ``media-rep``; one ``media`` with a
    ``multicam`` whose ``mc-angle`` elements have unique ``angleID`` and contiguous children
    (each ``offset`` is where the previous one ended); the sequence's ``mc-clip`` pointing at
    the multicam, its ``mc-source`` angles existing, its times whole sequence frames; every
    clip's ``ref`` an asset and its ``start`` a whole number of its asset's frames.

    Returns
    -------
    list of FcpxmlClip
        The clips of every angle, then the unplaced ones connected to the ``mc-clip``.

    Raises
    ------
    ParameterError
        The first rule broken, named.
    """
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ParameterError(f"not XML: {exc}") from exc
    if root.tag != "fcpxml" or root.get("version") != VERSION:
        raise ParameterError(f"root must be <fcpxml version='{VERSION}'>, got <{root.tag}>")
    resources = root.find("resources")
    if resources is None:
        raise ParameterError("no <resources>")
    formats: dict[str, Fraction] = {}
    for f in resources.iterfind("format"):
        if not f.get("id") or not f.get("width") or not f.get("height"):
            raise ParameterError("a <format> needs an id, a width and a height")
        formats[f.get("id", "")] = _time(f, "frameDuration")
    assets: dict[str, tuple[str, Fraction]] = {}
    for a in resources.iterfind("asset"):
        if a.get("format") not in formats:
            raise ParameterError(f"asset '{a.get('name')}' names no known format")
        rep = a.find("media-rep")
        if rep is None or not rep.get("src"):
            raise ParameterError(f"asset '{a.get('name')}' has no media-rep src")
        _time(a, "start")
        _time(a, "duration")
        assets[a.get("id", "")] = (rep.get("src", ""), formats[a.get("format", "")])
    medias = [m for m in resources.iterfind("media") if m.find("multicam") is not None]
    if len(medias) != 1:
        raise ParameterError(f"need one <media> with a <multicam>, got {len(medias)}")
    multicam = medias[0].find("multicam")
    assert multicam is not None
    if multicam.get("format") not in formats:
        raise ParameterError("the multicam names no known format")
    seq_frame = formats[multicam.get("format", "")]
    out: list[FcpxmlClip] = []

    def clip_of(item: ET.Element, angle: str | None, enabled: bool) -> FcpxmlClip:
        ref = item.get("ref", "")
        if ref not in assets:
            raise ParameterError(f"clip '{item.get('name')}' refers to no asset ('{ref}')")
        src, frame = assets[ref]
        offset, duration = _time(item, "offset"), _time(item, "duration")
        _whole(offset, seq_frame, f"offset of '{item.get('name')}'")
        _whole(duration, seq_frame, f"duration of '{item.get('name')}'")
        _whole(_time(item, "start", default="0s"), frame, f"start of '{item.get('name')}'")
        speed = _parse_speed(item)
        return FcpxmlClip(item.get("name", ""), src, angle, offset, duration, frame, enabled, speed)

    angle_ids = set()
    for angle in multicam.iterfind("mc-angle"):
        angle_id = angle.get("angleID")
        if not angle_id or angle_id in angle_ids or not angle.get("name"):
            raise ParameterError(f"mc-angle '{angle.get('name')}' needs a name and a unique id")
        angle_ids.add(angle_id)
        end = Fraction(0)
        for item in angle:
            if _time(item, "offset") != end:
                raise ParameterError(
                    f"in angle '{angle.get('name')}' <{item.tag}> starts at "
                    f"{_time(item, 'offset')} s, not where the previous item ended ({end} s)"
                )
            end += _time(item, "duration")
            if item.tag == "asset-clip":
                out.append(clip_of(item, angle.get("name"), True))
            elif item.tag != "gap":
                raise ParameterError(f"unexpected <{item.tag}> in angle '{angle.get('name')}'")
    if not angle_ids:
        raise ParameterError("the multicam has no <mc-angle>")
    mc_clips = root.findall("library/event/project/sequence/spine/mc-clip")
    if len(mc_clips) != 1 or mc_clips[0].get("ref") != medias[0].get("id"):
        raise ParameterError("the project's spine needs one <mc-clip> of the multicam")
    mc = mc_clips[0]
    for what in ("offset", "duration"):
        _whole(_time(mc, what), seq_frame, f"mc-clip {what}")
    for source in mc.iterfind("mc-source"):
        if source.get("angleID") not in angle_ids:
            raise ParameterError(f"mc-source names no angle ('{source.get('angleID')}')")
    for item in mc.iterfind("asset-clip"):
        out.append(clip_of(item, None, item.get("enabled", "1") != "0"))
    return out
