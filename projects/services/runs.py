"""Sync run writes: start (queue), execute (in a worker), cancel, fail, manual adjustments."""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

import syncengine
from projects import errors, plots
from projects.logging import request_id_var
from projects.models import Project, SyncRun, Video, VideoOffset
from projects.queue import enqueue
from projects.services.check_sheets import run_check_sheet_write
from projects.services.engine_io import (
    Cancelled,
    clip_inputs,
    clip_key,
    progress_writer,
    stale_filter,
)
from projects.services.errors import ServiceError
from syncengine.constants import DEFAULT_MAX_LAG_S

logger = logging.getLogger(__name__)
# The largest offset the portal and the API accept, as a search limit or a manual adjustment.
MAX_OFFSET_S = 24 * 3600.0


def sync_run_start(
    *,
    project: Project,
    method: str = SyncRun.Method.AUTO,
    reference: Video | None = None,
    max_offset_s: float | None = DEFAULT_MAX_LAG_S,
    request_id: str = "",
) -> SyncRun:
    """Queue a sync run for the project's videos; the work happens in a worker.

    ``max_offset_s`` narrows the search; the default (the engine's) is the whole overlap.
    """
    if project.videos.count() < 2:
        raise ServiceError(errors.NEED_TWO_VIDEOS, code="need_two_videos")
    if reference is not None and reference.project_id != project.pk:
        raise ServiceError(errors.VIDEO_NOT_IN_PROJECT, code="bad_reference")
    if max_offset_s is not None and not max_offset_s > 0:
        raise ServiceError(
            "The maximum offset must be a positive number of seconds.", code="bad_max_offset"
        )
    with transaction.atomic():
        if project.runs.filter(status__in=SyncRun.ACTIVE).exists():
            raise ServiceError(errors.RUN_ALREADY_ACTIVE, code="run_active")
        run = SyncRun(
            project=project,
            method=method,
            reference=reference or project.videos.first(),
            max_offset_s=max_offset_s,
            request_id=request_id or request_id_var.get(),
            engine_version=syncengine.__version__,
        )
        run.full_clean()
        run.save()
        transaction.on_commit(lambda: enqueue("sync_run_execute_task", run.pk))
    logger.info("run %s queued for project %s (%s)", run.pk, project.pk, method)
    return run


def sync_run_cancel(*, run: SyncRun) -> bool:
    """Cancel a queued or running run; the worker notices at its next progress report."""
    changed = SyncRun.objects.filter(pk=run.pk, status__in=SyncRun.ACTIVE).update(
        status=SyncRun.Status.CANCELLED,
        error_message=errors.CANCELLED,
        finished_at=timezone.now(),
    )
    return bool(changed)


def _fail_lost(runs: QuerySet[SyncRun], *, message: str, now: datetime) -> int:
    return runs.update(
        status=SyncRun.Status.FAILED,
        error_code="worker_lost",
        error_message=message,
        finished_at=now,
    )


def sync_run_fail_if_unfinished(*, run_id: int, message: str = errors.WORKER_LOST) -> None:
    active = SyncRun.objects.filter(pk=run_id, status__in=SyncRun.ACTIVE)
    _fail_lost(active, message=message, now=timezone.now())


def sync_run_fail_stale(*, now: datetime | None = None) -> int:
    """Fail runs whose worker vanished (killed, machine lost) so none stays active forever.

    A run RUNNING longer than the task timeout, or QUEUED longer than the broker's retry
    period, can no longer finish: the hook never fires for a worker killed with SIGKILL.
    Returns how many runs were failed.
    """
    now = now or timezone.now()
    stale = SyncRun.objects.filter(stale_filter(now=now))
    return _fail_lost(stale, message=errors.WORKER_LOST, now=now)


def offset_adjust(*, offset: VideoOffset, manual_offset_s: float | None) -> VideoOffset:
    """Keep the user's correction beside the estimate (``None`` clears it)."""
    if offset.is_reference and manual_offset_s is not None:
        raise ServiceError(errors.REFERENCE_OFFSET_FIXED, code="reference_offset_fixed")
    offset.manual_offset_s = manual_offset_s
    offset.manual_updated_at = timezone.now() if manual_offset_s is not None else None
    offset.save(update_fields=["manual_offset_s", "manual_updated_at"])
    return offset


