"""Project pages: list, create, detail (cameras and their clips, upload, master audio, sync
form, runs), edit, delete; the regrouping and master-audio form posts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects import errors, selectors, services
from projects.forms import ProjectForm, SyncRunForm
from projects.models import Camera, Project, Video
from projects.services import ServiceError
from projects.services import cameras as camera_services

__all__ = [
    "camera_merge",
    "camera_rename",
    "project_create",
    "project_delete",
    "project_detail",
    "project_detail_context",
    "project_edit",
    "project_list",
    "project_master_audio",
    "project_video_rows",
    "video_camera",
]

NEW_CAMERA = "new"


# The page's small forms (here rather than in projects/forms.py: they only serve these posts).
class VideoCameraForm(forms.Form):
    camera = forms.CharField(max_length=20)  # a camera id of the project, or NEW_CAMERA


class CameraRenameForm(forms.Form):
    name = forms.CharField(max_length=Camera._meta.get_field("name").max_length, required=False)


class MasterAudioForm(forms.Form):
    master_audio = forms.IntegerField(required=False, min_value=1)
    master_channel = forms.IntegerField(required=False, min_value=0)


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
    videos = list(selectors.video_list_for_project(project=project))
    # Recorders first: an external recorder is the usual master audio.
    with_sound = sorted((v for v in videos if v.has_audio), key=lambda v: v.has_video)
    return {
        "project": project,
        **_rows_context(project),
        "runs": selectors.sync_run_list_for_project(project=project),
        "run_form": run_form or SyncRunForm(project=project),
        "upload_max_bytes": settings.UPLOAD_MAX_BYTES,
        "master_candidates": with_sound,
        "master_channels": range(max([v.channels or 1 for v in with_sound], default=1)),
    }


def _rows_context(project: Project) -> dict[str, Any]:
    """The cameras with their clips in time order (videos from before cameras get one each)."""
    camera_services.cameras_ensure(project=project)
    cameras = list(selectors.camera_list_for_project(project=project))
    rows = [
        {
            "camera": camera,
            "clips": camera_services.clips_in_time_order(list(camera.clips.all())),
            "sound_only": not any(c.has_video for c in camera.clips.all()),
        }
        for camera in cameras
    ]
    return {
        "camera_rows": rows,
        "cameras": cameras,
        "videos": selectors.video_list_for_project(project=project),
        "new_camera": NEW_CAMERA,
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
    context = {"project": project, **_rows_context(project)}
    return render(request, "projects/_video_rows.html", context)


@login_required
@require_POST
def video_camera(request: HttpRequest, video_id: int) -> HttpResponse:
    """Move a clip to another camera of its project, or to a new camera of its own."""
    video = selectors.video_get_for_user(user=request.user, video_id=video_id)
    form = VideoCameraForm(request.POST)
    camera: Camera | None = None
    choice = form.cleaned_data["camera"] if form.is_valid() else ""
    if choice != NEW_CAMERA:
        camera = video.project.cameras.filter(pk=int(choice) if choice.isdigit() else 0).first()
        if camera is None:
            messages.error(request, errors.CAMERA_NOT_IN_PROJECT)
            return redirect("project-detail", project_id=video.project_id)
    camera = camera_services.video_camera_set(video=video, camera=camera)
    messages.success(request, f"'{video.original_name}' is now in camera '{camera.name}'.")
    return redirect("project-detail", project_id=video.project_id)


@login_required
@require_POST
def camera_rename(request: HttpRequest, camera_id: int) -> HttpResponse:
    camera = selectors.camera_get_for_user(user=request.user, camera_id=camera_id)
    form = CameraRenameForm(request.POST)
    try:
        name = form.cleaned_data["name"] if form.is_valid() else ""
        camera_services.camera_update(camera=camera, name=name)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Camera renamed '{camera.name}'.")
    return redirect("project-detail", project_id=camera.project_id)


@login_required
@require_POST
def camera_merge(request: HttpRequest, camera_id: int) -> HttpResponse:
    """Move every clip of a camera into another camera of the project; the first goes."""
    camera = selectors.camera_get_for_user(user=request.user, camera_id=camera_id)
    into_id = request.POST.get("into", "")
    into = camera.project.cameras.filter(pk=int(into_id) if into_id.isdigit() else 0).first()
    if into is None:
        messages.error(request, errors.CAMERA_NOT_IN_PROJECT)
        return redirect("project-detail", project_id=camera.project_id)
    try:
        camera_services.camera_merge(camera=camera, into=into)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The clips of '{camera.name}' are now in '{into.name}'.")
    return redirect("project-detail", project_id=camera.project_id)


@login_required
@require_POST
def project_master_audio(request: HttpRequest, project_id: int) -> HttpResponse:
    """Choose (or clear) the master audio and its channel (empty: by energy)."""
    project = selectors.project_get_for_user(user=request.user, project_id=project_id)
    form = MasterAudioForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a clip with sound and a channel from the lists.")
        return redirect("project-detail", project_id=project.pk)
    video_id, channel = form.cleaned_data["master_audio"], form.cleaned_data["master_channel"]
    master: Video | None = None
    try:
        if video_id is not None:
            master = project.videos.filter(pk=video_id).first()
            if master is None:
                raise ServiceError(errors.MASTER_AUDIO_NOT_IN_PROJECT)
        services.project_update(
            project=project, master_audio=master, master_channel=None if master is None else channel
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        if master is None:
            messages.success(request, "No master audio: each camera keeps its own sound.")
        else:
            which = "by energy" if channel is None else f"channel {channel + 1}"
            messages.success(request, f"Master audio: '{master.original_name}' ({which}).")
    return redirect("project-detail", project_id=project.pk)


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
