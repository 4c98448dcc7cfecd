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

from typing import Any

__all__ = ["HOOKS", "SWEEP_SCHEDULE", "TASKS_MODULE", "enqueue", "failed_task_id", "task_path"]

TASKS_MODULE = "projects.tasks"
#: Task -> the hook django-q2 calls when it ends (a backstop for workers that died).
HOOKS = {
    f"{TASKS_MODULE}.sync_run_execute_task": f"{TASKS_MODULE}.sync_run_done_hook",
    f"{TASKS_MODULE}.render_execute_task": f"{TASKS_MODULE}.render_done_hook",
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
