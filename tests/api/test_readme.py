"""The README's REST API examples run, as written, against a live server with real clips."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from projects import services
from projects.models import SyncRun

README = Path(__file__).resolve().parents[2] / "README.md"


def _api_blocks() -> dict[str, list[str]]:
    text = README.read_text()
    section = text.split("\n## REST API\n", 1)[1].split("\n## ", 1)[0]
    blocks: dict[str, list[str]] = {}
    for language, code in re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S):
        blocks.setdefault(language, []).append(code)
    return blocks


def test_the_readme_has_one_curl_walk_through_and_one_python_example() -> None:
    blocks = _api_blocks()
    assert len(blocks["bash"]) == 1 and len(blocks["python"]) == 1


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.django_db(transaction=True)
def test_the_readme_examples_sync_and_export_through_the_api(
    live_server, clips, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = get_user_model().objects.create_user("reader", password="reader-password")
    _, token = services.api_token_create(user=user, name="README")
    work = tmp_path / "work"
    work.mkdir()
    for clip, name in (("a", "cam1.mp4"), ("b_late", "cam2.mov"), ("c_early", "cam3.mkv")):
        shutil.copy(clips[clip], work / name)
    env = {
        **os.environ,
        "SYNCSITE": live_server.url,
        "TOKEN": token,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    blocks = _api_blocks()

    walk = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", blocks["bash"][0]],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert walk.returncode == 0, walk.stdout + walk.stderr
    lines = walk.stdout.splitlines()
    assert lines[:3] == ["cam1.mp4", "cam2.mov", "cam3.mkv"], walk.stdout
    assert lines[3] == "done ", walk.stdout
    offsets = {line.split()[0]: float(line.split()[1]) for line in lines[4:7]}
    assert offsets["cam2.mov"] == pytest.approx(clips.truth_s("b_late"), abs=0.01)
    assert offsets["cam3.mkv"] == pytest.approx(clips.truth_s("c_early"), abs=0.01)
    assert re.fullmatch(r"run \d+, render \d+: synced\.zip written", lines[-1])
    with zipfile.ZipFile(work / "synced.zip") as archive:
        assert sorted(archive.namelist()) == [
            "cam1_synced.mp4",
            "cam2_synced.mov",
            "cam3_synced.mkv",
        ]

    example = subprocess.run(
        [sys.executable, "-c", blocks["python"][0]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert example.returncode == 0, example.stdout + example.stderr
    lines = example.stdout.splitlines()
    assert lines[1].split()[:2] == ["cam2.mov", f"{clips.truth_s('b_late'):+.3f}"], lines
    assert lines[3] == f"cam2.mov now at {clips.truth_s('b_late') + 0.040:+.3f} s", lines
    assert lines[4].startswith("400 reference_offset_fixed - The reference video"), lines
    run = SyncRun.objects.get()
    assert run.offsets.get(video__original_name="cam2.mov").manual_offset_s is not None
