"""Render writes: start (queue), execute (in a worker: render, verify, record), fail, delete.

A render places every video at its *effective* offset (the user's manual adjustment, else the
estimate) and is verified by the engine: the outputs are synced again and each must land within
one frame of where it was put. Files live in ``MEDIA_ROOT/projects/<project>/renders/<render>/``.
"""

from __future__ import annotations

import errno
import logging
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

import syncengine
from projects import errors, selectors
from projects.models import Project, Render, RenderOutput, SyncRun, VideoOffset
from projects.queue import enqueue
from projects.services.engine_io import (
    Cancelled,
    clip_key,
    output_names,
    progress_writer,
)
from projects.services.errors import ServiceError
from projects.services.jobs import (
    job_claim,
    job_fail,
    job_fail_if_unfinished,
    job_fail_stale,
    job_finish,
    job_heartbeat,
    job_message,
)
from syncengine.render import MODES, render_synced

logger = logging.getLogger(__name__)

__all__ = [
    "render_delete",
    "render_execute",
    "render_fail_if_unfinished",
    "render_folder",
    "render_start",
]


def render_folder(render: Render) -> Path:
    return Path(
        settings.MEDIA_ROOT, "projects", str(render.run.project_id), "renders", str(render.pk)
    )


def render_start(*, run: SyncRun, mode: str = "union", reencode: bool = True) -> Render:
    """Queue synced files for the run at its current (effective) offsets."""
    if mode not in MODES:
        raise ServiceError(errors.RENDER_BAD_MODE, code="bad_mode")
    if run.status != SyncRun.Status.DONE:
        raise ServiceError(errors.RENDER_RUN_NOT_DONE, code="run_not_done")
    try:
        with transaction.atomic():
            # Concurrent starts queue up on the project row; the constraint is the backstop.
            Project.objects.select_for_update().filter(pk=run.project_id).first()
            placed = selectors.placed_offsets_for_run(run=run)
            if len(placed) < 2:
                raise ServiceError(errors.RENDER_NEED_TWO, code="too_few_synced")
            for stale in job_fail_stale(Render, within=Q(run=run)):  # a dead worker's render
                _files_remove(stale)
            if run.renders.filter(status__in=Render.ACTIVE).exists():
                raise ServiceError(errors.RENDER_ALREADY_ACTIVE, code="render_active")
            render = Render(run=run, mode=mode, reencode=reencode, placed_offsets=placed)
            render.full_clean(validate_constraints=False)  # the database checks the active one
            render.save()
            transaction.on_commit(lambda: enqueue("render_execute_task", render.pk))
    except IntegrityError as exc:  # one_active_render_per_run: another start won
        raise ServiceError(errors.RENDER_ALREADY_ACTIVE, code="render_active") from exc
    logger.info("render %s queued for run %s (%s, reencode=%s)", render.pk, run.pk, mode, reencode)
    return render


def _placements(render: Render, offsets: list[VideoOffset]) -> list[syncengine.Placement]:
    """The render's clips as the engine places them, from the rows: keyed by video id, at the
    offsets taken when the render was queued, named after the user's (bounded, unique) names."""
    names = output_names([o.video for o in offsets])
    placements = []
    for o in offsets:
        key = clip_key(o.video)
        placed_s = render.placed_offsets.get(key)
        placements.append(
            syncengine.Placement(
                key=key,
                path=Path(o.video.file.path),
                offset_s=None if placed_s is None else float(placed_s),
                name=names[o.video_id],
                estimate_s=o.offset_s if o.synced else None,
                is_reference=o.is_reference,
                fps=o.video.fps,
                duration_s=o.video.duration_s,
                drift_ppm=o.drift_ppm,  # the render retimes the clip to the reference clock
            )
        )
    return placements


def render_execute(*, render_id: int) -> None:
    """Claim the render (compare-and-set), write and verify the files, record the outputs, with
    a heartbeat while it works (a killed worker's render is failed and its files removed)."""
    if not job_claim(Render, pk=render_id, stage="rendering"):
        return
    with job_heartbeat(Render, pk=render_id):
        _execute(render_id)