def _reset_peak_rss() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def sync_run_execute(*, run_id: int) -> None:
    """Claim the run (compare-and-set, so a redelivered task does nothing) and sync it."""
    claimed = SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.RUNNING, started_at=timezone.now(), stage="probing", progress=0.0
    )
    if not claimed:
        return
    run = SyncRun.objects.select_related("project", "reference").get(pk=run_id)
    token = request_id_var.set(run.request_id or "-")
    _reset_peak_rss()
    started = time.perf_counter()
    try:
        videos = list(run.project.videos.all())
        result = _run_engine(run, videos)
    except Cancelled:
        logger.info("run %s cancelled", run_id)
        return
    except syncengine.SyncEngineError as exc:
        _finish(
            run_id,
            started,
            status=SyncRun.Status.FAILED,
            error_code=exc.code,
            error_message=errors.engine_message(exc.code, exc.message),
        )
        logger.info("run %s failed: %s", run_id, exc.message)
        return
    except Exception:
        logger.exception("run %s failed unexpectedly", run_id)
        _finish(
            run_id,
            started,
            status=SyncRun.Status.FAILED,
            error_code="internal",
            error_message=errors.GENERIC_FAILURE,
        )
        return
    finally:
        request_id_var.reset(token)
    by_key = {clip_key(v): v for v in videos}  # the engine's results come back by these keys
    # Drawn before the run turns DONE, so the page that sees DONE also sees the plots.
    names = [by_key[v.key].original_name for v in result.videos]
    plot_paths = _plots_write(run, result, names)
    placed = [(by_key[v.key], v.offset_s if v.synced else None) for v in result.videos]
    run_check_sheet_write(run, placed)  # never raises: a failure is logged, the page says so
    with transaction.atomic():
        VideoOffset.objects.bulk_create(
            [
                VideoOffset(
                    run_id=run_id,
                    video=by_key[v.key],
                    offset_s=v.offset_s,
                    confidence=v.confidence,
                    band=v.band,
                    synced=v.synced,
                    is_reference=v.is_reference,
                    audio_offset_s=v.audio_offset_s,
                    audio_confidence=v.audio_confidence,
                    visual_offset_s=v.visual_offset_s,
                    visual_confidence=v.visual_confidence,
                    audio_video_diff_s=v.audio_video_diff_s,
                    drift_ppm=v.drift_ppm,
                    residual_s=v.residual_s,
                    loop_residual_s=v.loop_residual_s,
                    loops_closed=v.loops_closed,
                    notes=list(v.notes),
                )
                for v in result.videos
            ]
        )
        _finish(
            run_id,
            started,
            status=SyncRun.Status.DONE,
            stage="done",
            progress=1.0,
            plots=plot_paths,
        )
    for v in result.videos:
        name = by_key[v.key].original_name
        logger.info(
            "run %s offset %s: %s (confidence %.2f, %s)",
            run_id,
            name,
            "not synced" if v.offset_s is None else f"{v.offset_s:+.4f} s",
            v.confidence,
            v.band,
        )


def _run_engine(run: SyncRun, videos: list[Video]) -> syncengine.SyncResult:
    """Run the engine on the stored files, keyed by video id and named as the user named them."""
    reference = clip_key(run.reference) if run.reference in videos else None
    # Decoding and correlating can take minutes: no transaction is open here.
    return syncengine.estimate_offsets(
        clip_inputs(videos),
        method=run.method,
        reference=reference,
        max_lag_s=run.max_offset_s,
        ffmpeg_bin=settings.FFMPEG_BIN or None,
        progress=progress_writer(SyncRun, run.pk),
    )


def _plots_write(run: SyncRun, result: syncengine.SyncResult, names: list[str]) -> list[str]:
    """Debug plots under MEDIA_ROOT; a plot that fails is logged and never fails the run."""
    folder = f"projects/{run.project_id}/runs/{run.pk}"
    out_dir = Path(settings.MEDIA_ROOT, folder)
    try:
        paths = plots.run_plots_write(result, names=names, out_dir=out_dir)
    except Exception:  # drawing is a debugging aid: any failure must leave the results intact
        logger.exception("run %s: debug plots failed", run.pk)
        return []
    return [f"{folder}/{path.name}" for path in paths]


def _finish(run_id: int, started: float, *, status: str, **fields: object) -> None:
    SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.RUNNING).update(
        status=status,
        finished_at=timezone.now(),
        elapsed_s=time.perf_counter() - started,
        peak_memory_mb=_peak_rss_mb(),
        **fields,
    )
