"""``/api/v1/`` routes: one dispatcher per path, one APIView per operation (see ``route``)."""

from __future__ import annotations

from django.urls import re_path, register_converter
from django.views.decorators.csrf import csrf_exempt

from projects.api import cameras, projects, renders, runs, timelines, videos
from projects.api.errors import NOT_FOUND, error_body
from projects.api.routing import IdConverter, route

__all__ = ["urlpatterns"]

register_converter(IdConverter, "id")


@csrf_exempt
def _not_found(request, *args, **kwargs):  # noqa: ANN001, ANN202
    from django.http import JsonResponse

    return JsonResponse(error_body(NOT_FOUND, "not_found"), status=404)


urlpatterns = [
    *route(
        "projects/",
        name="api-project-list",
        get=projects.ProjectListApi,
        post=projects.ProjectCreateApi,
    ),
    *route(
        "projects/<id:project_id>/",
        name="api-project-detail",
        get=projects.ProjectDetailApi,
        patch=projects.ProjectUpdateApi,
        delete=projects.ProjectDeleteApi,
    ),
    *route(
        "projects/<id:project_id>/videos/",
        name="api-video-list",
        get=videos.VideoListApi,
        post=videos.VideoUploadApi,
    ),
    *route(
        "videos/<id:video_id>/",
        name="api-video-detail",
        get=videos.VideoDetailApi,
        patch=cameras.VideoCameraSetApi,
        delete=videos.VideoDeleteApi,
    ),
    *route(
        "projects/<id:project_id>/cameras/",
        name="api-camera-list",
        get=cameras.CameraListApi,
        post=cameras.CameraCreateApi,
    ),
    *route(
        "cameras/<id:camera_id>/",
        name="api-camera-detail",
        get=cameras.CameraDetailApi,
        patch=cameras.CameraUpdateApi,
        delete=cameras.CameraDeleteApi,
    ),
    *route("cameras/<id:camera_id>/merge/", name="api-camera-merge", post=cameras.CameraMergeApi),
    *route("videos/<id:video_id>/proxy/", name="api-video-proxy", get=videos.VideoProxyApi),
    *route("videos/<id:video_id>/poster/", name="api-video-poster", get=videos.VideoPosterApi),
    *route(
        "projects/<id:project_id>/runs/",
        name="api-run-list",
        get=runs.RunListApi,
        post=runs.RunStartApi,
    ),
    *route("runs/<id:run_id>/", name="api-run-detail", get=runs.RunDetailApi),
    *route("runs/<id:run_id>/cancel/", name="api-run-cancel", post=runs.RunCancelApi),
    *route("runs/<id:run_id>/results/", name="api-run-results", get=runs.RunResultsApi),
    *route("runs/<id:run_id>/check-sheet/", name="api-run-check-sheet", get=runs.RunCheckSheetApi),
    *route(
        "runs/<id:run_id>/offsets/<id:video_id>/",
        name="api-offset-adjust",
        patch=runs.OffsetAdjustApi,
    ),
    *route(
        "runs/<id:run_id>/renders/",
        name="api-render-list",
        get=renders.RenderListApi,
        post=renders.RenderStartApi,
    ),
    *route(
        "renders/<id:render_id>/",
        name="api-render-detail",
        get=renders.RenderDetailApi,
        delete=renders.RenderDeleteApi,
    ),
    *route(
        "renders/<id:render_id>/outputs/<id:output_id>/",
        name="api-render-output",
        get=renders.RenderOutputDownloadApi,
    ),
    *route("renders/<id:render_id>/zip/", name="api-render-zip", get=renders.RenderZipApi),
    *route(
        "renders/<id:render_id>/cancel/", name="api-render-cancel", post=renders.RenderCancelApi
    ),
    *route(
        "runs/<id:run_id>/timeline/<str:fmt>/",
        name="api-run-timeline",
        get=timelines.RunTimelineApi,
    ),
    # Anything else under /api/v1/ answers in the API's error format, not an HTML page.
    re_path(r"^", _not_found),  # any rest, newlines and all
]
