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
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

import syncengine
from projects import errors, selectors
from projects.models import Project, Render, RenderOutput, SyncRun, VideoOffset
from projects.queue import enqueue
from projects.services.engine_io import (
    Cancelled,
    camera_key,
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
from syncengine.timecode import BadTimecode, parse_timecode
from syncengine.types import RenderedFile
from syncengine.verify import WINDOWS

logger = logging.getLogger(__name__)

__all__ = [
    "render_delete",
    "render_execute",
    "render_fail_if_unfinished",
    "render_folder",
    "render_start",
    "start_timecode_check",
]

#: The audio choices that put the project's master audio (an external recorder) into the files.
MASTER_AUDIO_MODES = (Render.Audio.MASTER, Render.Audio.MASTER_AND_CAMERA)
RENDER_BAD_AUDIO = (
    "Choose the sound: 'camera' (each camera's own), 'master' (the master audio instead) or "
    "'master_and_camera' (the master first, the camera's second)."
)
RENDER_BAD_LAYOUT = "Choose the files: 'clip' (one per clip) or 'camera' (one per camera)."
RENDER_COPY_CANNOT = (
    "A fast copy only cuts the files: it cannot put the master audio in them or join a "
    "camera's clips into one file. Choose exact files (re-encode) for that."
)
RENDER_COPY_CANNOT_SKEW = (
    "A fast copy only cuts the files: it cannot move a camera's sound back to its own picture. "
    "Choose exact files (re-encode) to correct the sound skew."
)
RENDER_NO_MASTER = (
    "This project has no master audio, so its sound cannot go into the files. Choose the "
    "recorder's file as the master audio on the project page, or export each camera's own sound."
)
RENDER_MASTER_NOT_PLACED = (
    "The master audio '{name}' has no place in this sync, so its sound cannot be lined up with "
    "the cameras. Sync again with it, place it by hand in the player, or export each camera's "
    "own sound."
)
RENDER_BAD_TIMECODE = (
    "Start timecode '{value}' cannot be used ({why}). Write it as HH:MM:SS:FF (HH:MM:SS;FF for "
    "drop frame at 29.97 and 59.94 fps), for example 01:00:00:00, or leave it empty."
)


def render_folder(render: Render) -> Path:
    return Path(
        settings.MEDIA_ROOT, "projects", str(render.run.project_id), "renders", str(render.pk)
    )


def start_timecode_check(value: str, *, fps: float | None) -> str:
    """``value`` checked as the start timecode of files whose reference runs at ``fps``
    (:func:`syncengine.timecode.parse_timecode`: ``HH:MM:SS:FF``, ``HH:MM:SS;FF`` drop frame
    at 29.97 and 59.94); ``""`` stamps nothing.

    Raises
    ------
    ServiceError
        ``invalid``, with the field named in ``extra``.
    """
    value = value.strip()
    if not value:
        return ""
    try:
        if fps is None:
            raise BadTimecode("none of the placed files has a picture to carry a timecode")
        parse_timecode(value, fps)
    except BadTimecode as exc:
        message = RENDER_BAD_TIMECODE.format(value=value, why=exc.message)
        raise ServiceError(message, code="invalid", fields={"start_timecode": [message]}) from exc
    return value


def _reference_fps(run: SyncRun) -> float | None:
    """The rate a start timecode is read at: the reference's picture's, else the first placed
    picture's (as the render reads it)."""
    offsets = sorted(run.offsets.select_related("video"), key=lambda o: not o.is_reference)
    placed = [o for o in offsets if selectors.offset_is_placed(o)]
    return next((o.video.fps for o in placed if o.video.has_video and o.video.fps), None)


def render_start(
    *,
    run: SyncRun,
    mode: str = "union",
    reencode: bool = True,
    audio: str = Render.Audio.CAMERA,
    layout: str = Render.Layout.CLIP,
    start_timecode: str = "",
    correct_skew: bool = False,
) -> Render:
    """Queue synced files for the run at its current (effective) offsets.

    ``audio`` is whose sound goes into the files (``camera``, ``master``: the project's master
    audio instead of each camera's, ``master_and_camera``: the master first, the camera's
    second), ``layout`` a file per clip or per camera, ``start_timecode`` one timecode stamped
    into every file (``""``: none), ``correct_skew`` moves the sound of each clip whose own
    sound the sync found running off its own picture (``VideoOffset.sound_skew_s``) back to
    it (re-encoding only; clips without a skew are untouched).
    """
    if mode not in MODES:
        raise ServiceError(errors.RENDER_BAD_MODE, code="bad_mode")
    if audio not in Render.Audio.values:
        raise ServiceError(RENDER_BAD_AUDIO, code="invalid")
    if layout not in Render.Layout.values:
        raise ServiceError(RENDER_BAD_LAYOUT, code="invalid")
    if not reencode and (audio != Render.Audio.CAMERA or layout != Render.Layout.CLIP):
        raise ServiceError(RENDER_COPY_CANNOT, code="invalid")
    if not reencode and correct_skew:
        raise ServiceError(RENDER_COPY_CANNOT_SKEW, code="invalid")
    if run.status != SyncRun.Status.DONE:
        raise ServiceError(errors.RENDER_RUN_NOT_DONE, code="run_not_done")
    start_timecode = start_timecode_check(start_timecode, fps=_reference_fps(run))
    try:
        with transaction.atomic():
            # Concurrent starts queue up on the project row; the constraint is the backstop.
            project = Project.objects.select_for_update().filter(pk=run.project_id).first()
            placed = selectors.placed_offsets_for_run(run=run)
            if len(placed) < 2:
                raise ServiceError(errors.RENDER_NEED_TWO, code="too_few_synced")
            if audio in MASTER_AUDIO_MODES:
                _check_master(project, placed)
            for stale in job_fail_stale(Render, within=Q(run=run)):  # a dead worker's render
                _files_remove(stale)
            if run.renders.filter(status__in=Render.ACTIVE).exists():
                raise ServiceError(errors.RENDER_ALREADY_ACTIVE, code="render_active")
            render = Render(
                run=run,
                mode=mode,
                reencode=reencode,
                audio=audio,
                layout=layout,
                start_timecode=start_timecode,
                correct_skew=correct_skew,
                placed_offsets=placed,
            )
            render.full_clean(validate_constraints=False)  # the database checks the active one
            render.save()
            transaction.on_commit(lambda: enqueue("render_execute_task", render.pk))
    except IntegrityError as exc:  # one_active_render_per_run: another start won
        raise ServiceError(errors.RENDER_ALREADY_ACTIVE, code="render_active") from exc
    logger.info(
        "render %s queued for run %s (%s, reencode=%s, audio=%s, layout=%s, timecode=%r, "
        "correct_skew=%s)",
        render.pk,
        run.pk,
        mode,
        reencode,
        audio,
        layout,
        start_timecode,
        correct_skew,
    )
    return render


def _check_master(project: Project | None, placed: dict[str, float]) -> None:
    """The project's master audio is chosen and this run placed it."""
    master = project.master_audio if project is not None else None
    if master is None:
        raise ServiceError(RENDER_NO_MASTER, code="no_master_audio")
    if str(master.pk) not in placed:
        raise ServiceError(
            RENDER_MASTER_NOT_PLACED.format(name=master.original_name),
            code="master_not_placed",
        )


def _placement(render: Render, offset: VideoOffset, name: str) -> syncengine.Placement:
    video = offset.video
    key = clip_key(video)
    placed_s = render.placed_offsets.get(key)
    return syncengine.Placement(
        key=key,
        path=Path(video.file.path),
        offset_s=None if placed_s is None else float(placed_s),
        name=name,
        estimate_s=offset.offset_s if offset.synced else None,
        is_reference=offset.is_reference,
        fps=video.fps,
        duration_s=video.duration_s,
        drift_ppm=offset.drift_ppm,  # the render retimes the clip to the reference clock
        camera=camera_key(video),
        # Its sound late (+) against its own picture; moved back only with Render.correct_skew.
        sound_skew_s=offset.sound_skew_s,
    )


def _placements(render: Render, offsets: list[VideoOffset]) -> list[syncengine.Placement]:
    """The render's clips as the engine places them, from the rows: keyed by video id, at the
    offsets taken when the render was queued, named after the user's (bounded, unique) names,
    each with its camera (the project's camera id) and its measured drift."""
    names = output_names([o.video for o in offsets])
    return [_placement(render, o, names[o.video_id]) for o in offsets]


def _engine_options(render: Render, placements: list[syncengine.Placement]) -> dict[str, Any]:
    """The render's options the engine takes beyond its defaults (the camera's own sound, a
    file per clip, no timecode, no skew corrected): layout, the master audio's placement and
    channel, timecode, the sound skew corrected."""
    options: dict[str, Any] = {}
    if render.correct_skew:
        options["correct_skew"] = True
    if render.layout != Render.Layout.CLIP:
        options["layout"] = render.layout
    if render.start_timecode:
        options["start_timecode"] = render.start_timecode
    if render.audio != Render.Audio.CAMERA:
        project = render.run.project
        master_key = str(project.master_audio_id)
        master = next((p for p in placements if p.key == master_key), None)
        if master is None or master.offset_s is None:  # removed or unplaced since the start
            name = project.master_audio.original_name if project.master_audio else "?"
            raise ServiceError(RENDER_MASTER_NOT_PLACED.format(name=name), code="master_not_placed")
        options["audio"] = render.audio
        options["master"] = master
        options["master_channel"] = project.master_channel
    return options


def render_execute(*, render_id: int) -> None:
    """Claim the render (compare-and-set), write and verify the files, record the outputs, with
    a heartbeat while it works (a killed worker's render is failed and its files removed)."""
    if not job_claim(Render, pk=render_id, stage="rendering"):
        return
    with job_heartbeat(Render, pk=render_id):
        _execute(render_id)


def _execute(render_id: int) -> None:
    render = Render.objects.select_related("run__project__master_audio").get(pk=render_id)
    offsets = list(render.run.offsets.select_related("video"))
    folder = render_folder(render)
    started = time.perf_counter()
    try:
        placements = _placements(render, offsets)
        options = _engine_options(render, placements)
        # Encoding takes minutes: no transaction is open here.
        result = render_synced(
            placements,
            folder,
            mode=render.mode,
            reencode=render.reencode,
            method=render.run.method,
            max_lag_s=render.run.max_offset_s,
            ffmpeg_bin=settings.FFMPEG_BIN or None,
            progress=progress_writer(Render, render_id),
            **options,
        )
    except Exception as exc:  # cancelled or failed: none of its files are kept
        shutil.rmtree(folder, ignore_errors=True)
        _record_failure(render_id, started, exc)
        return
    media_root = Path(settings.MEDIA_ROOT)
    names = {clip_key(o.video): o.video.original_name for o in offsets}
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
                        video_id=int(f.keys[0] if f.keys else f.key),
                        camera_id=int(f.camera) if f.camera else None,
                        file=str(Path(f.output).relative_to(media_root)),
                        duration_s=f.duration_s,
                        lead_s=f.lead_s,
                        residual_s=f.residual_s,
                        windows=output_windows(f, names),
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


def _labels(n: int, keys: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """Where each of ``n`` window residuals was measured, ``(at, clip key)``: the start, the
    middle and the end (``verify.WINDOWS``) or ``whole`` (one window over an overlap too short
    for three) of the file's clip, of each of a per-camera file's clips in turn."""
    per = len(WINDOWS)
    if len(keys) > 1 and n == len(keys):
        return [("whole", key) for key in keys]
    if len(keys) > 1 and n == per * len(keys):
        return [(at, key) for key in keys for at in WINDOWS]
    if n == 1:
        return [("whole", None)]
    if n == per:
        return [(at, None) for at in WINDOWS]
    return [(f"window {k}", None) for k in range(1, n + 1)]  # a mix the engine did not say


def output_windows(f: RenderedFile, names: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The verification's windows of one file as ``RenderOutput.windows`` stores them.

    One row per window the engine measured, ``at`` the start, the middle or the end of the
    file's overlap with the reference's file (``verify.WINDOWS``; ``whole``: one window over
    an overlap too short for three), per clip in turn in a per-camera file (``clip``: its name,
    from ``names``, key -> name). Each row has the sound residual against the reference's
    file (``window_residuals_s``) and, with the master audio, the master's against the
    camera's own scratch sound (``master_residuals_s``), in one row when the engine measured
    both in the same windows, else in rows of their own; ``[]`` when the file was not
    measured in windows (the reference itself, no sound in common). ``at`` and ``time_s``
    (the window's centre on the output) are the engine's (``window_at``/``window_times_s``,
    ``master_window_*``) where it says them; the windows are measured by sound, so
    ``picture_s`` is None.
    """
    sound, master = tuple(f.window_residuals_s), tuple(f.master_residuals_s)
    keys, names = tuple(f.keys), names or {}

    def rows(values: tuple[float | None, ...], field: str | None) -> list[dict[str, Any]]:
        ats, times = (
            (f.master_window_at, f.master_window_times_s)
            if field == "master_s"
            else (f.window_at, f.window_times_s)
        )
        said = len(ats) == len(values) and len(times) == len(values)
        out = []
        for k, ((at, key), value) in enumerate(
            zip(_labels(len(values), keys), values, strict=True)
        ):
            row: dict[str, Any] = {
                "at": ats[k] if said else at,
                "time_s": round(float(times[k]), 6) if said else None,
                "picture_s": None,
            }
            row["sound_s"] = value if field in (None, "sound_s") else None
            row["master_s"] = value if field == "master_s" else None
            if key is not None:
                row["clip"] = names.get(key, key)
            out.append(row)
        return out

    if len(sound) == len(master):
        paired = rows(sound, None)
        for row, value in zip(paired, master, strict=True):
            row["master_s"] = value
        return paired
    return rows(sound, "sound_s") + rows(master, "master_s")


def _record_failure(render_id: int, started: float, exc: Exception) -> None:
    """Say on the row why the render stopped (a cancelled row already says so)."""
    if isinstance(exc, Cancelled):
        logger.info("render %s cancelled", render_id)
    elif isinstance(exc, ServiceError):  # the project changed between the start and the work
        job_fail(Render, pk=render_id, started=started, code=exc.code, message=exc.message)
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
