"""Visual sync: motion energy series and lags between synthetic cameras with known offsets."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from mediasynth.clips import CameraSpec, camera_frames, scene_frame, write_clip
from syncengine.confidence import Z0
from syncengine.errors import ClipTooShort, ParameterError, StaticPicture
from syncengine.media import iter_gray_frames, probe
from syncengine.motion import estimate_visual_lag, motion_series, prepare_motion
from syncengine.types import MotionSeries

SEED = 0
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _cam(
    start_s: float,
    *,
    fps: float = 30.0,
    duration_s: float = 10.0,
    video: str = "blobs",
    crop: float = 1.0,
    brightness: float = 0.0,
    name: str = "cam",
) -> CameraSpec:
    return CameraSpec(
        name=name,
        start_s=start_s,
        duration_s=duration_s,
        fps=fps,
        width=160,
        height=120,
        video=video,
        crop=crop,
        brightness=brightness,
    )


def _gray(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return np.round(rgb @ _LUMA).astype(np.uint8)


def _frames(spec: CameraSpec) -> Iterator[tuple[float, NDArray[np.uint8]]]:
    """The camera's frames as (file time, gray), rendered directly: no ffmpeg."""
    for k, rgb in enumerate(camera_frames(spec, seed=SEED)):
        yield k / spec.fps * spec.clock_scale, _gray(rgb)


@functools.lru_cache(maxsize=32)
def _series(spec: CameraSpec) -> MotionSeries:
    return motion_series(_frames(spec))


REFERENCE = _cam(0.0)

MATCHES = {
    "later": (REFERENCE, _cam(1.25, crop=0.8, brightness=0.1)),
    "earlier_subframe": (REFERENCE, _cam(-2.0 - 0.37 / 30, crop=0.8, brightness=-0.1)),
    "zero": (REFERENCE, _cam(0.0, crop=0.7)),
    "subframe": (REFERENCE, _cam(0.5 + 0.37 / 30, crop=0.8)),
    "25_vs_30_fps": (_cam(0.0, fps=25.0), _cam(0.8123, crop=0.8)),
    "2997_vs_60_fps": (_cam(0.0, fps=30000 / 1001), _cam(-0.4567, fps=60.0, crop=0.8)),
    "60_vs_25_fps": (_cam(0.0, fps=60.0), _cam(3.21, fps=25.0, crop=0.9)),
}
PARTIAL = {  # the clips share 3.5 s of 10 s (35 %)
    "partial_later": (REFERENCE, _cam(6.5, crop=0.8)),
    "partial_earlier": (REFERENCE, _cam(-6.5, crop=0.8)),
}


def _half_frame_s(a: CameraSpec, b: CameraSpec) -> float:
    return 0.5 / max(a.fps, b.fps)


@pytest.mark.parametrize("case", sorted(MATCHES))
def test_it_recovers_known_offsets_within_half_a_frame(case: str) -> None:
    ref, other = MATCHES[case]
    est = estimate_visual_lag(_series(ref), _series(other))
    assert abs(est.lag_s - (other.start_s - ref.start_s)) <= _half_frame_s(ref, other)
    assert est.confidence > 0.5
    assert est.overlap_s == pytest.approx(10.0 - abs(other.start_s - ref.start_s), abs=0.1)


@pytest.mark.parametrize("case", sorted(PARTIAL))
def test_with_35_percent_overlap_it_is_right_or_says_it_is_unsure(case: str) -> None:
    # 3.5 s shared by two 10 s clips: the region consensus finds "partial_earlier" but not
    # "partial_later", which it must then refuse rather than place confidently elsewhere.
    ref, other = PARTIAL[case]
    est = estimate_visual_lag(_series(ref), _series(other))
    if abs(est.lag_s - (other.start_s - ref.start_s)) <= _half_frame_s(ref, other):
        assert est.overlap_s == pytest.approx(3.5, abs=0.1)
    else:
        assert est.confidence < 0.2


