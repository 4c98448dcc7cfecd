"""The command line: table and JSON output, exit codes, and the installed entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from syncengine.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNSYNCED, _parser, main
from syncengine.sync import DEFAULT_MAX_LAG_S


def test_json_output_has_the_seed_mapping_and_details(clips, capsys) -> None:
    code = main(
        ["sync", str(clips["a"]), str(clips["b_late"]), "--method", "audio", "--json", "--quiet"]
    )
    assert code == EXIT_OK
    payload = json.loads(capsys.readouterr().out)
    assert payload["offsets"]["a.mp4"] == 0.0
    assert payload["offsets"]["b_late.mov"] == pytest.approx(1.25, abs=0.001)
    details = payload["videos"]["b_late.mov"]
    for key in (
        "offset_s",
        "confidence",
        "band",
        "synced",
        "audio_offset_s",
        "visual_offset_s",
        "audio_video_diff_s",
        "drift_ppm",
        "residual_s",
    ):
        assert key in details
    assert details["band"] == "excellent" and details["synced"] is True


def test_an_unsyncable_clip_gives_null_and_its_own_exit_code(clips, capsys) -> None:
    code = main(
        ["sync", str(clips["a"]), str(clips["unrelated"]), "--method", "audio", "--json", "--quiet"]
    )
    assert code == EXIT_UNSYNCED
    assert json.loads(capsys.readouterr().out)["offsets"]["unrelated.mp4"] is None


def test_bad_input_exits_with_a_message(clips, capsys) -> None:
    code = main(["sync", str(clips["a"]), str(clips["noaudio"]), "--method", "audio", "--quiet"])
    assert code == EXIT_BAD_INPUT
    assert "error [no_audio_stream]: 'noaudio.mp4' has no audio track" in capsys.readouterr().err


def test_the_table_names_each_clip_with_its_band(clips, capsys) -> None:
    code = main(["sync", str(clips["a"]), str(clips["c_early"]), "--method", "audio"])
    captured = capsys.readouterr()
    assert code == EXIT_OK
    assert "a.mp4 (ref)" in captured.out and "-2.4000" in captured.out
    assert "excellent" in captured.out
    assert "extracting_audio" in captured.err  # progress on stderr


def test_max_offset_none_searches_the_whole_overlap(clips, capsys) -> None:
    code = main(
        [
            "sync",
            str(clips["a"]),
            str(clips["chain3"]),
            str(clips["chain2"]),
            "--method",
            "audio",
            "--max-offset",
            "none",
            "--json",
            "--quiet",
        ]
    )
    assert code == EXIT_OK
    offsets = json.loads(capsys.readouterr().out)["offsets"]
    assert offsets["chain3.mp4"] == pytest.approx(14.5, abs=0.001)


def test_max_offset_defaults_to_the_engines_whole_overlap(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["sync", "--help"])
    assert "default: the whole overlap" in " ".join(capsys.readouterr().out.split())
    assert _parser().parse_args(["sync", "a.mp4", "b.mp4"]).max_offset is DEFAULT_MAX_LAG_S
    assert _parser().parse_args(["sync", "a.mp4", "b.mp4", "--max-offset", "7"]).max_offset == 7


def test_module_entry_point_runs(clips) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "syncengine", "sync", str(clips["a"]), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == EXIT_BAD_INPUT
    assert "at least two videos" in run.stderr


def test_render_writes_verified_files_and_a_zip_of_only_them(clips, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "render",
            str(clips["a"]),
            str(clips["c_early"]),
            "--method",
            "audio",
            "--out",
            str(out),
            "--zip",
            "--quiet",
        ]
    )
    printed = capsys.readouterr().out
    assert code == EXIT_OK, printed
    assert sorted(p.name for p in out.iterdir()) == [
        "a_synced.mp4",
        "c_early_synced.mkv",
        "synced.zip",
    ]
    assert "verified: every residual within" in printed
    import zipfile

    with zipfile.ZipFile(out / "synced.zip") as zf:
        assert sorted(zf.namelist()) == ["a_synced.mp4", "c_early_synced.mkv"]


def test_sync_writes_an_editor_timeline_of_every_clip(clips, tmp_path, capsys) -> None:
    import opentimelineio as otio

    path = tmp_path / "timelines" / "concert.otio"
    path.parent.mkdir()
    files = [str(clips[name]) for name in ("a", "c_early", "unrelated")]
    code = main(["sync", *files, "--method", "audio", "--timeline", str(path), "--quiet"])
    assert code == EXIT_UNSYNCED  # unrelated is not synced: it goes on the disabled track
    timeline = otio.adapters.read_from_file(str(path))
    assert timeline.name == "concert"
    placed = {
        c.name: (t.range_of_child(c).start_time.to_seconds(), c.media_reference.target_url)
        for t in timeline.video_tracks()
        if t.enabled
        for c in t.find_clips()
    }
    assert placed["c_early.mkv"][0] == 0.0
    assert abs(placed["a.mp4"][0] - 2.4) <= 0.5 / 30 + 0.02  # a's rate; the sync's own error
    relative = os.path.relpath(clips["a"].resolve(), path.parent.resolve())
    assert placed["a.mp4"][1] == relative.replace(os.sep, "/")  # from the timeline's folder
    (off,) = [t for t in timeline.video_tracks() if not t.enabled]
    assert [c.name for c in off.find_clips()] == ["unrelated.mp4"]


def test_sync_writes_one_edl_per_camera_or_a_zip(clips, tmp_path, capsys) -> None:
    files = [str(clips[name]) for name in ("a", "b_late")]
    assert (
        main(
            [
                "sync",
                *files,
                "--method",
                "audio",
                "--timeline",
                str(tmp_path / "cut.edl"),
                "--quiet",
            ]
        )
        == 0
    )
    edls = sorted(p.name for p in tmp_path.glob("*.edl"))
    assert edls == ["cut_01_a.mp4.edl", "cut_02_b_late.mov.edl"]
    assert "FCM: DROP FRAME" in (tmp_path / "cut_02_b_late.mov.edl").read_text()  # 29.97
    assert (
        main(
            [
                "sync",
                *files,
                "--method",
                "audio",
                "--timeline",
                str(tmp_path / "cut.zip"),
                "--quiet",
            ]
        )
        == 0
    )
    import zipfile

    with zipfile.ZipFile(tmp_path / "cut.zip") as zf:
        assert sorted(zf.namelist()) == ["01_a.mp4.edl", "02_b_late.mov.edl"]


def test_a_timeline_with_an_unknown_extension_is_refused(clips, tmp_path, capsys) -> None:
    code = main(
        [
            "sync",
            str(clips["a"]),
            str(clips["b_late"]),
            "--method",
            "audio",
            "--timeline",
            str(tmp_path / "t.prproj"),
            "--quiet",
        ]
    )
    assert code == EXIT_BAD_INPUT
    assert "a timeline file must end in one of .otio, .xml, .fcpxml, .edl, .aaf, .zip" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "t.prproj").exists()
