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

    services.video_prepare_preview(video_id=video_id)


def sync_run_done_hook(task: Any) -> None:
    """Backstop: a task that died (timeout, killed worker) leaves its run failed, not running."""
    from projects import services

    if not task.success and task.args:
        services.sync_run_fail_if_unfinished(run_id=int(task.args[0]))


def render_execute_task(render_id: int) -> None:
    from projects import services

    services.render_execute(render_id=render_id)


def render_done_hook(task: Any) -> None:
    """Backstop: a render task that died leaves its render failed, not running."""
    from projects import services

    if not task.success and task.args:
        services.render_fail_if_unfinished(render_id=int(task.args[0]))


def sweep_stale_runs_task() -> None:
    from projects import services

    services.sync_run_fail_stale()
    services.render_fail_stale()
    services.scratch_sweep()  # temporary files and folders left by a crash