def test_swapping_the_clips_negates_the_lag() -> None:
    ref, other = MATCHES["25_vs_30_fps"]
    forward = estimate_visual_lag(_series(ref), _series(other))
    backward = estimate_visual_lag(_series(other), _series(ref))
    assert backward.lag_s == pytest.approx(-forward.lag_s, abs=0.004)


def test_it_uses_real_timestamps_of_a_variable_frame_rate() -> None:
    rng = np.random.default_rng(5)
    times_s = np.cumsum(rng.uniform(0.6, 1.4, size=300) / 30.0)
    times_s -= times_s[0]
    start_s = 1.7

    def vfr_frames() -> Iterator[tuple[float, NDArray[np.uint8]]]:
        for t in times_s:
            yield float(t), _gray(scene_frame(start_s + t, width=160, height=120, seed=SEED))

    est = estimate_visual_lag(_series(REFERENCE), motion_series(vfr_frames()))
    assert abs(est.lag_s - start_s) <= 0.5 / 30
    assert est.confidence > 0.5


@pytest.mark.parametrize(
    "other",
    [_cam(0.5, video="unrelated"), _cam(3.0, fps=25.0, video="unrelated", crop=0.8)],
    ids=["same_fps", "25_fps_cropped"],
)
def test_unrelated_scenes_cannot_place_a_clip(other: CameraSpec) -> None:
    """Refused: a low calibrated confidence, or a peak within the noise (the solver skips it)."""
    est = estimate_visual_lag(_series(REFERENCE), _series(other))
    assert est.confidence < 0.2 or est.margin_z < Z0, est
    assert est.confidence < 0.5


def test_strictly_periodic_motion_gets_low_confidence() -> None:
    ref, other = _cam(0.0, video="loop"), _cam(0.33, fps=25.0, video="loop", crop=0.8)
    assert estimate_visual_lag(_series(ref), _series(other)).confidence < 0.2


def test_max_lag_limits_the_search() -> None:
    ref, other = MATCHES["later"]
    est = estimate_visual_lag(_series(ref), _series(other), max_lag_s=1.0)
    assert abs(est.lag_s) <= 1.0 + 1e-6


def test_series_reports_frame_rate_count_and_a_common_grid() -> None:
    series = _series(MATCHES["2997_vs_60_fps"][0])
    assert series.fps == pytest.approx(30000 / 1001, rel=1e-6)
    assert series.frame_count == 300
    assert series.rate_hz == 100.0 and series.start_s == 0.0
    assert series.values.dtype == np.float32
    # the grid runs from file time 0 to the midpoint of the last two frames (298 and 299)
    assert series.duration_s == pytest.approx(298.5 * 1001 / 30000, abs=0.011)


def test_prepared_series_ignores_exposure_scale() -> None:
    series = _series(REFERENCE)
    brighter = MotionSeries(
        values=series.values * 3.0,
        rate_hz=series.rate_hz,
        start_s=0.0,
        fps=series.fps,
        frame_count=series.frame_count,
    )
    prepared = prepare_motion(series)
    np.testing.assert_allclose(prepare_motion(brighter), prepared, atol=1e-4)
    assert abs(float(prepared.mean())) < 1e-4
    assert float(np.abs(prepared).max()) < 2.5  # soft-limited at 2, then the mean is removed


def test_it_reports_progress_up_to_one() -> None:
    seen: list[float] = []
    motion_series(_frames(_cam(0.0, duration_s=2.0)), duration_s=2.0, progress=seen.append)
    assert seen == sorted(seen)
    assert 3 <= len(seen) <= 60
    assert seen[-1] == 1.0


def test_it_rejects_a_still_picture() -> None:
    with pytest.raises(StaticPicture, match="'tripod.mp4' shows a still picture") as info:
        motion_series(_frames(_cam(0.0, duration_s=2.0, video="static")), filename="tripod.mp4")
    assert info.value.code == "static_picture"
    assert "Try audio sync" in info.value.message


@pytest.mark.parametrize("duration_s", [0.2, 0.9])
def test_it_rejects_a_clip_shorter_than_a_second(duration_s: float) -> None:
    with pytest.raises(ClipTooShort, match="'short.mp4' has only .* Try audio sync"):
        motion_series(_frames(_cam(0.0, duration_s=duration_s)), filename="short.mp4")


