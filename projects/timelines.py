"""Editor timelines of a run: its clips at their effective offsets, as each editor imports them.

One function for the portal, the API and the tests: :func:`run_timeline_file`. It reads the
run (no writes) and hands the engine (:mod:`syncengine.editors`) one clip per video:

- ``media="original"``: the user's uploads, named as uploaded, each at its effective offset
  (a manual adjustment, else the estimate); videos not placed go on the disabled track. A clip
  whose clock drifts against the reference's (``VideoOffset.drift_ppm``) by 0.5 ms or more over
  its length (when a render would resample it) carries its speed, ``1 / (1 + ppm * 1e-6)``, so
  the editor retimes it as the export does.
- ``media="synced"``: the files of the run's newest finished export, named as in its ZIP; they
  all start at the export's timeline start, so they line up at one place, stamped with its
  start timecode when it had one; videos the export left out go on the disabled track under
  their original names. An exact export is already on the reference clock (speed 1); a copy
  could not retime, so its files carry their drift's speed like originals. A per-camera export
  is one clip per camera file.
- Tracks: one per camera (``Video.camera``: a camera's clips on one track with gaps between),
  named as the camera, a video without a camera on a track of its own. The project's master
  audio (``Project.master_audio``), when chosen, is on a track of its own, :data:`MASTER_TRACK`,
  at its own offset (synced media: linked to the recorder's original file, which an export does
  not copy, unless the export already put its sound into the files).
- A clip with a variable frame rate (``Video.variable_fps``) gets a marker saying so, and
  :func:`timeline_warnings` says it before the download (export panel, API header).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from projects import selectors
from projects.downloads import export_filename
from projects.models import Camera, Render, SyncRun, Video, VideoOffset
from projects.services import ServiceError
from syncengine.editors import FORMATS, TimelineClip, build_timeline, camera_edls, write
from syncengine.errors import ParameterError
from syncengine.timecode import BadTimecode, parse_timecode, timecode_at_rate
from syncengine.timeline import DRIFT_SOUND_MIN_ERROR_S

__all__ = [
    "MASTER_TRACK",
    "MEDIA_CHOICES",
    "TIMELINE_FORMATS",
    "TimelineDownload",
    "drift_speed",
    "run_timeline_clips",
    "run_timeline_file",
    "timeline_members",
    "timeline_warnings",
]

#: Which files a timeline links to: the uploads as the user has them, or the synced files.
MEDIA_CHOICES = ("original", "synced")
#: Format slug -> (extension, media type, label); the API's enum and the export panel's links.
TIMELINE_FORMATS = {slug: (f.extension, f.content_type, f.label) for slug, f in FORMATS.items()}
#: The track of the project's master audio (the external recorder).
MASTER_TRACK = "Master audio"
_LOW_CONFIDENCE = 0.5  # below this the CLI and the run page ask the user to check by eye
NO_EXPORT = (
    "A timeline of the synced files links to the files of an export: make the synced files "
    "first (Export), or download the timeline of your original files."
)
NOTHING_PLACED = "This run placed no clip, so there is no timeline to make. Run the sync again."
CAMERA_EDL_ONLY = (
    "Choose a camera only for an EDL, which holds one camera's track; the other formats hold "
    "every camera. Leave camera out, or ask for format edl."
)
NO_SUCH_CAMERA = (
    "There is no camera {camera} in this project. Choose one of the project's cameras "
    "(GET /api/v1/projects/{{id}}/cameras/): {choices}."
)
CAMERA_NOT_PLACED = (
    "Camera '{name}' has no placed clip with a picture in this run, so its EDL would be empty. "
    "Place one of its clips, or choose another camera."
)
VFR_WARNING = (
    "'{name}' has a variable frame rate: editors assume a constant one, so its picture may slip "
    "by a frame or more along the take. Link the timeline to the synced files of an exact "
    "export (constant frame rate) to stay frame accurate."
)
VFR_MARKER = "Variable frame rate: check the sync along the clip"


@dataclass(frozen=True)
class TimelineDownload:
    """A timeline file ready to send: its bytes, media type, download name and warnings."""

    data: bytes
    content_type: str
    filename: str
    warnings: tuple[str, ...] = ()


def drift_speed(drift_ppm: float | None, duration_s: float) -> float:
    """The speed a clip plays at on the reference's clock: ``1 / (1 + ppm * 1e-6)`` when its
    drift adds up to ``DRIFT_SOUND_MIN_ERROR_S`` over ``duration_s`` (the render's rule for
    resampling), else 1."""
    if not drift_ppm or not math.isfinite(drift_ppm):
        return 1.0
    if abs(drift_ppm) * 1e-6 * duration_s < DRIFT_SOUND_MIN_ERROR_S:
        return 1.0
    return 1.0 / (1.0 + drift_ppm * 1e-6)


def _marker(offset: VideoOffset, *, vfr: bool) -> str | None:
    parts = []
    if offset.manual_offset_s is not None:
        parts.append("Placed by hand")
    elif offset.synced and not offset.is_reference and offset.confidence < _LOW_CONFIDENCE:
        band = offset.band or "low"
        parts.append(f"Check the sync by eye: {band} confidence {offset.confidence:.2f}")
    if vfr:
        parts.append(VFR_MARKER)
    return "; ".join(parts) or None


def _tracks(offsets: list[VideoOffset], master_id: int | None) -> dict[int, str]:
    """Video id -> its track: its camera's name (made unique), else its own name; the master
    audio on :data:`MASTER_TRACK`."""
    names: dict[int | None, str] = {}
    used = {MASTER_TRACK.casefold()} if master_id is not None else set()
    out = {}
    for o in offsets:
        video = o.video
        if video.pk == master_id:
            out[video.pk] = MASTER_TRACK
            continue
        camera: Camera | None = video.camera
        key = camera.pk if camera is not None else None
        if key is None or key not in names:
            base = camera.name if camera is not None else video.original_name
            name, k = base, 2
            while name.casefold() in used:
                name, k = f"{base} ({k})", k + 1
            used.add(name.casefold())
            if key is None:
                out[video.pk] = name
                continue
            names[key] = name
        out[video.pk] = names[key]
    return out


def _clip(
    offset: VideoOffset,
    *,
    track: str,
    offset_s: float | None,
    media: str | None = None,
    duration_s: float | None = None,
    timecode: str | None = None,
    speed: float = 1.0,
    vfr: bool = False,
) -> TimelineClip:
    video = offset.video
    name = media or video.original_name
    return TimelineClip(
        key=str(video.pk),
        name=name,
        media=name,
        offset_s=offset_s,
        duration_s=duration_s or video.duration_s,
        fps=video.fps if video.width and video.has_video else None,
        camera=track,
        has_video=video.width is not None and video.has_video,
        has_audio=video.has_audio,
        width=video.width or 1920,
        height=video.height or 1080,
        sample_rate_hz=video.sample_rate_hz or 48000,
        channels=video.channels or 2,
        timecode=timecode,
        speed=speed if offset_s is not None else 1.0,
        marker=_marker(offset, vfr=vfr) if offset_s is not None else None,
        is_reference=offset.is_reference,
    )


def _newest_export(run: SyncRun) -> Render:
    done = [r for r in selectors.render_list_for_run(run=run) if r.status == Render.Status.DONE]
    if not done:
        raise ServiceError(NO_EXPORT, code="render_not_ready")
    return max(done, key=lambda r: (r.created_at, r.pk))


def _offsets(run: SyncRun) -> list[VideoOffset]:
    rows = selectors.offsets_for_run(run=run).select_related("video__camera")
    offsets = list(rows.order_by("video__position", "video_id"))

    def order(o: VideoOffset) -> tuple[int, int, int, int]:
        camera = o.video.camera
        if camera is None:
            return (1, o.video.position, 0, o.video_id)
        return (0, camera.position, camera.pk, o.video.position)

    return sorted(offsets, key=order)


def run_timeline_clips(
    run: SyncRun, *, media: str = "original", render: Render | None = None
) -> list[TimelineClip]:
    """One clip per video of the run (per camera file of a per-camera export), cameras in
    their order, linked to ``media`` (see the module).

    Raises
    ------
    ServiceError
        ``render_not_ready`` for synced media without a finished export; ``invalid`` when the
        run placed no clip.
    """
    offsets = _offsets(run)
    placed = selectors.placed_offsets_for_run(run=run)
    if not any(str(o.video_id) in placed for o in offsets):
        raise ServiceError(NOTHING_PLACED, code="invalid")
    master_id = run.project.master_audio_id
    if master_id is not None and not any(o.video_id == master_id for o in offsets):
        master_id = None  # chosen after this run: not one of its clips
    tracks = _tracks(offsets, master_id)
    if media == "original":
        return [
            _clip(
                o,
                track=tracks[o.video_id],
                offset_s=placed.get(str(o.video_id)),
                timecode=o.video.timecode or None,
                speed=drift_speed(o.drift_ppm, o.video.duration_s),
                vfr=o.video.variable_fps,
            )
            for o in offsets
        ]
    render = render or _newest_export(run)
    outputs = {out.video_id: out for out in render.outputs.all()}
    stamped = _stamped(render, offsets, outputs)
    in_camera_files = {out.camera_id for out in outputs.values() if out.camera_id is not None}
    per_camera = render.layout == Render.Layout.CAMERA
    start_s = render.timeline_start_s or 0.0
    clips = []
    for o in offsets:
        out = outputs.get(o.video_id)
        copy_speed = 1.0 if render.reencode else drift_speed(o.drift_ppm, o.video.duration_s)
        if out is not None:
            clips.append(
                _clip(
                    o,
                    track=tracks[o.video_id],
                    offset_s=start_s,
                    media=PurePath(out.file.name).name,
                    duration_s=out.duration_s,
                    timecode=stamped.get(o.video_id),
                    speed=copy_speed,
                    vfr=o.video.variable_fps and not render.reencode,
                )
            )
        elif per_camera and o.video.camera_id in in_camera_files:
            continue  # inside its camera's file
        elif o.video_id == master_id and str(o.video_id) in placed:
            if render.audio == Render.Audio.CAMERA:  # not in the files: the recorder's own
                clips.append(
                    _clip(
                        o,
                        track=MASTER_TRACK,
                        offset_s=placed[str(o.video_id)],
                        timecode=o.video.timecode or None,
                        speed=drift_speed(o.drift_ppm, o.video.duration_s),
                    )
                )
        else:
            clips.append(_clip(o, track=tracks[o.video_id], offset_s=None))
    return clips


def _stamped(render: Render, offsets: list[VideoOffset], outputs: dict) -> dict[int, str]:
    """Video id -> the start timecode its synced file carries: the export's start timecode
    read at the reference's rate, at the file's own rate (the render stamps it so)."""
    if not render.start_timecode:
        return {}
    pictured = [o for o in offsets if o.video_id in outputs and o.video.has_video and o.video.fps]
    rates = [o.video.fps for o in pictured if o.is_reference] + [o.video.fps for o in pictured]
    if not rates:
        return {}
    try:
        start = parse_timecode(render.start_timecode, rates[0])
        return {o.video_id: str(timecode_at_rate(start, o.video.fps)) for o in pictured}
    except BadTimecode:  # not at this rate any more: the files carry what the render said
        return {}


def timeline_warnings(
    run: SyncRun, *, media: str = "original", render: Render | None = None
) -> list[str]:
    """What to tell the user before they import the timeline: each placed clip with a variable
    frame rate that the timeline links as it is (originals, or a copy export's files)."""
    if media == "synced":
        render = render or _newest_export(run)
        if render.reencode:
            return []
    placed = selectors.placed_offsets_for_run(run=run)
    return [
        VFR_WARNING.format(name=o.video.original_name)
        for o in _offsets(run)
        if o.video.variable_fps and str(o.video_id) in placed
    ]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "camera"


def _camera_edl(run: SyncRun, clips: list[TimelineClip], camera_id: int) -> tuple[bytes, str]:
    camera = run.project.cameras.filter(pk=camera_id).first()
    if camera is None:
        choices = ", ".join(f"{c.pk} ({c.name})" for c in run.project.cameras.all()) or "none"
        raise ServiceError(NO_SUCH_CAMERA.format(camera=camera_id, choices=choices), code="invalid")
    members = {str(v.pk) for v in Video.objects.filter(camera=camera)}
    tracks = {c.track for c in clips if c.key in members}
    try:
        edls = camera_edls(build_timeline(clips, name=f"{run.project.name} (run {run.pk})"))
    except ParameterError:
        edls = {}
    text = next((edls[t] for t in tracks if t in edls), None)
    if text is None:
        raise ServiceError(CAMERA_NOT_PLACED.format(name=camera.name), code="invalid")
    return text.encode("utf-8"), camera.name


def run_timeline_file(
    run: SyncRun,
    fmt: str,
    *,
    media: str = "original",
    camera: int | None = None,
    render: Render | None = None,
) -> TimelineDownload:
    """The run's timeline in format ``fmt``, ready to download, with its warnings.

    ``camera`` (a camera id of the project) with ``fmt="edl"``: that camera's one EDL as a
    ``.edl`` file instead of the ZIP of every camera's. ``render`` (synced media): the export
    whose files it links, default the run's newest finished one.

    Raises
    ------
    ServiceError
        An unknown format or media (``invalid``), synced media without a finished export
        (``render_not_ready``), a run that placed nothing, clips the format cannot hold, a
        camera for a format other than EDL, a camera not in the project or without a placed
        picture.
    """
    if fmt not in FORMATS:
        raise ServiceError(f"Choose a timeline format: {', '.join(FORMATS)}.", code="invalid")
    if media not in MEDIA_CHOICES:
        raise ServiceError(f"Choose media: {' or '.join(MEDIA_CHOICES)}.", code="invalid")
    if camera is not None and fmt != "edl":
        raise ServiceError(CAMERA_EDL_ONLY, code="invalid")
    clips = run_timeline_clips(run, media=media, render=render)
    warnings = tuple(timeline_warnings(run, media=media, render=render))
    try:
        if camera is not None:
            data, camera_name = _camera_edl(run, clips, camera)
            filename = export_filename(run, "edl").replace(
                "_synced.", f"_{_safe(camera_name)}_synced.", 1
            )
            content_type = "application/octet-stream"
        else:
            data = write(build_timeline(clips, name=f"{run.project.name} (run {run.pk})"), fmt)
            ext = "edl.zip" if fmt == "edl" else FORMATS[fmt].extension.lstrip(".")
            filename = export_filename(run, ext)
            content_type = FORMATS[fmt].content_type
    except ParameterError as exc:
        raise ServiceError(
            f"This timeline cannot be written as {fmt}: {exc}", code="invalid"
        ) from exc
    if media == "synced":
        filename = filename.replace("_synced.", "_synced_files.", 1)
    return TimelineDownload(data, content_type, filename, warnings)


def timeline_members(render: Render, fmt: str) -> list[tuple[str, bytes]]:
    """The render's timeline in format ``fmt`` as files to put beside its synced files in the
    ZIP, linked to them by bare file name (paths relative to the timeline): one file, or for
    ``edl`` each camera's EDL (and ``unplaced.txt``) as they are in the EDL ZIP.

    Raises
    ------
    ServiceError
        As :func:`run_timeline_file`.
    """
    timeline = run_timeline_file(render.run, fmt, media="synced", render=render)
    if fmt != "edl":
        return [(timeline.filename, timeline.data)]
    with zipfile.ZipFile(io.BytesIO(timeline.data)) as archive:
        return [(name, archive.read(name)) for name in archive.namelist()]
