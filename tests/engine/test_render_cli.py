"""The command line's shoot options: one file per camera, the master audio, a start timecode.

One real run end to end (clips and a 24-bit recorder WAV made with ffmpeg at test time, synced
by the engine, rendered and verified), and every refusal before any work is done.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from mediasynth.clips import CameraSpec, camera_audio, write_clips
from syncengine import media
from syncengine.cli import EXIT_BAD_INPUT, EXIT_OK, main

SEED = 51
SMALL = {"width": 160, "height": 120, "fps": 25.0}


@pytest.fixture(scope="module")
def shoot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli-shoot")
    paths = write_clips(
        [
            CameraSpec("ref", 0.0, 14.0, **SMALL),
            CameraSpec("b1", 1.0, 5.0, noise_db=-35.0, **SMALL),
            CameraSpec("b2", 8.0, 5.0, noise_db=-35.0, **SMALL),
        ],
        folder,
        seed=SEED,
    )
    sound = camera_audio(CameraSpec("rec", -0.5, 15.5), seed=SEED)
    assert sound is not None
    staged = folder / "rec.float.wav"
    wavfile.write(staged, 48000, sound.astype(np.float32))
    paths["rec"] = folder / "rec.wav"
    media.run_ffmpeg(
        ["-i", str(staged), "-c:a", "pcm_s24le", "-y", str(paths["rec"])], timeout_s=60.0
    )
    return paths


def test_render_per_camera_with_the_master_audio_and_a_timecode(shoot, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "render",
            str(shoot["ref"]),
            str(shoot["b1"]),
            str(shoot["b2"]),
            "--method",
            "audio",
            "--per-camera",
            "--camera",
            "B=b1.mp4,b2.mp4",
            "--master-audio",
            str(shoot["rec"]),
            "--timecode",
            "01:00:00:00",
            "--out",
            str(out),
            "--json",
            "--quiet",
        ]
    )
    assert code == EXIT_OK
    payload = json.loads(capsys.readouterr().out)
    render = payload["render"]
    assert render["layout"] == "camera" and render["audio"] == "master" and render["verified"]
    assert payload["sync"]["offsets"]["rec.wav"] == pytest.approx(-0.5, abs=0.001)
    files = {Path(f["output"]).name: f for f in render["files"]}
    assert sorted(files) == ["b1_synced.mp4", "ref_synced.mp4"]  # no file for the recorder
    b = files["b1_synced.mp4"]
    assert b["keys"] == ["b1.mp4", "b2.mp4"] and b["camera"] == "B"
    print("segments, ms:", [r * 1e3 for r in b["segment_residuals_s"]])
    print("master, ms:", [r * 1e3 for r in b["master_residuals_s"]])
    assert all(abs(r) < 1 / 25 for r in b["segment_residuals_s"])
    assert len(b["master_residuals_s"]) == 2  # one window per 5 s clip
    assert all(abs(r) < 0.002 for r in b["master_residuals_s"])
    for name in files:
        assert media.probe(out / name).timecode == "01:00:00:00"
    assert sorted(p.name for p in out.iterdir()) == sorted(files)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--master-channel", "1"], "--master-channel chooses a channel of --master-audio"),
        (["--copy", "--per-camera"], "--copy cannot make one file per camera"),
        (["--copy", "--master-audio", "rec.wav"], "leave out --copy"),
        (["--copy", "--correct-skew"], "correct a sound/picture skew"),
        (["--camera", "B=c.mp4"], "--camera B: 'c.mp4' is not one of the files given"),
        (["--camera", "B=a.mp4", "--camera", "C=a.mp4"], "'a.mp4' is given to two cameras"),
    ],
)
def test_shoot_options_are_refused_before_any_work(extra, message, tmp_path, capsys) -> None:
    missing = [str(tmp_path / "a.mp4"), str(tmp_path / "b.mp4")]  # never opened
    code = main(["render", *missing, "--out", str(tmp_path / "out"), "--quiet", *extra])
    assert code == EXIT_BAD_INPUT
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--camera", "B"], "expected NAME=FILE1,FILE2"),
        (["--camera", "=a.mp4"], "expected NAME=FILE1,FILE2"),
        (["--master-channel", "-1"], "channels are numbered from 0"),
        (["--master-channel", "left"], "expected a channel number"),
        (["--timecode", "1:00:00:00"], "is not a timecode: write it as HH:MM:SS:FF"),
        (["--timecode", "25:00:00:00"], "hours must be below 24"),
        (["--master-mode", "mix"], "invalid choice: 'mix'"),
    ],
)
def test_bad_shoot_option_values_are_usage_errors(extra, message, tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["render", "a.mp4", "b.mp4", "--out", str(tmp_path), *extra])
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def test_per_camera_groups_chapters_by_their_names(shoot, tmp_path, capsys) -> None:
    """Without --camera the files say it: GoPro chapters GX01xxxx and GX02xxxx are one camera."""
    first, second = tmp_path / "GX010042.mp4", tmp_path / "GX020042.mp4"
    shutil.copy(shoot["b1"], first)
    shutil.copy(shoot["b2"], second)
    out = tmp_path / "out"
    argv = ["render", str(shoot["ref"]), str(first), str(second), "--method", "audio"]
    code = main([*argv, "--per-camera", "--out", str(out), "--json", "--quiet"])
    assert code == EXIT_OK
    render = json.loads(capsys.readouterr().out)["render"]
    files = {Path(f["output"]).name: f for f in render["files"]}
    assert sorted(files) == ["GX010042_synced.mp4", "ref_synced.mp4"]
    gopro = files["GX010042_synced.mp4"]
    assert gopro["keys"] == ["GX010042.mp4", "GX020042.mp4"] and gopro["camera"]
    assert all(abs(r) < 1 / 25 for r in gopro["segment_residuals_s"])
    assert render["audio"] == "camera" and render["verified"]
