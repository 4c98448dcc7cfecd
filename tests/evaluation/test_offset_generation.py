"""Tests for the evaluation dataset generator (real ffmpeg, real engine, no mocks)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import syncengine
from evaluation.offset_generation import generate, main
from evaluation.presets import HARD_TAGS, TAGS, preset_cases
from mediasynth.clips import CameraSpec, write_clip
from mediasynth.speech import espeak_executable, speech_sentences

SEED = 3


def _quiet(_: str) -> None:
    pass


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("gen")
    empty = tmp_path_factory.mktemp("no-originals")
    manifest = generate("tiny", out_dir=out, seed=SEED, originals_dir=empty, log=_quiet)
    return out / "tiny", manifest


def _case(manifest: dict[str, Any], tag: str) -> dict[str, Any]:
    return next(c for c in manifest["cases"] if tag in c["tags"])


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_it_writes_every_tiny_case_with_its_tags_and_files(tiny):
    root, manifest = tiny
    assert json.loads((root / "manifest.json").read_text()) == manifest
    assert (manifest["preset"], manifest["seed"], manifest["source"]) == ("tiny", SEED, "synthetic")
    assert manifest["speech"] in ("espeak-ng", "synthetic")
    ids = [c["id"] for c in manifest["cases"]]
    assert ids == ["c001_subframe", "c002_room_mic", "c003_no_audio", "c004_unsyncable"]
    for case in manifest["cases"]:
        assert set(case["tags"]) <= set(TAGS)
        assert case["reference"] == case["clips"][0]["name"] == "cam1.mp4"
        assert case["clips"][0]["true_offset_s"] == 0.0
        for clip in case["clips"]:
            assert clip["picture_offset_s"] == clip["true_offset_s"]  # rendered at exact times
            assert clip["file"] == f"cases/{case['id']}/{clip['name']}"
            info = syncengine.probe(root / clip["file"])
            assert info.has_audio == clip["has_audio"]
            assert info.duration_s == pytest.approx(clip["duration_s"], abs=0.1)
            assert info.video is not None and info.video.fps == pytest.approx(clip["fps"], rel=1e-3)
            assert abs(clip["true_offset_s"] or 0.0) <= 20.0


def test_it_marks_the_clip_that_shares_nothing_unsyncable(tiny):
    _, manifest = tiny
    clips = _case(manifest, "unsyncable")["clips"]
    assert [c["syncable"] for c in clips] == [True, True, False]
    assert clips[2]["true_offset_s"] is None and clips[2]["distinct_motion"] is False


def test_it_writes_the_mute_camera_without_an_audio_track(tiny):
    root, manifest = tiny
    mute = _case(manifest, "no_audio")["clips"][1]
    assert mute["has_audio"] is False
    assert not syncengine.probe(root / mute["file"]).has_audio


def test_it_reencodes_room_mic_sound_at_a_low_bitrate(tiny):
    root, manifest = tiny
    clips = _case(manifest, "room_mic")["clips"]
    codecs = [syncengine.probe(root / c["file"]).audio.codec for c in clips]
    assert codecs[:2] == ["aac", "aac"] and codecs[2].startswith("mp3")


def test_it_reuses_a_case_whose_spec_and_files_are_unchanged(tiny):
    root, manifest = tiny
    clip = root / manifest["cases"][0]["clips"][0]["file"]
    mtime_ns, lines = clip.stat().st_mtime_ns, []
    again = generate(
        "tiny", out_dir=root.parent, seed=SEED, originals_dir=root / "none", log=lines.append
    )
    assert again == manifest
    assert sum(" reused in " in line for line in lines) == 4
    assert clip.stat().st_mtime_ns == mtime_ns


def test_the_same_seed_gives_the_same_manifest_and_bytes(tiny, tmp_path):
    root, manifest = tiny
    other = generate(
        "tiny",
        out_dir=tmp_path,
        seed=SEED,
        originals_dir=tmp_path / "none",
        cases=["no_audio"],
        log=_quiet,
    )
    assert other["cases"] == [_case(manifest, "no_audio")]
    for clip in other["cases"][0]["clips"]:
        assert _sha(tmp_path / "tiny" / clip["file"]) == _sha(root / clip["file"])
    reseeded = generate(
        "tiny",
        out_dir=tmp_path / "b",
        seed=SEED + 1,
        originals_dir=tmp_path / "none",
        cases=["no_audio"],
        log=_quiet,
    )
    assert reseeded["cases"][0]["spec_hash"] != other["cases"][0]["spec_hash"]


def test_presets_cover_every_condition_within_the_search_range():
    small, full = preset_cases("small", seed=0), preset_cases("full", seed=0)
    assert preset_cases("full", seed=0) == full
    # The hard conditions are the tune/heldout presets' (tests/evaluation/test_hard_conditions.py).
    assert set(TAGS) - set(HARD_TAGS) - {"field"} <= {t for c in small for t in c.tags}
    assert 40 <= len(full) <= 80 and 10 <= len(small) <= 16
    for case in small + full:
        offsets_s = [case.true_offset_s(k) for k in range(len(case.clips))]
        assert all(abs(o) <= 20.0 for o in offsets_s if o is not None), case.case_id
        if "drift" in case.tags:
            assert all(50 <= abs(c.spec.drift_ppm) <= 150 for c in case.clips[1:])
            assert case.clips[0].spec.duration_s >= (300 if case in full else 60)
    fps = {c.spec.fps for case in small if "fps_mix" in case.tags for c in case.clips}
    assert {round(f, 2) for f in fps} == {25.0, 29.97, 30.0, 60.0}


def test_it_rejects_an_unknown_preset_and_a_negative_seed():
    with pytest.raises(ValueError, match="unknown preset 'huge'"):
        preset_cases("huge")
    with pytest.raises(ValueError, match="seed must be >= 0"):
        preset_cases("small", seed=-1)


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("originals")
    spec = CameraSpec(
        "event", 5.0, 30.0, width=160, height=120, fps=25.0, sample_rate_hz=44100, channels=2
    )
    write_clip(spec, folder, seed=21)
    (folder / ".gitkeep").touch()
    return folder


def test_it_cuts_cases_from_originals_at_their_true_offsets(originals, tmp_path):
    main_args = [
        "--preset",
        "tiny",
        "--out",
        str(tmp_path),
        "--seed",
        "1",
        "--originals",
        str(originals),
        "--cases",
        "subframe,no_audio",
    ]
    assert main(main_args) == 0
    manifest = json.loads((tmp_path / "tiny" / "manifest.json").read_text())
    assert manifest["source"] == "originals"
    assert [c["source_file"] for c in manifest["cases"]] == ["event.mp4", "event.mp4"]
    case = _case(manifest, "subframe")
    paths = [tmp_path / "tiny" / c["file"] for c in case["clips"]]
    result = syncengine.estimate_offsets(paths, method="audio")
    for clip in case["clips"]:
        est_s = result.video(clip["name"]).offset_s
        assert est_s == pytest.approx(clip["true_offset_s"], abs=0.5e-3), clip["name"]
        # The picture is cut to the 25 fps source's frame grid: each clip within half a frame.
        assert clip["picture_offset_s"] == pytest.approx(clip["true_offset_s"], abs=1 / 25)


def test_it_skips_cases_longer_than_every_original(tmp_path):
    folder = tmp_path / "originals"
    write_clip(CameraSpec("short", 0.0, 4.0, width=160, height=120), folder, seed=2)
    manifest = generate(
        "tiny", out_dir=tmp_path, originals_dir=folder, cases=["subframe"], log=_quiet
    )
    assert manifest["cases"] == [] and manifest["skipped"] == ["c001_subframe"]


def test_speech_sentences_are_seeded():
    assert speech_sentences(seed=4, n=3) == speech_sentences(seed=4, n=3)
    assert speech_sentences(seed=4, n=3) != speech_sentences(seed=5, n=3)
    assert all(s.endswith(".") and s[0].isupper() for s in speech_sentences(seed=4, n=3))


@pytest.mark.skipif(espeak_executable() is None, reason="espeak-ng is not installed")
def test_it_builds_speech_cases_from_espeak_ng(tmp_path):
    manifest = generate(
        "small", out_dir=tmp_path, originals_dir=tmp_path / "none", cases=["speech"], log=_quiet
    )
    assert manifest["speech"] == "espeak-ng"
    case = manifest["cases"][0]
    paths = [tmp_path / "small" / c["file"] for c in case["clips"]]
    result = syncengine.estimate_offsets(paths, method="audio")
    for clip in case["clips"]:
        assert result.video(clip["name"]).offset_s == pytest.approx(clip["true_offset_s"], abs=1e-3)
    shutil.rmtree(tmp_path / "small")
