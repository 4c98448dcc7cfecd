"""Sync runs: start, the run page, its status/results JSON, cancel, and debug plot images."""

from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from projects import selectors, services
from projects.forms import RenderForm, SyncRunForm
from projects.services import ServiceError
from projects.services.runs import MAX_OFFSET_S
from projects.views import present, present_exports
from projects.views.files import path_inside, ranged_file_response
from projects.views.http import json_error, json_login_required
from projects.views.projects import project_detail_context

__all__ = [
    "run_cancel",
    "run_detail",
    "run_offset_adjust",
    "run_plot",
    "run_results",
    "run_start",
    "run_status",
]

ADJUST_MISSING = "Send manual_offset_s: a number of seconds, or empty to go back to the estimate."
ADJUST_NOT_A_NUMBER = "The manual offset must be a finite number of seconds, not '{value}'."
ADJUST_OUT_OF_RANGE = "The manual offset must lie within ±24 hours; {value:g} s is outside."


@login_required
@require_POST
def run_start(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get_for_user(user=request.user, project_id=project_id)
    form = SyncRunForm(request.POST, project=project)
    if form.is_valid():
        try:
            run = services.sync_run_start(
                project=project,
                method=form.cleaned_data["method"],
                reference=form.cleaned_data["reference"],
                max_offset_s=form.cleaned_data["max_offset_s"],
                request_id=getattr(request, "request_id", ""),
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Sync started. This page updates as it runs.")
            return redirect("run-detail", run_id=run.pk)
    context = project_detail_context(project, run_form=form)
    return render(request, "projects/project_detail.html", context, status=400)


@login_required
@require_GET
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
    offsets = list(selectors.offsets_for_run(run=run))
    rows = present.offset_rows(offsets)
    return render(
        request,
        "projects/run_detail.html",
        {
            "run": run,
            "project": run.project,
            "rows": rows,
            "plots": present.plot_items(run),
            "player": present.player_json(run, offsets),
            "status": present.run_status_json(run),
            "sign_convention": present.SIGN_CONVENTION,
            "low_confidence": present.LOW_CONFIDENCE,
            "disagreement_s": present.DISAGREEMENT_S,
            "renders": present_exports.render_rows(run),
            "render_form": RenderForm(),
            **present.run_page_extras(run, offsets),  # outcome line, band legend, check sheet
        },
    )


@require_GET
@json_login_required
def run_status(request: HttpRequest, run_id: int) -> JsonResponse:
    run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
    return JsonResponse(present.run_status_json(run))


@require_GET
@json_login_required
def run_results(request: HttpRequest, run_id: int) -> JsonResponse:
    run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
    offsets = list(selectors.offsets_for_run(run=run))
    results = present.run_results_json(run, present.offset_rows(offsets))
    return JsonResponse({**results, "player": present.player_json(run, offsets)})


def _manual_offset_s(request: HttpRequest) -> float | None:
    """``manual_offset_s`` from a JSON or form body: seconds, or ``None`` (empty) to clear."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict) or "manual_offset_s" not in body:
            raise ServiceError(ADJUST_MISSING, code="missing_value")
        raw: Any = body["manual_offset_s"]
    else:
        if "manual_offset_s" not in request.POST:
            raise ServiceError(ADJUST_MISSING, code="missing_value")
        raw = request.POST["manual_offset_s"]
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise ValueError
        value = float(raw)
    except ValueError:
        shown = str(raw)[:40]  # the bad value goes in the message, cut to a sane length
        raise ServiceError(ADJUST_NOT_A_NUMBER.format(value=shown), code="not_a_number") from None
    if not math.isfinite(value):
        raise ServiceError(ADJUST_NOT_A_NUMBER.format(value=raw), code="not_a_number")
    if abs(value) > MAX_OFFSET_S:
        raise ServiceError(ADJUST_OUT_OF_RANGE.format(value=value), code="out_of_range")
    return value


@require_POST
@json_login_required
def run_offset_adjust(request: HttpRequest, run_id: int, video_id: int) -> JsonResponse:
    """Save (or clear) the user's correction of one video's offset; the estimate stays."""
    run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
    offset = selectors.offset_get_for_run(run=run, video_id=video_id)
    try:
        offset = services.offset_adjust(offset=offset, manual_offset_s=_manual_offset_s(request))
    except ServiceError as exc:  # a bad value, or the reference (its offset is always 0)
        return json_error(exc.message, code=exc.code)
    return JsonResponse({"ok": True, "video": present.player_video_json(run, offset)})


@login_required
@require_POST
def run_cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
    if services.sync_run_cancel(run=run):
        messages.success(request, "Sync cancelled.")
    else:
        messages.warning(request, "This sync had already finished; nothing to cancel.")
    return redirect("run-detail", run_id=run.pk)


@login_required
@require_GET
def run_plot(request: HttpRequest, run_id: int, index: int) -> HttpResponse:
    """One debug plot image of the run; its path must stay inside MEDIA_ROOT."""
    run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
    plots = run.plots or []
    path = path_inside(settings.MEDIA_ROOT, str(plots[index])) if index < len(plots) else None
    if path is None:
        raise Http404("no such plot")
    return ranged_file_response(request, path)
