"""Write the timeline model through OpenTimelineIO's adapters (and our FCPXML writer).

Conventions
-----------
- Every writer takes the model of :func:`syncengine.editors.model.build_timeline` and returns
  bytes: the file, or for EDL a ZIP with one EDL per camera (EDL holds one video track).
- ``otio``: OTIO's own JSON, every rate and the disabled track kept as they are (DaVinci
  Resolve 18+ imports it). ``xml``: FCP7 XML through ``otio-fcp-adapter`` (Premiere Pro,
  Resolve); the adapter writes each clip item in its clip's rate and its place in sequence
  frames. ``edl``: CMX 3600 through ``otio-cmx3600-adapter``, each camera's EDL in that
  camera's rate, ``FCM`` line added (drop frame at 29.97/59.94 when the clip's timecode is).
  ``aaf``: AAF through ``otio-aaf-adapter`` over pyaaf2 (Avid Media Composer); AAF has one edit
  rate per composition, so its times are conformed to the sequence rate (nearest frame).
  ``fcpxml``: FCPXML 1.10 with a multicam clip, by :mod:`syncengine.editors.fcpxml`.
- A drift-corrected clip's speed (the model's ``LinearTimeWarp``): ``otio`` keeps it as it is;
  ``xml`` gets FCP7's Time Remap filter (speed in percent) and its ``out`` the source frames it
  plays; ``fcpxml`` a linear ``timeMap``; ``edl`` an ``M2`` line (the adapter's) with the
  event's source out the source it plays; ``aaf`` none (the adapter writes no speed, so an AAF
  of a drifting clip is in sync at its start only).
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import opentimelineio as otio

from syncengine.editors import fcpxml
from syncengine.editors.model import UNPLACED_TRACK, placed_start_s, sequence_rate
from syncengine.errors import ParameterError

__all__ = ["FORMATS", "TimelineFormat", "camera_edls", "clip_speed", "format_for_path", "write"]


@dataclass(frozen=True)
class TimelineFormat:
    """One file type: its slug (the API's enum), extension, media type and who imports it."""

    slug: str
    extension: str
    content_type: str
    label: str
    editors: str
    write: Callable[[otio.schema.Timeline], bytes]


def _otio_json(timeline: otio.schema.Timeline) -> bytes:
    return otio.adapters.write_to_string(timeline, "otio_json").encode("utf-8")


def _sequence_size(timeline: otio.schema.Timeline) -> tuple[int, int]:
    """The reference's (else the first placed picture's) ``(width, height)``."""
    pictured = [
        c.metadata.get("syncsite", {})
        for t in timeline.video_tracks()
        if t.enabled
        for c in t.find_clips()
    ]
    first = next((m for m in pictured if m.get("is_reference")), pictured[0] if pictured else {})
    return int(first.get("width", 1920)), int(first.get("height", 1080))


def _fcp7(timeline: otio.schema.Timeline) -> bytes:
    """FCP7 XML by the adapter, tidied: the sequence's picture format filled in (the adapter
    leaves ``<format/>`` empty and Premiere then guesses), one ``<rate>`` per clip item (it
    writes two)."""
    root = ET.fromstring(otio.adapters.write_to_string(timeline, "fcp_xml"))
    base, ntsc = sequence_rate(timeline.global_start_time.rate)
    width, height = _sequence_size(timeline)
    for fmt in root.iterfind("project/children/sequence/media/video/format"):
        chars = ET.SubElement(fmt, "samplecharacteristics")
        rate = ET.SubElement(chars, "rate")
        ET.SubElement(rate, "timebase").text = str(base)
        ET.SubElement(rate, "ntsc").text = "TRUE" if ntsc else "FALSE"
        ET.SubElement(chars, "width").text = str(width)
        ET.SubElement(chars, "height").text = str(height)
    for item in root.iter("clipitem"):
        for extra in item.findall("rate")[1:]:
            item.remove(extra)
    _fcp7_speeds(root, timeline)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n{body}\n'.encode()


def clip_speed(clip: otio.schema.Clip) -> float:
    """The clip's speed (source seconds per timeline second): its ``LinearTimeWarp``'s, else 1."""
    for effect in clip.effects:
        if isinstance(effect, otio.schema.LinearTimeWarp):
            return float(effect.time_scalar)
    return 1.0


def _time_remap(speed: float) -> ET.Element:
    """FCP7's constant speed change (Premiere Pro's and Resolve's reading of it): the Time
    Remap filter with ``speed`` in percent."""
    flt = ET.Element("filter")
    effect = ET.SubElement(flt, "effect")
    for tag, text in (
        ("name", "Time Remap"),
        ("effectid", "timeremap"),
        ("effectcategory", "motion"),
        ("effecttype", "motion"),
        ("mediatype", "video"),
    ):
        ET.SubElement(effect, tag).text = text
    for pid, lo, hi, value in (
        ("variablespeed", "0", "1", "0"),
        ("speed", "-100000", "100000", f"{speed * 100:.6f}"),
        ("reverse", None, None, "FALSE"),
        ("frameblending", None, None, "FALSE"),
    ):
        param = ET.SubElement(effect, "parameter", authoringApp="PremierePro")
        ET.SubElement(param, "parameterid").text = pid
        ET.SubElement(param, "name").text = pid
        if lo is not None:
            ET.SubElement(param, "valuemin").text = lo
            ET.SubElement(param, "valuemax").text = hi
        ET.SubElement(param, "value").text = value
    return flt


def _fcp7_speeds(root: ET.Element, timeline: otio.schema.Timeline) -> None:
    """A drift-corrected clip's speed in FCP7 terms: a Time Remap filter, and its ``out`` the
    source frames it plays (``in`` + record frames x speed; the adapter writes the record
    length there). Clip items pair with the model's clips track by track, in order."""
    sequence = root.find("project/children/sequence/media")
    if sequence is None:
        return
    for kind, tracks in (("video", timeline.video_tracks()), ("audio", timeline.audio_tracks())):
        elements = sequence.findall(f"{kind}/track")
        for track, element in zip(tracks, elements, strict=False):
            for clip, item in zip(track.find_clips(), element.findall("clipitem"), strict=False):
                speed = clip_speed(clip)
                if speed == 1.0:
                    continue
                start, out = item.find("in"), item.find("out")
                if start is not None and out is not None and start.text and out.text:
                    record = clip.source_range.duration.value
                    out.text = str(int(start.text) + round(record * speed))
                item.append(_time_remap(speed))


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "camera"


_TC = re.compile(r"\b\d\d:\d\d:\d\d[:;]\d\d\b")


def _timecodes(text: str, rate: float, drop: bool) -> str:
    """The EDL's timecodes in drop frame or not (the adapter writes drop frame at 29.97)."""

    def fix(match: re.Match[str]) -> str:
        frames = otio.opentime.from_timecode(match.group(0), rate)
        return otio.opentime.to_timecode(frames, rate, drop)

    return _TC.sub(fix, text)


def _m2_source_out(lines: list[str], rate: float, drop: bool) -> list[str]:
    """Each speed-changed event's source out made the source it plays: source in + record
    length x speed (the adapter writes record length / speed). Its M2 line follows it."""
    out = list(lines)
    for k, line in enumerate(lines):
        if not line.startswith("M2 ") or k == 0:
            continue
        fields = out[k - 1].split()
        try:
            speed = float(line.split()[-2]) / rate
            src_in, _src_out, rec_in, rec_out = (
                otio.opentime.from_timecode(tc, rate) for tc in fields[-4:]
            )
        except (ValueError, IndexError):
            continue
        played = otio.opentime.RationalTime(round((rec_out - rec_in).value * speed), rate)
        src_out = otio.opentime.to_timecode(src_in + played, rate, drop)
        old = fields[-3]
        head, sep, tail = out[k - 1].rpartition(f" {old} {fields[-2]} ")
        if sep:
            out[k - 1] = f"{head} {src_out} {fields[-2]} {tail}"
    return out


def _on_grid(
    track: otio.schema.Track, timeline: otio.schema.Timeline, rate: float
) -> otio.schema.Track:
    """A copy of ``track`` whose clips start on the frames of ``rate`` nearest their offsets."""
    out = otio.schema.Track(name=track.name, kind=track.kind)
    end = otio.opentime.RationalTime(0, rate)
    for clip in track.find_clips():
        start_s = placed_start_s(clip, timeline)
        if start_s is None:
            start_s = track.range_of_child(clip).start_time.to_seconds()
        start = otio.opentime.RationalTime(round(start_s * rate), rate)
        if start > end:
            out.append(otio.schema.Gap(duration=start - end))
        copy = clip.deepcopy()
        copy.source_range = otio.opentime.TimeRange(
            clip.source_range.start_time,
            otio.opentime.RationalTime(
                round(clip.source_range.duration.value_rescaled_to(rate)), rate
            ),
        )
        out.append(copy)
        end = start + copy.source_range.duration
    return out


def camera_edls(timeline: otio.schema.Timeline) -> dict[str, str]:
    """One CMX 3600 EDL per camera with a picture: ``{camera name: text}``.

    The EDL counts in the camera's rate (its first clip's): each clip's record start is the
    frame of that rate nearest its offset. Events are video only (the adapter writes the video
    track). The unplaced track has no place on a record timeline, so it gets no EDL.

    Raises
    ------
    ParameterError
        No placed clip with a picture.
    """
    out: dict[str, str] = {}
    for track in timeline.video_tracks():
        if track.name == UNPLACED_TRACK or not track.enabled:
            continue
        clips = list(track.find_clips())
        rate = clips[0].source_range.start_time.rate
        edl = otio.schema.Timeline(name=track.name)
        edl.global_start_time = otio.opentime.RationalTime(0, rate)
        edl.tracks.append(_on_grid(track, timeline, rate))
        text = otio.adapters.write_to_string(edl, "cmx_3600", rate=rate, reelname_len=8)
        drop = bool(clips[0].metadata.get("syncsite", {}).get("drop_frame", False))
        text = _timecodes(text, rate, drop)
        lines = _m2_source_out(text.splitlines(), rate, drop)
        fcm = "FCM: DROP FRAME" if drop else "FCM: NON-DROP FRAME"
        lines.insert(1, fcm)
        out[track.name] = "\n".join(lines) + "\n"
    if not out:
        raise ParameterError("an EDL needs at least one placed clip with a picture")
    return out


def _edl_zip(timeline: otio.schema.Timeline) -> bytes:
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for k, (camera, text) in enumerate(camera_edls(timeline).items(), start=1):
            name = f"{k:02d}_{_safe_name(camera)}.edl"
            while name in used:
                name = f"{k:02d}_{len(used)}_{_safe_name(camera)}.edl"
            used.add(name)
            archive.writestr(name, text)
        unplaced = [
            clip.media_reference.name or clip.name
            for track in timeline.video_tracks() + timeline.audio_tracks()
            if track.name == UNPLACED_TRACK
            for clip in track.find_clips()
        ]
        if unplaced:  # an EDL has no disabled track: the clips not placed are named here
            archive.writestr("unplaced.txt", "\n".join(dict.fromkeys(unplaced)) + "\n")
    return buffer.getvalue()


def conformed(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """A copy with every time in the sequence rate, each at its nearest frame (for AAF)."""
    rate = timeline.global_start_time.rate
    copy = timeline.deepcopy()

    def snap(t: otio.opentime.RationalTime) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(round(t.value_rescaled_to(rate)), rate)

    def snap_range(r: otio.opentime.TimeRange) -> otio.opentime.TimeRange:
        return otio.opentime.TimeRange(snap(r.start_time), snap(r.duration))

    for track in copy.tracks:
        items = [item.deepcopy() for item in track if not isinstance(item, otio.schema.Gap)]
        places = [track.range_of_child(item).start_time for item in track]
        starts = [
            p
            for item, p in zip(track, places, strict=True)
            if not isinstance(item, otio.schema.Gap)
        ]
        while len(track):
            track.pop()
        end = otio.opentime.RationalTime(0, rate)
        for item, placed in zip(items, starts, strict=True):
            exact_s = placed_start_s(item, timeline) if isinstance(item, otio.schema.Clip) else None
            start = otio.opentime.RationalTime(
                round((placed.to_seconds() if exact_s is None else exact_s) * rate), rate
            )
            start = max(start, end)  # a clip whose length rounded up pushes the next by a frame
            if start > end:
                track.append(otio.schema.Gap(duration=start - end))
            item.source_range = snap_range(item.source_range)
            ref = item.media_reference
            if ref.available_range is not None:
                ref.available_range = snap_range(ref.available_range)
            for marker in item.markers:
                marker.marked_range = snap_range(marker.marked_range)
            track.append(item)
            end = start + item.source_range.duration
    return copy


def _aaf(timeline: otio.schema.Timeline) -> bytes:
    import aaf2.mobid

    conform = conformed(timeline)
    mob_ids: dict[str, str] = {}  # one master mob per media file, its picture and sound alike
    for clip in conform.find_clips():
        url = clip.media_reference.target_url
        mob_ids.setdefault(url, str(aaf2.mobid.MobID.new()))
        clip.metadata["AAF"] = {"MobID": mob_ids[url]}
    with tempfile.TemporaryDirectory(prefix="syncsite-aaf-") as tmp:
        path = Path(tmp) / "timeline.aaf"
        otio.adapters.write_to_file(conform, str(path), adapter_name="AAF")
        return path.read_bytes()


FORMATS: dict[str, TimelineFormat] = {
    f.slug: f
    for f in (
        TimelineFormat(
            "otio",
            ".otio",
            "application/octet-stream",  # JSON inside, but a file to import, not an API body
            "OpenTimelineIO",
            "DaVinci Resolve 18+ (File > Import > Timeline)",
            _otio_json,
        ),
        TimelineFormat(
            "xml",
            ".xml",
            "application/xml",
            "FCP7 XML",
            "Premiere Pro (File > Import), DaVinci Resolve",
            _fcp7,
        ),
        TimelineFormat(
            "fcpxml",
            ".fcpxml",
            "application/xml",
            "FCPXML multicam",
            "Final Cut Pro (File > Import > XML)",
            fcpxml.write,
        ),
        TimelineFormat(
            "edl",
            ".zip",
            "application/zip",
            "CMX 3600 EDL, one per camera (ZIP)",
            "Avid, Resolve, Premiere: one camera's track per EDL",
            _edl_zip,
        ),
        TimelineFormat(
            "aaf",
            ".aaf",
            "application/octet-stream",
            "AAF",
            "Avid Media Composer (File > Import), Resolve, Premiere",
            _aaf,
        ),
    )
}
_BY_EXTENSION = {".otio": "otio", ".xml": "xml", ".fcpxml": "fcpxml", ".edl": "edl", ".aaf": "aaf"}


def format_for_path(path: str | Path) -> str:
    """The format slug a file name asks for by its extension (``.edl`` and ``.zip``: EDL).

    Raises
    ------
    ParameterError
        An extension no format uses.
    """
    suffix = Path(path).suffix.lower()
    slug = _BY_EXTENSION.get(suffix) or ("edl" if suffix == ".zip" else None)
    if slug is None:
        known = ", ".join([*_BY_EXTENSION, ".zip"])
        raise ParameterError(f"a timeline file must end in one of {known}, got '{path}'")
    return slug


def write(timeline: otio.schema.Timeline, fmt: str) -> bytes:
    """The timeline as a file of format ``fmt`` (a :data:`FORMATS` slug).

    Raises
    ------
    ParameterError
        An unknown format, or a timeline the format cannot hold (an EDL with no picture).
    """
    if fmt not in FORMATS:
        raise ParameterError(f"timeline format must be one of {', '.join(FORMATS)}, got '{fmt}'")
    return FORMATS[fmt].write(timeline)
