"""Several clips per camera: chapters, a camera that stops and starts, and what cannot be.

One synthetic world; ground truth is each clip's world start time (``CameraSpec.start_s``). The
chapters are cut from one long recording by ffmpeg's segment muxer, so their truth is the cut
time less the chapter's own picture start (the muxer keeps the audio's priming before it).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from mediasynth.clips import CameraSpec, write_clips
from syncengine import estimate_offsets
from syncengine.align import same_camera_overlaps
from syncengine.media import ffmpeg_executable, probe
from syncengine.types import ClipInput

FRAME_S = 1 / 30
CHAPTER_S = 10.0
SEED = 11


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-v", "error", "-y", *args], check=True, timeout=120
    )


def _stamped(src: Path, when: str) -> Path:
    """A copy of ``src`` whose container says it was created at ``when`` (remux, no re-encode)."""
    out = src.with_name(f"{src.stem}_t{src.suffix}")
    _ffmpeg(
        "-i", str(src), "-c", "copy", "-map", "0", "-metadata", f"creation_time={when}", str(out)
    )
    return out


def _timecoded(src: Path, timecode: str) -> Path:
    """A copy of ``src`` whose first frame has this timecode (remux, no re-encode)."""
    out = src.with_name(f"{src.stem}_tc{src.suffix}")
    _ffmpeg(
        "-i", str(src), "-c", "copy", "-map", "0", "-metadata", f"timecode={timecode}", str(out)
    )
    return out


@pytest.fixture(scope="module")
def shoot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("cameras")
    specs = [
        CameraSpec("long", start_s=0.0, duration_s=30.0, container="mp4"),
        CameraSpec("camb", start_s=2.0, duration_s=8.0, container="mp4"),
        CameraSpec("wide", start_s=0.0, duration_s=22.0, container="mp4"),
        CameraSpec("s1", start_s=2.0, duration_s=7.0, container="mp4"),
        CameraSpec("s2", start_s=12.0, duration_s=8.0, container="mp4"),
        CameraSpec("s3", start_s=25.0, duration_s=6.0, container="mp4"),
        CameraSpec("o2", start_s=6.0, duration_s=6.0, container="mp4"),
    ]
    paths = write_clips(specs, out, seed=SEED)
    chapters = split_into_chapters(paths["long"], chapter_s=CHAPTER_S)
    truth = {spec.name: spec.start_s for spec in specs}
    truth.update(chapter_truth(chapters, chapter_s=CHAPTER_S))
    stamped = {
        name: _stamped(paths[name], when)
        for name, when in [
            ("s1", "2026-12-01T10:00:02Z"),
            ("s2", "2026-12-01T10:00:12Z"),
            ("s3", "2026-12-01T10:00:25Z"),
        ]
    }
    timecoded = {
        name: _timecoded(paths[name], tc)
        for name, tc in [("s2", "01:00:12:00"), ("s3", "01:00:25:00")]
    }
    return {
        "paths": paths,
        "chapters": chapters,
        "truth": truth,
        "stamped": stamped,
        "timecoded": timecoded,
    }


def split_into_chapters(recording: Path, *, chapter_s: float) -> list[Path]:
    """The recording cut into chapters by ffmpeg's segment muxer (``GX00.mp4``, ``GX01.mp4``...)."""
    pattern = str(recording.with_name("GX%02d.mp4"))
    _ffmpeg(
        "-i", str(recording), "-c", "copy", "-map", "0", "-f", "segment",
        "-segment_time", str(chapter_s), "-reset_timestamps", "1", pattern,
    )  # fmt: skip
    return sorted(recording.parent.glob("GX*.mp4"))


def chapter_truth(chapters: list[Path], *, chapter_s: float) -> dict[str, float]:
    """Each chapter's world start: its cut time less its own picture start (kept priming)."""
    truth = {}
    for k, chapter in enumerate(chapters):
        video = probe(chapter).video
        assert video is not None
        truth[chapter.stem] = k * chapter_s - video.start_s
    return truth


def errors_ms(result, truth: dict[str, float], reference: str) -> dict[str, float]:
    return {
        v.key: (v.offset_s - (truth[v.key] - truth[reference])) * 1000
        for v in result.videos
        if v.offset_s is not None
    }


def test_chapters_of_one_recording_follow_each_other(shoot) -> None:
    check_chapters(shoot, method="audio")


