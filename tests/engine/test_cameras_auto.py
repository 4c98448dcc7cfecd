"""Cameras with both methods (``method="auto"``): chapters, and a sound off its own picture.

Three cameras of one synthetic world; the cheap one's sound is delayed by 150 ms with ffmpeg's
``adelay`` (picture copied), the way cheap cameras and screen recorders write it. Ground truth
is each clip's world start (``CameraSpec.start_s``), i.e. where its picture belongs.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mediasynth.clips import CameraSpec, write_clips
from syncengine import estimate_offsets
from syncengine.media import ffmpeg_executable
from tests.engine.test_cameras import CHAPTER_S, chapter_truth, check_chapters, split_into_chapters

SEED = 31
FRAME_S = 1 / 30
DELAY_S = 0.150


@pytest.fixture(scope="module")
def shoot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("skew")
    specs = [
        CameraSpec("wide", start_s=0.0, duration_s=16.0, container="mp4"),
        CameraSpec("good", start_s=3.0, duration_s=11.0, container="mp4"),
        CameraSpec("cheap", start_s=2.0, duration_s=12.0, container="mp4"),
    ]
    paths = write_clips(specs, out, seed=SEED)
    late = out / "cheap_late.mp4"
    subprocess.run(
        [
            ffmpeg_executable(), "-nostdin", "-v", "error", "-y", "-i", str(paths["cheap"]),
            "-map", "0", "-c:v", "copy", "-af", f"adelay={round(DELAY_S * 1000)}:all=1",
            "-c:a", "aac", "-b:a", "128k", "-t", "12", str(late),
        ],
        check=True,
        timeout=120,
    )  # fmt: skip
    return {"wide": paths["wide"], "good": paths["good"], "cheap": late}


def test_a_clip_whose_sound_is_off_its_picture_is_placed_by_the_picture(shoot) -> None:
    result = estimate_offsets([shoot["wide"], shoot["good"], shoot["cheap"]], method="auto")
    cheap, good = result.video("cheap_late.mp4"), result.video("good.mp4")
    error_ms = (cheap.offset_s - 2.0) * 1000
    print(
        f"skewed clip: placed {error_ms:.2f} ms from its picture's truth, skew measured "
        f"{cheap.sound_skew_s * 1000:.1f} ms (made {DELAY_S * 1000:.0f} ms); "
        f"good clip {(good.offset_s - 3.0) * 1000:.3f} ms"
    )
    assert cheap.synced and abs(error_ms) <= FRAME_S * 1000
    assert cheap.sound_skew_s == pytest.approx(DELAY_S, abs=FRAME_S)
    note = [n for n in cheap.notes if "against its own picture" in n]
    assert note and note[0].startswith(f"its sound runs {cheap.sound_skew_s * 1000:.0f} ms late")
    assert "the picture placed it" in note[0]
    assert not any("disagree by" in n for n in cheap.notes)  # said once, as what it is
    # Its sound alone placed it that much early.
    assert cheap.audio_offset_s == pytest.approx(2.0 - DELAY_S, abs=0.002)
    # The others are untouched: sound placements, no skew.
    assert good.sound_skew_s is None and abs(good.offset_s - 3.0) <= 0.001
    placements = {p.key: p for p in result.placements()}
    assert placements["cheap_late.mp4"].sound_skew_s == cheap.sound_skew_s
    assert placements["good.mp4"].sound_skew_s is None


def test_with_one_method_there_is_no_skew(shoot) -> None:
    result = estimate_offsets([shoot["wide"], shoot["good"], shoot["cheap"]], method="audio")
    cheap = result.video("cheap_late.mp4")
    assert cheap.sound_skew_s is None
    assert abs(cheap.offset_s - (2.0 - DELAY_S)) <= 0.002  # where its sound says


@pytest.fixture(scope="module")
def chapters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("auto_chapters")
    specs = [
        CameraSpec("long", start_s=0.0, duration_s=30.0, container="mp4"),
        CameraSpec("camb", start_s=2.0, duration_s=8.0, container="mp4"),
    ]
    paths = write_clips(specs, out, seed=SEED)
    cut = split_into_chapters(paths["long"], chapter_s=CHAPTER_S)
    truth = {spec.name: spec.start_s for spec in specs}
    truth.update(chapter_truth(cut, chapter_s=CHAPTER_S))
    return {"paths": paths, "chapters": cut, "truth": truth}


def test_chapters_with_both_methods(chapters) -> None:
    # The picture can find chance matches of a chapter that overlaps no other camera: a match
    # that would put it over its own camera's first chapter is not used (and said).
    check_chapters(chapters, method="auto")


def test_a_reference_whose_sound_is_off_its_picture_says_so(shoot) -> None:
    result = estimate_offsets([shoot["cheap"], shoot["wide"], shoot["good"]], method="auto")
    cheap = result.video("cheap_late.mp4")
    assert cheap.is_reference and cheap.sound_skew_s == pytest.approx(DELAY_S, abs=FRAME_S)
    assert any(
        "against its own picture" in n and "placed against its picture" in n for n in cheap.notes
    )
    errors_ms = {
        key: (result.video(key).offset_s - truth_s) * 1000
        for key, truth_s in [("wide.mp4", 0.0 - 2.0), ("good.mp4", 3.0 - 2.0)]
    }
    print(f"placed against a skewed reference's picture (ms): {errors_ms}")
    assert all(abs(e) <= FRAME_S * 1000 for e in errors_ms.values()), errors_ms
    for key in ("wide.mp4", "good.mp4"):
        video = result.video(key)
        assert video.sound_skew_s is None
        assert not any("disagree by" in n for n in video.notes)  # the reference's skew, said there
