"""The run's sync check sheet: one PNG at a fixed path in the run's media folder (no model field).

Made at the end of a run from its placed clips (see :mod:`syncengine.check_sheet`). It is a
checking aid: a failure is logged and never fails the run; the run page then says the sheet is
unavailable.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings

from projects.models import SyncRun, Video
from syncengine.check_sheet import SheetClip, check_sheet_write

__all__ = ["CHECK_SHEET_NAME", "check_sheet_path", "run_check_sheet_write"]

logger = logging.getLogger(__name__)

CHECK_SHEET_NAME = "check_sheet.png"


def check_sheet_path(run: SyncRun) -> Path:
    """Where the run's check sheet lives (whether or not it was made)."""
    return Path(settings.MEDIA_ROOT, "projects", str(run.project_id), "runs", str(run.pk)) / (
        CHECK_SHEET_NAME
    )


def run_check_sheet_write(run: SyncRun, placed: Sequence[tuple[Video, float | None]]) -> bool:
    """Write the check sheet of the run's placed clips (``(video, offset_s or None)``).

    Returns whether a sheet was written: False when fewer than two clips with a picture were
    placed (nothing to compare) or when making it failed (logged; the run goes on).
    """
    clips = [
        SheetClip(name=video.original_name, path=video.file.path, offset_s=offset_s)
        for video, offset_s in placed
        if offset_s is not None and video.width  # placed, with a picture
    ]
    path = check_sheet_path(run)
    try:
        path.unlink(missing_ok=True)  # a re-made run never shows an old sheet
        if len(clips) < 2:
            return False
        sheet = check_sheet_write(clips, path)
    except Exception:  # a checking aid: any failure must leave the run's results intact
        logger.exception("run %s: check sheet failed", run.pk)
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return False
    logger.info("run %s: check sheet at %s", run.pk, ", ".join(f"{t:.2f}" for t in sheet.moments_s))
    return True
