"""The project page's upload (the API with the browser's session) on a real full disk (a small
tmpfs in a mount namespace of its own): 507 JSON with the file's name, nothing stored, no
partial file left anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.projects.full_disk import can_mount_tmpfs, upload_onto_full_disk

pytestmark = pytest.mark.skipif(not can_mount_tmpfs(), reason="needs unshare -m and mount (root)")

DISK_FULL = (
    "The server ran out of disk space while saving '{name}'. Nothing was changed; try later."
)


@pytest.mark.parametrize("full", ["media", "temp"])
def test_a_full_disk_answers_507_json_and_stores_nothing(clips, tmp_path: Path, full: str) -> None:
    clip = clips["b_late"]
    seen = upload_onto_full_disk(clip, tmp_path, full=full, size="64k", endpoint="session")
    assert seen["status"] == 507, seen
    assert seen["content_type"] == "application/json", seen
    assert seen["body"] == {
        "message": DISK_FULL.format(name=clip.name),
        "code": "disk_full",
        "extra": {},
    }, seen
    assert seen["videos"] == [] and seen["media_files"] == {} and seen["temp_files"] == {}, seen
