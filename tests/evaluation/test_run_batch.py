"""Tests for the batch runner: real clips, the real engine, results.json on disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evaluation.offset_generation import generate
from evaluation.run_batch import _run_case, main, run_batch

METHODS = ("audio", "visual", "auto")
RUN_FIELDS = {
    "case_id",
    "method",
    "tags",
    "runtime_s",
    "peak_memory_mb",
    "children_peak_memory_mb",
    "peak_cpu_percent",
    "video_minutes",
    "error_code",
    "clips",
}
CLIP_FIELDS = {
    "name",
    "is_reference",
    "true_offset_s",
    "est_offset_s",
    "confidence",
    "band",
    "synced",
    "syncable",
    "fps",
    "has_audio",
    "distinct_motion",
    "audio_offset_s",
    "visual_offset_s",
    "audio_video_diff_s",
    "drift_ppm",
    "error_code",
}


def _quiet(_: str) -> None:
    pass


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("batch")
    generate(
        "tiny",
        out_dir=out,
        seed=0,
        originals_dir=out / "none",
        cases=["subframe", "no_audio", "unsyncable"],
        log=_quiet,
    )
    results = run_batch("tiny", out_dir=out, methods=METHODS, log=_quiet)
    return out, results


def _run(results: dict[str, Any], tag: str, method: str) -> dict[str, Any]:
    return next(r for r in results["runs"] if tag in r["tags"] and r["method"] == method)


def test_it_writes_one_run_per_case_and_method(batch):
    out, results = batch
    assert json.loads((out / "tiny" / "results.json").read_text()) == results
    assert results["preset"] == "tiny" and results["machine"]["cpus"] >= 1
    assert results["engine_version"].startswith("0.")
    assert len(results["runs"]) == 3 * len(METHODS)
    for run in results["runs"]:
        assert set(run) >= RUN_FIELDS
        assert all(set(clip) >= CLIP_FIELDS for clip in run["clips"])
        assert [c["is_reference"] for c in run["clips"]] == [True, False, False]


def test_it_measures_time_memory_and_cpu_of_every_run(batch):
    _, results = batch
    for run in results["runs"]:
        assert run["runtime_s"] > 0
        assert run["peak_memory_mb"] > 0 and run["children_peak_memory_mb"] >= 0
        assert run["peak_cpu_percent"] >= 0
        assert 0.2 < run["video_minutes"] < 0.5  # three clips of 6-8 s


@pytest.mark.parametrize("method", ["audio", "auto"])
def test_it_recovers_the_clean_case_within_a_frame(batch, method):
    _, results = batch
    run = _run(results, "subframe", method)
    assert run["error_code"] is None
    for clip in run["clips"]:
        assert clip["synced"], clip
        assert abs(clip["est_offset_s"] - clip["true_offset_s"]) <= 1 / clip["fps"], clip


def test_the_visual_method_places_clean_clips_within_a_frame_or_refuses_them(batch):
    # The picture of 6-8 s clips may be too little evidence to be sure: refusing is allowed,
    # a wrong answer is not.
    _, results = batch
    run = _run(results, "subframe", "visual")
    assert run["error_code"] is None and run["clips"][0]["synced"]
    for clip in run["clips"]:
        if clip["synced"]:
            assert abs(clip["est_offset_s"] - clip["picture_offset_s"]) <= 1 / clip["fps"], clip


@pytest.mark.parametrize("method", METHODS)
def test_it_refuses_the_clip_that_shares_nothing(batch, method):
    _, results = batch
    stranger = _run(results, "unsyncable", method)["clips"][2]
    assert stranger["syncable"] is False and stranger["true_offset_s"] is None
    assert stranger["synced"] is False and stranger["est_offset_s"] is None


def test_a_clip_without_sound_is_reported_and_the_others_synced(batch):
    _, results = batch
    run = _run(results, "no_audio", "audio")
    assert run["error_code"] is None
    mute = next(c for c in run["clips"] if not c["has_audio"])
    assert mute["synced"] is False and mute["est_offset_s"] is None
    assert any("no audio track" in n for n in mute["notes"]), mute["notes"]
    assert all(c["synced"] for c in run["clips"] if c["has_audio"])


def test_it_gives_every_clip_the_error_of_a_run_that_raised(batch):
    out, results = batch
    root = out / "tiny"
    manifest = json.loads((root / "manifest.json").read_text())
    case = next(c for c in manifest["cases"] if "no_audio" in c["tags"])
    # the reference and the clip without sound: fewer than two clips can be heard
    pair = {
        **case,
        "clips": [c for c in case["clips"] if c["name"] == case["reference"]]
        + [c for c in case["clips"] if not c["has_audio"]],
    }
    run = _run_case(pair, root, method="audio", max_lag_s=None, ffmpeg_bin=None)
    assert run["error_code"] == "no_audio_stream"
    assert all(
        c["error_code"] == "no_audio_stream" and c["est_offset_s"] is None for c in run["clips"]
    )
    assert _run(results, "no_audio", "visual")["error_code"] is None


def test_the_command_line_filters_methods_and_cases(batch, capsys):
    out, _ = batch
    argv = [
        "--preset",
        "tiny",
        "--out",
        str(out),
        "--methods",
        "audio",
        "--cases",
        "subframe",
        "--max-offset",
        "none",
    ]
    assert main(argv) == 0
    results = json.loads((out / "tiny" / "results.json").read_text())
    assert [(r["case_id"], r["method"]) for r in results["runs"]] == [("c001_subframe", "audio")]
    assert results["max_offset_s"] is None
    assert "1 runs (1 cases x 1 methods)" in capsys.readouterr().out


def test_it_rejects_an_unknown_method_and_a_missing_manifest(tmp_path):
    with pytest.raises(ValueError, match=r"unknown method\(s\) \['sound'\]"):
        run_batch("tiny", out_dir=tmp_path, methods=["sound"], log=_quiet)
    with pytest.raises(FileNotFoundError, match="run python -m evaluation.offset_generation"):
        run_batch("tiny", out_dir=tmp_path, log=_quiet)
