"""One lifecycle for sync runs and renders (both a :class:`~projects.models.Job`).

A job is QUEUED when its request commits. A worker claims it with a compare-and-set update
(QUEUED -> RUNNING; a redelivered task claims nothing and returns), keeps it alive with
heartbeats while it works, and finishes it once, from RUNNING, as DONE or FAILED. The user may
cancel it while it is active; the worker notices at its next progress report.

A worker killed with SIGKILL (or a machine lost) runs no hook, so its job would stay active and
block its project. Instead its heartbeat stops: every progress report renews ``heartbeat_at``
(:func:`~projects.services.engine_io.progress_writer`), and :func:`job_heartbeat` renews it on a
timer every :data:`HEARTBEAT_EVERY_S` for stages that report rarely. A RUNNING job whose
heartbeat is older than :func:`heartbeat_lost_s` (``JOB_HEARTBEAT_LOST_S``, default 60 s) is
failed by :func:`job_fail_stale`, which the sweeper runs (``projects.services.sweep``) and which
starting a new job runs for its own project first.

Conventions
-----------
- Functions take the model class (``SyncRun``, ``Render``; previews: ``Video``) and a primary
  key, and change rows only through filtered ``update()`` calls, so two writers never overwrite
  each other's state (the first to move the status wins; the others change nothing).
- Messages name the job: "Sync failed ..." for a run, "Render failed ..." for a render.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, models
from django.db.models import Q
from django.utils import timezone

from projects import errors
from projects.models import Job, Render, Video

logger = logging.getLogger(__name__)

__all__ = [
    "HEARTBEAT_EVERY_S",
    "heartbeat_lost_s",
    "job_cancel",
    "job_claim",
    "job_fail",
    "job_fail_if_unfinished",
    "job_fail_stale",
    "job_finish",
    "job_heartbeat",
    "job_message",
    "preview_fail_if_unfinished",
    "preview_fail_stale",
    "stale_q",
]

# How often a running job's timer renews its heartbeat, in seconds. Six missed beats in a row
# (a lost worker, not a busy one) before the default threshold is reached.
HEARTBEAT_EVERY_S = 10.0
_DEFAULT_LOST_S = 60.0


def heartbeat_lost_s() -> float:
    """Seconds without a heartbeat after which a running job counts as lost (settings
    ``JOB_HEARTBEAT_LOST_S``, default 60): with the sweep of a restarted worker
    (``projects.services.sweep``) the job is failed, and its project free, within two minutes."""
    return float(getattr(settings, "JOB_HEARTBEAT_LOST_S", _DEFAULT_LOST_S))


def job_message(model: type[models.Model], key: str) -> str:
    """The user-facing text ``key`` ("failed", "lost", "stopped") for this kind of job."""
    kind = "render" if model is Render else "preview" if model is Video else "sync"
    return errors.JOB_MESSAGES[kind][key]


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _peak_rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _reset_peak_rss() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def job_claim(model: type[Job], *, pk: int, stage: str) -> bool:
    """Move the job QUEUED -> RUNNING (compare-and-set); False when another worker has it, it
    was cancelled, or it is gone. Starts the heartbeat and resets the peak-memory counter."""
    now = timezone.now()
    claimed = model._default_manager.filter(pk=pk, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        worker=_worker_id(),
        stage=stage,
        progress=0.0,
    )
    if claimed:
        _reset_peak_rss()
    return bool(claimed)


def job_finish(model: type[Job], *, pk: int, started: float, status: str, **fields: object) -> bool:
    """Finish a RUNNING job as ``status`` with ``fields``; False when it had left RUNNING
    meanwhile (cancelled, or failed by the sweeper), in which case nothing changes.

    ``started`` is the worker's ``time.perf_counter()`` at the claim (for ``elapsed_s``).
    """
    finished = model._default_manager.filter(pk=pk, status=Job.Status.RUNNING).update(
        status=status,
        finished_at=timezone.now(),
        elapsed_s=time.perf_counter() - started,
        peak_memory_mb=_peak_rss_mb(),
        **fields,
    )
    return bool(finished)


def job_fail(model: type[Job], *, pk: int, started: float, code: str, message: str) -> bool:
    """Fail a RUNNING job with a stable ``code`` and a user-facing ``message``."""
    return job_finish(
        model,
        pk=pk,
        started=started,
        status=Job.Status.FAILED,
        error_code=code,
        error_message=message,
    )


def job_cancel(*, job: Job) -> bool:
    """Cancel a queued or running job; False when it had already finished.

    A running worker notices at its next progress report (a render's ffmpeg is killed and its
    files removed; a run stores no results).
    """
    changed = (
        type(job)
        ._default_manager.filter(pk=job.pk, status__in=Job.ACTIVE)
        .update(
            status=Job.Status.CANCELLED, error_message=errors.CANCELLED, finished_at=timezone.now()
        )
    )
    return bool(changed)


def job_fail_if_unfinished(model: type[Job], *, pk: int, message: str | None = None) -> bool:
    """Backstop for a task that died with a record (timeout): an active job becomes FAILED."""
    changed = model._default_manager.filter(pk=pk, status__in=Job.ACTIVE).update(
        status=Job.Status.FAILED,
        error_code="worker_lost",
        error_message=message or job_message(model, "lost"),
        finished_at=timezone.now(),
    )
    return bool(changed)


def stale_q(*, now: datetime, running: str = Job.Status.RUNNING) -> Q:
    """Rows whose worker vanished: the heartbeat stopped, or queued past the broker's retry.

    ``running`` is the status a worker holds the row in (``"processing"`` for previews). A row
    without a heartbeat (written before heartbeats existed) counts as lost after the task
    timeout, as before.
    """
    lost = timedelta(seconds=heartbeat_lost_s())
    timeout = timedelta(seconds=settings.Q_CLUSTER["timeout"] + 60)
    retry = timedelta(seconds=settings.Q_CLUSTER["retry"] + 60)
    beating = Q(status=running, heartbeat_at__isnull=False, heartbeat_at__lt=now - lost)
    legacy = Q(status=running, heartbeat_at__isnull=True, started_at__lt=now - timeout)
    queued = Q(status=Job.Status.QUEUED, created_at__lt=now - retry)
    return beating | legacy | queued


def job_fail_stale(
    model: type[Job], *, now: datetime | None = None, within: Q | None = None
) -> list[int]:
    """Fail the jobs (optionally only those matching ``within``) whose worker vanished; returns
    their primary keys. Each row is failed with the stale condition checked again in the same
    update, so a job that beat meanwhile is left alone."""
    now = now or timezone.now()
    stale = model._default_manager.filter(stale_q(now=now))
    if within is not None:
        stale = stale.filter(within)
    failed = []
    for pk, status in stale.values_list("pk", "status"):
        key = "queue_lost" if status == Job.Status.QUEUED else "stopped"
        changed = model._default_manager.filter(stale_q(now=now), pk=pk).update(
            status=Job.Status.FAILED,
            error_code="worker_lost",
            error_message=job_message(model, key).format(seconds=round(heartbeat_lost_s())),
            finished_at=now,
        )
        if changed:
            logger.warning("%s %s failed: its worker stopped", model.__name__, pk)
            failed.append(pk)
    return failed


@contextlib.contextmanager
def job_heartbeat(
    model: type[models.Model],
    *,
    pk: int,
    running: str = Job.Status.RUNNING,
    every_s: float = HEARTBEAT_EVERY_S,
) -> Iterator[None]:
    """Renew the row's ``heartbeat_at`` now and every ``every_s`` seconds from a timer thread
    while the block runs (a row in status ``running`` only), so a stage that reports rarely
    still shows the worker is alive. Leave the block outside any transaction (the thread is
    joined).

    The thread uses its own database connection and closes it; a failed beat (a locked
    database) is logged and retried at the next beat, never raised into the job.
    """
    stop = threading.Event()
    model._default_manager.filter(pk=pk, status=running).update(heartbeat_at=timezone.now())

    def beat() -> None:
        try:
            while not stop.wait(every_s):
                try:
                    rows = model._default_manager.filter(pk=pk, status=running)
                    if not rows.update(heartbeat_at=timezone.now()):
                        return  # finished, cancelled or failed: nothing left to keep alive
                except DatabaseError:
                    logger.warning("%s %s: heartbeat not written", model.__name__, pk)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{model.__name__}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every_s + 30)


def preview_fail_stale(*, now: datetime | None = None) -> int:
    """Fail the previews whose worker vanished: PROCESSING with a heartbeat older than
    :func:`heartbeat_lost_s`, or never started within the broker's retry period. The video stays
    (it was probed at upload); its page says the preview could not be made and what to do."""
    now = now or timezone.now()
    lost = now - timedelta(seconds=heartbeat_lost_s())
    retry = now - timedelta(seconds=settings.Q_CLUSTER["retry"] + 60)
    processing = Q(status=Video.Status.PROCESSING)
    stopped = processing & Q(heartbeat_at__isnull=False, heartbeat_at__lt=lost)
    never = processing & Q(heartbeat_at__isnull=True, created_at__lt=retry)
    count = 0
    for condition, key in ((stopped, "stopped"), (never, "queue_lost")):
        message = job_message(Video, key).format(seconds=round(heartbeat_lost_s()))
        failed = Video.objects.filter(condition).update(
            status=Video.Status.FAILED, error_message=message
        )
        if failed:
            logger.warning("%d preview(s) failed: their worker stopped", failed)
        count += failed
    return count


def preview_fail_if_unfinished(*, video_id: int) -> bool:
    """Backstop for a preview task that died with a record (timeout): the video's preview is
    failed with a message instead of staying "processing"."""
    message = job_message(Video, "lost").format(seconds=round(heartbeat_lost_s()))
    changed = Video.objects.filter(pk=video_id, status=Video.Status.PROCESSING).update(
        status=Video.Status.FAILED, error_message=message
    )
    return bool(changed)
