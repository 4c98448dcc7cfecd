"""Read a written timeline back with OTIO's own adapters and compare it with the placements.

Conventions
-----------
- A written file is read by the adapter that reads that format (FCPXML by
  :func:`syncengine.editors.fcpxml.parse`, which also checks FCP's structure), into
  :class:`ReadClip` rows: where each clip starts on the timeline, the rate its own times are in,
  the rate its start is counted in (the grid), and whether it is enabled.
- :func:`compare` holds them against the clips given to the model: every clip present; each
  placed clip's start within half a grid frame of ``offset_s - min(offset_s)``; each clip with
  a picture in its own rate; each unplaced clip present and disabled. What a format cannot
  say is not asked of it: an EDL has no rate (it is read in the camera's) and no disabled
  track (the unplaced clips are listed in ``unplaced.txt`` beside the EDLs); AAF has one edit
  rate (the sequence's) and the adapter writes no disabled flag (its unplaced clips are on the
  track named :data:`UNPLACED_TRACK`).
- A clip with a speed (drift corrected) must read back at that speed (within 1 ppm) in every
  format that carries one (:data:`SPEED_FORMATS`; AAF does not).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote

import opentimelineio as otio

from syncengine.editors import fcpxml
from syncengine.editors.model import UNPLACED_TRACK, TimelineClip, editor_rate, rate_fraction
from syncengine.errors import ParameterError

__all__ = ["SPEED_FORMATS", "ReadClip", "compare", "read"]

#: The formats that carry a clip's speed (a drift-corrected clip's): OTIO's LinearTimeWarp,
#: FCP7's Time Remap, FCPXML's timeMap, the EDL's M2. The AAF adapter writes no speed.
SPEED_FORMATS = ("otio", "xml", "fcpxml", "edl")


@dataclass(frozen=True)
class ReadClip:
    name: str
    media: str  # the file name the clip links to, decoded
    track: str
    start_s: float
    rate: float | None  # the clip's own rate as the file states it; None: the file has none
    grid_rate: float  # starts are whole frames of this rate
    enabled: bool
    kind: str = "video"  # or "audio"
    speed: float = 1.0  # media seconds per timeline second, as the file states it (1: none)


def _media_name(ref: otio.schema.MediaReference) -> str:
    url = getattr(ref, "target_url", "") or ""
    return unquote(url.rsplit("/", 1)[-1])


def _speed(clip: otio.schema.Clip) -> float:
    """A clip's speed as the reader gives it: OTIO's ``LinearTimeWarp`` (native, EDL's M2), or
    FCP7's Time Remap filter, which the FCP7 adapter reads as a plain effect."""
    for effect in clip.effects:
        if isinstance(effect, otio.schema.LinearTimeWarp):
            return float(effect.time_scalar)
        fcp = effect.metadata.get("fcp_xml", {})
        if fcp.get("effectid") == "timeremap":
            params = fcp.get("parameter", [])
            for param in [params] if hasattr(params, "get") else list(params):
                if param.get("parameterid") == "speed":
                    return float(param["value"]) / 100
    return 1.0


def _from_otio(timeline: otio.schema.Timeline, *, shift_s: float = 0.0) -> list[ReadClip]:
    """Rows of an OTIO timeline, each start moved by ``shift_s``."""
    grid = timeline.global_start_time.rate if timeline.global_start_time else None
    out = []
    for track in timeline.tracks:
        track_on = track.enabled and track.metadata.get("fcp_xml", {}).get("enabled") != "FALSE"
        for clip in track.find_clips():
            clip_on = clip.enabled and clip.metadata.get("fcp_xml", {}).get("enabled") != "FALSE"
            placed = track.range_of_child(clip)
            out.append(
                ReadClip(
                    name=clip.name,
                    media=_media_name(clip.media_reference),
                    track=track.name,
                    start_s=shift_s + placed.start_time.to_seconds(),
                    rate=clip.source_range.start_time.rate,
                    grid_rate=grid or placed.start_time.rate,
                    enabled=track_on and clip_on,
                    kind="audio" if track.kind == otio.schema.TrackKind.Audio else "video",
                    speed=_speed(clip),
                )
            )
    return out


def _edls(data: bytes, rates: dict[str, float]) -> list[ReadClip]:
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unplaced = (
            archive.read("unplaced.txt").decode("utf-8").splitlines()
            if "unplaced.txt" in archive.namelist()
            else []
        )
        for name in archive.namelist():
            if not name.endswith(".edl"):
                continue
            text = archive.read(name).decode("utf-8")
            title = text.splitlines()[0].removeprefix("TITLE:").strip()
            rate = rates.get(title, 30.0)
            if "FCM: DROP FRAME" in text and rate_fraction(rate).denominator == 1:
                rate = rate * 1000 / 1001  # drop frame counts only NTSC rates
            timeline = otio.adapters.read_from_string(text, "cmx_3600", rate=rate)
            # The adapter starts the track at the first event: its record-in is the shift.
            first = next(ln.split() for ln in text.splitlines() if ln[:3].isdigit())
            shift_s = otio.opentime.from_timecode(first[-2], rate).to_seconds()
            # The adapter reads an M2 speed only where it changes the event's length by a
            # frame or more; the file states it either way.
            m2 = {
                parts[0]: float(parts[1]) / rate
                for parts in (
                    ln[2:].strip().rsplit(None, 2) for ln in text.splitlines() if ln[:3] == "M2 "
                )
                if len(parts) == 3
            }
            for clip in _from_otio(timeline, shift_s=shift_s):
                media = clip.media
                speed = clip.speed if clip.speed != 1.0 else m2.get(clip.name, 1.0)
                out.append(
                    ReadClip(
                        clip.name,
                        media,
                        title,
                        clip.start_s,
                        None,
                        rate,
                        clip.enabled,
                        speed=speed,
                    )
                )
    out += [ReadClip(n, n, UNPLACED_TRACK, 0.0, None, 1.0, False) for n in unplaced if n]
    return out


def read(data: bytes, fmt: str, *, edl_rates: dict[str, float] | None = None) -> list[ReadClip]:
    """The clips of a written timeline, as the format's reader sees them.

    ``edl_rates`` (camera -> fps) is the rate each EDL is read in; an EDL does not say.

    Raises
    ------
    ParameterError
        An unknown format, or an FCPXML that breaks FCP's structure.
    """
    if fmt == "otio":
        return _from_otio(otio.adapters.read_from_string(data.decode("utf-8"), "otio_json"))
    if fmt == "xml":
        return _from_otio(otio.adapters.read_from_string(data.decode("utf-8"), "fcp_xml"))
    if fmt == "edl":
        return _edls(data, edl_rates or {})
    if fmt == "aaf":
        with tempfile.TemporaryDirectory(prefix="syncsite-aaf-") as tmp:
            path = Path(tmp) / "timeline.aaf"
            path.write_bytes(data)
            return _from_otio(otio.adapters.read_from_file(str(path), adapter_name="AAF"))
    if fmt == "fcpxml":
        clips = fcpxml.parse(data)
        grid = float(1 / _grid(data))
        return [
            ReadClip(
                name=c.name,
                media=unquote(c.src.rsplit("/", 1)[-1]),
                track=c.angle or UNPLACED_TRACK,
                start_s=float(c.offset_s),
                rate=float(1 / c.frame_s),
                grid_rate=grid,
                kind="video" if c.frame_s else "audio",
                enabled=c.enabled,
                speed=c.speed,
            )
            for c in clips
        ]
    raise ParameterError(f"no reader for timeline format '{fmt}'")


def _grid(data: bytes) -> Fraction:
    from xml.etree import ElementTree as ET

    root = ET.fromstring(data)
    seq = root.find("library/event/project/sequence")
    assert seq is not None
    fmt = root.find(f"resources/format[@id='{seq.get('format')}']")
    assert fmt is not None
    return Fraction(fmt.get("frameDuration", "1s")[:-1])


def _named(fmt: str, row: ReadClip) -> bool:
    """Whether the format keeps the track name of this row (FCP7 has none; AAF's audio not)."""
    return fmt in ("otio", "fcpxml", "edl") or (fmt == "aaf" and row.kind == "video")


def compare(clips: Sequence[TimelineClip], fmt: str, data: bytes) -> list[str]:
    """What a written timeline gets wrong against its clips; empty when nothing.

    Parameters
    ----------
    clips : sequence of TimelineClip
        The clips the timeline was built from.
    fmt : str
        The format slug (``otio``, ``xml``, ``edl``, ``aaf``, ``fcpxml``).
    data : bytes
        The written file.

    Returns
    -------
    list of str
        One sentence per problem: a clip missing, a start more than half a grid frame off,
        a clip in another rate than its own, an unplaced clip missing or enabled.
    """
    rates = {c.track: c.fps for c in clips if c.has_video and c.fps and c.offset_s is not None}
    got = read(data, fmt, edl_rates={k: float(editor_rate(v)) for k, v in rates.items()})
    placed = [c for c in clips if c.offset_s is not None]
    origin_s = min((float(c.offset_s) for c in placed), default=0.0)  # type: ignore[arg-type]
    problems = []
    for clip in clips:
        rows = [r for r in got if r.media == clip.media.rsplit("/", 1)[-1] or r.name == clip.name]
        if fmt == "edl":
            rows = [r for r in rows if clip.offset_s is None or r.track == clip.track]
            if clip.offset_s is not None and not clip.has_video:
                continue  # an EDL holds picture events only
        if not rows:
            problems.append(f"'{clip.name}' is missing from the {fmt} timeline")
            continue
        if clip.offset_s is None:
            if any(r.track != UNPLACED_TRACK for r in rows if _named(fmt, r)):
                problems.append(f"unplaced '{clip.name}' is on a track of its own camera")
            if fmt != "aaf" and any(r.enabled for r in rows):
                problems.append(f"unplaced '{clip.name}' is enabled")
            continue
        expected_s = float(clip.offset_s) - origin_s
        for r in rows:
            half = 0.5 / r.grid_rate + 1e-6
            if abs(r.start_s - expected_s) > half:
                problems.append(
                    f"'{clip.name}' starts at {r.start_s:.4f} s on track '{r.track}', "
                    f"{(r.start_s - expected_s) * 1e3:+.1f} ms off its offset (half a frame: "
                    f"{half * 1e3:.1f} ms)"
                )
            if not r.enabled:
                problems.append(f"placed '{clip.name}' is disabled")
            if _named(fmt, r) and r.track != clip.track:
                problems.append(f"'{clip.name}' is on track '{r.track}', not '{clip.track}'")
        if fmt in SPEED_FORMATS:
            for r in rows:
                if abs(r.speed - clip.speed) > 1e-6 * clip.speed:
                    problems.append(
                        f"'{clip.name}' plays at speed {r.speed:.7f} on track '{r.track}', not "
                        f"{clip.speed:.7f}"
                    )
        own = float(editor_rate(clip.fps)) if clip.has_video and clip.fps else None
        for r in rows:
            own_rate_kept = fmt in ("otio", "xml", "fcpxml") and own and r.rate is not None
            if own_rate_kept and abs(r.rate - own) > 1e-6:  # type: ignore[operator]
                problems.append(f"'{clip.name}' is at {r.rate:.3f} fps, not its own {own:.3f}")
    return problems
