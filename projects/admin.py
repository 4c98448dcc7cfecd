"""Staff admin: every model, with results read-only and writes routed through the services.

Rows are created by the portal's services (uploads are probed, runs are queued to a worker), so
the admin adds nothing itself: it inspects, edits the few user-editable fields, deletes through
the services (which also remove files), and re-runs or cancels sync runs.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Min, QuerySet
from django.http import HttpRequest

from projects import services
from projects.errors import human_size
from projects.models import Camera, Project, Render, RenderOutput, SyncRun, Video, VideoOffset
from projects.services import ServiceError
from projects.services import cameras as camera_services

__all__ = [
    "CameraAdmin",
    "ProjectAdmin",
    "RenderAdmin",
    "RenderOutputAdmin",
    "SyncRunAdmin",
    "VideoAdmin",
    "VideoOffsetAdmin",
]


class _ResultsReadOnly:
    """Every field read-only except ``editable``; rows are only ever added by the services."""

    editable: tuple[str, ...] = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        names = [f.name for f in self.model._meta.fields if f.name not in self.editable]  # type: ignore[attr-defined]
        return names + list(getattr(self, "extra_readonly", ()))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Nothing editable: a view-only page (no Save button) rather than a form that saves nothing.
        return bool(self.editable) and super().has_change_permission(request, obj)  # type: ignore[misc]


class _ReadOnlyInline(_ResultsReadOnly):
    extra = 0
    show_change_link = True
    can_delete = False


class VideoInline(_ReadOnlyInline, admin.TabularInline):
    model = Video
    fields = (
        "original_name",
        "status",
        "duration_s",
        "fps",
        "has_audio",
        "video_codec",
        "size_bytes",
        "created_at",
    )


class CameraClipInline(_ReadOnlyInline, admin.TabularInline):
    model = Video
    fk_name = "camera"
    verbose_name = "clip"
    verbose_name_plural = "clips"
    fields = ("original_name", "has_video", "has_audio", "duration_s", "creation_time", "status")


class VideoOffsetInline(_ReadOnlyInline, admin.TabularInline):
    model = VideoOffset
    fields = (
        "video",
        "is_reference",
        "synced",
        "offset_s",
        "manual_offset_s",
        "confidence",
        "band",
        "audio_offset_s",
        "visual_offset_s",
        "audio_video_diff_s",
        "drift_ppm",
        "residual_s",
        "loop_residual_s",
        "loops_closed",
    )


class RenderOutputInline(_ReadOnlyInline, admin.TabularInline):
    model = RenderOutput
    fields = ("video", "file", "duration_s", "lead_s", "residual_s")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "video_count", "run_count", "created_at", "updated_at")
    list_filter = ("created_at", "updated_at")
    search_fields = ("name", "notes", "owner__username", "owner__email")
    list_select_related = ("owner",)
    # The master audio is chosen on the project page or through the API, which check it.
    readonly_fields = (
        "owner",
        "next_position",
        "master_audio",
        "master_channel",
        "created_at",
        "updated_at",
    )
    date_hierarchy = "created_at"
    inlines = (VideoInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        queryset = super().get_queryset(request)
        return queryset.annotate(
            n_videos=Count("videos", distinct=True), n_runs=Count("runs", distinct=True)
        )

    @admin.display(description="videos", ordering="n_videos")
    def video_count(self, obj: Project) -> int:
        return obj.n_videos  # type: ignore[attr-defined]

    @admin.display(description="runs", ordering="n_runs")
    def run_count(self, obj: Project) -> int:
        return obj.n_runs  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # projects belong to their users: they create them in the portal

    def save_model(self, request: HttpRequest, obj: Project, form: Any, change: bool) -> None:
        services.project_update(project=obj, name=obj.name, notes=obj.notes)

    def delete_model(self, request: HttpRequest, obj: Project) -> None:
        services.project_delete(project=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        for project in queryset:
            services.project_delete(project=project)


@admin.register(Camera)
class CameraAdmin(_ResultsReadOnly, admin.ModelAdmin):
    """A project's devices; grouping changes happen in the portal (or the API)."""

    list_display = ("name", "project", "owner", "grouped_by", "device", "clip_count", "created_at")
    list_filter = ("grouped_by", "created_at")
    search_fields = ("name", "device", "project__name", "project__owner__username")
    list_select_related = ("project__owner",)
    inlines = (CameraClipInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Camera]:
        return super().get_queryset(request).annotate(n_clips=Count("clips"))

    @admin.display(description="owner", ordering="project__owner__username")
    def owner(self, obj: Camera) -> str:
        return str(obj.project.owner)

    @admin.display(description="clips", ordering="n_clips")
    def clip_count(self, obj: Camera) -> int:
        return obj.n_clips  # type: ignore[attr-defined]

    def delete_model(self, request: HttpRequest, obj: Camera) -> None:
        camera_services.camera_delete(camera=obj)  # its clips get a camera each, never lost

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Camera]) -> None:
        for camera in queryset:
            camera_services.camera_delete(camera=camera)


