"""Sync runs: start, the run page, its status/results JSON, cancel, and debug plot images."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from projects import selectors, services
from projects.forms import SyncRunForm
from projects.services import ServiceError
from projects.views import present
from projects.views.files import path_inside, ranged_file_response
from projects.views.http import json_login_required
from projects.views.projects import project_detail_context

__all__ = ["run_cancel", "run_detail", "run_plot", "run_results", "run_start", "run_status"]


@login_required
@require_POST
def run_start(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get_for_user(user=request.user, project_id=project_id)
    form = SyncRunForm(request.POST, project=project)
    if form.is_valid():
        try:
            run = services.sync_run_start(
                project=project, method=form.cleaned_data["method"],
                reference=form.cleaned_data["reference"],
                max_offset_s=form.cleaned_data["max_offset_s"],
                request_id=getattr(request, "request_id", ""),
            )  # fmt: skip
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
    rows = present.offset_rows(list(selectors.offsets_for_run(run=run)))
    return render(request, "projects/run_detail.html", {
        "run": run, "project": run.project, "rows": rows, "plots": present.plot_items(run),
        "status": present.run_status_json(run), "sign_convention": present.SIGN_CONVENTION,
        "low_confidence": present.LOW_CONFIDENCE, "disagreement_s": present.DISAGREEMENT_S,
    })  # fmt: skip


@require_GET
@json_login_required
def run_status(request: HttpRequest, run_id: int) -> JsonResponse:
    run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
    return JsonResponse(present.run_status_json(run))


@require_GET
@json_login_required
def run_results(request: HttpRequest, run_id: int) -> JsonResponse:
    run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
    rows = present.offset_rows(list(selectors.offsets_for_run(run=run)))
    return JsonResponse(present.run_results_json(run, rows))


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
