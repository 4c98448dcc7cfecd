"""Sync runs: start, the run page, cancel, and debug plot images.

The run page's scripts read and change the run through ``/api/v1/`` (see ``static/js/api.js``);
the page embeds the API's own serializer output for them (``json_script``), so a run, an offset
and a video have one JSON shape.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from projects import errors, selectors, services
from projects.api.runs import OffsetOutputSerializer, RunOutputSerializer
from projects.api.throttling import form_door_wait_s
from projects.api.videos import VideoOutputSerializer
from projects.forms import RenderForm, SyncRunForm
from projects.models import SyncRun, VideoOffset
from projects.services import ServiceError
from projects.services.videos import video_waveform
from projects.views import present, present_exports
from projects.views.files import path_inside, ranged_file_response
from projects.views.projects import project_detail_context

__all__ = ["run_cancel", "run_detail", "run_page_data", "run_plot", "run_start"]


@login_required
@require_POST
def run_start(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get_for_user(user=request.user, project_id=project_id)
    form = SyncRunForm(request.POST, project=project)
    wait_s = form_door_wait_s(request, "runs")  # the API's budget: one counter for both doors
    if wait_s is not None:
        form.add_error(None, errors.RUNS_THROTTLED.format(minutes=math.ceil(wait_s / 60)))
        context = project_detail_context(project, run_form=form)
        response = render(request, "projects/project_detail.html", context, status=429)
        response["Retry-After"] = str(wait_s)
        return response
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
    data = run_page_data(run, offsets)
    return render(
        request,
        "projects/run_detail.html",
        {
            "run": run,
            "project": run.project,
            "rows": rows,
            "drift_rows": [r for r in rows if r.drift_plot is not None],
            "plots": present.plot_items(run),
            "player": data,
            "status": data["run"],
            "sign_convention": present.SIGN_CONVENTION,
            "low_confidence": present.LOW_CONFIDENCE,
            "disagreement_s": present.DISAGREEMENT_S,
            "renders": present_exports.render_rows(run),
            # A clip whose sound runs off its own picture fails the export's check unless its
            # sound is moved back: the correction is ticked whenever the sync found one.
            "render_form": RenderForm(
                initial={"correct_skew": any(o.sound_skew_s is not None for o in offsets)}
            ),
            **present.run_page_extras(run, offsets),  # outcome line, band legend, check sheet
        },
    )


def run_page_data(run: SyncRun, offsets: list[VideoOffset]) -> dict[str, Any]:
    """What the run page's scripts start from: the API's answers for the run, its offsets
    (``GET runs/{id}/results/``) and their videos (``GET videos/{id}/``); URLs stay relative.
    Also the project's cameras (``{id, name}``: a camera tile's name) and each audio-only
    video's waveform peaks by video id (the recorder's lane; ``syncengine.waveform``).
    """
    waveforms = {}
    for o in offsets:
        peaks = video_waveform(video=o.video)
        if peaks is not None:
            waveforms[str(o.video_id)] = peaks
    return {
        "run": RunOutputSerializer(run).data,
        "offsets": OffsetOutputSerializer(offsets, many=True).data,
        "videos": VideoOutputSerializer([o.video for o in offsets], many=True).data,
        "cameras": [{"id": c.pk, "name": c.name} for c in run.project.cameras.all()],
        "waveforms": waveforms,
        "default_fps": present.PLAYER_DEFAULT_FPS,
    }


@login_required
@require_POST
def run_cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
    if services.job_cancel(job=run):
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
