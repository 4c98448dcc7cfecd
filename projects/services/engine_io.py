"""Shared plumbing between the services and the engine: clip inputs and progress writers.

Clips go to the engine keyed by ``str(video.pk)`` with the user's file name for messages, and
come back keyed the same way; nothing is linked or renamed on disk.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from django.db import models
from django.utils import timezone

import syncengine
from projects.models import Video
from projects.services.videos import safe_file_name

__all__ = [
    "Cancelled",
    "camera_key",
    "clip_inputs",
    "clip_key",
    "output_names",
    "progress_writer",
]

_PROGRESS_EVERY_S = 0.5


class Cancelled(Exception):
    """Raised from a progress callback when the row left RUNNING meanwhile (cancelled)."""


def clip_key(video: Video) -> str:
    """The engine's key for a video: its id, as text."""
    return str(video.pk)


def camera_key(video: Video) -> str | None:
    """The engine's key for a video's camera (``ClipInput.camera``, ``Placement.camera``): the
    camera's id as text; ``None`` (a camera of its own) for a video without one."""
    return None if video.camera_id is None else str(video.camera_id)


def clip_inputs(videos: Sequence[Video]) -> list[syncengine.ClipInput]:
    """The videos as engine inputs: keyed by id, read where stored, named as the user named
    them, with their camera (clips of one camera never overlap: the solver uses it)."""
    return [
        syncengine.ClipInput(
            key=clip_key(video),
            path=Path(video.file.path),
            display_name=video.original_name,
            camera=camera_key(video),
        )
        for video in videos
    ]


def output_names(videos: Sequence[Video]) -> dict[int, str]:
    """Video id -> the file name its synced copy is named after (``{stem}_synced.{ext}``).

    Each is the user's name bounded by :func:`~projects.services.videos.safe_file_name`; where
    two stems are the same ignoring case (so their outputs would collide, or overwrite each
    other once unpacked on a case-insensitive disk), the later video in ``videos`` gets
    ``"{stem} (2)"``, ``"{stem} (3)"``, ...: two uploads named ``clip.mp4`` render to
    ``clip_synced.mp4`` and ``clip (2)_synced.mp4``.
    """
    names, used = {}, set()
    for video in videos:
        name = safe_file_name(video.original_name)
        stem, suffix = Path(name).stem, Path(name).suffix
        k = 2
        while Path(name).stem.casefold() in used:
            name, k = f"{stem} ({k}){suffix}", k + 1
        used.add(Path(name).stem.casefold())
        names[video.pk] = name
    return names


def progress_writer(model: type[models.Model], pk: int) -> Callable[[str, float], None]:
    """A progress callback writing ``stage``/``progress`` to the row, at most every 0.5 s; each
    write renews the job's heartbeat (``projects.services.jobs``).

    The engine calls it in our own thread, so it may use the ORM; it raises
    :class:`Cancelled` once the row is no longer RUNNING.
    """
    last = {"t": 0.0, "stage": ""}

    def report(stage: str, fraction: float) -> None:
        now = time.monotonic()
        if stage == last["stage"] and now - last["t"] < _PROGRESS_EVERY_S and fraction < 1:
            return
        last.update(t=now, stage=stage)
        updated = model._default_manager.filter(pk=pk, status="running").update(
            stage=stage, progress=round(fraction, 4), heartbeat_at=timezone.now()
        )
        if not updated:
            raise Cancelled

    return report
