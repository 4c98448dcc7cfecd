"""Editor timelines of a run: its clips at their effective offsets, as each editor imports them.

One function for the portal, the API and the tests: :func:`run_timeline_file`. It reads the
run (no writes) and hands the engine (:mod:`syncengine.editors`) one clip per video:

- ``media="original"``: the user's uploads, named as uploaded, each at its effective offset
  (a manual adjustment, else the estimate); videos not placed go on the disabled track.
- ``media="synced"``: the files of the run's newest finished export, named as in its ZIP; they
  all start at the export's timeline start, so they line up at one place; videos the export
  left out go on the disabled track under their original names.
"""

from __future__ import annotations

from pathlib import PurePath

from projects import selectors
from projects.downloads import export_filename
from projects.models import Render, SyncRun, VideoOffset
from projects.services import ServiceError
from syncengine.editors import FORMATS, TimelineClip, timeline_file
from syncengine.errors import ParameterError

__all__ = [
    "MEDIA_CHOICES",
    "TIMELINE_FORMATS",
    "run_timeline_clips",
    "run_timeline_file",
]

#: Which files a timeline links to: the uploads as the user has them, or the synced files.
MEDIA_CHOICES = ("original", "synced")
#: Format slug -> (extension, media type, label); the API's enum and the export panel's links.
TIMELINE_FORMATS = {slug: (f.extension, f.content_type, f.label) for slug, f in FORMATS.items()}
_LOW_CONFIDENCE = 0.5  # below this the CLI and the run page ask the user to check by eye
NO_EXPORT = (
    "A timeline of the synced files links to the files of an export: make the synced files "
    "first (Export), or download the timeline of your original files."
)
NOTHING_PLACED = "This run placed no clip, so there is no timeline to make. Run the sync again."


def _marker(offset: VideoOffset) -> str | None:
    if offset.manual_offset_s is not None:
        return "Placed by hand"
    if offset.synced and not offset.is_reference and offset.confidence < _LOW_CONFIDENCE:
        return f"Check the sync by eye: {offset.band or 'low'} confidence {offset.confidence:.2f}"
    return None


def _clip(
    offset: VideoOffset,
    *,
    offset_s: float | None,
    media: str | None = None,
    duration_s: float | None = None,
    timecode: str | None = None,
) -> TimelineClip:
    video = offset.video
    name = media or video.original_name
    return TimelineClip(
        key=str(video.pk),
        name=name,
        media=name,
        offset_s=offset_s,
        duration_s=duration_s or video.duration_s,
        fps=video.fps if video.width else None,
        camera=video.original_name,
        has_video=video.width is not None,
        has_audio=video.has_audio,
        width=video.width or 1920,
        height=video.height or 1080,
        sample_rate_hz=video.sample_rate_hz or 48000,
        channels=video.channels or 2,
        timecode=timecode,
        marker=_marker(offset) if offset_s is not None else None,
        is_reference=offset.is_reference,
    )


def _newest_export(run: SyncRun) -> Render:
    done = [r for r in selectors.render_list_for_run(run=run) if r.status == Render.Status.DONE]
    if not done:
        raise ServiceError(NO_EXPORT, code="render_not_ready")
    return max(done, key=lambda r: (r.created_at, r.pk))


def run_timeline_clips(run: SyncRun, *, media: str = "original") -> list[TimelineClip]:
    """One clip per video of the run, in upload order, linked to ``media`` (see the module).

    Raises
    ------
    ServiceError
        ``render_not_ready`` for synced media without a finished export; ``invalid`` when the
        run placed no clip.
    """
    offsets = list(selectors.offsets_for_run(run=run).order_by("video__position", "video_id"))
    placed = selectors.placed_offsets_for_run(run=run)
    if not any(str(o.video_id) in placed for o in offsets):
        raise ServiceError(NOTHING_PLACED, code="invalid")
    if media == "original":
        return [
            _clip(o, offset_s=placed.get(str(o.video_id)), timecode=o.video.timecode or None)
            for o in offsets
        ]
    render = _newest_export(run)
    outputs = {out.video_id: out for out in render.outputs.all()}
    start_s = render.timeline_start_s or 0.0
    clips = []
    for o in offsets:
        out = outputs.get(o.video_id)
        if out is None:
            clips.append(_clip(o, offset_s=None))
        else:
            name = PurePath(out.file.name).name
            clips.append(_clip(o, offset_s=start_s, media=name, duration_s=out.duration_s))
    return clips


def run_timeline_file(run: SyncRun, fmt: str, *, media: str = "original") -> tuple[bytes, str, str]:
    """``(file, media type, download name)`` of the run's timeline in format ``fmt``.

    Raises
    ------
    ServiceError
        An unknown format or media (``invalid``), synced media without a finished export
        (``render_not_ready``), a run that placed nothing, or clips the format cannot hold.
    """
    if fmt not in FORMATS:
        raise ServiceError(f"Choose a timeline format: {', '.join(FORMATS)}.", code="invalid")
    if media not in MEDIA_CHOICES:
        raise ServiceError(f"Choose media: {' or '.join(MEDIA_CHOICES)}.", code="invalid")
    clips = run_timeline_clips(run, media=media)
    name = f"{run.project.name} (run {run.pk})"
    try:
        data = timeline_file(clips, fmt, name=name)
    except ParameterError as exc:
        raise ServiceError(
            f"This timeline cannot be written as {fmt}: {exc}", code="invalid"
        ) from exc
    ext = "edl.zip" if fmt == "edl" else FORMATS[fmt].extension.lstrip(".")
    filename = export_filename(run, ext)
    if media == "synced":
        filename = filename.replace("_synced.", "_synced_files.", 1)
    return data, FORMATS[fmt].content_type, filename
