"""Shared plumbing between the services and the engine: file links and progress writers."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q

from projects.models import Video
from projects.services.videos import safe_file_name

__all__ = ["Cancelled", "link_videos", "progress_writer", "stale_filter"]

_PROGRESS_EVERY_S = 0.5


class Cancelled(Exception):
    """Raised from a progress callback when the row left RUNNING meanwhile (cancelled)."""


def link_videos(videos: Sequence[Video], folder: str | os.PathLike[str]) -> dict[int, Path]:
    """Symlink each upload into ``folder`` under the name the user gave it (made unique),
    bounded by :func:`~projects.services.videos.safe_file_name` so long names fit the file system.

    The engine names files after what it reads, so its messages and the rendered
    ``{name}_synced.{ext}`` files carry the user's names, never our storage paths.
    """
    links, used = {}, set()
    for video in videos:
        name, k = safe_file_name(video.original_name), 2
        stem, suffix = Path(name).stem, Path(name).suffix
        while name in used:
            name, k = f"{stem} ({k}){suffix}", k + 1
        used.add(name)
        link = Path(folder) / name
        os.symlink(video.file.path, link)
        links[video.pk] = link
    return links


def progress_writer(model: type[models.Model], pk: int) -> Callable[[str, float], None]:
    """A progress callback writing ``stage``/``progress`` to the row, at most every 0.5 s.

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
            stage=stage, progress=round(fraction, 4)
        )
        if not updated:
            raise Cancelled

    return report


def stale_filter(*, now: datetime) -> Q:
    """Rows whose worker vanished: RUNNING past the task timeout, QUEUED past the retry period.

    The hook never fires for a worker killed with SIGKILL, so such rows could never finish.
    """
    timeout = timedelta(seconds=settings.Q_CLUSTER["timeout"] + 60)
    retry = timedelta(seconds=settings.Q_CLUSTER["retry"] + 60)
    return Q(status="running", started_at__lt=now - timeout) | Q(
        status="queued", created_at__lt=now - retry
    )
