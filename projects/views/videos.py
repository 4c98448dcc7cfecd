"""Videos: the upload endpoint (JSON, one file per POST), removal, and owner-only media files."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from projects import errors, selectors, services
from projects.forms import VideoUploadForm
from projects.services import ServiceError
from projects.views.files import ranged_file_response
from projects.views.http import json_error, json_login_required
from projects.views.present import video_json

__all__ = ["video_delete", "video_media", "video_upload"]

NO_FILE = "Choose a video file to upload."
_MEDIA_TYPES = {"proxy": "video/mp4", "poster": "image/jpeg"}


@require_POST
@json_login_required
def video_upload(request: HttpRequest, project_id: int) -> JsonResponse:
    """Store one uploaded file: ``{ok, video}`` (201) or ``{ok: false, message, code}`` (400;
    507 ``disk_full`` when the server has no room, nothing stored).

    The body was streamed to a temporary file by Django's upload handler; ``video_add``
    moves it into place, so the file is never held in memory.
    """
    project = selectors.project_get_for_user(user=request.user, project_id=project_id)
    files = request.FILES  # parsing the body runs the upload handlers
    too_large = getattr(request, "upload_too_large", None)  # set by SizeLimitedUploadHandler
    if too_large is not None:
        return json_error(upload_too_large_message(too_large), code="upload_too_large")
    disk_full = getattr(request, "upload_disk_full", None)  # the temporary folder filled
    if disk_full is not None:
        return json_error(errors.DISK_FULL.format(name=disk_full), code="disk_full", status=507)
    form = VideoUploadForm(request.POST, files)
    if not form.is_valid():
        return json_error(NO_FILE, code="no_file")
    try:
        video = services.video_add(project=project, upload=form.cleaned_data["file"])
    except ServiceError as exc:
        status = 507 if exc.code == "disk_full" else 400
        return json_error(exc.message, code=exc.code, status=status)
    return JsonResponse({"ok": True, "video": video_json(video)}, status=201)


def upload_too_large_message(size_bytes: int) -> str:
    return errors.UPLOAD_TOO_LARGE_STREAM.format(
        size=errors.human_size(size_bytes), limit=errors.human_size(settings.UPLOAD_MAX_BYTES)
    )


@login_required
@require_POST
def video_delete(request: HttpRequest, video_id: int) -> HttpResponse:
    video = selectors.video_get_for_user(user=request.user, video_id=video_id)
    project_id, name = video.project_id, video.original_name
    services.video_delete(video=video)
    messages.success(request, f"'{name}' was removed from the project.")
    return redirect("project-detail", project_id=project_id)


@login_required
@require_GET
def video_media(request: HttpRequest, video_id: int, kind: str) -> HttpResponse:
    """The browser proxy or the poster, to the owner only, with Range support for seeking."""
    video = selectors.video_get_for_user(user=request.user, video_id=video_id)
    field = video.proxy if kind == "proxy" else video.poster
    if kind not in _MEDIA_TYPES or not field:
        raise Http404("no such file")
    try:
        path = Path(field.path)
        return ranged_file_response(request, path, content_type=_MEDIA_TYPES[kind])
    except FileNotFoundError:
        raise Http404("file missing") from None