def check_chapters(shoot, *, method: str) -> None:
    """Every chapter within a frame; those that overlap no other camera placed by it."""
    chapters = shoot["chapters"]
    assert len(chapters) == 3
    clips = [ClipInput("camb", shoot["paths"]["camb"], camera="B")]
    clips += [ClipInput(c.stem, c, camera="A") for c in chapters]
    result = estimate_offsets(clips, method=method)
    errors = errors_ms(result, shoot["truth"], "camb")
    print(f"chapter placement errors ({method}, ms):", {k: round(e, 3) for k, e in errors.items()})
    assert set(errors) == {"camb", "GX00", "GX01", "GX02"}
    assert all(abs(e) <= FRAME_S * 1000 for e in errors.values()), errors
    by_key = result.by_key()
    assert by_key["GX00"].placed_by == "content" and by_key["camb"].placed_by == "content"
    for later, earlier in [("GX01", "GX00"), ("GX02", "GX01")]:
        video = by_key[later]
        assert video.synced and video.placed_by == "camera"
        assert video.band == "fair" and video.confidence <= 0.3  # not measured
        assert f"placed after chapter '{earlier}.mp4' of its camera" in video.notes[-1]
        assert "overlaps no other camera" in video.notes[-1]
    # The clips of camera A were never measured against each other.
    a = {result.video(c.stem).key for c in chapters}
    assert not [p for p in result.pairs if {clips[p.i].key, clips[p.j].key} <= a]


def test_the_isolated_chapters_are_unplaced_without_their_camera(shoot) -> None:
    clips = [ClipInput("camb", shoot["paths"]["camb"])]
    clips += [ClipInput(c.stem, c) for c in shoot["chapters"]]
    by_key = estimate_offsets(clips, method="audio").by_key()
    for key in ("GX01", "GX02"):
        assert not by_key[key].synced and by_key[key].placed_by == ""
    assert by_key["GX00"].placed_by == "content"


def test_a_camera_that_stops_and_starts_is_placed_clip_by_clip(shoot) -> None:
    paths = shoot["paths"]
    clips = [
        ClipInput("wide", paths["wide"], camera="W"),
        ClipInput("s1", paths["s1"], camera="S"),
        ClipInput("s2", paths["s2"], camera="S"),
    ]
    result = estimate_offsets(clips, method="audio")
    errors = errors_ms(result, shoot["truth"], "wide")
    print("stop/start placement errors (ms):", {k: round(e, 3) for k, e in errors.items()})
    assert set(errors) == {"wide", "s1", "s2"}
    assert all(abs(e) <= 1.0 for e in errors.values()), errors
    for key in ("s1", "s2"):
        video = result.video(key)
        assert video.placed_by == "content" and video.band == "excellent"
        assert not any("chapter" in note for note in video.notes)  # a 3 s gap is no chapter


def test_a_clip_that_overlaps_no_other_camera_is_placed_by_its_creation_time(shoot) -> None:
    stamped = shoot["stamped"]
    clips = [
        ClipInput("wide", shoot["paths"]["wide"], camera="W"),
        ClipInput("s1", stamped["s1"], camera="S"),
        ClipInput("s3", stamped["s3"], camera="S"),  # after "wide" stopped
        ClipInput("s2", stamped["s2"], camera="S"),  # given out of order: creation times sort
    ]
    result = estimate_offsets(clips, method="audio")
    errors = errors_ms(result, shoot["truth"], "wide")
    print("creation-time placement errors (ms):", {k: round(e, 3) for k, e in errors.items()})
    s3 = result.video("s3")
    assert s3.synced and s3.placed_by == "camera" and s3.band == "fair"
    assert "placed by its creation time, 13.0 s after 's2_t.mp4'" in s3.notes[-1]
    assert "check it" in s3.notes[-1]
    # Whole-second creation times of a synthetic camera: the placement is as good as s2's.
    assert abs(errors["s3"]) <= FRAME_S * 1000, errors
    assert result.video("s2").placed_by == "content" and abs(errors["s2"]) <= 1.0


def test_a_clip_that_overlaps_no_other_camera_is_placed_by_its_timecode(shoot) -> None:
    timecoded = shoot["timecoded"]
    clips = [
        ClipInput("wide", shoot["paths"]["wide"], camera="W"),
        ClipInput("s2", timecoded["s2"], camera="S"),
        ClipInput("s3", timecoded["s3"], camera="S"),  # after "wide" stopped
    ]
    result = estimate_offsets(clips, method="audio")
    errors = errors_ms(result, shoot["truth"], "wide")
    print("timecode placement errors (ms):", {k: round(e, 3) for k, e in errors.items()})
    s3 = result.video("s3")
    assert s3.synced and s3.placed_by == "camera" and s3.band == "fair"
    assert "placed by its timecode, 13.00 s after 's2_tc.mp4' of its camera" in s3.notes[-1]
    assert abs(errors["s3"]) <= FRAME_S * 1000, errors