def test_it_rejects_colour_frames() -> None:
    rgb = np.zeros((120, 160, 3), dtype=np.uint8)
    with pytest.raises(ParameterError, match=r"2-D gray images, got shape \(120, 160, 3\)"):
        motion_series((k / 30, rgb) for k in range(30))


def test_it_rejects_frames_that_change_size() -> None:
    frames = [(k / 30, np.zeros((120, 160) if k < 5 else (60, 80), np.uint8)) for k in range(30)]
    with pytest.raises(ParameterError, match=r"frame size changed from \(120, 160\) to \(60, 80\)"):
        motion_series(frames)


@pytest.mark.parametrize("rate_hz", [0.0, -100.0, float("nan")])
def test_it_rejects_a_bad_rate(rate_hz: float) -> None:
    with pytest.raises(ParameterError, match="rate_hz must be a positive finite number"):
        motion_series(_frames(REFERENCE), rate_hz=rate_hz)


def test_it_rejects_series_on_different_grids() -> None:
    series = _series(REFERENCE)
    coarse = MotionSeries(
        values=series.values[::2],
        rate_hz=50.0,
        start_s=0.0,
        fps=series.fps,
        frame_count=series.frame_count,
    )
    with pytest.raises(ParameterError, match="different rates: 100.0 Hz and 50.0 Hz"):
        estimate_visual_lag(series, coarse)


def test_it_rejects_a_negative_max_lag() -> None:
    with pytest.raises(ParameterError, match="max_lag_s must be >= 0 or None, got -1.0"):
        estimate_visual_lag(_series(REFERENCE), _series(REFERENCE), max_lag_s=-1.0)


# Through real files: H.264 via ffmpeg, decoded by PyAV with the container's timestamps.


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("motion_clips")


def _file_series(spec: CameraSpec, out_dir: Path) -> MotionSeries:
    path = write_clip(spec, out_dir, seed=SEED)
    info = probe(path)
    return motion_series(iter_gray_frames(path, info=info), filename=info.filename)


def test_it_syncs_encoded_clips_at_different_frame_rates(clip_dir: Path) -> None:
    ref = _cam(0.0, name="ref30")
    other = _cam(1.2345, fps=25.0, crop=0.8, brightness=0.05, name="other25")
    est = estimate_visual_lag(_file_series(ref, clip_dir), _file_series(other, clip_dir))
    assert abs(est.lag_s - 1.2345) <= 0.5 / 30
    assert est.confidence > 0.5


def test_it_rejects_an_encoded_still_picture(clip_dir: Path) -> None:
    # H.264 re-quantises the picture at every keyframe; that must not count as motion
    with pytest.raises(StaticPicture, match="'still.mp4' shows a still picture"):
        _file_series(_cam(0.0, duration_s=4.0, video="static", name="still"), clip_dir)


# Other viewpoints: one wide recording of the world, re-framed by ffmpeg as each camera sees it.

_WORLD_S = 16.0


def _world(out_dir: Path, *, video: str = "blobs") -> Path:
    spec = CameraSpec(
        name=f"world_{video}",
        start_s=0.0,
        duration_s=_WORLD_S,
        width=320,
        height=240,
        audio="none",
        video=video,
    )
    path = out_dir / f"{spec.name}.mp4"
    return path if path.exists() else write_clip(spec, out_dir, seed=SEED)


def _view(
    world: Path, out: Path, *, start_s: float, filters: str, fps: int = 30, crf: int = 23
) -> MotionSeries:
    """Frames of ``world`` from ``start_s`` (a multiple of 1/30 s) for 12 s through ``filters``."""
    import subprocess

    from syncengine.media import ffmpeg_executable

    argv = [
        ffmpeg_executable(),
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-ss",
        f"{start_s - 0.005:.4f}",
        "-i",
        str(world),
        "-t",
        "12",
        "-vf",
        f"{filters},fps={fps}",
        "-an",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        str(crf),
        "-pix_fmt",
        "yuv420p",
        str(out),
    ]
    subprocess.run(argv, check=True, capture_output=True)
    info = probe(out)
    return motion_series(iter_gray_frames(out, info=info), filename=info.filename)


