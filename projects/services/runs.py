"""Sync run writes: start (queue), execute (in a worker), cancel, fail, manual adjustments."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

import syncengine
from projects import errors, plots
from projects.logging import request_id_var
from projects.models import Project, SyncRun, Video, VideoOffset
from projects.queue import enqueue
from projects.services.cameras import cameras_ensure
from projects.services.check_sheets import run_check_sheet_write
from projects.services.engine_io import (
    Cancelled,
    clip_inputs,
    clip_key,
    progress_writer,
)
from projects.services.errors import ServiceError
from projects.services.jobs import (
    job_claim,
    job_fail_stale,
    job_finish,
    job_heartbeat,
)
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
    cameras_ensure(project=project)  # rows from before cameras: one camera per video
    if reference is not None and reference.project_id != project.pk:
        raise ServiceError(errors.VIDEO_NOT_IN_PROJECT, code="bad_reference")
    if max_offset_s is not None and not max_offset_s > 0:
        raise ServiceError(
            "The maximum offset must be a positive number of seconds.", code="bad_max_offset"
        )
    try:
        with transaction.atomic():
            # Concurrent starts queue up on the project row; the constraint is the backstop.
            Project.objects.select_for_update().filter(pk=project.pk).first()
            job_fail_stale(SyncRun, within=Q(project=project))  # a dead worker's run frees it
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
            run.full_clean(validate_constraints=False)  # the database checks the active one
            run.save()
            transaction.on_commit(lambda: enqueue("sync_run_execute_task", run.pk))
    except IntegrityError as exc:  # one_active_run_per_project: another start won
        raise ServiceError(errors.RUN_ALREADY_ACTIVE, code="run_active") from exc
    logger.info("run %s queued for project %s (%s)", run.pk, project.pk, method)
    return run


def offset_adjust(*, offset: VideoOffset, manual_offset_s: float | None) -> VideoOffset:
    """Keep the user's correction beside the estimate (``None`` clears it)."""
    if offset.is_reference and manual_offset_s is not None:
        raise ServiceError(errors.REFERENCE_OFFSET_FIXED, code="reference_offset_fixed")
    offset.manual_offset_s = manual_offset_s
    offset.manual_updated_at = timezone.now() if manual_offset_s is not None else None
    offset.save(update_fields=["manual_offset_s", "manual_updated_at"])
    return offset


def sync_run_execute(*, run_id: int) -> None:
    """Claim the run (compare-and-set, so a redelivered task does nothing) and sync it, with a
    heartbeat while it works (a killed worker's run is failed by the sweeper)."""
    if not job_claim(SyncRun, pk=run_id, stage="probing"):
        return
    with job_heartbeat(SyncRun, pk=run_id):
        _execute(run_id)


def _execute(run_id: int) -> None:
    run = SyncRun.objects.select_related("project", "reference").get(pk=run_id)
    token = request_id_var.set(run.request_id or "-")
    started = time.perf_counter()
    try:
        videos = list(run.project.videos.all())
        result = _run_engine(run, videos)
    except Cancelled:
        logger.info("run %s cancelled", run_id)
        return
    except syncengine.SyncEngineError as exc:
        job_finish(
            SyncRun,
            pk=run_id,
            started=started,
            status=SyncRun.Status.FAILED,
            error_code=exc.code,
            error_message=errors.engine_message(exc.code, exc.message),
        )
        logger.info("run %s failed: %s", run_id, exc.message)
        return
    except Exception:
        logger.exception("run %s failed unexpectedly", run_id)
        job_finish(
            SyncRun,
            pk=run_id,
            started=started,
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
                    placed_by=v.placed_by,
                    sound_skew_s=v.sound_skew_s,
                    drift_points=[[float(t), float(o)] for t, o in v.drift_points],
                )
                for v in result.videos
            ]
        )
        job_finish(
            SyncRun,
            pk=run_id,
            started=started,
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