def test_chapters_that_the_content_places_are_checked_back_to_back(shoot) -> None:
    paths, (gx00, gx01, _) = shoot["paths"], shoot["chapters"]
    # "wide" (0..22 s) overlaps both chapters: the content places them, back to back.
    clips = [
        ClipInput("wide", paths["wide"], camera="W"),
        ClipInput("GX00", gx00, camera="A"),
        ClipInput("GX01", gx01, camera="A"),
    ]
    result = estimate_offsets(clips, method="audio")
    errors = errors_ms(result, shoot["truth"], "wide")
    print("chapters placed by content (ms):", {k: round(e, 3) for k, e in errors.items()})
    assert all(abs(e) <= 1.0 for e in errors.values()), errors
    assert all(v.placed_by == "content" for v in result.videos)
    assert not any("back to back" in n for v in result.videos for n in v.notes)
    # s1 (2..9 s) then GX01 (10..20 s) called chapters of one camera: a second is missing.
    clips = [
        ClipInput("wide", paths["wide"], camera="W"),
        ClipInput("s1", paths["s1"], camera="A"),
        ClipInput("GX01", gx01, camera="A"),
    ]
    gx = estimate_offsets(clips, method="audio").video("GX01")
    assert gx.placed_by == "content"
    assert (
        "the sound and picture place it 1000 ms after the end of 's1.mp4', its camera's "
        "previous chapter, but chapters of one recording are back to back: check them in the "
        "player"
    ) in gx.notes


def test_two_clips_of_one_camera_never_overlap(shoot) -> None:
    paths = shoot["paths"]
    # s1 (2..9 s) and o2 (6..12 s) overlap in truth: called one camera, one match must go.
    clips = [
        ClipInput("wide", paths["wide"], camera="W"),
        ClipInput("s1", paths["s1"], camera="S"),
        ClipInput("o2", paths["o2"], camera="S"),
    ]
    result = estimate_offsets(clips, method="audio")
    noted = [
        v
        for v in result.videos
        if any("another clip of its camera, which cannot be" in note for note in v.notes)
    ]
    assert len(noted) == 1, [v.notes for v in result.videos]
    s1, o2 = result.video("s1"), result.video("o2")
    assert s1.offset_s is not None and o2.offset_s is not None
    starts = sorted([(s1.offset_s, s1.duration_s), (o2.offset_s, o2.duration_s)])
    assert starts[0][0] + starts[0][1] - starts[1][0] <= 0.06  # back to back at most
    kept = s1 if noted[0] is o2 else o2
    truth = shoot["truth"]
    assert abs(kept.offset_s - (truth[kept.key] - truth["wide"])) <= 0.001
    assert noted[0].placed_by == "camera"  # its camera's other clip placed it, and says so


def test_same_camera_overlaps_finds_only_siblings() -> None:
    values = [0.0, 5.0, 8.0, np.nan]
    spans = [(0.0, 10.0), (0.0, 4.0), (0.0, 4.0), (0.0, 4.0)]
    assert same_camera_overlaps(values, spans, ["A", "A", None, "A"], tolerance_s=0.05) == [
        (0, 1, 4.0)
    ]
    assert same_camera_overlaps(values, spans, ["A", "B", "A", "A"], tolerance_s=0.05) == [
        (0, 2, 2.0)
    ]
    assert same_camera_overlaps([0.0, 10.01], spans[:2], ["A", "A"], tolerance_s=0.05) == []


@pytest.mark.parametrize("reference", ["wide", "long"])
def test_drift_points_are_the_clips_offset_along_its_overlap(shoot, reference) -> None:
    paths, truth = shoot["paths"], shoot["truth"]
    # "long" (0..30 s) and "wide" (0..22 s) share 22 s: enough for the drift fit's windows.
    clips = [ClipInput("long", paths["long"]), ClipInput("wide", paths["wide"])]
    result = estimate_offsets(clips, method="audio", reference=reference)
    other = result.video("wide" if reference == "long" else "long")
    if not other.drift_points:
        pytest.skip("the audio method measured no drift windows (LagEstimate.drift_points)")
    expected = truth[other.key] - truth[reference]
    ref_times = [t for t, _ in other.drift_points]
    print(f"drift points against {reference}: {len(ref_times)}, offsets {other.drift_points}")
    assert len(ref_times) >= 3 and ref_times == sorted(ref_times)
    assert all(abs(off - expected) <= 0.001 for _, off in other.drift_points)
    assert min(ref_times) >= 0 and max(ref_times) <= 22.0  # inside the overlap
    assert result.video(reference).drift_points == ()


def test_drift_points_convert_a_pair_measured_the_other_way() -> None:
    from syncengine.sync import _drift_points
    from syncengine.types import LagEstimate

    # Pair (0, 1) measured with clip 0 as the pair's reference: clip 1 starts 5 s after it.
    e = LagEstimate(5.0, 0.9, 20.0, 20.0, 20.0, drift_points=((7.0, 5.0), (17.0, 5.001)))
    assert _drift_points({(0, 1): e}, 1, 0) == ((7.0, 5.0), (17.0, 5.001))
    # The reference is clip 1: clip 0 is at -5 s; its time 7 s is the reference's 2 s.
    assert _drift_points({(0, 1): e}, 0, 1) == ((2.0, -5.0), (17.0 - 5.001, -5.001))
    weak = LagEstimate(5.0, 0.1, 20.0, 20.0, 20.0, drift_points=((7.0, 5.0),))
    assert _drift_points({(0, 1): weak}, 1, 0) == ()
