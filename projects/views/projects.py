"""Project pages: list, create, detail (videos, upload, sync form, runs), edit, delete."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from projects import selectors, services
from projects.forms import ProjectForm, SyncRunForm
from projects.models import Project

__all__ = [
    "project_create",
    "project_delete",
    "project_detail",
    "project_detail_context",
    "project_edit",
    "project_list",
    "project_video_rows",
]


@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    projects = selectors.project_list_for_user(user=request.user)
    return render(request, "projects/project_list.html", {"projects": projects})


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        project = services.project_create(owner=request.user, **form.cleaned_data)
        messages.success(request, f"Project '{project.name}' created. Now add its videos.")
        return redirect("project-detail", project_id=project.pk)
    return render(request, "projects/project_form.html", {"form": form, "project": None})


def project_detail_context(
    project: Project, *, run_form: SyncRunForm | None = None
) -> dict[str, Any]:
    """Everything the project page shows (also used when the sync form comes back invalid)."""
    return {
        "project": project,
        "videos": selectors.video_list_for_project(project=project),
        "runs": selectors.sync_run_list_for_project(project=project),
        "run_form": run_form or SyncRunForm(project=project),
        "upload_max_bytes": settings.UPLOAD_MAX_BYTES,
    }


@login_required
@require_GET
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get_for_user(user=request.user, project_id=project_id)
    return render(request, "projects/project_detail.html", project_detail_context(project))


@login_required
@require_GET
def project_video_rows(request: HttpRequest, project_id: int) -> HttpResponse:
    """The video table's rows alone: the upload script swaps them in after uploads."""
    project = selectors.project_get_for_user(user=request.user, project_id=project_id)
    videos = selectors.video_list_for_project(project=project)
    return render(request, "projects/_video_rows.html", {"project": project, "videos": videos})


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get_for_user(user=request.user, project_id=project_id)
    initial = {"name": project.name, "notes": project.notes}
    form = ProjectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.project_update(project=project, **form.cleaned_data)
        messages.success(request, "Project saved.")
        return redirect("project-detail", project_id=project.pk)
    return render(request, "projects/project_form.html", {"form": form, "project": project})


@login_required
@require_http_methods(["GET", "POST"])
def project_delete(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get_for_user(user=request.user, project_id=project_id)
    if request.method == "POST":
        name = project.name
        services.project_delete(project=project)
        messages.success(request, f"Project '{name}' and its files were deleted.")
        return redirect("project-list")
    return render(request, "projects/project_confirm_delete.html", {"project": project})
