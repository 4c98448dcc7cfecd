"""The whole pipeline on real files: N cameras, both methods, fusion, and refusals."""

from __future__ import annotations

import pytest

from syncengine import estimate_offsets
from syncengine.errors import (
    ClipTooShort,
    NoAudioStream,
    ParameterError,
    SilentAudio,
    StaticPicture,
    UnreadableMedia,
)

AUDIO_TOL_S = 0.001  # sub-millisecond on clean overlapping audio


def _check(result, clips, names, *, tol_s: float) -> None:
    for name in names:
        video = result.video(clips[name].name)
        assert video.synced, (name, video)
        assert abs(video.offset_s - clips.truth_s(name)) <= tol_s, (name, video.offset_s)


def test_audio_sync_places_every_camera(clips) -> None:
    names = ["a", "b_late", "c_early", "partial"]
    result = estimate_offsets([clips[n] for n in names], method="audio")
    _check(result, clips, names, tol_s=AUDIO_TOL_S)
    assert result.video("a.mp4").offset_s == 0.0 and result.video("a.mp4").is_reference
    assert all(v.confidence >= 0.8 and v.band == "excellent" for v in result.videos)
    assert result.offsets()["b_late.mov"] == pytest.approx(1.25, abs=AUDIO_TOL_S)


def test_a_clip_that_shares_nothing_is_refused(clips) -> None:
    result = estimate_offsets([clips["a"], clips["b_late"], clips["unrelated"]], method="audio")
    unrelated = result.video("unrelated.mp4")
    assert not unrelated.synced and unrelated.offset_s is None and unrelated.confidence < 0.2
    assert result.offsets()["unrelated.mp4"] is None
    assert "not synced" in unrelated.notes[-1]


def test_a_clip_without_overlap_with_the_reference_is_placed_through_others(clips) -> None:
    names = ["a", "chain2", "chain3"]
    result = estimate_offsets([clips[n] for n in names], method="audio")
    _check(result, clips, names, tol_s=AUDIO_TOL_S)


def test_any_clip_can_be_the_reference(clips) -> None:
    names = ["a", "b_late", "c_early"]
    result = estimate_offsets([clips[n] for n in names], method="audio", reference="b_late.mov")
    assert result.reference == "b_late.mov"
    assert result.video("b_late.mov").offset_s == 0.0
    expected = clips.truth_s("c_early", reference="b_late")
    assert result.video("c_early.mkv").offset_s == pytest.approx(expected, abs=AUDIO_TOL_S)


def test_progress_reports_stages_and_a_rising_fraction(clips) -> None:
    seen: list[tuple[str, float]] = []
    estimate_offsets(
        [clips["a"], clips["b_late"]], method="audio", progress=lambda s, f: seen.append((s, f))
    )
    stages = [s for s, _ in seen]
    assert stages[0] == "probing" and "extracting_audio" in stages and stages[-1] == "solving"
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("name", "method", "error", "message"),
    [
        ("noaudio", "audio", NoAudioStream, "has no audio track.*Try visual sync"),
        ("silent", "audio", SilentAudio, "silent audio track.*Try visual sync"),
        ("static", "visual", StaticPicture, "Try audio sync"),
        ("tiny", "audio", ClipTooShort, "at least 1 s"),
        ("tiny", "visual", ClipTooShort, "visual sync needs"),
        ("not_media", "auto", UnreadableMedia, "not a video or audio file"),
    ],
)
def test_a_single_method_run_explains_what_it_cannot_use(clips, name, method, error, message):
    with pytest.raises(error, match=message):
        estimate_offsets([clips["a"], clips[name]], method=method)


@pytest.mark.parametrize(
    ("name", "method", "reason"),
    [
        ("noaudio", "audio", "has no audio track"),
        ("silent", "audio", "silent audio track"),
        ("static", "visual", "still picture"),
    ],
)
def test_one_clip_without_the_signal_never_sinks_the_run(clips, name, method, reason) -> None:
    """Three clips, one unusable by the method: it is reported with its reason, the rest synced."""
    result = estimate_offsets([clips["a"], clips["c_early"], clips[name]], method=method)
    bad = result.video(clips[name].name)
    assert not bad.synced and bad.offset_s is None
    assert any(reason in note for note in bad.notes), bad.notes
    tol_s = AUDIO_TOL_S if method == "audio" else 1 / 60
    _check(result, clips, ["a", "c_early"], tol_s=tol_s)


def test_bad_arguments_are_refused(clips) -> None:
    with pytest.raises(ParameterError, match="method must be one of"):
        estimate_offsets([clips["a"], clips["b_late"]], method="magic")
    with pytest.raises(ParameterError, match="at least two videos"):
        estimate_offsets([clips["a"]])
    with pytest.raises(ParameterError, match="is not one of the input files"):
        estimate_offsets([clips["a"], clips["b_late"]], reference="zzz.mp4")
    with pytest.raises(ParameterError, match="max_lag_s must be positive"):
        estimate_offsets([clips["a"], clips["b_late"]], max_lag_s=0)
    with pytest.raises(ParameterError, match="share a file name"):
        estimate_offsets([clips["a"], clips["a"]])


def test_visual_sync_places_cameras_within_half_a_frame(clips) -> None:
    names = ["a", "c_early", "noaudio"]
    result = estimate_offsets([clips[n] for n in names], method="visual")
    for name in names[1:]:
        video = result.video(clips[name].name)
        fps = 25.0 if name == "c_early" else 30.0
        assert video.synced and abs(video.offset_s - clips.truth_s(name)) <= 0.5 / max(fps, 30.0)


def test_auto_fuses_both_methods_and_reports_their_agreement(clips) -> None:
    names = ["a", "b_late", "c_early", "noaudio", "static", "silent"]
    result = estimate_offsets([clips[n] for n in names], method="auto")
    for name in names[1:]:
        video = result.video(clips[name].name)
        assert video.synced, (name, video.notes)
        # Clips with sound are placed to the millisecond, picture-only ones within a frame.
        tol = AUDIO_TOL_S if name in ("b_late", "c_early", "static") else 1 / 30
        assert abs(video.offset_s - clips.truth_s(name)) <= tol, (name, video.offset_s)
    c_early = result.video("c_early.mkv")
    assert c_early.audio_offset_s is not None and c_early.visual_offset_s is not None
    assert c_early.audio_video_diff_s < 0.2
    noaudio = result.video("noaudio.mp4")
    assert noaudio.audio_offset_s is None and noaudio.visual_offset_s is not None
    assert any("no audio track" in note for note in noaudio.notes)
    assert result.video("static.mp4").visual_offset_s is None


def test_auto_reports_a_clip_unusable_by_both_methods_as_not_synced(clips, tmp_path) -> None:
    result = estimate_offsets([clips["a"], clips["b_late"], clips["unrelated"]], method="auto")
    unrelated = result.video("unrelated.mp4")
    assert not unrelated.synced and unrelated.confidence < 0.2
