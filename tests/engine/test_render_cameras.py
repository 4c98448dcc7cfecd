"""One synced file per camera: a camera's clips on one timeline, gaps as black and silence.

The clips are made with ffmpeg at test time (:mod:`mediasynth`): a reference camera records
the whole take, camera B stops and starts (two clips with a gap between them). Placements are
the true offsets; the render puts B's two clips into one file and the verification measures
each clip's span against the reference's file.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from mediasynth.clips import CameraSpec, write_clips
from syncengine import media
from syncengine.errors import ParameterError, RenderVerificationFailed
from syncengine.render import ReencodeRequired, render_synced
from syncengine.render_shoot import segment_bounds
from syncengine.types import Placement

FPS = 25.0
FRAME_S = 1 / FPS
REF_S = 24.0
B1 = (2.0, 8.0)  # (start on the reference's timeline, duration), seconds
B2 = (15.0, 9.0)  # the gap: 10 s to 15 s
GAP_S = (B1[0] + B1[1], B2[0])


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    specs = [
        CameraSpec("ref", 0.0, REF_S, fps=FPS),
        CameraSpec("b1", B1[0], B1[1], fps=FPS, noise_db=-40.0),
        # Restarted in 16:9: its picture fits inside the camera's 4:3 file with black bars.
        CameraSpec("b2", B2[0], B2[1], fps=FPS, noise_db=-40.0, height=180),
    ]
    return write_clips(specs, tmp_path_factory.mktemp("cameras-src"), seed=31)


def _placements(clips: dict[str, Path], *, b2_error_s: float = 0.0) -> list[Placement]:
    return [
        Placement("ref", clips["ref"], 0.0, "ref.mp4", estimate_s=0.0, is_reference=True),
        Placement("b1", clips["b1"], B1[0], "b1.mp4", estimate_s=B1[0], camera="B"),
        # A wrong sync of the second clip: its estimate and its placement are both off.
        Placement(
            "b2",
            clips["b2"],
            B2[0] + b2_error_s,
            "b2.mp4",
            estimate_s=B2[0] + b2_error_s,
            camera="B",
        ),
    ]


@pytest.fixture(scope="module")
def per_camera(clips: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):
    return render_synced(_placements(clips), tmp_path_factory.mktemp("per-camera"), layout="camera")


def _camera_b(result):
    return next(f for f in result.files if f.camera == "B")


def test_a_camera_of_two_clips_is_one_file(per_camera) -> None:
    assert per_camera.layout == "camera" and per_camera.verified
    names = sorted(Path(f.output).name for f in per_camera.files)
    assert names == ["b1_synced.mp4", "ref_synced.mp4"]  # named after the camera's first clip
    b = _camera_b(per_camera)
    assert b.keys == ("b1", "b2") and b.key == "b1"
    assert b.duration_s == pytest.approx(REF_S, abs=FRAME_S)
    info = media.probe(b.output)
    assert info.video is not None and info.video.fps == pytest.approx(FPS)
    assert (info.video.width, info.video.height) == (320, 240)  # the first clip's size
    assert any(
        "5.00 s of black and silence between 'b1.mp4' and 'b2.mp4'" in n for n in per_camera.notes
    )


def test_both_clips_are_verified_within_a_frame(per_camera) -> None:
    b = _camera_b(per_camera)
    print("segment residuals, ms:", [r * 1e3 for r in b.segment_residuals_s])
    print("segment windows, ms:", [r * 1e3 for r in b.window_residuals_s])
    assert len(b.segment_residuals_s) == 2
    assert all(r is not None and abs(r) < FRAME_S for r in b.segment_residuals_s)
    assert all(r is not None and abs(r) < 0.002 for r in b.segment_residuals_s)  # sample-exact
    assert len(b.window_residuals_s) == 6  # start, middle, end of each clip (8 s and 9 s)
    assert b.window_at == ("start", "middle", "end") * 2
    first, second = b.window_times_s[:3], b.window_times_s[3:]
    assert B1[0] < first[0] < first[1] < first[2] < sum(B1)  # within each clip's own span
    assert B2[0] < second[0] < second[1] < second[2] < sum(B2)
    assert b.residual_s is not None and abs(b.residual_s) < FRAME_S


def test_the_gap_is_black_and_silent(per_camera) -> None:
    b = _camera_b(per_camera)
    gap_levels, footage_levels = [], []
    for t, gray in media.iter_gray_frames(b.output):
        if GAP_S[0] + 0.2 < t < GAP_S[1] - 0.2:
            gap_levels.append(float(gray.mean()))
        elif B1[0] + 0.2 < t < GAP_S[0] - 0.2 or B2[0] + 0.2 < t < sum(B2) - 0.2:
            footage_levels.append(float(gray.mean()))
    assert len(gap_levels) > 4 * FPS
    print(
        f"frame brightness: gap max {max(gap_levels):.1f}, "
        f"footage mean {np.mean(footage_levels):.1f}"
    )
    assert max(gap_levels) < 20.0  # black (16 in video range)
    assert np.mean(footage_levels) > max(gap_levels) + 20.0
    # The 16:9 clip has black bars above and below (30 of 240 rows each, scaled to the gray
    # frames' height) and its picture between them.
    frames = [(t, g) for t, g in media.iter_gray_frames(b.output) if B2[0] + 1 < t < B2[0] + 2]
    gray = frames[0][1].astype(np.float32)
    bar = round(gray.shape[0] * 30 / 240)
    bars, picture = gray[: bar - 1].mean(), gray[bar + 1 : -bar - 1].mean()
    print(f"16:9 clip: bars {bars:.1f}, picture {picture:.1f}")
    assert gray[: bar - 1].mean() < 20.0 and gray[-bar + 1 :].mean() < 20.0
    assert gray[bar + 1 : -bar - 1].mean() > 40.0
    sound = media.decode_audio(b.output, sample_rate_hz=8000)
    rate = sound.sample_rate_hz

    def rms(a_s: float, b_s: float) -> float:
        return float(np.sqrt(np.mean(sound.samples[round(a_s * rate) : round(b_s * rate)] ** 2)))

    gap_rms = rms(GAP_S[0] + 0.1, GAP_S[1] - 0.1)
    print(f"audio RMS: gap {gap_rms:.2e}, clips {rms(3, 9):.2e} and {rms(16, 23):.2e}")
    assert gap_rms < 1e-4  # digital silence (AAC leaves only a trace at the edges)
    assert rms(3, 9) > 0.01 and rms(16, 23) > 0.01


def test_a_misplaced_clip_of_a_camera_fails_verification(clips, tmp_path: Path) -> None:
    with pytest.raises(RenderVerificationFailed) as caught:
        render_synced(_placements(clips, b2_error_s=0.2), tmp_path, layout="camera", method="audio")
    b = _camera_b(caught.value.result)
    first, second = b.segment_residuals_s
    print(f"misplaced second clip: {first * 1e3:+.2f} ms, {second * 1e3:+.2f} ms")
    assert abs(first) < 0.002  # the first clip is still right ...
    assert second == pytest.approx(-0.2, abs=0.005)  # ... the second 200 ms late
    assert "b1_synced.mp4" in caught.value.message


def test_a_copy_cannot_make_one_file_per_camera(clips, tmp_path: Path) -> None:
    with pytest.raises(
        ReencodeRequired, match="cannot make one file per camera.*re-encoding"
    ) as caught:
        render_synced(_placements(clips), tmp_path, layout="camera", reencode=False)
    assert caught.value.code == "reencode_required"
    assert not list(tmp_path.iterdir())


def test_it_rejects_an_unknown_layout(clips, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="layout must be one of clip, camera, got 'tracks'"):
        render_synced(_placements(clips), tmp_path, layout="tracks")


def test_clips_without_a_camera_are_cameras_of_their_own(clips, tmp_path: Path) -> None:
    placements = [replace(p, camera=None) for p in _placements(clips)][:2]
    result = render_synced(placements, tmp_path, layout="camera", verify=False)
    assert sorted(f.keys for f in result.files) == [("b1",), ("ref",)]
    assert any("every clip is a camera of its own" in n for n in result.notes)


@pytest.mark.parametrize(
    ("leads_s", "total_s", "rate", "expected"),
    [
        ([0.0], 2.0, 25.0, [0, 50]),
        ([0.3, 1.02], 2.0, 25.0, [0, 26, 50]),  # the first segment starts at 0 (padding)
        ([0.0, 1.0, 0.9], 2.0, 25.0, [0, 25, 25, 50]),  # never backwards
        ([0.0, 3.0], 2.0, 25.0, [0, 50, 50]),  # never past the end
    ],
)
def test_segment_bounds(leads_s, total_s, rate, expected) -> None:
    assert segment_bounds(leads_s, total_s=total_s, rate=rate) == expected


SKEW_S = 0.12  # the skewed camera's sound runs this late against its own picture


@pytest.fixture(scope="module")
def skewed(clips: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Clip b1 with its own sound delayed by SKEW_S (a remux: the picture is untouched)."""
    out = tmp_path_factory.mktemp("skewed") / "b1s.mp4"
    media.run_ffmpeg(
        ["-i", str(clips["b1"]), "-itsoffset", str(SKEW_S), "-i", str(clips["b1"])]
        + ["-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-y", str(out)],
        timeout_s=60.0,
    )
    return out


