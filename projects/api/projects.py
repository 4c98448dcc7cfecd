"""Projects: list, create, read, update (PATCH), delete."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import selectors, services
from projects.api.errors import error_responses
from projects.api.pagination import PageNumberPagination
from projects.models import Project

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


class ProjectOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "name", "notes", "created_at", "updated_at"]
        read_only_fields = fields


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

    @extend_schema(
        operation_id="projects_update",
        tags=["projects"],
        request=InputSerializer,
        responses={200: ProjectOutputSerializer, **error_responses(400, 415)},
    )
    def patch(self, request: Request, project_id: int) -> Response:
        """Change the name and/or the notes; fields left out stay as they are."""
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_update(project=project, **serializer.validated_data)
        return Response(ProjectOutputSerializer(project).data)


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
