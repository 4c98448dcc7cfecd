"""Renders (synced files): start, list per run, status, delete, one file (Range), the ZIP."""

from __future__ import annotations

from pathlib import PurePath

from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import downloads, selectors, services
from projects.api.downloads import DownloadApi, binary_responses
from projects.api.errors import error_responses
from projects.api.pagination import PageNumberPagination
from projects.errors import RENDER_ALREADY_FINISHED
from projects.models import Render, RenderOutput
from projects.services import ServiceError
from projects.views.present import stage_label
from projects.views.present_exports import output_size_bytes
from syncengine.constants import RENDER_MODES
from syncengine.editors import FORMATS
from syncengine.verify import WINDOWS

__all__ = [
    "RenderCancelApi",
    "RenderDeleteApi",
    "RenderDetailApi",
    "RenderListApi",
    "RenderOutputDownloadApi",
    "RenderOutputSerializer",
    "RenderStartApi",
    "RenderZipApi",
]

# Synced files keep their source container.
OUTPUT_MEDIA_TYPES = (
    "video/mp4",
    "video/quicktime",
    "video/x-matroska",
    "video/webm",
    "application/octet-stream",
)


def _absolute(context: dict, url: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


class _WindowSerializer(serializers.Serializer):
    at = serializers.CharField(
        help_text=f"where in the file's overlap with the reference's file: {', '.join(WINDOWS)}, "
        "or whole (one window over an overlap too short for three)"
    )
    clip = serializers.CharField(
        required=False, help_text="in a per-camera file: the clip the window is in"
    )
    time_s = serializers.FloatField(
        allow_null=True, help_text="where the window is on the file's timeline; null: not known"
    )
    picture_s = serializers.FloatField(
        allow_null=True, help_text="picture residual in the window, seconds; null: not measured"
    )
    sound_s = serializers.FloatField(
        allow_null=True,
        help_text="sound residual against the reference's file in the window, seconds (positive: "
        "late); null: not measured",
    )
    master_s = serializers.FloatField(
        allow_null=True,
        help_text="the master audio's sound against the camera's own scratch sound, seconds; "
        "null: no master audio in this file or not measured",
    )


class _FileSerializer(serializers.ModelSerializer):
    camera_id = serializers.IntegerField(
        allow_null=True, help_text="the camera whose clips this file holds; null: none"
    )
    windows = _WindowSerializer(
        many=True,
        help_text="the verification at the start, the middle and the end of the file's overlap "
        "with the reference's file; empty when not measured in windows",
    )
    name = serializers.SerializerMethodField()
    size_bytes = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = RenderOutput
        fields = [
            "id",
            "video_id",
            "camera_id",
            "name",
            "duration_s",
            "lead_s",
            "residual_s",
            "windows",
            "size_bytes",
            "download_url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_name(self, output: RenderOutput) -> str:
        return PurePath(output.file.name).name

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_size_bytes(self, output: RenderOutput) -> int | None:
        return output_size_bytes(output)

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, output: RenderOutput) -> str:
        url = reverse("api-render-output", args=[output.render_id, output.pk])
        return _absolute(self.context, url)


class RenderOutputSerializer(serializers.ModelSerializer):
    run_id = serializers.IntegerField()
    status_label = serializers.CharField(source="get_status_display")
    stage_label = serializers.SerializerMethodField()
    finished = serializers.SerializerMethodField()
    out_of_date = serializers.SerializerMethodField(
        help_text="offsets were adjusted after this render: render again to use them"
    )
    outputs = serializers.SerializerMethodField()
    zip_url = serializers.SerializerMethodField(help_text="'' until the render is done")

    class Meta:
        model = Render
        fields = [
            "id",
            "run_id",
            "mode",
            "reencode",
            "audio",
            "layout",
            "start_timecode",
            "correct_skew",
            "status",
            "status_label",
            "stage",
            "stage_label",
            "progress",
            "finished",
            "verified",
            "max_residual_s",
            "tolerance_s",
            "timeline_start_s",
            "timeline_duration_s",
            "placed_offsets",
            "out_of_date",
            "notes",
            "error_code",
            "error_message",
            "created_at",
            "started_at",
            "finished_at",
            "elapsed_s",
            "outputs",
            "zip_url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_stage_label(self, render: Render) -> str:
        return stage_label(render.stage)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_finished(self, render: Render) -> bool:
        return not render.is_active

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_out_of_date(self, render: Render) -> bool:
        current = self.context.get("current_offsets")
        return selectors.render_out_of_date(render=render, current=current)

    @extend_schema_field(_FileSerializer(many=True))
    def get_outputs(self, render: Render) -> list:
        if render.status != Render.Status.DONE:
            return []
        return _FileSerializer(render.outputs.all(), many=True, context=self.context).data

    @extend_schema_field(OpenApiTypes.STR)
    def get_zip_url(self, render: Render) -> str:
        if render.status != Render.Status.DONE:
            return ""
        return _absolute(self.context, reverse("api-render-zip", args=[render.pk]))


class RenderStartApi(APIView):
    throttle_scope = "renders"

    class InputSerializer(serializers.Serializer):
        mode = serializers.ChoiceField(
            choices=[(mode, mode) for mode in RENDER_MODES],
            default=RENDER_MODES[0],
            help_text="union: one timeline that loses no footage; reference: starts at the "
            "reference's t=0",
        )
        reencode = serializers.BooleanField(
            default=True, help_text="false: stream copy (fast, lossless, can only cut)"
        )
        audio = serializers.ChoiceField(
            choices=Render.Audio.choices,
            default=Render.Audio.CAMERA,
            help_text="camera: each camera's own sound; master: the project's master audio "
            "instead; master_and_camera: the master first, the camera's sound second (both "
            "master modes need the project's master_audio, placed by the run: 400 otherwise)",
        )
        layout = serializers.ChoiceField(
            choices=Render.Layout.choices,
            default=Render.Layout.CLIP,
            help_text="clip: one file per clip; camera: one file per camera, its clips on one "
            "timeline with black and silence between them",
        )
        start_timecode = serializers.CharField(
            default="",
            allow_blank=True,
            max_length=11,
            help_text="one start timecode stamped into every file, HH:MM:SS:FF (HH:MM:SS;FF: "
            "drop frame at 29.97/59.94); empty: none",
        )
        correct_skew = serializers.BooleanField(
            default=False,
            help_text="move the sound of each clip whose own sound the sync found running off "
            "its own picture (the offset's sound_skew_s) back to its picture; clips without a "
            "skew are untouched; needs reencode (400 with a copy)",
        )

    @extend_schema(
        operation_id="renders_start",
        tags=["renders"],
        request=InputSerializer,
        responses={201: RenderOutputSerializer, **error_responses(400, 409, 415, 429)},
    )
    def post(self, request: Request, run_id: int) -> Response:
        """Write synced files for a finished run at its effective offsets, then verify them."""
        run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        render = services.render_start(run=run, **serializer.validated_data)
        render.refresh_from_db()  # in synchronous mode the render has already run
        data = RenderOutputSerializer(render, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class RenderListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="renders_list",
        tags=["renders"],
        responses={200: RenderOutputSerializer(many=True), **error_responses()},
    )
    def get(self, request: Request, run_id: int) -> Response:
        """The run's renders, newest first."""
        run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.render_list_for_run(run=run), request, self)
        context = {"request": request, "current_offsets": selectors.placed_offsets_for_run(run=run)}
        data = RenderOutputSerializer(page, many=True, context=context).data
        return paginator.get_paginated_response(data)


class RenderDetailApi(APIView):
    @extend_schema(
        operation_id="renders_read",
        tags=["renders"],
        responses={200: RenderOutputSerializer, **error_responses()},
    )
    def get(self, request: Request, render_id: int) -> Response:
        """Stage, progress, verification, residuals, and the files with their download URLs."""
        render = selectors.render_get_for_user(user=request.user, render_id=render_id)
        return Response(RenderOutputSerializer(render, context={"request": request}).data)


class RenderCancelApi(APIView):
    @extend_schema(
        operation_id="renders_cancel",
        tags=["renders"],
        request=None,
        responses={200: RenderOutputSerializer, **error_responses(409)},
    )
    def post(self, request: Request, render_id: int) -> Response:
        """Stop a queued or running render (its files are removed); 409 when it had finished."""
        render = selectors.render_get_for_user(user=request.user, render_id=render_id)
        if not services.job_cancel(job=render):
            raise ServiceError(RENDER_ALREADY_FINISHED, code="render_finished")
        render.refresh_from_db()
        return Response(RenderOutputSerializer(render, context={"request": request}).data)


class RenderDeleteApi(APIView):
    @extend_schema(
        operation_id="renders_delete",
        tags=["renders"],
        responses={204: None, **error_responses(409)},
    )
    def delete(self, request: Request, render_id: int) -> Response:
        """Delete the render and its files; 409 while it is still being made."""
        render = selectors.render_get_for_user(user=request.user, render_id=render_id)
        services.render_delete(render=render)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RenderOutputDownloadApi(DownloadApi):
    @extend_schema(
        operation_id="renders_output_download",
        tags=["renders"],
        responses={**binary_responses(*OUTPUT_MEDIA_TYPES), **error_responses(409)},
    )
    def get(self, request: Request, render_id: int, output_id: int) -> HttpResponse:
        """One ``{name}_synced.{ext}`` as an attachment; HTTP Range gives 206."""
        render = selectors.render_get_for_user(user=request.user, render_id=render_id)
        output = render.outputs.filter(pk=output_id).first()
        if output is None:
            raise Http404("no such file")
        return downloads.render_output_response(request, output)


class RenderZipApi(DownloadApi):
    class InputSerializer(serializers.Serializer):
        timeline = serializers.ChoiceField(
            choices=[(slug, slug) for slug in FORMATS],
            required=False,
            help_text="also put the editor timeline of this format in the ZIP, beside the synced "
            "files it names by relative path (edl: one EDL per camera); default: the synced "
            "files only",
        )

    @extend_schema(
        operation_id="renders_zip",
        tags=["renders"],
        parameters=[InputSerializer],
        responses={
            **binary_responses("application/zip", ranges=False),
            **error_responses(400, 409),
        },
    )
    def get(self, request: Request, render_id: int) -> HttpResponse:
        """Every synced file of the render in one ZIP, streamed as it is built (and the editor
        timeline with ``?timeline=``)."""
        render = selectors.render_get_for_user(user=request.user, render_id=render_id)
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        timeline = params.validated_data.get("timeline")
        return downloads.render_zip_response(request, render, timeline=timeline)
