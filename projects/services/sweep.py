"""The sweeper: fails the jobs and previews whose worker stopped and removes what they left.

A worker killed with SIGKILL (or a lost machine) runs no hook, so nothing else would ever finish
its job. The sweep runs

- at start-up (``manage.py sweep_runs`` in ``scripts/run``) and in every worker process
  django-q2 starts or restarts after a worker died (:func:`sweep_after_worker_start`, which also
  schedules one more sweep once the dead worker's heartbeat has expired),
- every minute on the django-q2 schedule ``syncsite-sweep-stale-runs``,
- for one project whenever a new run or render is started there (``jobs.job_fail_stale``).

With the default threshold (``JOB_HEARTBEAT_LOST_S`` = 60 s) a killed worker's job is failed,
and its project free, within two minutes.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from projects import queue
from projects.models import Render, SyncRun
from projects.services.jobs import heartbeat_lost_s, job_fail_stale, preview_fail_stale
from projects.services.renders import render_folder

logger = logging.getLogger(__name__)

__all__ = ["StaleSweep", "stale_sweep", "sweep_after_worker_start"]

# The extra wait after a restart before the follow-up sweep, so the dead worker's last heartbeat
# is certainly past the threshold.
_MARGIN_S = 5.0


@dataclass(frozen=True)
class StaleSweep:
    """How many rows one sweep failed, by kind."""

    runs: int
    renders: int
    previews: int


def stale_sweep(*, now: datetime | None = None) -> StaleSweep:
    """Fail stale runs, renders (removing their partial files) and previews; see the module."""
    now = now or timezone.now()
    runs = job_fail_stale(SyncRun, now=now)
    renders = job_fail_stale(Render, now=now)
    for render in Render.objects.filter(pk__in=renders).select_related("run"):
        shutil.rmtree(render_folder(render), ignore_errors=True)
    _unkept_render_folders_remove()
    previews = preview_fail_stale(now=now)
    return StaleSweep(runs=len(runs), renders=len(renders), previews=previews)


def _unkept_render_folders_remove() -> None:
    """Remove render folders no DONE or active render owns (failed, cancelled, deleted).

    A killed worker's ffmpeg may outlive it and still write for a while after the first
    removal; the next sweep removes what it left.
    """
    for folder in Path(settings.MEDIA_ROOT).glob("projects/*/renders/*"):
        if not folder.is_dir() or not folder.name.isdigit():
            continue
        keep = Render.objects.filter(
            pk=int(folder.name), status__in=(*Render.ACTIVE, Render.Status.DONE)
        )
        if not keep.exists():
            shutil.rmtree(folder, ignore_errors=True)


def sweep_after_worker_start() -> None:
    """In a worker process that just started: sweep now (jobs left by a cluster stopped long
    ago) and once more when a worker that died just before has certainly missed its heartbeat.

    Never raises: a worker must start even when the database is briefly unreachable (the
    scheduled sweep catches up).
    """
    try:
        stale_sweep()
        at = timezone.now() + timedelta(seconds=heartbeat_lost_s() + _MARGIN_S)
        queue.schedule_once("sweep_stale_runs_task", at=at)
    except DatabaseError:
        logger.exception("sweep at worker start failed; the scheduled sweep will catch up")
