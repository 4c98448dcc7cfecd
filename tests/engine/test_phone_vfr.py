"""Variable frame rate (phones): constant-rate proxies with the sound in place, sync by timestamps.

The VFR clips are real: a 60 fps encode re-encoded with ffmpeg's ``select`` keeping every frame
between 2 and 4.5 s and every third elsewhere (60 fps and 20 fps stretches), written with
``-fps_mode vfr`` so every kept frame keeps its own timestamp, as a phone's encoder writes them.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from mediasynth.clips import CameraSpec, write_clip
from syncengine import estimate_offsets
from syncengine.errors import ParameterError
from syncengine.media import decode_audio, ffmpeg_executable, iter_gray_frames, probe
from syncengine.motion import estimate_visual_lag, motion_series
from syncengine.proxy import make_proxy, proxy_frame_rate
from syncengine.types import VideoStreamInfo

FLASHES_S = (1.0, 3.0, 5.5, 7.0)  # 100 ms white flash and 1 kHz beep together
_VFR_SELECT = r"select='not(mod(n\,3))+between(t\,2\,4.5)'"
PHONE_START_S = 1.25


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-v", "error", "-y", *args],
        check=True,
        capture_output=True,
    )


def _make_vfr(source: Path, target: Path) -> Path:
    _ffmpeg("-i", str(source), "-vf", _VFR_SELECT, "-fps_mode", "vfr", "-c:v", "libx264",
            "-preset", "veryfast", "-c:a", "copy", str(target))  # fmt: skip
    return target


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("phone_vfr")


@pytest.fixture(scope="module")
def flash_beep(folder: Path) -> Path:
    """A VFR clip of a gray picture that flashes white while a beep sounds (9 s, 320x240)."""
    on = "+".join(f"between(t,{t},{t + 0.1})" for t in FLASHES_S)
    source = folder / "flash_beep_60.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "color=c=gray:s=320x240:r=60:d=9",
        "-f", "lavfi", "-i", f"aevalsrc='if({on},0.5*sin(2*PI*1000*t),0)':s=48000:d=9",
        "-filter_complex",
        f"[0:v]geq=lum='if({on.replace('(t,', '(T,')},235,40)':cb=128:cr=128[v]",
        "-map", "[v]", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac",
        str(source),
    )  # fmt: skip
    return _make_vfr(source, folder / "flash_beep_vfr.mp4")


def _flash_times_s(path: Path) -> NDArray[np.float64]:
    frames = [(t, float(g.mean())) for t, g in iter_gray_frames(path, width=32)]
    times = np.array([t for t, _ in frames])
    bright = np.array([v for _, v in frames]) > 130
    return times[1:][bright[1:] & ~bright[:-1]]


def _beep_times_s(path: Path) -> NDArray[np.float64]:
    sound = decode_audio(path, sample_rate_hz=48000)
    loud = np.abs(sound.samples) > 0.05
    onsets: list[float] = []
    for k in np.flatnonzero(loud[1:] & ~loud[:-1]) + 1:
        if not onsets or k / 48000 - onsets[-1] > 0.5:
            onsets.append(k / 48000)
    return np.array(onsets)


def test_the_clip_is_variable_frame_rate(flash_beep: Path) -> None:
    video = probe(flash_beep).video
    assert video is not None and video.variable_fps
    steps = np.diff([t for t, _ in iter_gray_frames(flash_beep, width=32)])
    assert steps.min() == pytest.approx(1 / 60, abs=1e-4)
    assert steps.max() == pytest.approx(1 / 20, abs=1e-4)
    np.testing.assert_allclose(_flash_times_s(flash_beep), FLASHES_S, atol=1e-3)


def test_the_proxy_is_constant_rate_with_flash_and_beep_within_a_frame(
    flash_beep: Path, tmp_path: Path
) -> None:
    info = probe(flash_beep)
    assert info.video is not None
    proxy = make_proxy(flash_beep, tmp_path / "proxy.mp4", info=info)
    video = probe(proxy).video
    assert video is not None and not video.variable_fps
    rate = proxy_frame_rate(info.video)
    assert video.fps == pytest.approx(float(rate), rel=1e-4)
    times = np.array([t for t, _ in iter_gray_frames(proxy, width=32)])
    steps = np.diff(times)
    assert steps.max() - steps.min() < 1e-3  # constant
    assert times[0] == pytest.approx(0.0, abs=1e-3)  # same t=0 as the source
    frame_s = 1 / float(rate)
    flashes, beeps = _flash_times_s(proxy), _beep_times_s(proxy)
    assert flashes.size == beeps.size == len(FLASHES_S)
    print(
        f"proxy {float(rate):.3f} fps; flash - beep (ms):",
        np.round(1000 * (flashes - beeps), 1),
        "beep - source (ms):",
        np.round(1000 * (beeps - np.array(FLASHES_S)), 2),
    )
    assert np.abs(flashes - beeps).max() <= frame_s  # picture and sound within one frame
    assert np.abs(flashes - np.array(FLASHES_S)).max() <= 0.5 * frame_s + 1e-3
    assert np.abs(beeps - np.array(FLASHES_S)).max() <= 0.002  # the sound did not move


def _info(fps: float, variable: bool) -> VideoStreamInfo:
    return VideoStreamInfo("h264", 320, 240, fps, variable, 0, 0.0, 10.0, 0)


@pytest.mark.parametrize(
    ("fps", "variable", "expected"),
    [
        (25.0, False, Fraction(25)),
        (30000 / 1001, False, Fraction(30000, 1001)),
        (29.6, True, Fraction(30000, 1001)),  # a "30 fps" phone that drops frames
        (59.2, True, Fraction(60000, 1001)),
        (30.4, True, Fraction(30)),
        (31.2, True, Fraction(156, 5)),  # no standard rate within 2 %: the average itself
    ],
)
def test_proxy_frame_rate(fps: float, variable: bool, expected: Fraction) -> None:
    assert proxy_frame_rate(_info(fps, variable)) == expected


def test_proxy_frame_rate_refuses_a_stream_without_a_rate() -> None:
    with pytest.raises(ParameterError, match="declares no frame rate"):
        proxy_frame_rate(_info(0.0, True))


# The engine syncs a VFR phone clip by its frames' timestamps.


@pytest.fixture(scope="module")
def cameras(folder: Path) -> dict[str, Path]:
    ref = write_clip(CameraSpec("ref", 0.0, 10.0, width=320, height=240), folder, seed=0)
    cfr = write_clip(
        CameraSpec("phone60", PHONE_START_S, 8.0, fps=60.0, width=320, height=240, crop=0.8),
        folder,
        seed=0,
    )
    return {"ref": ref, "phone": _make_vfr(cfr, folder / "phone_vfr.mp4")}


def test_a_vfr_phone_syncs_visually_within_a_frame(cameras: dict[str, Path]) -> None:
    assert probe(cameras["phone"]).video.variable_fps  # type: ignore[union-attr]
    result = estimate_offsets([cameras["ref"], cameras["phone"]], method="visual")
    placed = result.offsets()["phone_vfr.mp4"]
    assert placed is not None
    print(f"VFR phone, visual: error {1000 * (placed - PHONE_START_S):+.2f} ms")
    assert abs(placed - PHONE_START_S) <= 1 / 30  # one frame of the slower camera


def test_the_frame_timestamps_are_what_places_it(cameras: dict[str, Path]) -> None:
    """Frames numbered at the average rate instead (what a CFR assumption does) misplace it."""
    info = probe(cameras["phone"])
    assert info.video is not None
    ref = motion_series(iter_gray_frames(cameras["ref"]))

    def renumbered() -> Iterator[tuple[float, NDArray[np.uint8]]]:
        for k, (_, gray) in enumerate(iter_gray_frames(cameras["phone"], info=info)):
            yield k / info.video.fps, gray  # type: ignore[union-attr]

    right = estimate_visual_lag(ref, motion_series(iter_gray_frames(cameras["phone"], info=info)))
    wrong = estimate_visual_lag(ref, motion_series(renumbered()))
    assert abs(right.lag_s - PHONE_START_S) <= 1 / 30
    assert abs(wrong.lag_s - PHONE_START_S) > 1 / 30 or wrong.confidence < 0.5
