"""``/api/v1/`` routes: one dispatcher per path, one APIView per operation (see ``route``)."""

from __future__ import annotations

from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from projects.api import projects, renders, runs, videos
from projects.api.errors import NOT_FOUND, error_body
from projects.api.routing import route

__all__ = ["urlpatterns"]


@csrf_exempt
def _not_found(request, *args, **kwargs):  # noqa: ANN001, ANN202
    from django.http import JsonResponse

    return JsonResponse(error_body(NOT_FOUND, "not_found"), status=404)


urlpatterns = [
    *route("projects/", name="api-project-list",
           get=projects.ProjectListApi, post=projects.ProjectCreateApi),
    *route("projects/<int:project_id>/", name="api-project-detail",
           get=projects.ProjectDetailApi, patch=projects.ProjectUpdateApi,
           delete=projects.ProjectDeleteApi),
    *route("projects/<int:project_id>/videos/", name="api-video-list",
           get=videos.VideoListApi, post=videos.VideoUploadApi),
    *route("videos/<int:video_id>/", name="api-video-detail",
           get=videos.VideoDetailApi, delete=videos.VideoDeleteApi),
    *route("videos/<int:video_id>/proxy/", name="api-video-proxy", get=videos.VideoProxyApi),
    *route("videos/<int:video_id>/poster/", name="api-video-poster", get=videos.VideoPosterApi),
    *route("projects/<int:project_id>/runs/", name="api-run-list",
           get=runs.RunListApi, post=runs.RunStartApi),
    *route("runs/<int:run_id>/", name="api-run-detail", get=runs.RunDetailApi),
    *route("runs/<int:run_id>/cancel/", name="api-run-cancel", post=runs.RunCancelApi),
    *route("runs/<int:run_id>/results/", name="api-run-results", get=runs.RunResultsApi),
    *route("runs/<int:run_id>/offsets/<int:video_id>/", name="api-offset-adjust",
           patch=runs.OffsetAdjustApi),
    *route("runs/<int:run_id>/renders/", name="api-render-list",
           get=renders.RenderListApi, post=renders.RenderStartApi),
    *route("renders/<int:render_id>/", name="api-render-detail",
           get=renders.RenderDetailApi, delete=renders.RenderDeleteApi),
    *route("renders/<int:render_id>/outputs/<int:output_id>/", name="api-render-output",
           get=renders.RenderOutputDownloadApi),
    *route("renders/<int:render_id>/zip/", name="api-render-zip", get=renders.RenderZipApi),
    # Anything else under /api/v1/ answers in the API's error format, not an HTML page.
    re_path(r"^", _not_found),  # any rest, newlines and all
]  # fmt: skip
