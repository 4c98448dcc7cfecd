"""A worker killed with SIGKILL mid-run and mid-render, for real, on default settings.

A real ``manage.py qcluster`` (two workers, the ORM broker) and a "web" process
(:mod:`tests.projects.worker_kill`) share an SQLite file and a media folder made for this test.
The web side starts a render and a run, kills the worker process running each the moment it is
running (the render once ffmpeg has written part of a file), and waits for the database to say
FAILED. The promise (``projects.services.sweep``): each ends failed with a message saying the
worker stopped and to start again, within two minutes; the render's partial files are gone; a
new run and a new render in those projects are accepted and done by the restarted workers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediasynth.clips import CameraSpec, write_clips
from tests.projects.cluster import REPO, qcluster

# Long enough that a sync and a render take seconds even on a fast machine: the kill lands
# while they run. Distinct content (one world, two cameras), so the first run syncs.
LONG = (
    CameraSpec("long_a", 0.0, 60.0, width=320, height=240),
    CameraSpec("long_b", 1.5, 50.0, width=320, height=240),
)

pytestmark = [
    pytest.mark.slow,
    # Its processes use an SQLite file of their own whatever the suite runs on: once is enough.
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_URL")), reason="runs in the SQLite phase (own database)"
    ),
]


@pytest.fixture
def cluster_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "Q_", "JOB_")) and k != "DATABASE_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="syncsite.settings",
        DEBUG="0",
        SECRET_KEY="worker-kill-test-key",  # web and worker must share it (signed tasks)
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        MEDIA_ROOT=str(tmp_path / "media"),
        LOG_DIR=str(tmp_path / "logs"),
        Q_WORKERS="2",
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=REPO,
        env=env,
        check=True,
        timeout=300,
    )
    yield env


def test_a_killed_worker_fails_its_run_and_render_within_two_minutes(
    cluster_env: dict[str, str], tmp_path: Path
) -> None:
    clips = write_clips(LONG, tmp_path / "clips", seed=7)
    log = tmp_path / "qcluster.log"
    with qcluster(cluster_env, log):
        web = subprocess.run(
            [sys.executable, "-m", "tests.projects.worker_kill", *map(str, clips.values())],
            cwd=REPO,
            env=cluster_env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
    worker_log = log.read_text(errors="replace")[-4000:]
    assert web.returncode == 0, (web.stderr[-4000:], worker_log)
    result = json.loads(web.stdout.strip().splitlines()[-1])
    print("worker kill:", json.dumps(result["killed"]))  # the figures: seconds to FAILED
    render, run = result["killed"]["render"], result["killed"]["run"]
    assert render["partial"], result  # killed while ffmpeg was writing
    for job, doing in ((run, "syncing"), (render, "making the synced files")):
        assert job["status"] == "failed" and job["code"] == "worker_lost", (result, worker_log)
        assert job["failed_after_s"] is not None, (result, worker_log)  # within two minutes
        assert f"the worker stopped while {doing}" in job["message"], job
        assert job["message"].endswith("start it again."), job
    assert run["message"].startswith("Sync failed") and render["message"].startswith("Render")
    assert not result["render_folder_exists"] and result["leftovers"] == [], result
    assert result["new_run"]["status"] == "done", (result, worker_log)
    assert result["new_render"]["status"] == "done", (result, worker_log)
