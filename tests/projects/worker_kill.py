"""The web side of ``test_worker_kill``, run as ``python -m tests.projects.worker_kill``.

In its own process (Django set up on the test's own SQLite file, shared with a real
``manage.py qcluster``), it uploads the clips into two projects, syncs the first, then starts a
render of that run and a run in the second project. As soon as each is RUNNING (the render once
its first partial file is on disk) it kills the worker process that claimed it (``Job.worker``)
with SIGKILL, and waits, polling the database, until both are FAILED or the deadline passes.
Then it starts a new run and a new render and waits for the restarted workers to finish them.
It prints what it saw as one JSON line.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

KILL_DEADLINE_S = 120.0  # the promise: failed, and the project free, within two minutes
WAIT_S = 600.0  # generous bounds for the work itself on a loaded machine


def _wait(what: str, ready: Any, *, timeout_s: float) -> float:
    """Poll ``ready()`` until true; the seconds it took (raises TimeoutError at the deadline)."""
    start = time.monotonic()
    while not ready():
        if time.monotonic() - start > timeout_s:
            raise TimeoutError(f"{what}: not within {timeout_s:.0f} s")
        time.sleep(0.05)
    return time.monotonic() - start


def _kill_worker(job: Any) -> int:
    pid = int(job.worker.rsplit(":", 1)[1])
    assert pid != os.getpid()
    os.kill(pid, signal.SIGKILL)
    return pid


def drive(clip_paths: list[str]) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import UploadedFile

    from projects import services
    from projects.models import Render, SyncRun, Video
    from projects.services.renders import render_folder

    owner = get_user_model().objects.create_user("killer")
    projects = []
    for name in ("Rendered", "Synced"):
        project = services.project_create(owner=owner, name=name)
        for path in map(Path, clip_paths):
            with path.open("rb") as fh:
                upload = UploadedFile(fh, name=path.name, size=path.stat().st_size)
                services.video_add(project=project, upload=upload)
        projects.append(project)
    rendered, synced = projects
    _wait(
        "previews",
        lambda: not Video.objects.filter(status=Video.Status.PROCESSING).exists(),
        timeout_s=WAIT_S,
    )
    first = services.sync_run_start(project=rendered, method="audio")
    _wait("first run", lambda: not SyncRun.objects.get(pk=first.pk).is_active, timeout_s=WAIT_S)
    first.refresh_from_db()
    assert first.status == SyncRun.Status.DONE, first.error_message

    render = services.render_start(run=first)
    run = services.sync_run_start(project=synced, method="auto")
    folder = render_folder(render)
    killed: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + WAIT_S
    while len(killed) < 2:
        assert time.monotonic() < deadline, ("never caught running", killed)
        for key, model, pk in (("render", Render, render.pk), ("run", SyncRun, run.pk)):
            job = model.objects.get(pk=pk)
            if key in killed or job.status != "running" or not job.worker:
                assert job.status in ("queued", "running"), (key, job.status, job.error_message)
                continue
            partial = sorted(
                str(p.relative_to(folder))
                for p in folder.rglob("*")
                if p.is_file() and p.stat().st_size > 0
            )
            if key == "render" and not partial:
                continue  # wait for ffmpeg's first bytes
            killed[key] = {
                "pid": _kill_worker(job),
                "at": time.monotonic(),
                "stage": job.stage,
                "partial": partial if key == "render" else [],
            }
        time.sleep(0.05)

    for key, model, pk in (("render", Render, render.pk), ("run", SyncRun, run.pk)):
        since = time.monotonic() - killed[key]["at"]
        try:
            waited = _wait(
                f"{key} failed",
                lambda model=model, pk=pk: model.objects.get(pk=pk).status == "failed",
                timeout_s=max(0.0, KILL_DEADLINE_S - since),
            )
            killed[key]["failed_after_s"] = round(since + waited, 1)
        except TimeoutError:
            killed[key]["failed_after_s"] = None
        job = model.objects.get(pk=pk)
        killed[key].update(status=job.status, code=job.error_code, message=job.error_message)
    # The killed worker's ffmpeg may outlive it for a while: its files go at the next sweep.
    with contextlib.suppress(TimeoutError):
        _wait("partial files removed", lambda: not folder.exists(), timeout_s=WAIT_S)
        killed["render"]["removed_after_s"] = round(time.monotonic() - killed["render"]["at"], 1)
    leftovers = sorted(str(p) for p in folder.rglob("*")) if folder.exists() else []

    again = services.sync_run_start(project=synced, method="audio")
    again_render = services.render_start(run=first)
    for what, model, pk in (
        ("new run", SyncRun, again.pk),
        ("new render", Render, again_render.pk),
    ):
        _wait(
            what,
            lambda model=model, pk=pk: not model.objects.get(pk=pk).is_active,
            timeout_s=WAIT_S,
        )
    again.refresh_from_db()
    again_render.refresh_from_db()
    return {
        "killed": killed,
        "render_folder_exists": folder.exists(),
        "leftovers": leftovers,
        "new_run": {"status": again.status, "error": again.error_message},
        "new_render": {"status": again_render.status, "error": again_render.error_message},
    }


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(drive(sys.argv[1:])))
