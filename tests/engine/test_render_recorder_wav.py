"""A sound recorder's WAV rendered as a clip stays a WAV, with the timeline's BWF TimeReference.

Media made at test time: a camera (:mod:`mediasynth`, 25 fps, noisy scratch sound) and sound
recorders of the same world: a 24-bit stereo WAV at 48 kHz that started 1 s before the camera,
a 32-bit float mono WAV at 44.1 kHz that started 0.5 s after it, and a FLAC (an audio-only
file that is not a WAV, written as MP4 as before). Rendered with a start timecode of
01:00:00:00, each WAV output is PCM at its source's rate, channels and depth, lasts the
timeline, is verified, and its ``bext`` TimeReference is 3600 s of its own samples.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from mediasynth.clips import CameraSpec, camera_audio, write_clips
from syncengine import media
from syncengine.render import render_synced
from syncengine.types import Placement

SEED = 17
CAM_S = 8.0
REC_START_S = -1.0  # the 24-bit recorder started 1 s before the camera
FLOAT_START_S = 0.5
BLOCK = 1024  # samples: the longest a WAV's duration may be off the timeline's


def _write_recorder(spec: CameraSpec, path: Path, codec: str, *, fmt: str = "wav") -> Path:
    """The recorder's sound (the camera's world, its own noise) as ``codec`` in ``fmt``."""
    sound = camera_audio(spec, seed=SEED)
    assert sound is not None
    staged = path.with_suffix(".float.wav")
    wavfile.write(staged, spec.sample_rate_hz, sound.astype(np.float32))
    media.run_ffmpeg(["-i", str(staged), "-c:a", codec, "-f", fmt, "-y", str(path)], timeout_s=60.0)
    staged.unlink()
    return path


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("recorder-src")
    paths = write_clips(
        [CameraSpec("cam", 0.0, CAM_S, fps=25.0, noise_db=-30.0, lowpass_hz=5000.0)],
        folder,
        seed=SEED,
    )
    paths["rec"] = _write_recorder(
        CameraSpec("rec", REC_START_S, 9.0, channels=2, noise_db=-40.0),
        folder / "rec.wav",
        "pcm_s24le",
    )
    paths["float"] = _write_recorder(
        CameraSpec("float", FLOAT_START_S, 6.0, sample_rate_hz=44100, noise_db=-40.0),
        folder / "float.wav",
        "pcm_f32le",
    )
    paths["flac"] = _write_recorder(
        CameraSpec("flac", FLOAT_START_S, 6.0, noise_db=-40.0),
        folder / "flac.flac",
        "flac",
        fmt="flac",
    )
    paths["w64"] = _write_recorder(
        CameraSpec("w64", REC_START_S, 9.0, channels=2, noise_db=-40.0),
        folder / "take.w64",
        "pcm_s24le",
        fmt="w64",
    )
    return paths


def _placements(paths: dict[str, Path], keys: tuple[str, ...]) -> list[Placement]:
    starts = {"rec": REC_START_S, "float": FLOAT_START_S, "flac": FLOAT_START_S}
    starts["w64"] = REC_START_S
    cam = Placement("cam", paths["cam"], 0.0, "cam.mp4", estimate_s=0.0, is_reference=True)
    return [cam] + [
        Placement(k, paths[k], starts[k], paths[k].name, estimate_s=starts[k]) for k in keys
    ]


@pytest.fixture(scope="module")
def rendered(sources, tmp_path_factory: pytest.TempPathFactory):
    return render_synced(
        _placements(sources, ("rec", "float", "flac")),
        tmp_path_factory.mktemp("recorder-out"),
        start_timecode="01:00:00:00",
    )


def test_sources_are_what_the_recorders_write(sources) -> None:
    rec, flt = media.probe(sources["rec"]), media.probe(sources["float"])
    assert rec.video is None and rec.audio is not None and flt.audio is not None
    assert (rec.audio.codec, rec.audio.sample_rate_hz, rec.audio.channels) == (
        "pcm_s24le",
        48000,
        2,
    )
    assert (flt.audio.codec, flt.audio.sample_rate_hz, flt.audio.channels) == (
        "pcm_f32le",
        44100,
        1,
    )


@pytest.mark.parametrize(
    ("key", "codec", "rate", "channels"),
    [("rec", "pcm_s24le", 48000, 2), ("float", "pcm_f32le", 44100, 1)],
)
def test_recorder_wav_stays_pcm_on_the_timeline(rendered, key, codec, rate, channels) -> None:
    assert rendered.verified
    f = next(f for f in rendered.files if f.key == key)
    print(f"{key}: residual {f.residual_s * 1e3:.2f} ms, duration {f.duration_s:.6f} s")
    assert Path(f.output).name == f"{key}_synced.wav"
    info = media.probe(f.output)
    assert info.video is None and info.audio is not None
    assert (info.audio.codec, info.audio.sample_rate_hz, info.audio.channels) == (
        codec,
        rate,
        channels,
    )
    assert abs(info.duration_s - rendered.timeline_duration_s) <= BLOCK / rate
    assert f.residual_s is not None and abs(f.residual_s) <= rendered.tolerance_s


@pytest.mark.parametrize(("key", "rate"), [("rec", 48000), ("float", 44100)])
def test_recorder_wav_gets_the_start_as_bwf_time_reference(rendered, key, rate) -> None:
    f = next(f for f in rendered.files if f.key == key)
    assert f.timecode == "01:00:00:00"  # the timeline's label; the file holds it in samples
    assert media.probe(f.output).tags.get("time_reference") == str(3600 * rate)
    note = next(n for n in rendered.notes if "starts at timecode" in n)
    assert f"{key}_synced.wav ({3600 * rate})" in note
    assert f"{key}_synced.wav has no picture" not in note


def test_other_audio_only_files_stay_mp4_without_timecode(rendered) -> None:
    by_key = {f.key: f for f in rendered.files}
    assert media.probe(by_key["cam"].output).timecode == "01:00:00:00"
    flac = by_key["flac"]
    assert Path(flac.output).name == "flac_synced.mp4" and flac.timecode is None
    assert media.probe(flac.output).audio.codec == "aac"
    assert any("flac_synced.mp4 has no picture, so no timecode" in n for n in rendered.notes)


def test_w64_is_copied_into_a_wav(sources, tmp_path: Path) -> None:
    result = render_synced(_placements(sources, ("w64",)), tmp_path, reencode=False)
    assert result.verified
    f = next(f for f in result.files if f.key == "w64")
    assert Path(f.output).name == "take_synced.wav"
    info = media.probe(f.output)
    assert info.audio is not None and info.audio.codec == "pcm_s24le"
    assert info.audio.channels == 2
    # Copy mode starts when the last camera started: the recorder's first second is cut.
    assert abs(info.duration_s - (9.0 + REC_START_S)) <= BLOCK / 48000
    assert any("take.w64' is written as WAV" in n for n in result.notes)