@admin.register(Video)
class VideoAdmin(_ResultsReadOnly, admin.ModelAdmin):
    list_display = (
        "original_name",
        "project",
        "owner",
        "status",
        "duration_s",
        "fps",
        "has_audio",
        "video_codec",
        "size",
        "created_at",
    )
    list_filter = ("status", "has_audio", "video_codec", "container", "created_at")
    search_fields = ("original_name", "project__name", "project__owner__username")
    list_select_related = ("project__owner",)

    @admin.display(description="owner", ordering="project__owner__username")
    def owner(self, obj: Video) -> str:
        return str(obj.project.owner)

    @admin.display(description="size", ordering="size_bytes")
    def size(self, obj: Video) -> str:
        return human_size(obj.size_bytes)

    def delete_model(self, request: HttpRequest, obj: Video) -> None:
        services.video_delete(video=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Video]) -> None:
        for video in queryset:
            services.video_delete(video=video)


@admin.register(SyncRun)
class SyncRunAdmin(_ResultsReadOnly, admin.ModelAdmin):
    list_display = (
        "id",
        "project",
        "owner",
        "method",
        "status",
        "stage",
        "progress_percent",
        "offset_count",
        "lowest_confidence",
        "elapsed_s",
        "created_at",
    )
    list_filter = ("status", "method", "engine_version", "created_at")
    search_fields = (
        "=id",
        "project__name",
        "project__owner__username",
        "request_id",
        "error_code",
        "error_message",
    )
    list_select_related = ("project__owner",)
    date_hierarchy = "created_at"
    inlines = (VideoOffsetInline,)
    actions = ("rerun", "cancel")

    def get_queryset(self, request: HttpRequest) -> QuerySet[SyncRun]:
        queryset = super().get_queryset(request)
        return queryset.annotate(
            n_offsets=Count("offsets", distinct=True), min_confidence=Min("offsets__confidence")
        )

    @admin.display(description="owner", ordering="project__owner__username")
    def owner(self, obj: SyncRun) -> str:
        return str(obj.project.owner)

    @admin.display(description="progress", ordering="progress")
    def progress_percent(self, obj: SyncRun) -> str:
        return f"{obj.progress:.0%}"

    @admin.display(description="offsets", ordering="n_offsets")
    def offset_count(self, obj: SyncRun) -> int:
        return obj.n_offsets  # type: ignore[attr-defined]

    @admin.display(description="lowest confidence", ordering="min_confidence")
    def lowest_confidence(self, obj: SyncRun) -> str:
        value = obj.min_confidence  # type: ignore[attr-defined]
        return "-" if value is None else f"{value:.2f}"

    @admin.action(description="Re-run the selected runs with the same settings")
    def rerun(self, request: HttpRequest, queryset: QuerySet[SyncRun]) -> None:
        queued = 0
        for run in queryset.select_related("project", "reference"):
            try:
                services.sync_run_start(
                    project=run.project,
                    method=run.method,
                    reference=run.reference,
                    max_offset_s=run.max_offset_s,
                )
            except ServiceError as exc:
                self.message_user(request, f"Run {run.pk}: {exc.message}", messages.WARNING)
            else:
                queued += 1
        if queued:
            self.message_user(request, f"{queued} new run(s) queued.", messages.SUCCESS)

    @admin.action(description="Cancel the selected runs")
    def cancel(self, request: HttpRequest, queryset: QuerySet[SyncRun]) -> None:
        runs = list(queryset)
        cancelled = sum(services.job_cancel(job=run) for run in runs)
        self.message_user(request, f"{cancelled} run(s) cancelled.", messages.SUCCESS)
        if cancelled < len(runs):
            self.message_user(
                request, f"{len(runs) - cancelled} run(s) were already finished.", messages.WARNING
            )


