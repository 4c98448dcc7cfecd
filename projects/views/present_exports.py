"""Presentation of renders (synced files): rows for the run page and the status JSON."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django.urls import reverse

from projects import selectors
from projects.downloads import export_filename
from projects.errors import human_size
from projects.models import Render, RenderOutput, SyncRun
from projects.views.present import stage_label
from syncengine.constants import FALLBACK_FPS
from syncengine.editors import TimelineClip, fcpxml, xmeml

__all__ = ["AT_EXPORT", "editor_timeline", "output_size_bytes", "render_json", "render_rows"]

#: Message tag of the export actions' feedback: the page shows those messages beside the export
#: form, where the user acted, instead of at the top of the page, off screen.
AT_EXPORT = "at-export"

TIMELINE_FORMATS = {
    "xml": (xmeml, "application/xml", "FCP7 XML"),
    "fcpxml": (fcpxml, "application/xml", "FCPXML"),
}


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1e3:+.1f} ms"


def output_size_bytes(output: RenderOutput) -> int | None:
    """The file's size on disk, or None when it is gone."""
    try:
        return output.file.size
    except OSError:
        return None


def _outputs(render: Render) -> list[dict[str, Any]]:
    rows = []
    for o in render.outputs.all():
        size = output_size_bytes(o)
        rows.append(
            {
                "id": o.pk,
                "video_id": o.video_id,
                "name": PurePath(o.file.name).name,
                "duration_s": o.duration_s,
                "lead_s": o.lead_s,
                "residual_s": o.residual_s,
                "residual": _ms(o.residual_s),
                "size_bytes": size,
                "size": "—" if size is None else human_size(size),
                "url": reverse("render-file", args=[render.pk, o.pk]),
            }
        )
    return rows


def _check(render: Render) -> str:
    """``verified`` only when outputs were measured again and passed; ``not_checked`` when
    none could be measured (the engine then reports verified, with nothing behind it)."""
    if render.status != Render.Status.DONE:
        return ""
    if render.max_residual_s is None:
        return "not_checked"
    return "verified" if render.verified else ""


def render_json(render: Render, *, current: dict[str, float] | None = None) -> dict[str, Any]:
    """Everything the export panel (and its polling script) shows about one render."""
    done = render.status == Render.Status.DONE
    return {
        "id": render.pk,
        "status": render.status,
        "status_label": render.get_status_display(),
        "stage": render.stage,
        "stage_label": stage_label(render.stage),
        "progress": round(render.progress, 4),
        "finished": not render.is_active,
        "mode": render.mode,
        "reencode": render.reencode,
        "verified": render.verified,
        "check": _check(render),
        "max_residual_s": render.max_residual_s,
        "max_residual": _ms(render.max_residual_s),
        "tolerance_s": render.tolerance_s,
        "tolerance_ms": "—" if render.tolerance_s is None else f"{render.tolerance_s * 1e3:.1f}",
        "timeline_start_s": render.timeline_start_s,
        "timeline_duration_s": render.timeline_duration_s,
        "out_of_date": selectors.render_out_of_date(render=render, current=current),
        "notes": [str(n) for n in render.notes],
        "error_code": render.error_code,
        "error_message": render.error_message,
        "elapsed_s": render.elapsed_s,
        "outputs": _outputs(render) if done else [],
        "zip_url": reverse("render-zip", args=[render.pk]) if done else "",
    }


def render_rows(run: SyncRun) -> list[dict[str, Any]]:
    current = selectors.placed_offsets_for_run(run=run)
    return [render_json(r, current=current) for r in selectors.render_list_for_run(run=run)]


def editor_timeline(run: SyncRun, fmt: str) -> tuple[str, str, str] | None:
    """``(text, content type, file name)`` of the run's editor timeline, or None.

    None when ``fmt`` is unknown or fewer than two videos have an (effective) offset. Clips
    sit at their effective offsets (manual adjustments included), named as uploaded.
    """
    if fmt not in TIMELINE_FORMATS:
        return None
    placed = selectors.placed_offsets_for_run(run=run)
    offsets = [o for o in selectors.offsets_for_run(run=run) if str(o.video_id) in placed]
    if len(offsets) < 2:
        return None
    clips = [
        TimelineClip(
            name=o.video.original_name,
            offset_s=placed[str(o.video_id)],
            duration_s=o.video.duration_s,
            has_video=o.video.width is not None,
            has_audio=o.video.has_audio,
            width=o.video.width or 1920,
            height=o.video.height or 1080,
            sample_rate_hz=o.video.sample_rate_hz or 48000,
            channels=o.video.channels or 2,
        )
        for o in offsets
    ]
    write, content_type, _ = TIMELINE_FORMATS[fmt]
    fps = (run.reference.fps if run.reference else None) or FALLBACK_FPS
    text = write(clips, fps=fps, name=f"{run.project.name} (run {run.pk})")
    return text, content_type, export_filename(run, fmt)
