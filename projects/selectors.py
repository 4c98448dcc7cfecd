"""Reads, always scoped to the user: another user's object is a 404, never its data."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from projects.models import Camera, Project, Render, SyncRun, Video, VideoOffset

User = AbstractBaseUser | AnonymousUser


def _projects_for(user: User) -> QuerySet[Project]:
    if not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(owner=user)


def project_list_for_user(*, user: User) -> QuerySet[Project]:
    # GROUP BY drops Meta.ordering: order explicitly so pages are stable.
    projects = _projects_for(user).annotate(n_videos=Count("videos", distinct=True))
    return projects.order_by(*Project._meta.ordering)


def project_get_for_user(*, user: User, project_id: int) -> Project:
    return get_object_or_404(_projects_for(user), pk=project_id)


def video_list_for_project(*, project: Project) -> QuerySet[Video]:
    return project.videos.all()


def video_get_for_user(*, user: User, video_id: int) -> Video:
    return get_object_or_404(Video.objects.filter(project__in=_projects_for(user)), pk=video_id)


def sync_run_list_for_project(*, project: Project) -> QuerySet[SyncRun]:
    return project.runs.select_related("reference")


def sync_run_get_for_user(*, user: User, run_id: int) -> SyncRun:
    runs = SyncRun.objects.filter(project__in=_projects_for(user)).select_related(
        "project", "reference"
    )
    return get_object_or_404(runs, pk=run_id)


def offsets_for_run(*, run: SyncRun) -> QuerySet[VideoOffset]:
    return run.offsets.select_related("video", "video__camera")


def offset_get_for_run(*, run: SyncRun, video_id: int) -> VideoOffset:
    return get_object_or_404(offsets_for_run(run=run), video_id=video_id)


def render_get_for_user(*, user: User, render_id: int) -> Render:
    renders = Render.objects.filter(run__project__in=_projects_for(user)).select_related("run")
    return get_object_or_404(renders, pk=render_id)


def render_list_for_run(*, run: SyncRun) -> QuerySet[Render]:
    return run.renders.prefetch_related("outputs__video")


def render_out_of_date(*, render: Render, current: dict[str, float] | None = None) -> bool:
    """True when the run's offsets changed after the render placed its files.

    ``current`` is ``placed_offsets_for_run`` of the render's run, when the caller has it.
    """
    if current is None:
        current = placed_offsets_for_run(run=render.run)
    return render.placed_offsets != current


def placed_offsets_for_run(*, run: SyncRun) -> dict[str, float]:
    """{video id (str): effective offset} for each video a render would place.

    A video is placed when the engine synced it or the user set its offset by hand; the
    effective offset is the manual one when there is one.
    """
    return {str(o.video_id): o.effective_offset_s for o in run.offsets.all() if offset_is_placed(o)}


def offset_is_placed(offset: VideoOffset) -> bool:
    """True when a render (and the player's shared timeline) places this video."""
    return offset.effective_offset_s is not None and (
        offset.synced or offset.manual_offset_s is not None
    )


def camera_list_for_project(*, project: Project) -> QuerySet[Camera]:
    """The project's cameras in their order, each with its clips fetched."""
    return project.cameras.prefetch_related("clips")


def camera_get_for_user(*, user: User, camera_id: int) -> Camera:
    cameras = Camera.objects.filter(project__in=_projects_for(user)).select_related("project")
    return get_object_or_404(cameras.prefetch_related("clips"), pk=camera_id)