@admin.register(VideoOffset)
class VideoOffsetAdmin(_ResultsReadOnly, admin.ModelAdmin):
    editable = ("manual_offset_s",)
    list_display = (
        "video",
        "run",
        "owner",
        "is_reference",
        "synced",
        "offset_s",
        "manual_offset_s",
        "confidence",
        "band",
        "audio_video_diff_s",
    )
    list_filter = ("band", "synced", "is_reference", "run__method", "run__status")
    search_fields = ("video__original_name", "run__project__name", "run__project__owner__username")
    list_select_related = ("video", "run__project__owner")

    @admin.display(description="owner", ordering="run__project__owner__username")
    def owner(self, obj: VideoOffset) -> str:
        return str(obj.run.project.owner)

    def save_model(self, request: HttpRequest, obj: VideoOffset, form: Any, change: bool) -> None:
        # The estimate stays on record; only the user's correction changes.
        services.offset_adjust(offset=obj, manual_offset_s=obj.manual_offset_s)


@admin.register(Render)
class RenderAdmin(_ResultsReadOnly, admin.ModelAdmin):
    list_display = (
        "id",
        "run",
        "owner",
        "mode",
        "status",
        "progress_percent",
        "verified",
        "max_residual_s",
        "output_count",
        "created_at",
    )
    list_filter = ("status", "verified", "mode", "reencode", "created_at")
    search_fields = ("=id", "run__project__name", "run__project__owner__username", "error_code")
    list_select_related = ("run__project__owner",)
    inlines = (RenderOutputInline,)
    actions = ("cancel",)

    @admin.action(description="Cancel the selected renders")
    def cancel(self, request: HttpRequest, queryset: QuerySet[Render]) -> None:
        cancelled = sum(services.job_cancel(job=render) for render in queryset)
        self.message_user(request, f"{cancelled} render(s) cancelled.", messages.SUCCESS)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Render]:
        return super().get_queryset(request).annotate(n_outputs=Count("outputs"))

    @admin.display(description="owner", ordering="run__project__owner__username")
    def owner(self, obj: Render) -> str:
        return str(obj.run.project.owner)

    @admin.display(description="progress", ordering="progress")
    def progress_percent(self, obj: Render) -> str:
        return f"{obj.progress:.0%}"

    @admin.display(description="outputs", ordering="n_outputs")
    def output_count(self, obj: Render) -> int:
        return obj.n_outputs  # type: ignore[attr-defined]

    def delete_model(self, request: HttpRequest, obj: Render) -> None:
        try:
            services.render_delete(render=obj)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Render]) -> None:
        for render in queryset.select_related("run"):
            self.delete_model(request, render)


@admin.register(RenderOutput)
class RenderOutputAdmin(_ResultsReadOnly, admin.ModelAdmin):
    list_display = ("__str__", "render", "video", "duration_s", "lead_s", "residual_s")
    list_filter = ("render__status", "render__verified")
    search_fields = ("file", "video__original_name", "render__run__project__name")
    list_select_related = ("render", "video")