def _skew_placements(clips: dict[str, Path], skewed: Path) -> list[Placement]:
    ref = Placement("ref", clips["ref"], 0.0, "ref.mp4", estimate_s=0.0, is_reference=True)
    # Placed by its picture (the true offset); its sound is SKEW_S late against it.
    b = Placement("b1s", skewed, B1[0], "b1s.mp4", estimate_s=B1[0], sound_skew_s=SKEW_S)
    return [ref, b]


def test_correct_skew_moves_the_sound_back_to_the_picture(clips, skewed, tmp_path) -> None:
    result = render_synced(
        _skew_placements(clips, skewed), tmp_path, correct_skew=True, method="audio"
    )
    b = next(f for f in result.files if f.key == "b1s")
    print("skew corrected, windows (ms):", [r * 1e3 for r in b.window_residuals_s])
    assert result.verified
    assert all(r is not None and abs(r) < 0.002 for r in b.window_residuals_s)
    assert any("'b1s.mp4': its sound is moved 120 ms earlier" in n for n in result.notes)


def test_without_correct_skew_the_sound_stays_late(clips, skewed, tmp_path) -> None:
    with pytest.raises(RenderVerificationFailed) as caught:
        render_synced(_skew_placements(clips, skewed), tmp_path, method="audio")
    b = next(f for f in caught.value.result.files if f.key == "b1s")
    print("skew not corrected, windows (ms):", [r * 1e3 for r in b.window_residuals_s])
    assert all(r == pytest.approx(-SKEW_S, abs=0.003) for r in b.window_residuals_s)


def test_a_copy_cannot_correct_skew(clips, skewed, tmp_path) -> None:
    with pytest.raises(ReencodeRequired, match="a corrected sound/picture skew"):
        render_synced(_skew_placements(clips, skewed), tmp_path, correct_skew=True, reencode=False)
