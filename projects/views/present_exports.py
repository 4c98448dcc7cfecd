"""Presentation of renders (synced files): rows for the run page and the status JSON."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django.urls import reverse

from projects import selectors
from projects.errors import human_size
from projects.models import Render, RenderOutput, SyncRun
from projects.views.present import stage_label

__all__ = ["AT_EXPORT", "output_size_bytes", "render_json", "render_rows", "windows_text"]

#: Message tag of the export actions' feedback: the page shows those messages beside the export
#: form, where the user acted, instead of at the top of the page, off screen.
AT_EXPORT = "at-export"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1e3:+.1f} ms"


def _signed_ms(value: float) -> str:
    """``+0.2 ms`` / ``−0.1 ms`` (a true minus sign, as the page prints numbers)."""
    text = f"{value * 1e3:+.1f} ms"
    return text.replace("-", "\u2212", 1)


def windows_text(windows: list[dict[str, Any]], field: str = "sound_s") -> str:
    """``start +0.2 ms · middle −0.1 ms · end +0.3 ms`` of one residual of the windows: each
    window that measured it, or measured nothing (``not measured``); ``""`` when none did."""
    residuals = ("picture_s", "sound_s", "master_s")
    if not any(w.get(field) is not None for w in windows):
        return ""
    parts = []
    for w in windows:
        value = w.get(field)
        where = f"{w['clip']} {w['at']}" if w.get("clip") else w["at"]
        if value is not None:
            parts.append(f"{where} {_signed_ms(value)}")
        elif all(w.get(r) is None for r in residuals):
            parts.append(f"{where} not measured")
    return " · ".join(parts)


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
                "camera_id": o.camera_id,
                "camera": o.camera.name if o.camera_id and o.camera else "",
                "windows": list(o.windows),
                "windows_sound": windows_text(o.windows, "sound_s"),
                "windows_picture": windows_text(o.windows, "picture_s"),
                "windows_master": windows_text(o.windows, "master_s"),
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
        "audio": render.audio,
        "audio_label": render.get_audio_display(),
        "layout": render.layout,
        "layout_label": render.get_layout_display(),
        "start_timecode": render.start_timecode,
        "correct_skew": render.correct_skew,
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
