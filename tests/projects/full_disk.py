"""Uploads onto a real full disk: a small tmpfs in a mount namespace of its own.

:func:`upload_onto_full_disk` runs this module (``python -m tests.projects.full_disk``) under
``unshare -m``, after mounting a tmpfs of ``size`` over the media folder or the upload
temporary folder. The child process sets Django up on a fresh test database, uploads the clip
through the real API (with a token, or with the project page's session) using the test client,
and prints what it saw as JSON: status, content type, body, the Video rows and every file left
in both folders.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0


def upload_onto_full_disk(
    clip: Path, work: Path, *, full: str, size: str, endpoint: str = "api"
) -> dict[str, Any]:
    """Upload ``clip`` with the ``full`` folder ("media" or "temp") a tmpfs of ``size``."""
    media, temp = work / "media", work / "upload-tmp"
    media.mkdir(parents=True, exist_ok=True)
    temp.mkdir(parents=True, exist_ok=True)
    target = media if full == "media" else temp
    # The child's own database is the embedded SQLite one (in memory): what is tested here is the
    # file system, and a second test database on a shared PostgreSQL would clash with the suite's.
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env = {
        **base,
        "MEDIA_ROOT": str(media),
        "FILE_UPLOAD_TEMP_DIR": str(temp),
        "TMPDIR": str(temp),
        "DJANGO_SETTINGS_MODULE": "syncsite.settings",
        "SQLITE_PATH": str(work / "db.sqlite3"),
        "LOG_DIR": str(work / "logs"),
    }
    child = f"{sys.executable} -m tests.projects.full_disk {endpoint} {clip} {media} {temp}"
    command = f"mount -t tmpfs -o size={size} tmpfs {target} && exec {child}"
    run = subprocess.run(
        ["unshare", "-m", "sh", "-c", command],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def _files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def _main(endpoint: str, clip: Path, media: Path, temp: Path) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, serialize=False)
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from projects import services
    from projects.models import Video

    user = get_user_model().objects.create_user("alice", "alice@example.org", "password-alice")
    project = services.project_create(owner=user, name="Wedding")
    client = Client(raise_request_exception=False)  # a crash is seen as the 500 it would be
    upload = SimpleUploadedFile(clip.name, clip.read_bytes())
    if endpoint == "api":
        _, key = services.api_token_create(user=user, name="tests")
        response = client.post(
            reverse("api-video-list", args=[project.pk]),
            {"file": upload},
            HTTP_AUTHORIZATION=f"Token {key}",
        )
    else:  # "session": the project page's way, the browser's session on the same API
        client.force_login(user)
        response = client.post(reverse("api-video-list", args=[project.pk]), {"file": upload})
    content_type = response.get("Content-Type", "")
    body = response.json() if content_type == "application/json" else response.content[:300]
    videos = [
        {
            "size_bytes": v.size_bytes,
            "stored": Path(v.file.path).stat().st_size if Path(v.file.path).exists() else None,
        }
        for v in Video.objects.all()
    ]
    print(
        json.dumps(
            {
                "status": response.status_code,
                "content_type": content_type,
                "body": body if isinstance(body, dict) else str(body),
                "videos": videos,
                "declared": clip.stat().st_size,
                "media_files": _files(media),
                "temp_files": _files(temp),
            }
        )
    )


if __name__ == "__main__":
    _main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
