"""Exports: start a render of a run, downloads (one file or a streamed ZIP), cancel, delete.

The export panel's script follows a render's progress through ``GET /api/v1/renders/{id}/``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from projects import downloads, errors, selectors, services, timelines
from projects.api.throttling import form_door_wait_s
from projects.forms import RenderForm
from projects.services import ServiceError
from projects.views.present_exports import AT_EXPORT  # shown beside the export form

__all__ = [
    "render_cancel",
    "render_delete",
    "render_file",
    "render_start",
    "render_zip",
    "run_timeline",
]


def _export_url(run_id: int) -> str:
    return reverse("run-detail", args=[run_id]) + "#export"


@login_required
@require_POST
def render_start(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
    wait_s = form_door_wait_s(request, "renders")  # the API's budget: one counter for both doors
    if wait_s is not None:
        message = errors.RENDERS_THROTTLED.format(minutes=math.ceil(wait_s / 60))
        messages.error(request, message, extra_tags=AT_EXPORT)
        return redirect(_export_url(run.pk))
    form = RenderForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Choose a timeline and a quality for the synced files.", extra_tags=AT_EXPORT
        )
        return redirect(_export_url(run.pk))
    try:
        services.render_start(run=run, **form.cleaned_data)
    except ServiceError as exc:
        messages.error(request, exc.message, extra_tags=AT_EXPORT)
    else:
        messages.success(
            request,
            "Making the synced files. This page shows their progress.",
            extra_tags=AT_EXPORT,
        )
    return redirect(_export_url(run.pk))


def _download(make: Callable[[], HttpResponse]) -> HttpResponse:
    try:
        return make()
    except ServiceError as exc:
        # Not finished, or a file gone from disk: say so instead of a bare 404.
        return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")


@login_required
@require_GET
def render_file(request: HttpRequest, render_id: int, output_id: int) -> HttpResponse:
    render = selectors.render_get_for_user(user=request.user, render_id=render_id)
    output = render.outputs.filter(pk=output_id).first()
    if output is None:
        raise Http404("no such file")
    return _download(lambda: downloads.render_output_response(request, output))


@login_required
@require_GET
def render_zip(request: HttpRequest, render_id: int) -> HttpResponse:
    """The synced files in one ZIP; ``?timeline=<format>`` adds the editor timeline beside them,
    as does the export panel's form: its ticked checkbox sends ``with_timeline=1`` and its
    choice ``format``; unticked, the ZIP holds only the synced files."""
    render = selectors.render_get_for_user(user=request.user, render_id=render_id)
    timeline = request.GET.get("timeline") or None
    if timeline is None and request.GET.get("with_timeline") == "1":
        timeline = request.GET.get("format") or None
    if timeline is not None and timeline not in timelines.TIMELINE_FORMATS:
        choices = ", ".join(timelines.TIMELINE_FORMATS)
        message = f"Choose a timeline format for the ZIP: {choices}."
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    return _download(lambda: downloads.render_zip_response(request, render, timeline=timeline))


@login_required
@require_POST
def render_cancel(request: HttpRequest, render_id: int) -> HttpResponse:
    render = selectors.render_get_for_user(user=request.user, render_id=render_id)
    if services.job_cancel(job=render):
        messages.success(
            request, "Export cancelled; its files are being removed.", extra_tags=AT_EXPORT
        )
    else:
        messages.warning(request, errors.RENDER_ALREADY_FINISHED, extra_tags=AT_EXPORT)
    return redirect(_export_url(render.run_id))


@login_required
@require_POST
def render_delete(request: HttpRequest, render_id: int) -> HttpResponse:
    render = selectors.render_get_for_user(user=request.user, render_id=render_id)
    try:
        services.render_delete(render=render)
    except ServiceError as exc:
        messages.error(request, exc.message, extra_tags=AT_EXPORT)
    else:
        messages.success(request, "The synced files were deleted.", extra_tags=AT_EXPORT)
    return redirect(_export_url(render.run_id))


@login_required
@require_GET
def run_timeline(request: HttpRequest, run_id: int, fmt: str) -> HttpResponse:
    """The run's clips on an editor timeline in format ``fmt`` at their effective offsets.

    ``?media=synced`` links the timeline to the newest export's files instead of the uploads;
    without a finished export (or for a run that placed nothing) the page says what to do.
    """
    run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
    if fmt not in timelines.TIMELINE_FORMATS:
        raise Http404("no such timeline")
    camera = request.GET.get("camera") or None
    try:
        timeline = timelines.run_timeline_file(
            run,
            fmt,
            media=request.GET.get("media", "original"),
            camera=int(camera) if camera and camera.isdigit() else None,
        )
    except ServiceError as exc:
        messages.error(request, exc.message, extra_tags=AT_EXPORT)
        return redirect(_export_url(run.pk))
    content_type = timeline.content_type
    if content_type == "application/xml":
        content_type += "; charset=utf-8"
    response = HttpResponse(timeline.data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, timeline.filename)
    return response
