"""The command line: table and JSON output, exit codes, and the installed entry point."""

from __future__ import annotations

import json
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


def test_sync_writes_an_editor_timeline_of_the_synced_clips(clips, tmp_path, capsys) -> None:
    from xml.etree import ElementTree as ET

    path = tmp_path / "concert.xml"
    code = main(
        [
            "sync",
            str(clips["a"]),
            str(clips["c_early"]),
            str(clips["unrelated"]),
            "--method",
            "audio",
            "--timeline",
            str(path),
            "--quiet",
        ]
    )
    assert code == EXIT_UNSYNCED  # unrelated is not synced, so it is not on the timeline
    root = ET.fromstring(path.read_text().split("\n", 2)[2])
    starts = {
        c.findtext("name"): int(c.findtext("start"))
        for c in root.iterfind("sequence/media/video/track/clipitem")
    }
    assert starts == {"c_early.mkv": 0, "a.mp4": 72}  # 2.4 s at a's 30 fps
    assert root.findtext("sequence/name") == "concert"


def test_a_timeline_with_an_unknown_extension_is_refused(clips, tmp_path, capsys) -> None:
    code = main(
        [
            "sync",
            str(clips["a"]),
            str(clips["b_late"]),
            "--method",
            "audio",
            "--timeline",
            str(tmp_path / "t.edl"),
            "--quiet",
        ]
    )
    assert code == EXIT_BAD_INPUT
    assert "--timeline must end in .xml or .fcpxml" in capsys.readouterr().err
    assert not (tmp_path / "t.edl").exists()
