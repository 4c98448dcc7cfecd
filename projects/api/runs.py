"""Sync runs: start, list per project, read, cancel; results (offsets) and manual adjustments."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import errors, selectors, services
from projects.api.downloads import DownloadApi, binary_responses
from projects.api.errors import error_responses
from projects.api.pagination import PageNumberPagination
from projects.api.routing import ID_MAX
from projects.models import SyncRun, VideoOffset
from projects.services import ServiceError
from projects.services.runs import MAX_OFFSET_S
from projects.views import present
from projects.views.check_sheets import check_sheet_response
from syncengine.constants import DEFAULT_MAX_LAG_S

__all__ = [
    "ADJUST_MISSING",
    "ADJUST_NOT_A_NUMBER",
    "ADJUST_OUT_OF_RANGE",
    "ALREADY_FINISHED",
    "OffsetAdjustApi",
    "RunCancelApi",
    "RunCheckSheetApi",
    "RunDetailApi",
    "RunListApi",
    "RunOutputSerializer",
    "RunResultsApi",
    "RunStartApi",
]

ALREADY_FINISHED = "This sync had already finished; nothing to cancel."


class RunOutputSerializer(serializers.ModelSerializer):
    project_id = serializers.IntegerField()
    reference_video_id = serializers.IntegerField(allow_null=True, source="reference_id")
    status_label = serializers.CharField(source="get_status_display")
    stage_label = serializers.SerializerMethodField()
    finished = serializers.SerializerMethodField(help_text="done, failed or cancelled")
    results_url = serializers.SerializerMethodField()

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "project_id",
            "method",
            "reference_video_id",
            "max_offset_s",
            "status",
            "status_label",
            "stage",
            "stage_label",
            "progress",
            "finished",
            "error_code",
            "error_message",
            "engine_version",
            "created_at",
            "started_at",
            "finished_at",
            "elapsed_s",
            "results_url",
        ]
        read_only_fields = fields
        extra_kwargs = {"progress": {"help_text": "fraction of the whole run done, 0-1"}}

    @extend_schema_field(OpenApiTypes.STR)
    def get_stage_label(self, run: SyncRun) -> str:
        return present.stage_label(run.stage)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_finished(self, run: SyncRun) -> bool:
        return not run.is_active

    @extend_schema_field(OpenApiTypes.URI)
    def get_results_url(self, run: SyncRun) -> str:
        url = reverse("api-run-results", args=[run.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class OffsetOutputSerializer(serializers.ModelSerializer):
    video_name = serializers.CharField(source="video.original_name")
    effective_offset_s = serializers.FloatField(
        allow_null=True, help_text="the manual offset when set, else the estimate"
    )
    placed = serializers.SerializerMethodField(
        help_text="on the shared timeline, in exports and editor timelines: synced by the "
        "engine or placed by hand (a manual offset)"
    )
    warnings = serializers.SerializerMethodField()
    reason = serializers.SerializerMethodField(
        help_text="why the engine could not place this video (its first note); null when synced"
    )
    drift_points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        help_text="the measured offset along the overlap: [[reference time s, offset s], ...]",
    )
    camera_id = serializers.IntegerField(
        source="video.camera_id", allow_null=True, help_text="the video's camera (now)"
    )
    camera_name = serializers.CharField(
        source="video.camera.name", allow_null=True, default=None, help_text="its name"
    )

    class Meta:
        model = VideoOffset
        fields = [
            "video_id",
            "video_name",
            "is_reference",
            "synced",
            "offset_s",
            "confidence",
            "band",
            "audio_offset_s",
            "audio_confidence",
            "visual_offset_s",
            "visual_confidence",
            "audio_video_diff_s",
            "drift_ppm",
            "drift_points",
            "placed_by",
            "sound_skew_s",
            "camera_id",
            "camera_name",
            "residual_s",
            "loop_residual_s",
            "loops_closed",
            "notes",
            "warnings",
            "reason",
            "manual_offset_s",
            "manual_updated_at",
            "effective_offset_s",
            "placed",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_placed(self, offset: VideoOffset) -> bool:
        return selectors.offset_is_placed(offset)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_warnings(self, offset: VideoOffset) -> list[str]:
        return present.offset_rows([offset])[0].warnings

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reason(self, offset: VideoOffset) -> str | None:
        return present.not_synced_reason(offset)


class ResultsOutputSerializer(serializers.Serializer):
    run = RunOutputSerializer()
    sign_convention = serializers.CharField()
    offsets = OffsetOutputSerializer(many=True)


class RunListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="runs_list",
        tags=["runs"],
        responses={200: RunOutputSerializer(many=True), **error_responses()},
    )
    def get(self, request: Request, project_id: int) -> Response:
        """The project's sync runs, newest first."""
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        paginator = self.pagination_class()
        runs = selectors.sync_run_list_for_project(project=project)
        page = paginator.paginate_queryset(runs, request, view=self)
        data = RunOutputSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class RunStartApi(APIView):
    throttle_scope = "runs"

    class InputSerializer(serializers.Serializer):
        method = serializers.ChoiceField(choices=SyncRun.Method.choices, default="auto")
        reference_video_id = serializers.IntegerField(
            required=False,
            allow_null=True,
            min_value=1,
            max_value=ID_MAX,
            help_text="offsets are measured on this video's timeline; default: the first upload",
        )
        max_offset_s = serializers.FloatField(
            default=DEFAULT_MAX_LAG_S,
            allow_null=True,
            min_value=0.1,
            max_value=MAX_OFFSET_S,
            help_text="narrows the search to cameras started at most this many seconds apart; "
            "null or omitted (the default): the whole overlap",
        )

    @extend_schema(
        operation_id="runs_start",
        tags=["runs"],
        request=InputSerializer,
        responses={201: RunOutputSerializer, **error_responses(400, 409, 415, 429)},
    )
    def post(self, request: Request, project_id: int) -> Response:
        """Queue a sync of all the project's videos; poll the run until ``finished``."""
        project = selectors.project_get_for_user(user=request.user, project_id=project_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        reference = None
        if data.get("reference_video_id") is not None:
            videos = selectors.video_list_for_project(project=project)
            reference = videos.filter(pk=data["reference_video_id"]).first()
            if reference is None:
                message = errors.VIDEO_NOT_IN_PROJECT
                raise ServiceError(
                    message, code="bad_reference", fields={"reference_video_id": [message]}
                )
        run = services.sync_run_start(
            project=project,
            method=data["method"],
            reference=reference,
            max_offset_s=data["max_offset_s"],
            request_id=getattr(request, "request_id", ""),
        )
        run.refresh_from_db()  # with Q_SYNC the run has already finished
        data = RunOutputSerializer(run, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class RunDetailApi(APIView):
    @extend_schema(
        operation_id="runs_read",
        tags=["runs"],
        responses={200: RunOutputSerializer, **error_responses()},
    )
    def get(self, request: Request, run_id: int) -> Response:
        """Status, stage, progress, error and timings of one run."""
        run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
        return Response(RunOutputSerializer(run, context={"request": request}).data)


class RunCancelApi(APIView):
    @extend_schema(
        operation_id="runs_cancel",
        tags=["runs"],
        request=None,
        responses={200: RunOutputSerializer, **error_responses(409)},
    )
    def post(self, request: Request, run_id: int) -> Response:
        """Cancel a queued or running run; 409 when it had already finished."""
        run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
        if not services.job_cancel(job=run):
            raise ServiceError(ALREADY_FINISHED, code="run_finished")
        run.refresh_from_db()
        return Response(RunOutputSerializer(run, context={"request": request}).data)


class RunResultsApi(APIView):
    @extend_schema(
        operation_id="runs_results",
        tags=["runs"],
        responses={200: ResultsOutputSerializer, **error_responses()},
    )
    def get(self, request: Request, run_id: int) -> Response:
        """Every video's offset with its confidence, estimates, drift and manual adjustment.

        Empty ``offsets`` until the run is done.
        """
        run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
        offsets = selectors.offsets_for_run(run=run)
        data = ResultsOutputSerializer(
            {"run": run, "sign_convention": present.SIGN_CONVENTION, "offsets": offsets},
            context={"request": request},
        ).data
        return Response(data)


ADJUST_MISSING = "Send manual_offset_s: a number of seconds, or null to go back to the estimate."
ADJUST_NOT_A_NUMBER = "The manual offset must be a finite number of seconds, such as 1.25 or -2.4."
ADJUST_OUT_OF_RANGE = "The manual offset must lie within ±24 hours ({limit:g} s)."


class _SecondsField(serializers.FloatField):
    """A float that refuses JSON booleans (Python would read ``true`` as 1.0 s)."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class OffsetAdjustApi(APIView):
    class InputSerializer(serializers.Serializer):
        manual_offset_s = _SecondsField(
            allow_null=True,
            min_value=-MAX_OFFSET_S,
            max_value=MAX_OFFSET_S,
            help_text="seconds on the reference timeline; null clears the adjustment",
            error_messages={
                "required": ADJUST_MISSING,
                "invalid": ADJUST_NOT_A_NUMBER,
                "max_string_length": ADJUST_NOT_A_NUMBER,
                "min_value": ADJUST_OUT_OF_RANGE.format(limit=MAX_OFFSET_S),
                "max_value": ADJUST_OUT_OF_RANGE.format(limit=MAX_OFFSET_S),
            },
        )

    @extend_schema(
        operation_id="runs_offset_adjust",
        tags=["runs"],
        request=InputSerializer,
        responses={200: OffsetOutputSerializer, **error_responses(400, 415)},
    )
    def patch(self, request: Request, run_id: int, video_id: int) -> Response:
        """Set (a number) or clear (null) a video's manual offset; the estimate stays on record.

        The reference video cannot be adjusted: its offset is 0 by definition.
        """
        run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
        offset = selectors.offset_get_for_run(run=run, video_id=video_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offset = services.offset_adjust(
            offset=offset, manual_offset_s=serializer.validated_data["manual_offset_s"]
        )
        return Response(OffsetOutputSerializer(offset).data)


class RunCheckSheetApi(DownloadApi):
    @extend_schema(
        operation_id="runs_check_sheet",
        tags=["runs"],
        responses={**binary_responses("image/png"), **error_responses()},
    )
    def get(self, request: Request, run_id: int) -> HttpResponse:
        """The run's sync check sheet (PNG): every placed camera at the same synced moments,
        side by side, what moved boxed; 404 when the run has none (fewer than two clips placed,
        unfinished, or it could not be made)."""
        run = selectors.sync_run_get_for_user(user=request.user, run_id=run_id)
        return check_sheet_response(request, run, download=False)
