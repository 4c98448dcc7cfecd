"""Uploads onto a real full disk (a small tmpfs in a mount namespace of its own): 507 JSON,
nothing stored, no partial file left in the media folder or the upload temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.projects.full_disk import can_mount_tmpfs, upload_onto_full_disk

pytestmark = pytest.mark.skipif(not can_mount_tmpfs(), reason="needs unshare -m and mount (root)")

DISK_FULL = (
    "The server ran out of disk space while saving '{name}'. Nothing was changed; try later."
)


def _assert_refused(seen: dict, name: str) -> None:
    assert seen["status"] == 507, seen
    assert seen["content_type"] == "application/json", seen
    assert seen["body"] == {
        "message": DISK_FULL.format(name=name),
        "code": "disk_full",
        "extra": {},
    }, seen
    assert seen["videos"] == [], seen  # nothing stored ...
    assert seen["media_files"] == {}, seen  # ... and no partial file kept
    assert seen["temp_files"] == {}, seen


@pytest.mark.parametrize("size", ["200k", "64k"])
def test_a_full_media_folder_answers_507_and_keeps_no_partial_file(
    clips, tmp_path: Path, size: str
) -> None:
    clip = clips["a"]
    assert clip.stat().st_size > 210 * 1024  # larger than the media folder's file system
    seen = upload_onto_full_disk(clip, tmp_path, full="media", size=size)
    _assert_refused(seen, clip.name)


def test_a_disk_that_fills_within_the_last_chunk_does_not_store_a_short_file(
    clips, tmp_path: Path
) -> None:
    # Django copies a temporary file in 64 KB chunks with os.write, whose short write on a
    # nearly full disk went unnoticed when it was the last chunk: 201, and a file cut short.
    clip, chunk = clips["a"], 64 * 1024
    declared = clip.stat().st_size
    room = declared // chunk * chunk + 8 * 1024  # every chunk fits but part of the last one
    assert room + 4096 < declared
    seen = upload_onto_full_disk(clip, tmp_path, full="media", size=str(room))
    _assert_refused(seen, clip.name)


def test_a_full_upload_temporary_folder_answers_507_json(clips, tmp_path: Path) -> None:
    clip = clips["a"]
    seen = upload_onto_full_disk(clip, tmp_path, full="temp", size="64k")
    _assert_refused(seen, clip.name)


def test_an_upload_that_fits_is_stored_whole(clips, tmp_path: Path) -> None:
    clip = clips["a"]
    seen = upload_onto_full_disk(clip, tmp_path, full="media", size="4m")
    assert seen["status"] == 201, seen
    assert seen["videos"] == [{"size_bytes": seen["declared"], "stored": seen["declared"]}]
    assert list(seen["media_files"].values()) == [seen["declared"]]  # no .part left beside it
    assert seen["temp_files"] == {}, seen
