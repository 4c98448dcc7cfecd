"""The timeline model: a run's placed clips as one OpenTimelineIO timeline, a track per camera.

Conventions
-----------
- ``offset_s`` is the time on the reference's timeline at which a clip's t=0 happens (positive:
  it started later). The timeline starts at the earliest placed clip, so a clip starts at
  ``offset_s - origin_s`` on it (``origin_s = min(offset_s)`` over the placed clips).
- Every time is an ``opentime.RationalTime`` in the rate it belongs to: a clip's trim and
  duration in the clip's own frame rate (23.976 is ``24000/1001``, 29.97 is ``30000/1001``; a
  rate no timecode counts in, such as a variable frame rate's average, at the nearest one
  that does, :func:`editor_rate`), a
  clip without picture in the sequence rate, the timeline's in the sequence rate (the
  reference camera's). A clip starts on the sequence frame nearest its offset (editors place
  clips on sequence frames): at most half a sequence frame off. Writers that count in another
  rate (an EDL per camera) place each clip again from ``offset_s`` in its metadata, so every
  format rounds once.
- One camera is one track name: its clips (several when a camera stopped and started again)
  sit on its video track, and on its audio track when they have sound, with gaps between them.
  A clip without picture (a recorder, the master audio) gets only an audio track.
- Clips that could not be placed (``offset_s`` is None) sit end to end on a video (and audio)
  track of their own named :data:`UNPLACED_TRACK`, disabled, so an editor still sees them.
- Media are named by ``TimelineClip.media``: a path relative to the timeline file (the user's
  original or the synced file); the reference's target URL is that path, percent-encoded.
- A drift-corrected clip (``speed != 1``) carries a ``LinearTimeWarp`` with ``time_scalar =
  speed`` (source seconds per timeline second); its record duration is its source duration
  divided by the speed. A clip with a ``marker`` (low confidence, placed by hand) carries a
  red marker over its whole length.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from urllib.parse import quote

import opentimelineio as otio

from syncengine.errors import ParameterError
from syncengine.types import MediaInfo, Placement

__all__ = [
    "UNPLACED_TRACK",
    "TimelineClip",
    "build_timeline",
    "clip_from_media",
    "clip_from_placement",
    "clip_rate",
    "drop_frame",
    "editor_rate",
    "placed_start_s",
    "rate_fraction",
    "sequence_rate",
]

UNPLACED_TRACK = "Not placed"
_METADATA = "syncsite"  # our namespace in OTIO metadata
_NOMINAL_FPS = 30.0  # the sequence rate when no clip has a picture


@dataclass(frozen=True)
class TimelineClip:
    """One clip of one camera, as the timeline needs it.

    ``key`` is the caller's id for the clip (the portal's video id), ``name`` what the editor
    shows, ``media`` the file the timeline links to (relative to the timeline file),
    ``camera`` the track it goes on (default: ``name``; clips of one camera share it).
    ``offset_s`` None means not placed. ``fps`` is the picture's rate (None without picture).
    ``timecode`` is the file's own start timecode (``HH:MM:SS:FF``, ``;`` before the frames for
    drop frame) or None (starts at 00:00:00:00). ``source_start_s``/``source_duration_s`` trim
    the file (default: all of it).
    """

    key: str
    name: str
    media: str
    offset_s: float | None
    duration_s: float
    fps: float | None = None
    camera: str = ""
    has_video: bool = True
    has_audio: bool = True
    width: int = 1920
    height: int = 1080
    sample_rate_hz: int = 48000
    channels: int = 2
    timecode: str | None = None
    source_start_s: float = 0.0
    source_duration_s: float | None = None
    speed: float = 1.0
    marker: str | None = None
    is_reference: bool = False

    @property
    def track(self) -> str:
        return self.camera or self.name


def clip_from_media(
    info: MediaInfo,
    *,
    key: str,
    offset_s: float | None,
    name: str | None = None,
    media: str | None = None,
    camera: str = "",
    is_reference: bool = False,
    marker: str | None = None,
) -> TimelineClip:
    """A clip described by its probe: picture, sound, rate, size and start timecode.

    ``name`` defaults to the file name, ``media`` (the relative path the timeline links to)
    to ``name``.
    """
    name = name or info.filename
    video, audio = info.video, info.audio
    return TimelineClip(
        key=key,
        name=name,
        media=media or name,
        offset_s=offset_s,
        duration_s=info.duration_s,
        fps=video.fps if video is not None and video.fps > 0 else None,
        camera=camera,
        has_video=video is not None,
        has_audio=audio is not None,
        width=video.width if video is not None else 1920,
        height=video.height if video is not None else 1080,
        sample_rate_hz=audio.sample_rate_hz if audio is not None else 48000,
        channels=audio.channels if audio is not None else 2,
        timecode=info.timecode,
        is_reference=is_reference,
        marker=marker,
    )


def clip_from_placement(
    placement: Placement,
    info: MediaInfo,
    *,
    media: str | None = None,
    camera: str = "",
    marker: str | None = None,
) -> TimelineClip:
    """A clip from the engine's :class:`~syncengine.types.Placement` and the file's probe.

    Key, effective offset (None: not placed), name and reference flag come from the placement,
    the rest from the probe; ``media`` defaults to the placement's name.
    """
    return clip_from_media(
        info,
        key=placement.key,
        offset_s=placement.offset_s,
        name=placement.name,
        media=media,
        camera=camera,
        is_reference=placement.is_reference,
        marker=marker,
    )


def rate_fraction(fps: float) -> Fraction:
    """The exact rate a frame rate stands for: 29.97 -> 30000/1001, 25.0 -> 25.

    Raises
    ------
    ParameterError
        ``fps`` is not a positive finite number.
    """
    if not (isinstance(fps, int | float) and math.isfinite(fps) and fps > 0):
        raise ParameterError(f"fps must be a positive number, got {fps}")
    nominal = round(fps)
    if nominal > 0 and abs(fps - nominal) < 0.01:
        return Fraction(nominal)
    ntsc = round(fps * 1001 / 1000)
    if ntsc > 0 and abs(fps - ntsc * 1000 / 1001) < 0.01:
        return Fraction(ntsc * 1000, 1001)
    return Fraction(fps).limit_denominator(1001)  # an unusual rate, kept as it is


def editor_rate(fps: float) -> Fraction:
    """The rate a clip is counted in on an editor's timeline: :func:`rate_fraction`, or for a
    rate no timecode counts in (a phone's variable frame rate averages to 26.8 fps) the
    nearest one that does (OTIO's ``nearest_valid_timecode_rate``: 25), as editors conform
    such clips to a standard rate.

    Raises
    ------
    ParameterError
        ``fps`` is not a positive finite number.
    """
    rate = rate_fraction(fps)
    if otio.opentime.RationalTime.is_valid_timecode_rate(float(rate)):
        return rate
    return rate_fraction(otio.opentime.RationalTime.nearest_valid_timecode_rate(float(rate)))


def sequence_rate(fps: float) -> tuple[int, bool]:
    """``(timebase, ntsc)`` as FCP7 XML spells a rate: 29.97 -> (30, True), 25 -> (25, False)."""
    rate = rate_fraction(fps)
    if rate.denominator == 1001:
        return rate.numerator // 1000, True
    return max(1, round(rate)), False


def clip_rate(clip: TimelineClip, default: float) -> float:
    """The rate a clip's times are counted in: its picture's, else ``default``."""
    if clip.has_video and clip.fps:
        return float(editor_rate(clip.fps))
    return default


def placed_start_s(clip: otio.schema.Clip, timeline: otio.schema.Timeline) -> float | None:
    """Where a clip of :func:`build_timeline`'s timeline starts on it, exactly, in seconds.

    ``offset_s - origin_s`` from the metadata (before any rounding to frames); None for an
    unplaced clip.
    """
    offset_s = clip.metadata.get(_METADATA, {}).get("offset_s")
    if offset_s is None:
        return None
    return float(offset_s) - float(timeline.metadata.get(_METADATA, {}).get("origin_s", 0.0))


def drop_frame(clip: TimelineClip, rate: float) -> bool:
    """Whether a clip's timecode counts drop frame: at 29.97/59.94 unless its own is ``:`` only."""
    if rate_fraction(rate) not in (Fraction(30000, 1001), Fraction(60000, 1001)):
        return False
    return clip.timecode is None or ";" in clip.timecode


def _check(clips: Sequence[TimelineClip]) -> None:
    if not clips:
        raise ParameterError("a timeline needs at least one clip")
    keys = [c.key for c in clips]
    for c in clips:
        if keys.count(c.key) > 1:
            raise ParameterError(f"two clips share the key '{c.key}'")
        if not c.has_video and not c.has_audio:
            raise ParameterError(f"'{c.name}' has neither picture nor sound")
        values = [c.duration_s, c.source_start_s, c.speed]
        values += [] if c.offset_s is None else [c.offset_s]
        values += [] if c.source_duration_s is None else [c.source_duration_s]
        if not all(math.isfinite(v) for v in values):
            raise ParameterError(f"'{c.name}' needs finite times, got {values}")
        if c.duration_s <= 0 or c.speed <= 0 or c.source_start_s < 0:
            raise ParameterError(
                f"'{c.name}' needs a positive duration and speed and a source start >= 0, got "
                f"{c.duration_s} s, speed {c.speed}, start {c.source_start_s} s"
            )
        if c.source_start_s + (c.source_duration_s or 0.0) > c.duration_s + 1e-6:
            raise ParameterError(f"'{c.name}' is trimmed beyond its {c.duration_s} s")
        if not c.media or c.media.startswith("/") or ":" in c.media.split("/")[0]:
            raise ParameterError(
                f"'{c.name}' needs a media path relative to the timeline file, got '{c.media}'"
            )


def _media_start(clip: TimelineClip, rate: float) -> otio.opentime.RationalTime:
    if not clip.timecode:
        return otio.opentime.RationalTime(0, rate)
    try:
        return otio.opentime.from_timecode(clip.timecode, rate)
    except ValueError as exc:
        raise ParameterError(f"'{clip.name}' has an unreadable timecode '{clip.timecode}'") from exc


def _frames(seconds: float, rate: float) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(round(seconds * rate), rate)


def _otio_clip(clip: TimelineClip, rate: float, kind: str) -> otio.schema.Clip:
    """The clip for one track of ``kind`` (``Video`` or ``Audio``)."""
    media_start = _media_start(clip, rate)
    available = otio.opentime.TimeRange(media_start, _frames(clip.duration_s, rate))
    reference = otio.schema.ExternalReference(
        target_url=quote(clip.media), available_range=available
    )
    reference.name = clip.media.rsplit("/", 1)[-1]
    if drop_frame(clip, rate):  # the FCP7 adapter writes drop frame only when told so
        reference.metadata["fcp_xml"] = {"timecode": {"displayformat": "DF"}}
    trim = clip.source_duration_s
    source = otio.opentime.TimeRange(
        media_start + _frames(clip.source_start_s, rate),
        _frames(clip.duration_s - clip.source_start_s if trim is None else trim, rate),
    )
    if clip.speed != 1.0:
        source = otio.opentime.TimeRange(
            source.start_time,
            otio.opentime.RationalTime(round(source.duration.value / clip.speed), rate),
        )
    meta = {
        "key": clip.key,
        "kind": kind,  # also keeps the FCP7 adapter from writing the sound as a back-reference
        "camera": clip.track,
        "offset_s": clip.offset_s,
        "fps": clip.fps,
        "has_video": clip.has_video,
        "has_audio": clip.has_audio,
        "width": clip.width,
        "height": clip.height,
        "sample_rate_hz": clip.sample_rate_hz,
        "channels": clip.channels,
        "is_reference": clip.is_reference,
        "drop_frame": drop_frame(clip, rate),
    }
    out = otio.schema.Clip(
        name=clip.name, media_reference=reference, source_range=source, metadata={_METADATA: meta}
    )
    out.metadata["fcp_xml"] = (
        {"sourcetrack": {"mediatype": "audio", "trackindex": "1"}}  # which of the file's sounds
        if kind == otio.schema.TrackKind.Audio
        else {}
    )
    if clip.speed != 1.0:
        out.effects.append(otio.schema.LinearTimeWarp(name="drift", time_scalar=clip.speed))
    if clip.marker:
        out.markers.append(
            otio.schema.Marker(
                name=clip.marker,
                marked_range=otio.opentime.TimeRange(source.start_time, source.duration),
                color=otio.schema.MarkerColor.RED,
            )
        )
    return out


def _track(name: str, kind: str, *, enabled: bool = True) -> otio.schema.Track:
    track = otio.schema.Track(name=name, kind=kind)
    track.enabled = enabled
    if not enabled:  # the FCP7 adapter writes <enabled> from its metadata only
        track.metadata["fcp_xml"] = {"enabled": "FALSE"}
    return track


def _fill(
    track: otio.schema.Track, items: list[tuple[float, otio.schema.Clip]], seq_rate: float
) -> None:
    """Put ``(start on the timeline in seconds, clip)`` on ``track`` in order, gaps between.

    Each clip starts at the sequence frame nearest its start (editors place clips on their
    sequence's frames, so one rounding: at most half a sequence frame off); its own times
    stay in its own rate, so a gap after a clip of another rate is a fraction of a frame long.
    """
    end = otio.opentime.RationalTime(0, seq_rate)
    for start_s, clip in sorted(items, key=lambda item: item[0]):
        start = _frames(start_s, seq_rate)
        gap = start - end
        if gap.to_seconds() < -1e-9:
            raise ParameterError(
                f"'{clip.name}' starts {-gap.to_seconds():.3f} s before the previous clip of "
                f"its camera '{track.name}' ends: one camera cannot film twice at once"
            )
        if gap.to_seconds() > 1e-9:
            track.append(otio.schema.Gap(duration=gap))
        track.append(clip)
        end = start + clip.source_range.duration


def build_timeline(
    clips: Sequence[TimelineClip], *, name: str = "Syncsite", fps: float | None = None
) -> otio.schema.Timeline:
    """The clips on one timeline: a video (and audio) track per camera, unplaced ones disabled.

    Parameters
    ----------
    clips : sequence of TimelineClip
        Every clip of the run, placed (``offset_s`` in seconds, positive: started after the
        reference) or not (``offset_s`` None).
    name : str
        The timeline's (sequence's) name.
    fps : float, optional
        The sequence rate; default the reference's picture rate, else the first placed clip
        with a picture, else 30.

    Returns
    -------
    otio.schema.Timeline
        ``global_start_time`` 0 in the sequence rate; video tracks first (placed cameras in
        the order their first clip comes in ``clips``, then the unplaced track), then the
        audio tracks in the same order. Each clip's metadata under ``"syncsite"`` holds its
        ``key``, ``offset_s``, ``fps`` and media description.

    Raises
    ------
    ParameterError
        No clips, duplicate keys, non-finite or non-positive times, an absolute media path,
        an unreadable timecode, a bad ``fps``, or two clips of one camera overlapping.
    """
    _check(clips)
    placed = [c for c in clips if c.offset_s is not None]
    if fps is None:
        pictured = [c for c in placed if c.has_video and c.fps]
        reference = [c for c in pictured if c.is_reference]
        fps = (reference or pictured)[0].fps if pictured else _NOMINAL_FPS
    seq_rate = float(editor_rate(float(fps)))
    origin_s = min((c.offset_s for c in placed), default=0.0)  # type: ignore[type-var]
    cameras: list[str] = []
    for c in placed:
        if c.track not in cameras:
            cameras.append(c.track)
    video: dict[str, list[tuple[float, otio.schema.Clip]]] = {cam: [] for cam in cameras}
    audio: dict[str, list[tuple[float, otio.schema.Clip]]] = {cam: [] for cam in cameras}
    for c in placed:
        start_s = float(c.offset_s) - origin_s  # type: ignore[arg-type]
        rate = clip_rate(c, seq_rate)
        if c.has_video:
            video[c.track].append((start_s, _otio_clip(c, rate, otio.schema.TrackKind.Video)))
        if c.has_audio:
            audio[c.track].append((start_s, _otio_clip(c, rate, otio.schema.TrackKind.Audio)))
    timeline = otio.schema.Timeline(name=name)
    timeline.global_start_time = otio.opentime.RationalTime(0, seq_rate)
    timeline.metadata[_METADATA] = {"origin_s": origin_s, "fps": float(fps)}
    audio_tracks = []
    for cam in cameras:
        if video[cam]:
            track = _track(cam, otio.schema.TrackKind.Video)
            _fill(track, video[cam], seq_rate)
            timeline.tracks.append(track)
        if audio[cam]:
            track = _track(cam, otio.schema.TrackKind.Audio)
            _fill(track, audio[cam], seq_rate)
            audio_tracks.append(track)
    unplaced = [c for c in clips if c.offset_s is None]
    if unplaced:
        v = _track(UNPLACED_TRACK, otio.schema.TrackKind.Video, enabled=False)
        a = _track(UNPLACED_TRACK, otio.schema.TrackKind.Audio, enabled=False)
        for c in unplaced:
            rate = clip_rate(c, seq_rate)
            for track, has in ((v, c.has_video), (a, c.has_audio)):
                if has:
                    item = _otio_clip(c, rate, track.kind)
                    item.enabled = False
                    item.metadata["fcp_xml"] = {**item.metadata["fcp_xml"], "enabled": "FALSE"}
                    track.append(item)
        timeline.tracks.extend(t for t in (v,) if len(t))
        audio_tracks += [a] if len(a) else []
    timeline.tracks.extend(audio_tracks)
    return timeline
