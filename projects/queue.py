"""django-q2 in one place: the only module of the portal that imports ``django_q``.

Services queue work with :func:`enqueue` (by the task's dotted path, so they never import
:mod:`projects.tasks`, whose wrappers call the services back); :data:`HOOKS` says which task gets
which completion hook, and :func:`failed_task_id` reads what a hook is handed. The sweeper's
schedule is created by migration ``0002_schedule_sweep`` under :data:`SWEEP_SCHEDULE`.

Conventions
-----------
- A task is named by its dotted path; a bare name means ``projects.tasks.<name>``.
- Tasks take primary keys (ints), never model instances: the worker reads the row itself.
- Call :func:`enqueue` from ``transaction.on_commit``: a worker must see the committed row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

__all__ = [
    "HOOKS",
    "SWEEP_SCHEDULE",
    "TASKS_MODULE",
    "enqueue",
    "failed_task_id",
    "on_worker_start",
    "schedule_once",
    "task_path",
]

TASKS_MODULE = "projects.tasks"
#: Task -> the hook django-q2 calls when it ends (a backstop for workers that died).
HOOKS = {
    f"{TASKS_MODULE}.sync_run_execute_task": f"{TASKS_MODULE}.sync_run_done_hook",
    f"{TASKS_MODULE}.render_execute_task": f"{TASKS_MODULE}.render_done_hook",
    f"{TASKS_MODULE}.video_prepare_preview_task": f"{TASKS_MODULE}.video_preview_done_hook",
}
#: The django-q2 schedule that runs ``projects.tasks.sweep_stale_runs_task``.
SWEEP_SCHEDULE = "syncsite-sweep-stale-runs"


def task_path(name: str) -> str:
    """``name`` as a dotted path: a bare name is a function of :mod:`projects.tasks`."""
    return name if "." in name else f"{TASKS_MODULE}.{name}"


def enqueue(name: str, *args: Any) -> str:
    """Queue the task ``name`` (dotted path or bare name) with ``args``; returns its task id."""
    from django_q.tasks import async_task  # needs the app registry: imported when first used

    path = task_path(name)
    return async_task(path, *args, hook=HOOKS.get(path))


def failed_task_id(task: Any) -> int | None:
    """The primary key a hooked task was given when it failed (died, timed out), else None.

    ``task`` is the ``django_q.models.Task`` django-q2 hands a hook; its first argument is the
    primary key by the Conventions.
    """
    if task.success or not task.args:
        return None
    return int(task.args[0])


def schedule_once(name: str, *, at: datetime) -> None:
    """Run the task ``name`` once at ``at``; scheduling the same task again moves that one run
    (one schedule row per task, named after it) rather than adding another."""
    from django_q.models import Schedule

    path = task_path(name)
    Schedule.objects.update_or_create(
        name=f"once:{path}"[:100],
        defaults={"func": path, "schedule_type": Schedule.ONCE, "repeats": -1, "next_run": at},
    )


def on_worker_start(receiver: Callable[[], None]) -> None:
    """Call ``receiver()`` in each worker process django-q2 starts, and in each one it starts
    again after a worker died (killed, out of memory). Connect it once, in ``AppConfig.ready``."""
    from django_q.signals import post_spawn

    def started(**kwargs: Any) -> None:
        receiver()

    post_spawn.connect(started, weak=False, dispatch_uid=f"projects.queue:{receiver.__qualname__}")
