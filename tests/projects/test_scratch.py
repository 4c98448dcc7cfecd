"""Scratch files and folders left by a crash are swept by ``sweep_runs`` (run at start-up) and
the 10-minute sweeper task: ours older than an hour go, anything fresh or not ours stays."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import time
from pathlib import Path

from django.core.management import call_command
from django.test import override_settings

from projects.tasks import sweep_stale_runs_task
from tests.projects.base import BaseTestCase

HOURS_2 = 2 * 3600


def _age(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    for p in [path, *(path.rglob("*") if path.is_dir() else [])]:
        os.utime(p, (then, then), follow_symlinks=False)
    return path


class ScratchSweepTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.temp = Path(tempfile.mkdtemp(prefix="scratch-test-"))
        self.addCleanup(shutil.rmtree, self.temp, ignore_errors=True)
        previous, tempfile.tempdir = tempfile.tempdir, str(self.temp)  # the system temp folder
        self.addCleanup(setattr, tempfile, "tempdir", previous)
        folder = Path(tempfile.mkdtemp(dir=self.media_root)) / "videos" / "0f" / "renders"
        folder.mkdir(parents=True)
        # What a crash leaves, made the way the code makes it.
        upload = Path(tempfile.mkstemp(suffix=".upload.mkv", dir=self.temp)[1])
        probe = Path(tempfile.mkstemp(prefix="syncsite-probe-", suffix=".mp4")[1])
        run = Path(tempfile.mkdtemp(prefix="syncrun-"))
        (run / "links").mkdir()
        (run / "links" / "a.mp4").write_bytes(b"x" * 1000)
        render = Path(tempfile.mkdtemp(prefix="render-"))
        preview = Path(tempfile.mkdtemp(prefix="syncsite-preview-"))
        part = Path(tempfile.mkstemp(prefix=".syncsite-upload-", suffix=".part", dir=folder)[1])
        rendering = Path(tempfile.mkdtemp(prefix=".rendering-", dir=folder))
        (rendering / "a_synced.mp4").write_bytes(b"x" * 1000)
        self.left = [
            _age(p, HOURS_2) for p in (upload, probe, run, render, preview, part, rendering)
        ]
        # Fresh scratch (a live upload or sync) and anything not ours stay.
        live = Path(tempfile.mkdtemp(prefix="syncrun-"))
        (live / "a.mp4").write_bytes(b"x")  # written a moment ago
        _age(live, HOURS_2)
        (live / "b.mp4").write_bytes(b"x")  # ... and again just now: the folder is in use
        stored = folder.parent / "a.mp4"
        stored.write_bytes(b"video")
        self.kept = [
            Path(tempfile.mkstemp(suffix=".upload.mov", dir=self.temp)[1]),  # in progress
            live,
            _age(stored, HOURS_2),  # a stored upload
            self.temp / "render-notes-of-someone.txt",
            self.temp / "tmpnotours",
        ]
        for path in self.kept[-2:]:
            path.write_text("not ours")
            _age(path, HOURS_2)

    def test_start_up_sweep_removes_only_our_old_scratch(self) -> None:
        out = io.StringIO()
        with override_settings(FILE_UPLOAD_TEMP_DIR=str(self.temp)):
            call_command("sweep_runs", stdout=out)
        assert "7 temporary file(s) or folder(s) left by a crash removed" in out.getvalue()
        assert [p for p in self.left if p.exists()] == []
        assert [p for p in self.kept if not p.exists()] == []

    def test_the_scheduled_sweeper_removes_them_too(self) -> None:
        with override_settings(FILE_UPLOAD_TEMP_DIR=str(self.temp)):
            sweep_stale_runs_task()
        assert [p for p in self.left if p.exists()] == []
        assert [p for p in self.kept if not p.exists()] == []
