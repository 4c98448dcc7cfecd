"""The sync check sheet on real clips (made with FFmpeg at test time, known offsets)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from syncengine.check_sheet import CAPTION_PX, SheetClip, check_sheet_write
from syncengine.errors import ParameterError
from tests.conftest import Clips

AMBER = np.array([255, 200, 0])


def _placed(clips: Clips, *names: str) -> list[SheetClip]:
    return [SheetClip(clips[n].name, clips[n], clips.truth_s(n)) for n in names]


def _boxed_pixels(tile: np.ndarray) -> int:
    """Pixels of the motion boxes' colour (PNG is lossless, so they are exact)."""
    return int(np.all(np.abs(tile.astype(int) - AMBER) <= 2, axis=-1).sum())


def test_it_lays_out_one_tile_per_camera_and_moment(clips: Clips, tmp_path: Path) -> None:
    sheet = check_sheet_write(
        _placed(clips, "a", "b_late", "c_early"), tmp_path / "sheet.png", tile_width_px=200
    )
    image = Image.open(sheet.path)
    assert image.format == "PNG"
    assert len(sheet.moments_s) == 3 and sheet.names == ("a.mp4", "b_late.mov", "c_early.mkv")
    # 160x120 sources: a tile is 200 x 150, plus the caption strip.
    assert (sheet.tile_width_px, sheet.tile_height_px) == (200, 150)
    assert image.size == sheet.size_px == (3 * 200, 3 * (150 + CAPTION_PX))
    # Every moment lies where all three cameras have picture: c_early ends at 7.6 s on a's
    # timeline and b_late starts at 1.25 s.
    assert all(1.25 < t < 7.6 for t in sheet.moments_s)
    assert list(sheet.moments_s) == sorted(sheet.moments_s)
    assert not list(tmp_path.glob(".*.part"))  # written whole, then renamed


def test_it_boxes_what_moved_and_nothing_on_a_still_picture(clips: Clips, tmp_path: Path) -> None:
    sheet = check_sheet_write(_placed(clips, "a", "static"), tmp_path / "sheet.png", moments=1)
    pixels = np.asarray(Image.open(sheet.path).convert("RGB"))
    w, h = sheet.tile_width_px, sheet.tile_height_px
    moving, still = pixels[:h, :w], pixels[:h, w : 2 * w]
    assert _boxed_pixels(moving) > 100
    assert _boxed_pixels(still) == 0


def test_it_refuses_fewer_than_two_clips_and_bad_options(clips: Clips, tmp_path: Path) -> None:
    out = tmp_path / "sheet.png"
    with pytest.raises(ParameterError, match="needs two placed clips, got 1"):
        check_sheet_write(_placed(clips, "a"), out)
    with pytest.raises(ParameterError, match="moments must be at least 1, got 0"):
        check_sheet_write(_placed(clips, "a", "b_late"), out, moments=0)
    with pytest.raises(ParameterError, match="tile_width_px must be at least 80, got 10"):
        check_sheet_write(_placed(clips, "a", "b_late"), out, tile_width_px=10)
    assert not out.exists()


def test_a_file_that_is_not_a_video_is_named_in_the_error(clips: Clips, tmp_path: Path) -> None:
    bad = [SheetClip("a.mp4", clips["a"], 0.0), SheetClip("notes.mp4", clips["not_media"], 1.0)]
    with pytest.raises(ParameterError, match="'notes.mp4' cannot be read as a video"):
        check_sheet_write(bad, tmp_path / "sheet.png")
    assert not (tmp_path / "sheet.png").exists()
