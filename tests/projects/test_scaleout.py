"""Scale-out, for real: a run (then its export) queued through Redis is done by a separate worker.

``manage.py qcluster`` runs as its own process with ``Q_BROKER=redis`` on a PostgreSQL database
created for this test; a second process (the "web" side) adds the videos through the services,
starts a run, and waits for the worker to finish it. Both get the same environment, as two
machines sharing a database, a Redis and a media volume would.

It skips unless PostgreSQL (127.0.0.1:5432, user postgres, trust auth) and Redis
(127.0.0.1:6379) answer. Everything Django happens in subprocesses, so this test does not
depend on the database the rest of the suite runs on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.projects.cluster import REPO, qcluster

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
DB_NAME = "syncsite_scaleout"
# A Redis database of its own, so the queue never meets a developer's running cluster.
REDIS_URL = os.environ.get("SCALEOUT_REDIS_URL", "redis://127.0.0.1:6379/15")
WAIT_S = 45.0


def _postgres_admin() -> Any:
    import psycopg

    try:
        return psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=3, **PG)
    except psycopg.OperationalError:
        return None


def _redis() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        return None
    return client


def _recreate_database(admin: Any) -> None:
    admin.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {DB_NAME}")


@pytest.fixture
def scaleout_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    admin, client = _postgres_admin(), _redis()
    if admin is None or client is None:
        pytest.skip("needs PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379")
    for key in client.scan_iter("django_q:syncsite*"):  # leftovers of an interrupted run
        client.delete(key)
    _recreate_database(admin)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "Q_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="syncsite.settings",
        DEBUG="0",
        SECRET_KEY="scaleout-test-key",
        DATABASE_URL=f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{DB_NAME}",
        Q_BROKER="redis",
        REDIS_URL=REDIS_URL,
        Q_WORKERS="2",
        MEDIA_ROOT=str(tmp_path / "media"),
        LOG_DIR=str(tmp_path / "logs"),
    )
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=REPO,
            env=env,
            check=True,
            timeout=120,
        )
        yield env
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        admin.close()


def drive(clip_paths: list[str]) -> dict[str, Any]:
    """The web side, run in a subprocess after ``django.setup()``: upload, start, wait."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import UploadedFile
    from django_q.brokers import get_broker
    from django_q.models import OrmQ, Task

    from projects import services
    from projects.models import Render, Video

    user = get_user_model().objects.create_user("scaleout", password="scaleout-pw")
    project = services.project_create(owner=user, name="Scale-out")
    for path in map(Path, clip_paths):
        with path.open("rb") as fh:
            upload = UploadedFile(fh, name=path.name, size=path.stat().st_size)
            services.video_add(project=project, upload=upload)
    run = services.sync_run_start(project=project, method="audio")
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        run.refresh_from_db()
        previews_done = not project.videos.filter(status=Video.Status.PROCESSING).exists()
        if not run.is_active and previews_done:
            break
        time.sleep(0.3)
    render = None
    if run.status == "done":  # then the export, through the same worker
        render = services.render_start(run=run)
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and render.is_active:
            time.sleep(0.3)
            render.refresh_from_db()
    outputs = [] if render is None else list(render.outputs.all())
    return {
        "render": None
        if render is None
        else {
            "status": render.status,
            "verified": render.verified,
            "error": render.error_message,
            "files": sorted(Path(o.file.path).name for o in outputs if Path(o.file.path).is_file()),
        },
        "renders_active": Render.objects.filter(status__in=Render.ACTIVE).count(),
        "broker": type(get_broker()).__name__,
        "database": settings.DATABASES["default"]["ENGINE"],
        "orm_queue_rows": OrmQ.objects.count(),
        "status": run.status,
        "error": run.error_message,
        "offsets": {o.video.original_name: o.offset_s for o in run.offsets.select_related("video")},
        "plots": [str(Path(settings.MEDIA_ROOT, p)) for p in run.plots],
        "videos": {v.original_name: v.status for v in project.videos.all()},
        "tasks": {t.func.rsplit(".", 1)[-1]: t.success for t in Task.objects.all()},
    }


def test_a_run_queued_through_redis_is_done_by_a_separate_worker(
    scaleout_env: dict[str, str], clips: Any, tmp_path: Path
) -> None:
    log = tmp_path / "qcluster.log"
    code = (
        "import json, sys, django; django.setup(); "
        "from tests.projects.test_scaleout import drive; "
        "print(json.dumps(drive(sys.argv[1:])))"
    )
    with qcluster(scaleout_env, log):
        web = subprocess.run(
            [sys.executable, "-c", code, str(clips["a"]), str(clips["b_late"])],
            cwd=REPO,
            env=scaleout_env,
            capture_output=True,
            text=True,
            timeout=2 * WAIT_S + 30,
        )
    worker_log = log.read_text(errors="replace")[-3000:]
    assert web.returncode == 0, web.stderr[-3000:]
    result = json.loads(web.stdout.strip().splitlines()[-1])
    assert result["broker"] == "Redis" and "postgresql" in result["database"], result
    assert result["orm_queue_rows"] == 0, result  # nothing went through the ORM broker
    assert result["status"] == "done", (result, worker_log)
    assert result["offsets"]["a.mp4"] == 0.0
    assert result["offsets"]["b_late.mov"] == pytest.approx(1.25, abs=0.002)
    assert result["tasks"]["sync_run_execute_task"] is True, result
    assert set(result["videos"].values()) == {"ready"}, (result, worker_log)
    assert len(result["plots"]) == 4 and all(Path(p).is_file() for p in result["plots"])
    render = result["render"]
    assert render["status"] == "done" and render["verified"], (render, worker_log)
    assert render["files"] == ["a_synced.mp4", "b_late_synced.mov"]
    assert result["tasks"]["render_execute_task"] is True, result
