"""Sweep our own scratch files and folders that a crash left behind (start-up and schedule).

A killed web server leaves Django's upload temporary files (``tmp*.upload*``) and our probe
spills; a killed worker leaves its sync, render and preview folders; a crash while storing an
upload leaves a hidden ``.part`` file beside its final place, and a killed render its
``.rendering-*`` folder. Nothing else is touched, and nothing touched within the last hour.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings

from projects.services.videos import PART_PREFIX, PART_SUFFIX, PREVIEW_PREFIX, PROBE_PREFIX

__all__ = ["MAX_SCRATCH_AGE_S", "scratch_sweep"]

logger = logging.getLogger(__name__)

MAX_SCRATCH_AGE_S = 3600
_RANDOM = "?" * 8  # the random part of a name made by :mod:`tempfile`
#: In the upload temporary folder and the system temporary folder.
TEMP_PATTERNS = (
    f"tmp{_RANDOM}.upload*",  # Django's TemporaryUploadedFile
    f"{PROBE_PREFIX}{_RANDOM}*",
    f"{PREVIEW_PREFIX}{_RANDOM}",
    f"syncrun-{_RANDOM}",
    f"render-{_RANDOM}",
)
#: Anywhere under MEDIA_ROOT.
MEDIA_PATTERNS = (f"{PART_PREFIX}*{PART_SUFFIX}", ".rendering-*")


def _newest_mtime(path: Path) -> float:
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for root, dirs, files in os.walk(path):
            for entry in (*dirs, *files):
                try:
                    newest = max(newest, (Path(root) / entry).lstat().st_mtime)
                except FileNotFoundError:
                    continue
    return newest


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def scratch_sweep(*, now: float | None = None, max_age_s: float = MAX_SCRATCH_AGE_S) -> int:
    """Remove our scratch files and folders untouched for ``max_age_s``; returns how many."""
    cutoff = (time.time() if now is None else now) - max_age_s
    candidates: list[Path] = []
    temp_folders = {Path(tempfile.gettempdir())}
    if settings.FILE_UPLOAD_TEMP_DIR:
        temp_folders.add(Path(settings.FILE_UPLOAD_TEMP_DIR))
    for folder in temp_folders:
        if folder.is_dir():
            for path in folder.iterdir():
                if any(fnmatch.fnmatch(path.name, pattern) for pattern in TEMP_PATTERNS):
                    candidates.append(path)
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir():
        for root, dirs, files in os.walk(media):
            for entry in (*dirs, *files):
                if any(fnmatch.fnmatch(entry, pat) for pat in MEDIA_PATTERNS):
                    candidates.append(Path(root) / entry)
            dirs[:] = [d for d in dirs if not d.startswith(".rendering-")]
    removed = 0
    for path in candidates:
        try:
            if _newest_mtime(path) >= cutoff:
                continue
            _remove(path)
        except FileNotFoundError:
            continue
        removed += 1
        logger.info("removed scratch left behind: %s", path)
    return removed
