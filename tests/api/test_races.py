"""Races, for real: simultaneous API requests, each thread with its own database connection.

On PostgreSQL (CI's PostgreSQL phase) the requests really run at once: ten run starts in one
project must queue exactly one run (the others get the 409 answer, never a 500), ten render
starts on one run exactly one render, and concurrent uploads must get distinct positions in
upload order. The database's guarantees make it so: a lock on the project row where a job starts
or an upload takes its position, and conditional unique constraints on the active run and render.

The suite's default SQLite test database lives in memory, where a second connection cannot
write while another holds a transaction; there the requests take turns (one lock around each),
which is what SQLite does with writers anyway, and the same outcomes are asserted.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client, TransactionTestCase, override_settings
from django.urls import reverse

from projects import services
from projects.models import Render, SyncRun, Video
from tests.projects.base import BaseTestCase

pytestmark = pytest.mark.usefixtures("_clips")

STARTS = 10
UPLOADS = 10
_TURNS = threading.Lock()  # SQLite's in-memory test database: one request at a time


@contextlib.contextmanager
def _tasks_queued_not_run() -> Iterator[None]:
    """Queue tasks in the ORM broker instead of running them in the request (no worker here),
    so the accepted job stays active for the whole burst."""
    from django.conf import settings
    from django_q.conf import Conf

    settings.Q_CLUSTER["sync"], Conf.SYNC = False, False
    try:
        yield
    finally:
        settings.Q_CLUSTER["sync"], Conf.SYNC = True, True


def _at_once(count: int, request: Callable[[Client], Any]) -> list[Any]:
    """``request(client)`` from ``count`` threads released together; their answers in order."""
    barrier = threading.Barrier(count)
    serial = connection.vendor == "sqlite"

    def one(_: int) -> Any:
        try:
            client = Client()
            barrier.wait(timeout=60)
            with _TURNS if serial else contextlib.nullcontext():
                return request(client)
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


class RaceTests(TransactionTestCase):
    media_root: str

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.media_root = tempfile.mkdtemp(prefix="syncsite-races-")
        cls._settings = override_settings(
            MEDIA_ROOT=cls.media_root,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        )
        cls._settings.enable()

    @classmethod
    def tearDownClass(cls) -> None:
        cls._settings.disable()
        shutil.rmtree(cls.media_root, ignore_errors=True)
        super().tearDownClass()

    def setUp(self) -> None:
        cache.clear()  # throttle counters
        self.owner = get_user_model().objects.create_user("alice", password="password-alice")
        _, self.key = services.api_token_create(user=self.owner, name="races")
        self.auth = {"HTTP_AUTHORIZATION": f"Token {self.key}"}

    def _project(self, *names: str) -> Any:
        project = services.project_create(owner=self.owner, name="Race")
        for name in names:  # previews are made at once (synchronous tasks, committed rows)
            path = self.clips[name]
            services.video_add(project=project, upload=BaseTestCase.upload(path))
        return project

    def test_simultaneous_run_starts_queue_exactly_one_run(self) -> None:
        project = self._project("a", "b_late")
        url = reverse("api-run-list", args=[project.pk])
        with _tasks_queued_not_run():
            answers = _at_once(
                STARTS,
                lambda c: c.post(
                    url, {"method": "audio"}, content_type="application/json", **self.auth
                ),
            )
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [201] + [409] * (STARTS - 1), [a.content[:200] for a in answers]
        assert {a.json()["code"] for a in answers if a.status_code == 409} == {"run_active"}
        assert project.runs.filter(status__in=SyncRun.ACTIVE).count() == 1
        assert project.runs.count() == 1

    def test_simultaneous_render_starts_queue_exactly_one_render(self) -> None:
        project = self._project("a", "b_late")
        run = services.sync_run_start(project=project, method="audio")  # run at once (sync)
        run.refresh_from_db()
        assert run.status == SyncRun.Status.DONE, run.error_message
        url = reverse("api-render-list", args=[run.pk])
        with _tasks_queued_not_run():
            answers = _at_once(
                STARTS,
                lambda c: c.post(
                    url, {"mode": "union"}, content_type="application/json", **self.auth
                ),
            )
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [201] + [409] * (STARTS - 1), [a.content[:200] for a in answers]
        assert {a.json()["code"] for a in answers if a.status_code == 409} == {"render_active"}
        assert Render.objects.filter(run=run).count() == 1

    def test_simultaneous_uploads_get_distinct_positions(self) -> None:
        project = services.project_create(owner=self.owner, name="Uploads")
        url = reverse("api-video-list", args=[project.pk])
        clip = self.clips["a"]

        def upload(client: Client) -> Any:
            with clip.open("rb") as fh:
                return client.post(url, {"file": fh}, **self.auth)

        with _tasks_queued_not_run():
            answers = _at_once(UPLOADS, upload)
        assert [a.status_code for a in answers] == [201] * UPLOADS, [
            a.content[:200] for a in answers
        ]
        positions = sorted(Video.objects.filter(project=project).values_list("position", flat=True))
        assert positions == list(range(UPLOADS))
        # The reference is the first upload, unambiguously: position order is id order.
        by_id = list(
            Video.objects.filter(project=project).order_by("id").values_list("position", flat=True)
        )
        assert by_id == sorted(by_id)
        project.refresh_from_db()
        assert project.next_position == UPLOADS
