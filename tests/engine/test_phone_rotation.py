"""Phone clips stored sideways with a rotation tag: probed, analysed, proxied, exported upright.

A phone held upright records landscape pixels and a display matrix that turns them; players
apply it. The clips here are real: a portrait window of a generated scene, encoded upright, then
the same pictures turned a quarter turn, encoded again and tagged with ffmpeg's
``-display_rotation`` (stream copy), so that a player shows them upright again.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from mediasynth.clips import CameraSpec, write_clip
from syncengine import estimate_offsets
from syncengine.media import ffmpeg_executable, iter_gray_frames, probe
from syncengine.motion import estimate_visual_lag, motion_series
from syncengine.proxy import make_poster, make_proxy
from syncengine.render import render_synced
from syncengine.types import MotionSeries

START_S = 1.5  # the phone starts 1.5 s after the reference camera
PORTRAIT = (136, 240)  # width, height as displayed
HALF_FRAME_S = 0.5 / 30
#: ``transpose`` that stores the upright picture sideways, and the tag that turns it back
#: (counter-clockwise degrees, as in the display matrix).
TURNS = {"rot90": ("clock", "90"), "rot270": ("cclock", "-90")}


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-v", "error", "-y", *args],
        check=True,
        capture_output=True,
    )


_X264 = ("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p")


@pytest.fixture(scope="module")
def phone(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("phone_rotation")
    world = write_clip(CameraSpec("world", 0.0, 11.0, width=320, height=240), folder, seed=3)
    paths = {name: folder / f"{name}.mp4" for name in ("ref", "upright", *TURNS)}
    _ffmpeg("-i", str(world), "-t", "10", "-vf", "crop=288:216:16:12,scale=320:240", *_X264,
            "-c:a", "aac", str(paths["ref"]))  # fmt: skip
    _ffmpeg("-ss", str(START_S), "-i", str(world), "-t", "8", "-vf", "crop=136:240:150:0",
            *_X264, "-c:a", "aac", str(paths["upright"]))  # fmt: skip
    for name, (transpose, tag) in TURNS.items():
        sideways = folder / f"{name}_pixels.mp4"
        _ffmpeg("-i", str(paths["upright"]), "-vf", f"transpose={transpose}", *_X264,
                "-c:a", "copy", str(sideways))  # fmt: skip
        _ffmpeg("-display_rotation", tag, "-i", str(sideways), "-c", "copy", str(paths[name]))
    return paths


def _frames(path: Path, **kwargs: object) -> list[tuple[float, NDArray[np.uint8]]]:
    return list(iter_gray_frames(path, info=probe(path), **kwargs))  # type: ignore[arg-type]


def _mean_image(frames: Iterable[tuple[float, NDArray[np.uint8]]]) -> NDArray[np.float64]:
    images = [g.astype(np.float64) for _, g in frames if g.mean() > 8.0]  # skip black padding
    return np.mean(images, axis=0)


def _similarity(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """Correlation of two images of one shape (1: the same picture)."""
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def _assert_upright(frames: list[tuple[float, NDArray[np.uint8]]], upright: NDArray) -> None:
    """The frames show the upright picture, not the same turned half a turn (or sideways)."""
    shown = _mean_image(frames)
    assert shown.shape == upright.shape
    right, flipped = _similarity(shown, upright), _similarity(np.rot90(shown, 2), upright)
    assert right > 0.9, (right, flipped)
    assert right > flipped + 0.2, (right, flipped)


@pytest.mark.parametrize("name", sorted(TURNS))
def test_the_probe_reads_the_rotation_of_sideways_pixels(phone, name: str) -> None:
    video = probe(phone[name]).video
    assert video is not None
    assert (video.width, video.height) == PORTRAIT[::-1]  # stored landscape
    assert video.rotation_deg == {"rot90": 90, "rot270": 270}[name]


@pytest.mark.parametrize("name", sorted(TURNS))
def test_the_visual_analysis_sees_the_frames_upright(phone, name: str) -> None:
    upright = _frames(phone["upright"])
    turned = _frames(phone[name])
    assert turned[0][1].shape == upright[0][1].shape == PORTRAIT[::-1]  # (height, width)
    assert len(turned) == len(upright)
    _assert_upright(turned, _mean_image(upright))
    # the width asked for is the displayed width
    assert _frames(phone[name], width=68)[0][1].shape == (120, 68)


def _series(path: Path) -> MotionSeries:
    info = probe(path)
    return motion_series(iter_gray_frames(path, info=info), filename=info.filename)


def test_a_rotated_copy_syncs_visually_as_well_as_the_upright_copy(phone) -> None:
    ref = _series(phone["ref"])
    upright = estimate_visual_lag(ref, _series(phone["upright"]))
    turned = estimate_visual_lag(ref, _series(phone["rot90"]))
    errors_ms = (1000 * (upright.lag_s - START_S), 1000 * (turned.lag_s - START_S))
    print(f"visual error upright {errors_ms[0]:+.2f} ms, rotated {errors_ms[1]:+.2f} ms")
    assert abs(upright.lag_s - START_S) <= HALF_FRAME_S
    assert abs(turned.lag_s - START_S) <= HALF_FRAME_S
    assert abs(turned.lag_s - upright.lag_s) <= 0.003, errors_ms
    assert turned.confidence > 0.5 and upright.confidence > 0.5


@pytest.mark.parametrize("name", sorted(TURNS))
def test_the_proxy_is_upright_portrait_with_no_rotation_left(phone, tmp_path: Path, name) -> None:
    proxy = make_proxy(phone[name], tmp_path / "proxy.mp4")
    video = probe(proxy).video
    assert video is not None
    assert (video.width, video.height) == PORTRAIT  # turned pixels: a player cannot turn twice
    assert video.rotation_deg == 0
    _assert_upright(_frames(proxy), _mean_image(_frames(phone["upright"])))


def test_the_poster_is_upright_portrait(phone, tmp_path: Path) -> None:
    import cv2

    poster = make_poster(phone["rot90"], tmp_path / "poster.jpg")
    assert poster is not None
    image = cv2.imread(str(poster), cv2.IMREAD_GRAYSCALE)
    assert image.shape == PORTRAIT[::-1]


def test_the_export_of_a_rotated_clip_is_upright(phone, tmp_path: Path) -> None:
    sync = estimate_offsets([phone["ref"], phone["rot90"]])
    placed = sync.offsets()
    assert abs(placed["rot90.mp4"] - START_S) <= HALF_FRAME_S
    result = render_synced(sync, tmp_path / "out")
    assert result.verified
    output = Path(next(f.output for f in result.files if f.key == "rot90.mp4"))
    video = probe(output).video
    assert video is not None
    assert (video.width, video.height, video.rotation_deg) == (*PORTRAIT, 0)
    _assert_upright(_frames(output), _mean_image(_frames(phone["upright"])))
