"""Projects: list, create, read, update (PATCH), delete."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import errors, selectors, services
from projects.api.errors import error_responses
from projects.api.pagination import PageNumberPagination
from projects.api.routing import ID_MAX
from projects.models import Project, Video
from projects.services import ServiceError

__all__ = [
    "ProjectCreateApi",
    "ProjectDeleteApi",
    "ProjectDetailApi",
    "ProjectListApi",
    "ProjectOutputSerializer",
    "ProjectUpdateApi",
]

_NAME_MAX = Project._meta.get_field("name").max_length
_NOTES_MAX = 10_000
_CHANNEL_MAX = 255


class ProjectOutputSerializer(serializers.ModelSerializer):
    master_audio = serializers.IntegerField(
        source="master_audio_id",
        allow_null=True,
        help_text="the video whose sound exports can use instead of each camera's; null: none",
    )
    master_channel = serializers.SerializerMethodField(
        help_text="the master audio's channel (0-based); null: by energy (or no master audio)"
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "notes",
            "master_audio",
            "master_channel",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_master_channel(self, project: Project) -> int | None:
        # A deleted master audio leaves its channel behind (SET_NULL): it means nothing then.
        return project.master_channel if project.master_audio_id is not None else None


class ProjectListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="projects_list",
        tags=["projects"],
        responses={200: ProjectOutputSerializer(many=True), **error_responses()},
    )
    def get(self, request: Request) -> Response:
        """The caller's projects, most recently changed first."""
        paginator = self.pagination_class()
        projects = selectors.project_list_for_user(user=request.user)
        page = paginator.paginate_queryset(projects, request, view=self)
        return paginator.get_paginated_response(ProjectOutputSerializer(page, many=True).data)


class ProjectCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=_NAME_MAX)
        notes = serializers.CharField(max_length=_NOTES_MAX, required=False, allow_blank=True)

    @extend_schema(
        operation_id="projects_create",
        tags=["projects"],
        request=InputSerializer,
        responses={201: ProjectOutputSerializer, **error_responses(400, 415)},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_create(owner=request.user, **serializer.validated_data)
        return Response(ProjectOutputSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(APIView):
    @extend_schema(
        operation_id="projects_read",
        tags=["projects"],
        responses={200: ProjectOutputSerializer, **error_responses()},
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        return Response(ProjectOutputSerializer(project).data)


class ProjectUpdateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=_NAME_MAX, required=False)
        notes = serializers.CharField(max_length=_NOTES_MAX, required=False, allow_blank=True)
        master_audio = serializers.IntegerField(
            required=False,
            allow_null=True,
            min_value=1,
            max_value=ID_MAX,
            help_text="a video of this project with sound (an external recorder, say); null: "
            "none. A new master audio resets the channel to 'by energy' unless one is sent",
        )
        master_channel = serializers.IntegerField(
            required=False,
            allow_null=True,
            min_value=0,
            max_value=_CHANNEL_MAX,
            help_text="0 to the master audio's channels - 1; null: the loudest by energy",
        )

    @extend_schema(
        operation_id="projects_update",
        tags=["projects"],
        request=InputSerializer,
        responses={200: ProjectOutputSerializer, **error_responses(400, 415)},
    )
    def patch(self, request: Request, project_id: int) -> Response:
        """Change the name, the notes, the master audio and/or its channel; fields left out
        stay as they are.

        Refusals (400): `master_audio_not_in_project` (not a video of this project),
        `master_audio_no_sound` (a clip without sound), `master_channel_invalid` (out of the
        master's channels, or no master audio).
        """
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(serializer.validated_data)
        if data.get("master_audio") is not None:
            data["master_audio"] = _project_video(project, data["master_audio"])
        project = services.project_update(project=project, **data)
        return Response(ProjectOutputSerializer(project).data)


def _project_video(project: Project, video_id: int) -> Video:
    """A video of ``project``; another project's (or user's, or none) is the same 400."""
    video = selectors.video_list_for_project(project=project).filter(pk=video_id).first()
    if video is None:
        message = errors.MASTER_AUDIO_NOT_IN_PROJECT
        raise ServiceError(
            message, code="master_audio_not_in_project", fields={"master_audio": [message]}
        )
    return video


class ProjectDeleteApi(APIView):
    @extend_schema(
        operation_id="projects_delete",
        tags=["projects"],
        responses={204: None, **error_responses()},
    )
    def delete(self, request: Request, project_id: int) -> Response:
        """Delete the project with its videos, runs, renders and all their files."""
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        services.project_delete(project=project)
        return Response(status=status.HTTP_204_NO_CONTENT)
