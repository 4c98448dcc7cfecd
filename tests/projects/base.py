"""Shared base for portal tests: an owner, a collaborator and an outsider on a real database."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings

from projects import services
from projects.models import Project, SyncRun


class BaseTestCase(TestCase):
    media_root: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.media_root = tempfile.mkdtemp(prefix="syncsite-media-")
        # Fast hashing: three users per test with the real hasher cost about a second each time.
        cls._media = override_settings(
            MEDIA_ROOT=cls.media_root,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        )
        cls._media.enable()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        cls._media.disable()
        shutil.rmtree(cls.media_root, ignore_errors=True)

    def setUp(self) -> None:
        cache.clear()  # log-in attempt counters (and API throttles) live in the cache
        users = get_user_model().objects
        self.owner = users.create_user("alice", "alice@example.org", "password-alice")
        self.collaborator = users.create_user("bob", "bob@example.org", "password-bob")
        self.outsider = users.create_user("charlie", "charlie@example.org", "password-charlie")

    @staticmethod
    def upload(path: Path, name: str | None = None) -> SimpleUploadedFile:
        return SimpleUploadedFile(name or path.name, path.read_bytes())

    # Data through the services; ``self.clips`` is set by the test module's fixture.

    def project_with(self, *names: str, owner: Any = None, name: str = "Wedding") -> Project:
        """A project holding the named clips, their previews made."""
        project = services.project_create(owner=owner or self.owner, name=name)
        with self.captureOnCommitCallbacks(execute=True):
            for clip in names:
                services.video_add(project=project, upload=self.upload(self.clips[clip]))
        return project

    def run_synced(self, project: Project, *, method: str = "audio") -> SyncRun:
        """A finished sync run of the project (the task runs when its transaction commits)."""
        with self.captureOnCommitCallbacks(execute=True):
            run = services.sync_run_start(project=project, method=method, max_offset_s=20.0)
        run.refresh_from_db()
        assert run.status == SyncRun.Status.DONE, run.error_message
        return run
