"""Download responses for rendered files, shared by the portal views and the REST API.

One synced file is served with HTTP Range support; "all files" is a ZIP streamed as it is
built (:func:`syncengine.archive.iter_zip`), so a multi-GB export never sits in memory or in
a second copy on disk. Callers have already checked ownership (selectors).
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from projects import errors
from projects.models import Render, RenderOutput, SyncRun
from projects.services import ServiceError
from projects.views.files import path_inside, ranged_file_response
from syncengine.archive import iter_zip

__all__ = ["export_filename", "render_output_response", "render_zip_response"]


def _ready(render: Render) -> None:
    if render.status != Render.Status.DONE:
        raise ServiceError(errors.RENDER_NOT_READY, code="render_not_ready")


def _output_path(output: RenderOutput) -> Path:
    path = path_inside(settings.MEDIA_ROOT, output.file.name)
    if path is None:
        raise ServiceError(
            f"'{Path(output.file.name).name}' is missing on the server. Make the synced files "
            "again.",
            code="file_missing",
        )
    return path


def render_output_response(request: HttpRequest, output: RenderOutput) -> HttpResponse:
    """One ``{name}_synced.{ext}`` as an attachment (206 for a Range request)."""
    _ready(output.render)
    path = _output_path(output)
    response = ranged_file_response(request, path)
    response["Content-Disposition"] = content_disposition_header(True, path.name)
    return response


def export_filename(run: SyncRun, ext: str) -> str:
    """``{project}_run{id}_synced.{ext}``, the project name cut down to safe ASCII."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", run.project.name).strip("._") or "project"
    return f"{stem}_run{run.pk}_synced.{ext}"


def render_zip_response(
    request: HttpRequest, render: Render, *, timeline: str | None = None
) -> StreamingHttpResponse:
    """Every synced file of the render in one streamed ZIP; nothing else unless ``timeline``
    (a format slug) asks for the editor timeline beside them, naming them by relative path."""
    from projects.timelines import timeline_members  # it names its files by export_filename

    _ready(render)
    paths = [_output_path(o) for o in render.outputs.all()]
    extras = timeline_members(render, timeline) if timeline else []
    response = StreamingHttpResponse(iter_zip(paths, extras=extras), content_type="application/zip")
    filename = export_filename(render.run, "zip")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    # Behind nginx: pass the ZIP on as it is made instead of spooling gigabytes to a temp file.
    response["X-Accel-Buffering"] = "no"
    return response
