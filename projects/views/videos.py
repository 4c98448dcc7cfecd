"""Videos: removal and owner-only media files.

The project page uploads through the API (``POST /api/v1/projects/{id}/videos/``, see
``static/js/upload.js``): one place checks the size, the disk and the media.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from projects import selectors, services
from projects.views.files import ranged_file_response

__all__ = ["video_delete", "video_media"]

_MEDIA_TYPES = {"proxy": "video/mp4", "poster": "image/jpeg"}


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
