"""Drift-corrected renders: a camera whose clock runs 300 ppm fast, retimed to the reference clock.

The clips are made with ffmpeg at test time (:mod:`mediasynth`): ``fast``'s own time ``u`` is
world time ``START_S + u * (1 + 300e-6)``, so over its 60 s it falls ~18 ms behind the
reference. The sync measures the drift, the render corrects it, and the verification measures
the residual at the start, the middle and the end of the overlap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mediasynth.clips import CameraSpec, write_clips
from syncengine import estimate_offsets, media
from syncengine.errors import RenderVerificationFailed
from syncengine.render import _audio_chain, render_synced
from syncengine.timeline import DRIFT_SOUND_MIN_ERROR_S, drift_retime
from syncengine.types import MediaInfo, SyncResult
from syncengine.verify import WINDOWS

DRIFT_PPM = 300.0
START_S = 0.7
DURATION_S = 60.0
FAST_FPS = 50.0  # half a frame (10 ms) < the 18 ms drift: the picture is retimed too
TINY = {"width": 160, "height": 90}
SOUND_GOAL_S = 0.002  # issue 11: sound within 2 ms at start, middle and end


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    specs = [
        CameraSpec("ref", 0.0, DURATION_S + 2.0, fps=10.0, **TINY),
        CameraSpec("fast", START_S, DURATION_S, fps=FAST_FPS, drift_ppm=DRIFT_PPM, **TINY),
    ]
    return write_clips(specs, tmp_path_factory.mktemp("drift-src"), seed=5)


@pytest.fixture(scope="module")
def synced(clips: dict[str, Path]) -> SyncResult:
    return estimate_offsets([clips["ref"], clips["fast"]], method="audio")


@pytest.fixture(scope="module")
def corrected(synced: SyncResult, tmp_path_factory: pytest.TempPathFactory):
    return render_synced(synced, tmp_path_factory.mktemp("drift-on"), tolerance_s=0.004)


@pytest.fixture(scope="module")
def uncorrected(synced: SyncResult, tmp_path_factory: pytest.TempPathFactory):
    with pytest.raises(RenderVerificationFailed) as caught:
        render_synced(
            synced, tmp_path_factory.mktemp("drift-off"), tolerance_s=0.004, correct_drift=False
        )
    return caught.value


def test_the_sync_measures_the_drift(synced: SyncResult) -> None:
    fast = synced.video("fast.mp4")
    assert fast.drift_ppm is not None and abs(fast.drift_ppm - DRIFT_PPM) < 15
    assert abs(fast.offset_s - START_S) < 0.001
    assert synced.placements()[1].drift_ppm == fast.drift_ppm


def test_corrected_render_is_within_2_ms_at_start_middle_and_end(corrected) -> None:
    fast = next(f for f in corrected.files if f.key == "fast.mp4")
    ref = next(f for f in corrected.files if f.key == "ref.mp4")
    print(
        "corrected residuals (start, middle, end), ms:", [r * 1e3 for r in fast.window_residuals_s]
    )
    assert corrected.verified
    assert len(fast.window_residuals_s) == len(WINDOWS) == 3
    assert all(r is not None and abs(r) < SOUND_GOAL_S for r in fast.window_residuals_s)
    assert fast.retimed == ("sound", "picture") and abs(fast.drift_ppm - DRIFT_PPM) < 15
    assert ref.retimed == () and ref.window_residuals_s == ()  # the reference is not measured
    assert corrected.max_residual_s < SOUND_GOAL_S
    assert any("'fast.mp4' drifts +" in n and "resampled" in n for n in corrected.notes)
    # The retimed clip lasts 60 s * (1 + drift) on the timeline; the timeline covers it.
    assert corrected.timeline_duration_s == pytest.approx(DURATION_S + 2.0, abs=0.001)


def test_uncorrected_render_shows_the_drift_at_the_end_and_fails(uncorrected) -> None:
    result = uncorrected.result
    fast = next(f for f in result.files if f.key == "fast.mp4")
    start, middle, end = fast.window_residuals_s
    print("uncorrected residuals (start, middle, end), ms:", [start * 1e3, middle * 1e3, end * 1e3])
    assert not result.verified and fast.retimed == () and fast.drift_ppm == 0.0
    assert abs(start) < 0.004  # the whole-file offset is right at the start ...
    assert end > 0.012 and end - start > 0.010  # ... and ~300 ppm * 55 s late at the end
    assert start < middle < end
    assert "at the end of its overlap" in uncorrected.message
    assert not any("drifts" in n for n in result.notes)


def _picture_lag_frames(output: Path, source: Path, *, lead_s: float, speed: float) -> float:
    """Mean (matched source frame - ideal source frame) over the output's last 2 s of footage.

    The ideal source frame for output time ``T`` is the one of world time ``T``:
    ``(T - lead_s) * fps / speed``. Each output frame is matched to the most alike source frame.
    """
    end_s = lead_s + DURATION_S * speed
    src = [(t, g.astype(np.float32)) for t, g in media.iter_gray_frames(source) if t > 56.0]
    src_t = np.array([t for t, _ in src])
    src_g = np.stack([g for _, g in src])
    lags = []
    for t, g in media.iter_gray_frames(output):
        if end_s - 2.0 < t < end_s - 0.2:
            k = int(np.argmin(np.abs(src_g - g.astype(np.float32)).mean(axis=(1, 2))))
            lags.append((src_t[k] - (t - lead_s) / speed) * FAST_FPS)
    assert len(lags) > 50
    return float(np.mean(lags))


def test_corrected_picture_follows_the_reference_clock(clips, corrected, uncorrected) -> None:
    true_speed = 1 + DRIFT_PPM * 1e-6
    on = next(f for f in corrected.files if f.key == "fast.mp4")
    off = next(f for f in uncorrected.result.files if f.key == "fast.mp4")
    lag_on = _picture_lag_frames(Path(on.output), clips["fast"], lead_s=on.lead_s, speed=true_speed)
    lag_off = _picture_lag_frames(
        Path(off.output), clips["fast"], lead_s=off.lead_s, speed=true_speed
    )
    print(f"picture lag at the end, frames: corrected {lag_on:+.2f}, uncorrected {lag_off:+.2f}")
    assert abs(lag_on) < 0.3  # within a third of a frame of the reference clock
    assert lag_off > 0.6  # ~0.9 frame (18 ms at 50 fps) ahead without the retime


def test_copy_render_says_it_cannot_correct_drift(synced: SyncResult, tmp_path: Path) -> None:
    result = render_synced(synced, tmp_path, reencode=False, verify=False)
    assert all(f.retimed == () and f.drift_ppm == 0.0 for f in result.files)
    assert any("'fast.mp4' drifts" in n and "copy cannot correct" in n for n in result.notes)


def _info(*, duration_s: float, fps: float | None, audio: bool = True) -> MediaInfo:
    from syncengine.types import AudioStreamInfo, VideoStreamInfo

    video = None if fps is None else VideoStreamInfo("h264", 160, 90, fps, False, 0, 0.0, 60, 0)
    sound = AudioStreamInfo("aac", 48000, 1, 0.0, duration_s) if audio else None
    return MediaInfo("x.mp4", "x.mp4", "mp4", 1, duration_s, video, sound)


@pytest.mark.parametrize(
    ("drift_ppm", "duration_s", "fps", "audio", "expected"),
    [
        (300.0, 60.0, 30.0, True, ("sound", "picture")),  # 18 ms > 16.7 ms (half a frame)
        (300.0, 60.0, 10.0, True, ("sound",)),  # 18 ms < 50 ms
        (-300.0, 60.0, 30.0, True, ("sound", "picture")),  # slow clocks too
        (5.0, 60.0, 30.0, True, ()),  # 0.3 ms: below DRIFT_SOUND_MIN_ERROR_S
        (300.0, 60.0, 30.0, False, ("picture",)),  # no sound to resample
        (300.0, 60.0, None, True, ("sound",)),  # audio-only
        (None, 60.0, 30.0, True, ()),  # not measured
        (0.0, 60.0, 30.0, True, ()),
    ],
)
def test_drift_retime_rule(drift_ppm, duration_s, fps, audio, expected) -> None:
    info = _info(duration_s=duration_s, fps=fps, audio=audio)
    assert drift_retime(drift_ppm, info) == expected
    assert DRIFT_SOUND_MIN_ERROR_S == 0.0005


def test_sound_stretch_is_exact_to_the_sample(tmp_path: Path) -> None:
    """The render's sound chain makes a 60 s tone last 60 s * 1.0003 at 48 kHz, to the sample."""
    chain = _audio_chain(lead_s=0.0, sample_rate_hz=48000, total_s=70.0, speed=1.0003)
    out = tmp_path / "stretched.wav"
    media.run_ffmpeg(
        ["-f", "lavfi", "-i", "sine=f=440:r=48000:d=60", "-af", chain, str(out)], timeout_s=120.0
    )
    samples = media.decode_audio(out, sample_rate_hz=48000).samples
    assert samples.size == 70 * 48000  # padded to the timeline with silence
    last = int(np.flatnonzero(np.abs(samples) > 0.01)[-1]) + 1
    assert abs(last - round(60 * 48000 * 1.0003)) <= 3  # 864 samples longer than the tone
