"""The export ZIP with an editor timeline beside the synced files: only on request, the
timeline after them under its own bare name, and names that could escape or collide refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from syncengine.archive import iter_zip
from syncengine.errors import ParameterError


def _synced(tmp_path: Path) -> list[Path]:
    paths = [tmp_path / "a_synced.mp4", tmp_path / "b_synced.mov"]
    for k, path in enumerate(paths):
        path.write_bytes(bytes([k]) * 5000)
    return paths


def test_the_default_zip_holds_only_the_synced_files(tmp_path: Path) -> None:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(iter_zip(_synced(tmp_path)))))
    assert archive.namelist() == ["a_synced.mp4", "b_synced.mov"]


def test_a_timeline_asked_for_goes_beside_them_deflated(tmp_path: Path) -> None:
    text = b'<fcpxml version="1.10">' + b"<asset-clip/>" * 200 + b"</fcpxml>"
    chunks = iter_zip(_synced(tmp_path), extras=[("Shoot_run1_synced_files.fcpxml", text)])
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.namelist() == ["a_synced.mp4", "b_synced.mov", "Shoot_run1_synced_files.fcpxml"]
    info = archive.getinfo("Shoot_run1_synced_files.fcpxml")
    assert archive.read(info) == text and info.compress_type == zipfile.ZIP_DEFLATED
    assert info.compress_size < len(text)
    assert archive.read("a_synced.mp4") == bytes([0]) * 5000  # the media stay as they were


@pytest.mark.parametrize("name", ["../x.otio", "sub/x.otio", "", "a_synced.mp4", ".."])
def test_an_extra_that_is_not_a_bare_new_name_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ParameterError, match="cannot go beside the synced files"):
        iter_zip(_synced(tmp_path), extras=[(name, b"x")])