def _execute(render_id: int) -> None:
    render = Render.objects.select_related("run").get(pk=render_id)
    offsets = list(render.run.offsets.select_related("video"))
    folder = render_folder(render)
    started = time.perf_counter()
    try:
        # Encoding takes minutes: no transaction is open here.
        result = render_synced(
            _placements(render, offsets),
            folder,
            mode=render.mode,
            reencode=render.reencode,
            method=render.run.method,
            max_lag_s=render.run.max_offset_s,
            ffmpeg_bin=settings.FFMPEG_BIN or None,
            progress=progress_writer(Render, render_id),
        )
    except Exception as exc:  # cancelled or failed: none of its files are kept
        shutil.rmtree(folder, ignore_errors=True)
        _record_failure(render_id, started, exc)
        return
    media_root = Path(settings.MEDIA_ROOT)
    with transaction.atomic():
        finished = job_finish(
            Render,
            pk=render_id,
            started=started,
            status=Render.Status.DONE,
            stage="done",
            progress=1.0,
            verified=result.verified,
            max_residual_s=result.max_residual_s,
            tolerance_s=result.tolerance_s,
            timeline_start_s=result.timeline_start_s,
            timeline_duration_s=result.timeline_duration_s,
            notes=list(result.notes),
        )
        if finished:  # not cancelled (or failed by the sweeper) after the last progress report
            RenderOutput.objects.bulk_create(
                [
                    RenderOutput(
                        render_id=render_id,
                        video_id=int(f.key),
                        file=str(Path(f.output).relative_to(media_root)),
                        duration_s=f.duration_s,
                        lead_s=f.lead_s,
                        residual_s=f.residual_s,
                    )
                    for f in result.files
                ]
            )
    if not finished:
        shutil.rmtree(folder, ignore_errors=True)
        return
    logger.info(
        "render %s done: %d files, max residual %s s",
        render_id,
        len(result.files),
        result.max_residual_s,
    )


def _record_failure(render_id: int, started: float, exc: Exception) -> None:
    """Say on the row why the render stopped (a cancelled row already says so)."""
    if isinstance(exc, Cancelled):
        logger.info("render %s cancelled", render_id)
    elif isinstance(exc, syncengine.SyncEngineError):
        job_fail(Render, pk=render_id, started=started, code=exc.code, message=_render_message(exc))
        logger.info("render %s failed: %s", render_id, exc.message)
    elif isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        job_fail(
            Render, pk=render_id, started=started, code="disk_full", message=errors.RENDER_DISK_FULL
        )
    else:
        logger.error("render %s failed unexpectedly", render_id, exc_info=exc)
        message = job_message(Render, "failed")
        job_fail(Render, pk=render_id, started=started, code="internal", message=message)


def _render_message(exc: syncengine.SyncEngineError) -> str:
    if "No space left on device" in exc.message:
        return errors.RENDER_DISK_FULL
    if isinstance(exc, syncengine.RenderVerificationFailed):
        # The engine leaves the files for a CLI user to inspect; the portal does not keep them.
        return exc.message.replace("Check these files before using them.", errors.RENDER_NOT_KEPT)
    return errors.engine_message(exc.code, exc.message)


def _files_remove(render_id: int) -> None:
    render = Render.objects.select_related("run").filter(pk=render_id).first()
    if render is not None:
        shutil.rmtree(render_folder(render), ignore_errors=True)


def render_fail_if_unfinished(*, render_id: int) -> None:
    """Backstop for a render task that died (timeout): failed, and its partial files removed."""
    if job_fail_if_unfinished(Render, pk=render_id):
        _files_remove(render_id)


def render_delete(*, render: Render) -> None:
    """Delete the render's rows, then its files (an active render is left alone)."""
    if render.is_active:
        raise ServiceError(errors.RENDER_ALREADY_ACTIVE, code="render_active")
    folder = render_folder(render)
    with transaction.atomic():
        render.delete()
    shutil.rmtree(folder, ignore_errors=True)
