"""Shared base for portal tests: an owner, a collaborator and an outsider on a real database."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings


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
        users = get_user_model().objects
        self.owner = users.create_user("alice", "alice@example.org", "password-alice")
        self.collaborator = users.create_user("bob", "bob@example.org", "password-bob")
        self.outsider = users.create_user("charlie", "charlie@example.org", "password-charlie")

    @staticmethod
    def upload(path: Path, name: str | None = None) -> SimpleUploadedFile:
        return SimpleUploadedFile(name or path.name, path.read_bytes())
