"""Cameras: a project's devices and their clips; regrouping (move a clip, rename, merge)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import errors, selectors
from projects.api.errors import error_responses
from projects.api.pagination import PageNumberPagination
from projects.api.routing import ID_MAX
from projects.api.videos import VideoOutputSerializer
from projects.models import Camera, Project, Video
from projects.services import ServiceError
from projects.services import cameras as camera_services

__all__ = [
    "CameraCreateApi",
    "CameraDeleteApi",
    "CameraDetailApi",
    "CameraListApi",
    "CameraMergeApi",
    "CameraOutputSerializer",
    "CameraUpdateApi",
    "VideoCameraSetApi",
]

_NAME_MAX = Camera._meta.get_field("name").max_length


class CameraClipSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")

    class Meta:
        model = Video
        fields = ["id", "name", "has_video", "has_audio", "duration_s", "creation_time"]
        read_only_fields = fields


class CameraOutputSerializer(serializers.ModelSerializer):
    project_id = serializers.IntegerField()
    grouped_by_label = serializers.CharField(
        source="get_grouped_by_display", help_text="why these clips are one camera, for a person"
    )
    sound_only = serializers.SerializerMethodField(
        help_text="every clip is audio-only (an external recorder)"
    )
    clips = serializers.SerializerMethodField(help_text="the camera's clips in time order")

    class Meta:
        model = Camera
        fields = [
            "id",
            "project_id",
            "name",
            "position",
            "device",
            "grouped_by",
            "grouped_by_label",
            "sound_only",
            "clips",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_sound_only(self, camera: Camera) -> bool:
        clips = list(camera.clips.all())
        return bool(clips) and not any(c.has_video for c in clips)

    @extend_schema_field(CameraClipSerializer(many=True))
    def get_clips(self, camera: Camera) -> list[dict[str, Any]]:
        ordered = camera_services.clips_in_time_order(list(camera.clips.all()))
        return CameraClipSerializer(ordered, many=True).data  # type: ignore[return-value]


def _videos_of(project: Project, ids: list[int], field: str) -> list[Video]:
    found = {v.pk: v for v in project.videos.filter(pk__in=ids)}
    if len(found) != len(set(ids)):
        message = errors.CAMERA_VIDEO_NOT_IN_PROJECT
        raise ServiceError(message, code="video_not_in_project", fields={field: [message]})
    return [found[i] for i in dict.fromkeys(ids)]


def _camera_of(project_id: int, camera_id: int, field: str) -> Camera:
    camera = Camera.objects.filter(project_id=project_id, pk=camera_id).first()
    if camera is None:
        message = errors.CAMERA_NOT_IN_PROJECT
        raise ServiceError(message, code="camera_not_in_project", fields={field: [message]})
    return camera


def _read(camera_id: int) -> Camera:
    return Camera.objects.prefetch_related("clips").get(pk=camera_id)


class CameraListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="cameras_list",
        tags=["cameras"],
        responses={200: CameraOutputSerializer(many=True), **error_responses()},
    )
    def get(self, request: Request, project_id: int) -> Response:
        """The project's cameras in order, each with its clips in time order.

        Videos uploaded before cameras existed get a camera each on first read.
        """
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        camera_services.cameras_ensure(project=project)
        paginator = self.pagination_class()
        cameras = selectors.camera_list_for_project(project=project)
        page = paginator.paginate_queryset(cameras, request, view=self)
        return paginator.get_paginated_response(CameraOutputSerializer(page, many=True).data)


class CameraCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(
            max_length=_NAME_MAX,
            required=False,
            allow_blank=True,
            help_text="'' or omitted: named after its first clip",
        )
        video_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
            min_length=1,
            max_length=1000,
            help_text="the clips it holds; they leave their cameras (an emptied camera is deleted)",
            error_messages={"min_length": errors.CAMERA_NEEDS_CLIPS},
        )

    @extend_schema(
        operation_id="cameras_create",
        tags=["cameras"],
        request=InputSerializer,
        responses={201: CameraOutputSerializer, **error_responses(400, 415)},
    )
    def post(self, request: Request, project_id: int) -> Response:
        """A new camera (grouped by hand) holding the given clips."""
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        videos = _videos_of(project, data["video_ids"], "video_ids")
        camera = camera_services.camera_create(
            project=project, videos=videos, name=data.get("name", "")
        )
        return Response(
            CameraOutputSerializer(_read(camera.pk)).data, status=status.HTTP_201_CREATED
        )


class CameraDetailApi(APIView):
    @extend_schema(
        operation_id="cameras_read",
        tags=["cameras"],
        responses={200: CameraOutputSerializer, **error_responses()},
    )
    def get(self, request: Request, camera_id: int) -> Response:
        camera = selectors.camera_get_for_user(user=request.user, camera_id=camera_id)
        return Response(CameraOutputSerializer(camera).data)


class CameraUpdateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(
            max_length=_NAME_MAX,
            required=False,
            error_messages={"blank": errors.CAMERA_NAME_EMPTY},
        )
        position = serializers.IntegerField(
            min_value=0, max_value=10_000, required=False, help_text="place in the project's order"
        )

    @extend_schema(
        operation_id="cameras_update",
        tags=["cameras"],
        request=InputSerializer,
        responses={200: CameraOutputSerializer, **error_responses(400, 415)},
    )
    def patch(self, request: Request, camera_id: int) -> Response:
        """Rename the camera and/or move it in the project's order."""
        camera = selectors.camera_get_for_user(user=request.user, camera_id=camera_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        camera_services.camera_update(camera=camera, **serializer.validated_data)
        return Response(CameraOutputSerializer(_read(camera.pk)).data)


class CameraDeleteApi(APIView):
    @extend_schema(
        operation_id="cameras_delete", tags=["cameras"], responses={204: None, **error_responses()}
    )
    def delete(self, request: Request, camera_id: int) -> Response:
        """Ungroup: each of its clips gets a camera of its own; no clip is deleted."""
        camera = selectors.camera_get_for_user(user=request.user, camera_id=camera_id)
        camera_services.camera_delete(camera=camera)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CameraMergeApi(APIView):
    class InputSerializer(serializers.Serializer):
        into = serializers.IntegerField(
            min_value=1,
            max_value=ID_MAX,
            help_text="the camera of the same project that takes the clips",
        )

    @extend_schema(
        operation_id="cameras_merge",
        tags=["cameras"],
        request=InputSerializer,
        responses={200: CameraOutputSerializer, **error_responses(400, 415)},
    )
    def post(self, request: Request, camera_id: int) -> Response:
        """Move every clip of this camera into ``into`` and delete this one; answers ``into``."""
        camera = selectors.camera_get_for_user(user=request.user, camera_id=camera_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        into = _camera_of(camera.project_id, serializer.validated_data["into"], "into")
        into = camera_services.camera_merge(camera=camera, into=into)
        return Response(CameraOutputSerializer(_read(into.pk)).data)


class VideoCameraSetApi(APIView):
    class InputSerializer(serializers.Serializer):
        camera = serializers.IntegerField(
            allow_null=True,
            min_value=1,
            max_value=ID_MAX,
            help_text="a camera of the video's project; null: a new camera of its own",
        )

    @extend_schema(
        operation_id="videos_update",
        tags=["videos"],
        request=InputSerializer,
        responses={200: VideoOutputSerializer, **error_responses(400, 415)},
    )
    def patch(self, request: Request, video_id: int) -> Response:
        """Move the video to another camera of its project, or (null) to a new one.

        The camera it leaves is deleted once it holds no clip.
        """
        video = selectors.video_get_for_user(user=request.user, video_id=video_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        camera_id = serializer.validated_data["camera"]
        camera = None if camera_id is None else _camera_of(video.project_id, camera_id, "camera")
        camera_services.video_camera_set(video=video, camera=camera)
        video.refresh_from_db()
        return Response(VideoOutputSerializer(video, context={"request": request}).data)
