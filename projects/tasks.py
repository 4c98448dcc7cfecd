"""django-q2 task entry points: one-line wrappers that take primary keys and call services.

Queued by :func:`projects.queue.enqueue` (the only module that imports django-q2), which also
names the hooks below.
"""

from __future__ import annotations

from typing import Any


def sync_run_execute_task(run_id: int) -> None:
    from projects import services

    services.sync_run_execute(run_id=run_id)


def video_prepare_preview_task(video_id: int) -> None:
    from projects import services
    from projects.models import Video

    # The row says "processing" while the worker is alive; the sweeper fails it when not.
    with services.job_heartbeat(Video, pk=video_id, running=Video.Status.PROCESSING):
        services.video_prepare_preview(video_id=video_id)


def video_preview_done_hook(task: Any) -> None:
    """Backstop: a preview task that died (timeout) leaves its video failed, not processing."""
    from projects import services

    if not task.success and task.args:
        services.preview_fail_if_unfinished(video_id=int(task.args[0]))


def sync_run_done_hook(task: Any) -> None:
    """Backstop: a task that died (timeout, killed worker) leaves its run failed, not running."""
    from projects import services
    from projects.models import SyncRun

    if not task.success and task.args:
        services.job_fail_if_unfinished(SyncRun, pk=int(task.args[0]))


def render_execute_task(render_id: int) -> None:
    from projects import services

    services.render_execute(render_id=render_id)


def render_done_hook(task: Any) -> None:
    """Backstop: a render task that died leaves its render failed (its files removed)."""
    from projects import services

    if not task.success and task.args:
        services.render_fail_if_unfinished(render_id=int(task.args[0]))


def sweep_stale_runs_task() -> None:
    """Every minute (django-q2 schedule) and once after a worker restarted: see services.sweep."""
    from projects import services

    services.stale_sweep()  # runs, renders and previews whose worker stopped
    services.scratch_sweep()  # temporary files and folders left by a crash


def worker_started_hook() -> None:
    """In each worker process django-q2 starts (connected in ``ProjectsConfig.ready``)."""
    from projects import services

    services.sweep_after_worker_start()