_PLAIN = "crop=288:216:16:12,scale=160:120"
# A zoomed (0.6), off-centre, rolled (5 degrees) handheld camera with sensor noise.
_HANDHELD = (
    "crop=w=192:h=144:x='100+6*sin(t*7.1)+4*sin(t*13.7+1)':y='70+5*sin(t*5.3+2)',"
    "rotate=5*PI/180,crop=iw*0.85:ih*0.85,scale=160:120,noise=alls=8:allf=t"
)
# A phone held upright: a 9:16 window of the scene, off-centre, slightly blurred.
_PORTRAIT = "crop=w=126:h=224:x=150:y=8,scale=90:160,gblur=sigma=0.7"


@pytest.fixture(scope="module")
def world_views(clip_dir: Path) -> dict[str, MotionSeries]:
    world = _world(clip_dir)
    return {
        "plain": _view(world, clip_dir / "plain.mp4", start_s=0.0, filters=_PLAIN),
        "handheld": _view(
            world, clip_dir / "handheld.mp4", start_s=2.4, filters=_HANDHELD, fps=25, crf=30
        ),
        "portrait": _view(
            world, clip_dir / "portrait.mp4", start_s=1.5 + 4 / 30, filters=_PORTRAIT, crf=28
        ),
        "unrelated": _view(
            _world(clip_dir, video="unrelated"),
            clip_dir / "unrelated.mp4",
            start_s=1.0,
            filters=_HANDHELD,
        ),
    }


@pytest.mark.parametrize(("view", "lag_s"), [("handheld", 2.4), ("portrait", 1.5 + 4 / 30)])
def test_it_syncs_a_different_viewpoint_within_a_frame(
    world_views: dict[str, MotionSeries], view: str, lag_s: float
) -> None:
    est = estimate_visual_lag(world_views["plain"], world_views[view])
    assert abs(est.lag_s - lag_s) <= 1 / 30
    assert est.confidence >= 0.5


def test_a_region_series_per_cell_and_a_brightness_series(
    world_views: dict[str, MotionSeries],
) -> None:
    series = world_views["portrait"]
    assert series.regions is not None and series.brightness is not None
    assert series.regions.shape == (series.values.size, 16)
    assert series.brightness.shape == series.values.shape
    assert float(series.regions.min()) >= 0.0


def test_an_unrelated_scene_from_another_viewpoint_is_refused(
    world_views: dict[str, MotionSeries],
) -> None:
    assert estimate_visual_lag(world_views["plain"], world_views["unrelated"]).confidence < 0.2


def test_the_camera_shift_is_removed_and_moving_things_are_not_taken_for_it() -> None:
    import cv2

    from syncengine.motion_frame import FramePairMeter

    rng = np.random.default_rng(3)
    texture = cv2.GaussianBlur(rng.uniform(0, 255, (120, 160)).astype(np.float32), (0, 0), 1.5)
    moved = cv2.warpAffine(
        texture, np.float32([[1, 0, 1.5], [0, 1, -1.0]]), (160, 120), borderMode=cv2.BORDER_REFLECT
    )
    meter = FramePairMeter(texture.shape)
    local, _, _ = meter.measure(texture, moved)
    assert meter.last_shift == pytest.approx((1.5, -1.0), abs=0.2)
    assert local < 0.2 * float(np.mean(np.maximum(np.abs(moved - texture) - 2.0, 0.0)))
    # a still camera watching blobs move: no shift
    frames = [gray.astype(np.float32) for _, gray in _frames(_cam(0.0, duration_s=2.0))]
    meter = FramePairMeter(frames[0].shape)
    shifts = []
    for prev, cur in zip(frames[:-1], frames[1:], strict=True):
        meter.measure(prev, cur)
        shifts.append(meter.last_shift)
    assert np.mean(np.abs(np.asarray(shifts)).sum(axis=1) > 0) < 0.05
