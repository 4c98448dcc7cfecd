"""Videos: upload (multipart, streamed to disk), list per project, read, delete, proxy/poster."""

from __future__ import annotations

from pathlib import Path

from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import parsers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import errors, selectors, services
from projects.api.downloads import DownloadApi, binary_responses
from projects.api.errors import error_responses, upload_too_large_message
from projects.api.pagination import PageNumberPagination
from projects.models import Video
from projects.services import ServiceError
from projects.views.files import ranged_file_response

__all__ = [
    "NO_FILE",
    "VideoDeleteApi",
    "VideoDetailApi",
    "VideoListApi",
    "VideoOutputSerializer",
    "VideoPosterApi",
    "VideoProxyApi",
    "VideoUploadApi",
]

NO_FILE = "Choose a video file to upload."


class VideoOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")
    project_id = serializers.IntegerField()
    status_label = serializers.CharField(
        source="get_status_display", help_text="the preview status, for a person to read"
    )
    proxy_url = serializers.SerializerMethodField(help_text="browser-friendly MP4; '' until ready")
    poster_url = serializers.SerializerMethodField(help_text="JPEG still; '' until ready")

    class Meta:
        model = Video
        fields = [
            "id",
            "project_id",
            "name",
            "size_bytes",
            "position",
            "status",
            "status_label",
            "error_message",
            "container",
            "duration_s",
            "fps",
            "variable_fps",
            "width",
            "height",
            "rotation_deg",
            "video_codec",
            "has_audio",
            "audio_codec",
            "sample_rate_hz",
            "channels",
            "creation_time",
            "timecode",
            "has_video",
            "metadata",
            "camera",
            "created_at",
            "proxy_url",
            "poster_url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_proxy_url(self, video: Video) -> str:
        return self._url(video, "proxy") if video.proxy else ""

    @extend_schema_field(OpenApiTypes.STR)
    def get_poster_url(self, video: Video) -> str:
        return self._url(video, "poster") if video.poster else ""

    def _url(self, video: Video, kind: str) -> str:
        url = reverse(f"api-video-{kind}", args=[video.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class VideoListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="videos_list",
        tags=["videos"],
        responses={200: VideoOutputSerializer(many=True), **error_responses()},
    )
    def get(self, request: Request, project_id: int) -> Response:
        """The project's videos in upload order."""
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        paginator = self.pagination_class()
        videos = selectors.video_list_for_project(project=project)
        page = paginator.paginate_queryset(videos, request, view=self)
        data = VideoOutputSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class VideoUploadApi(APIView):
    # Multipart only: Django's upload handlers (SizeLimitedUploadHandler, then the temporary
    # file handler) stream the body to disk, so no upload is ever held in memory.
    parser_classes = [parsers.MultiPartParser]
    throttle_scope = "uploads"

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True, help_text="the video, one per request")

    @extend_schema(
        operation_id="videos_upload",
        tags=["videos"],
        request={"multipart/form-data": InputSerializer},
        responses={201: VideoOutputSerializer, **error_responses(400, 413, 415, 429, 507)},
    )
    def post(self, request: Request, project_id: int) -> Response:
        """Upload one video; it is probed at once and refused if it is not readable media.

        Refusals (400, nothing stored): `unreadable_media`, `unsupported_media`,
        `picture_too_large` (above 7680x4320 pixels, or 8192 on either side) and `too_long`
        (a declared duration above 6 hours), both read from the headers before any decoding.
        The name is kept for display; the file is stored under a bounded, safe form of it.
        No room on the server (temporary or media folder) answers 507 `disk_full`, nothing stored.
        The browser preview (proxy, poster) is made in the background: ``status`` says when.
        """
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        files = request.FILES  # parsing the body runs the upload handlers
        too_large = getattr(request, "upload_too_large", None)  # set by SizeLimitedUploadHandler
        if too_large is not None:
            raise ServiceError(upload_too_large_message(too_large), code="upload_too_large")
        disk_full = getattr(request, "upload_disk_full", None)  # the temporary folder filled
        if disk_full is not None:
            raise ServiceError(errors.DISK_FULL.format(name=disk_full), code="disk_full")
        serializer = self.InputSerializer(data=files)
        if not serializer.is_valid():
            raise ServiceError(NO_FILE, code="no_file", fields=serializer.errors)
        video = services.video_add(project=project, upload=serializer.validated_data["file"])
        data = VideoOutputSerializer(video, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class VideoDetailApi(APIView):
    @extend_schema(
        operation_id="videos_read",
        tags=["videos"],
        responses={200: VideoOutputSerializer, **error_responses()},
    )
    def get(self, request: Request, video_id: int) -> Response:
        """Probed metadata, preview status and the proxy/poster URLs."""
        video = selectors.video_get_for_user(user=request.user, video_id=video_id)
        return Response(VideoOutputSerializer(video, context={"request": request}).data)


class VideoDeleteApi(APIView):
    @extend_schema(
        operation_id="videos_delete", tags=["videos"], responses={204: None, **error_responses()}
    )
    def delete(self, request: Request, video_id: int) -> Response:
        video = selectors.video_get_for_user(user=request.user, video_id=video_id)
        services.video_delete(video=video)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _media_response(request: Request, video: Video, kind: str, content_type: str) -> HttpResponse:
    field = video.proxy if kind == "proxy" else video.poster
    if not field:
        raise Http404("not ready")
    try:
        return ranged_file_response(request, Path(field.path), content_type=content_type)
    except FileNotFoundError:
        raise Http404("file missing") from None


class VideoProxyApi(DownloadApi):
    @extend_schema(
        operation_id="videos_proxy",
        tags=["videos"],
        responses={**binary_responses("video/mp4"), **error_responses()},
    )
    def get(self, request: Request, video_id: int) -> HttpResponse:
        """The browser proxy (H.264/AAC MP4), with HTTP Range; 404 until it is ready."""
        video = selectors.video_get_for_user(user=request.user, video_id=video_id)
        return _media_response(request, video, "proxy", "video/mp4")


class VideoPosterApi(DownloadApi):
    @extend_schema(
        operation_id="videos_poster",
        tags=["videos"],
        responses={**binary_responses("image/jpeg"), **error_responses()},
    )
    def get(self, request: Request, video_id: int) -> HttpResponse:
        """The poster still (JPEG); 404 until it is ready."""
        video = selectors.video_get_for_user(user=request.user, video_id=video_id)
        return _media_response(request, video, "poster", "image/jpeg")
