"""Schemathesis fuzzes every operation of the live schema against a live server with a token.

It must find no server error (5xx) and no response that breaks the schema (status code, content
type, headers, body). The server holds real data (a project with two clips, a finished run and
render) so that ids 1.. reach the real code paths, not only 404s.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from projects import services
from projects.models import Render, SyncRun

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15"))


@pytest.mark.django_db(transaction=True)
def test_the_fuzzer_finds_no_server_error_and_no_response_off_the_schema(
    live_server, clips, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    user = get_user_model().objects.create_user("fuzzer", password="fuzz-password")
    _, key = services.api_token_create(user=user, name="schemathesis")
    project = services.project_create(owner=user, name="Fuzzed")
    for name in ("a", "b_late"):
        upload = SimpleUploadedFile(clips[name].name, clips[name].read_bytes())
        services.video_add(project=project, upload=upload)
    run = services.sync_run_start(project=project, method="audio")  # runs at once (Q sync)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.DONE, run.error_message
    render = services.render_start(run=run, reencode=False)
    render.refresh_from_db()
    assert render.status == Render.Status.DONE, render.error_message
    _fuzz(live_server.url, key, tmp_path)


def _fuzz(url: str, key: str, tmp_path: Path) -> None:
    from django_q.conf import Conf

    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{url}/api/schema/?format=json",
        "--url",
        url,
        "--header",
        f"Authorization: Token {key}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "20261129",
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--suppress-health-check",
        "all",
    ]
    Conf.SYNC = False  # fuzzed run and render starts stay queued: nothing runs for minutes
    try:
        # cwd: schemathesis keeps a .schemathesis/ folder where it runs.
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
            env={**os.environ, "NO_COLOR": "1"},
        )
    finally:
        Conf.SYNC = True
    print(result.stdout[-3000:])
    assert result.returncode == 0, result.stdout[-15000:] + result.stderr[-3000:]
    tested = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", result.stdout)
    assert tested is not None and len(set(tested.groups())) == 1, result.stdout[-3000:]
    cases = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert cases is not None and cases[1] == cases[2] and int(cases[1]) > 300, cases
