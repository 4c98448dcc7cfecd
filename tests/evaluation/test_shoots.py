"""The real-shoot generators (mediasynth.shoots) write what their ground truth says.

One tiny case holds one file (or device) per generator; each test measures the written files
(sound by cross-correlation against the reference's, headers by reading them, pictures by
decoding them) and compares with the manifest entry. The engine's accuracy is not tested here.
"""

from __future__ import annotations

import json
import struct
import subprocess
import warnings
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from scipy.io import wavfile

from evaluation.run_batch import run_batch
from evaluation.shoots import SHOOT_CONDITIONS, shoot_cases
from evaluation.shoots_metrics import condition_rows
from mediasynth.clips import CameraSpec, camera_audio, camera_frames
from mediasynth.shoots import Recording, ShootCase, long_audio, write_shoots
from syncengine import media

RATE = 48000
SMALL = {"width": 160, "height": 120}


def _spec(start_s: float, duration_s: float, **kw: Any) -> CameraSpec:
    return CameraSpec("cam", start_s=start_s, duration_s=duration_s, **(SMALL | kw))


def _case() -> ShootCase:
    rec = Recording
    return ShootCase(
        1,
        ("everything",),
        (
            rec("A", _spec(0.0, 7.0), ("C0001.MP4",)),
            rec("B", _spec(-0.4321, 3.2), ("GX010042.MP4", "GX020042.MP4", "GX030042.MP4")),
            rec("C", _spec(0.5, 2.0), ("IMG_0001.MOV",), clock_error_s=1.5),
            rec("C", _spec(3.7, 2.0), ("IMG_0002.MOV",), clock_error_s=1.5),
            rec(
                "R24",
                _spec(-1.2345, 8.0),
                ("ZOOM0001.WAV",),
                recorder="s24",
                channel_gains_db=(0.0, -3.0, -40.0),
            ),
            rec(
                "RF", _spec(0.25, 5.0), ("F001.WAV",), recorder="f32", channel_gains_db=(0.0, -30.0)
            ),
            rec("D", _spec(0.3, 6.5, drift_ppm=300.0), ("DRIFT.MP4",)),
            rec("E", _spec(1.0, 3.0, audio="silent"), ("MUTED.MP4",)),
            rec("F", _spec(0.7, 3.0, wind_db=-12.0, handling=True), ("WIND.MP4",)),
            rec("G", _spec(1.1, 4.0), ("SKEW.MP4",), audio_lag_s=0.150),
            rec("H", _spec(0.9, 2.0, width=90, height=160), ("ROT.MOV",), rotation_deg=90),
            rec("I", _spec(1.3, 3.0, fps=60.0), ("VFR.MOV",), vfr=True),
            rec("J", _spec(1.5, 2.0), ("HEVC.MOV",), video_codec="hevc10", encode_size=(320, 240)),
            rec(
                "K",
                _spec(2.0, 1.0, width=160, height=90, fps=60.0),
                ("HD60.MP4",),
                encode_size=(1920, 1080),
            ),
        ),
    )


@pytest.fixture(scope="module")
def shoot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("shoots")
    manifest = write_shoots([_case()], root, name="test", log=lambda _: None)
    assert json.loads((root / "manifest.json").read_text()) == manifest
    case = manifest["cases"][0]
    return root, {c["name"]: c for c in case["clips"]}


def _sound(root: Path, clip: dict[str, Any]) -> np.ndarray:
    return media.decode_audio(root / clip["file"], sample_rate_hz=RATE).samples.astype(np.float64)


def _lag_s(ref: np.ndarray, other: np.ndarray, *, ref_from_s: float = 0.0) -> float:
    """Where ``other``'s sample 0 falls on ``ref``'s timeline (seconds), sub-sample (parabola)."""
    n = 1 << int(np.ceil(np.log2(ref.size + other.size)))
    spec = np.fft.rfft(ref, n) * np.conj(np.fft.rfft(other, n))
    xc = np.fft.irfft(spec / np.maximum(np.abs(spec), 1e-12), n)  # PHAT: a sharp peak
    k = int(np.argmax(xc))
    y0, y1, y2 = xc[k - 1], xc[k], xc[(k + 1) % n]
    frac = 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)
    lag = k + frac if k < n // 2 else k + frac - n
    return ref_from_s + lag / RATE


def test_the_ground_truth_names_every_file_with_its_camera(shoot) -> None:
    _, clips = shoot
    assert list(clips)[0] == "C0001.MP4" and clips["C0001.MP4"]["true_offset_s"] == 0.0
    assert {c["camera"] for c in clips.values()} == set("ABCDEFGHIJK") | {"R24", "RF"}
    assert [clips[f"GX0{k}0042.MP4"]["chapter"] for k in (1, 2, 3)] == [0, 1, 2]
    assert clips["IMG_0001.MOV"]["camera"] == clips["IMG_0002.MOV"]["camera"] == "C"


def test_chapters_are_back_to_back_and_sound_where_the_truth_says(shoot) -> None:
    root, clips = shoot
    ref = _sound(root, clips["C0001.MP4"])
    chapters = [clips[f"GX0{k}0042.MP4"] for k in (1, 2, 3)]
    sounds = [_sound(root, c) for c in chapters]
    for c, samples in zip(chapters, sounds, strict=True):
        measured = _lag_s(ref, samples)
        assert abs(measured - c["true_offset_s"]) < 1.0 / RATE, (c["name"], measured)
    for k in (0, 1):
        # back to back to the sample: a chapter's sound ends where the next one's t=0 is (the
        # decoder's resampler may hold back the very last sample)
        end = chapters[k]["true_offset_s"] + sounds[k].size / RATE
        assert abs(chapters[k + 1]["true_offset_s"] - end) < 1.5 / RATE, (k, end)
    # the second and third chapters start on the 16/15 s grid of the recording (32 frames)
    starts = [c["true_offset_s"] + 0.4321 for c in chapters[1:]]
    assert starts == pytest.approx([16 / 15, 32 / 15], abs=1e-6)


def test_stop_start_is_two_clips_of_one_camera_with_a_gap(shoot) -> None:
    root, clips = shoot
    ref = _sound(root, clips["C0001.MP4"])
    one, two = clips["IMG_0001.MOV"], clips["IMG_0002.MOV"]
    assert two["true_offset_s"] - (one["true_offset_s"] + one["duration_s"]) == pytest.approx(1.2)
    for c in (one, two):
        assert abs(_lag_s(ref, _sound(root, c)) - c["true_offset_s"]) < 1.0 / RATE
    # the creation time is the true start plus the device's clock error, to the second
    tags = media.probe(root / two["file"]).creation_time
    assert tags is not None and tags.startswith("2026-06-13T18:00:05")


def _wav_format(path: Path) -> tuple[int, int, int, int | None]:
    """(format tag, channels, bits per sample, BWF TimeReference or None) from the chunks."""
    data = path.read_bytes()
    fmt = data.index(b"fmt ") + 8
    tag, channels = struct.unpack_from("<HH", data, fmt)
    bits = struct.unpack_from("<H", data, fmt + 14)[0]
    if tag == 0xFFFE:  # WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the real tag
        tag = struct.unpack_from("<H", data, fmt + 24)[0]
    at = data.find(b"bext")
    time_ref = struct.unpack_from("<Q", data, at + 8 + 338)[0] if at >= 0 else None
    return tag, channels, bits, time_ref


def test_the_recorders_are_24_bit_and_float_with_one_weak_channel(shoot) -> None:
    root, clips = shoot
    ref = _sound(root, clips["C0001.MP4"])
    for name, want_tag, want_bits, gains in (
        ("ZOOM0001.WAV", 1, 24, (0.0, -3.0, -40.0)),
        ("F001.WAV", 3, 32, (0.0, -30.0)),
    ):
        clip = clips[name]
        tag, channels, bits, time_ref = _wav_format(root / clip["file"])
        assert (tag, channels, bits) == (want_tag, len(gains), want_bits), name
        start = -1.2345 if name == "ZOOM0001.WAV" else 0.25
        assert time_ref == round((start + 18 * 3600) * RATE)
        with warnings.catch_warnings():  # scipy skips the bext chunk, and says so
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            rate, pcm = wavfile.read(root / clip["file"])
        assert rate == RATE and pcm.dtype == (np.int32 if bits == 24 else np.float32)
        levels = 20 * np.log10(np.sqrt(np.mean(np.square(pcm.astype(np.float64)), axis=0)))
        levels -= 20 * np.log10(2.0**31) if bits == 24 else 0.0  # 24-bit reads as int32
        # each channel: the sound at its gain over the recorder's -72 dBFS noise floor
        want = 10 * np.log10(10 ** ((levels[0] + np.array(gains)) / 10) + 10 ** (-72 / 10))
        assert np.allclose(levels, want, atol=1.0), (levels, want)
        assert not clip["has_video"] and clip["recorder"] in ("s24", "f32")
        assert abs(_lag_s(ref, _sound(root, clip)) - clip["true_offset_s"]) < 1.0 / RATE


def test_the_drift_is_what_was_asked(shoot) -> None:
    root, clips = shoot
    ref, drift = _sound(root, clips["C0001.MP4"]), _sound(root, clips["DRIFT.MP4"])
    clip = clips["DRIFT.MP4"]
    # half-second windows; a window's lag is the lag at its middle; a line through them
    win = RATE // 2
    mids = np.arange(0.25, 5.5, 0.5)
    lags = [_lag_s(ref, drift[round((m - 0.25) * RATE) :][:win]) - (m - 0.25) for m in mids]
    slope, at_zero = np.polyfit(mids, lags, 1)
    ppm = 1e6 * slope
    assert abs(at_zero - clip["true_offset_s"]) < 1e-4, at_zero
    assert clip["drift_ppm"] == 300.0 and abs(ppm - 300.0) < 15.0, ppm


def test_the_muted_track_is_digital_silence_and_the_wind_is_loud(shoot) -> None:
    root, clips = shoot
    assert not clips["MUTED.MP4"]["has_audio"]
    assert float(np.max(np.abs(_sound(root, clips["MUTED.MP4"])))) == 0.0
    wind, ref = _sound(root, clips["WIND.MP4"]), _sound(root, clips["C0001.MP4"])

    def low_db(x: np.ndarray) -> float:  # energy below 150 Hz
        band = np.abs(np.fft.rfft(x))[: int(150 * x.size / RATE)]
        return 10 * np.log10(np.mean(band**2) + 1e-20)

    assert low_db(wind) - low_db(ref[: wind.size]) > 10.0


def _first_frame(path: Path) -> np.ndarray:
    """Frame 0 as ffmpeg shows it (rotation applied), RGB."""
    info = media.probe(path)
    assert info.video is not None
    turned = info.video.rotation_deg in (90, 270)
    w, h = (
        (info.video.height, info.video.width) if turned else (info.video.width, info.video.height)
    )
    raw = subprocess.run(
        [media.ffmpeg_executable(), "-v", "error", "-i", str(path), "-frames:v", "1"]
        + ["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3).astype(np.float64)


def _rendered(spec: CameraSpec, start_s: float) -> np.ndarray:
    spec = CameraSpec(
        spec.name,
        start_s=start_s,
        duration_s=0.1,
        **{k: getattr(spec, k) for k in ("width", "height", "fps")},
    )
    return next(camera_frames(spec)).astype(np.float64)


def test_the_skewed_sound_is_late_on_its_own_picture(shoot) -> None:
    root, clips = shoot
    clip = clips["SKEW.MP4"]
    assert clip["true_skew_s"] == 0.150
    heard = _lag_s(_sound(root, clips["C0001.MP4"]), _sound(root, clip))
    assert abs(heard - (clip["true_offset_s"] - 0.150)) < 1.0 / RATE
    assert clip["sound_offset_s"] == pytest.approx(clip["true_offset_s"] - 0.150)
    frame = _first_frame(root / clip["file"])
    seen = np.mean(np.abs(frame - _rendered(_spec(1.1, 1.0), 1.1)))
    heard_frame = np.mean(np.abs(frame - _rendered(_spec(1.1, 1.0), 1.1 - 0.150)))
    assert seen < 0.5 * heard_frame, (seen, heard_frame)  # the picture is at the truth


def test_the_rotation_tag_is_read_and_the_picture_shows_upright(shoot) -> None:
    root, clips = shoot
    info = media.probe(root / clips["ROT.MOV"]["file"])
    assert info.video is not None
    assert info.video.rotation_deg == 90 and (info.video.width, info.video.height) == (160, 90)
    shown = _first_frame(root / clips["ROT.MOV"]["file"])
    upright = _rendered(_spec(0.9, 1.0, width=90, height=160), 0.9)
    assert shown.shape == upright.shape == (160, 90, 3)
    assert np.mean(np.abs(shown - upright)) < 0.5 * np.mean(np.abs(shown - upright[::-1, ::-1]))


def test_vfr_hevc_and_1080p60_are_what_they_say(shoot) -> None:
    root, clips = shoot
    with av.open(str(root / clips["VFR.MOV"]["file"])) as f:
        stream = f.streams.video[0]
        times = [float(fr.pts * stream.time_base) for fr in f.decode(stream)]
    steps = np.round(np.diff(times) * 60).astype(int)
    assert len(set(steps)) >= 3 and steps.min() >= 1  # irregular, on the 60 fps grid
    assert np.allclose(np.array(times) * 60, np.round(np.array(times) * 60), atol=0.01)
    assert 0.4 < len(times) / 180 < 0.7
    with av.open(str(root / clips["HEVC.MOV"]["file"])) as f:
        s = f.streams.video[0]
        assert (s.codec_context.name, s.codec_context.pix_fmt) == ("hevc", "yuv420p10le")
    hd = media.probe(root / clips["HD60.MP4"]["file"]).video
    assert hd is not None and (hd.width, hd.height, round(hd.fps)) == (1920, 1080, 60)


def test_long_recordings_are_made_in_pieces_that_match_one_call() -> None:
    spec = _spec(3.21, 95.0, drift_ppm=300.0, audio_kind="noise")
    whole, pieces = camera_audio(spec, seed=3), long_audio(spec, seed=3)
    assert whole is not None and pieces is not None and whole.shape == pieces.shape
    assert float(np.max(np.abs(whole - pieces))) < 1e-3


def test_the_presets_have_every_condition_and_differ() -> None:
    tune, held = shoot_cases("shoots-tune"), shoot_cases("shoots-heldout")
    assert [c.tags[0] for c in tune] == [c.tags[0] for c in held] == list(SHOOT_CONDITIONS)
    for a, b in zip(tune, held, strict=True):
        assert a.recordings[0].spec.audio_kind != b.recordings[0].spec.audio_kind
        assert a.recordings[0].spec.world_seed != b.recordings[0].spec.world_seed
    (long,) = shoot_cases("shoots-long")
    assert [r.spec.duration_s for r in long.recordings] == [1800.0, 1790.0]
    assert long.recordings[1].spec.drift_ppm == 300.0
    with pytest.raises(ValueError, match="unknown shoots preset"):
        shoot_cases("shoots-nope")


def test_the_runner_passes_the_camera_keys_only_when_asked(tmp_path: Path) -> None:
    case = ShootCase(
        1,
        ("chapters",),
        (
            Recording("A", _spec(0.0, 4.0), ("C0001.MP4",)),
            Recording("B", _spec(0.5, 3.2), ("GX010001.MP4", "GX020001.MP4")),
        ),
    )
    write_shoots([case], tmp_path / "shoots-mini", name="shoots-mini", log=lambda _: None)
    results = run_batch(
        "shoots-mini", out_dir=tmp_path, methods=["auto", "auto+cameras"], log=lambda _: None
    )
    bare, grouped = results["runs"]
    assert (bare["method"], "cameras" not in bare) == ("auto", True)
    assert (grouped["method"], grouped["engine_method"], grouped["cameras"]) == (
        "auto+cameras",
        "auto",
        True,
    )
    for run in (bare, grouped):
        assert run["error_code"] is None
        assert [c["camera"] for c in run["clips"]] == ["A", "B", "B"]
        assert all("placed_by" in c and "true_drift_ppm" in c for c in run["clips"])
    rows = condition_rows(results)
    assert [(r["condition"], r["method"]) for r in rows] == [
        ("chapters", "auto"),
        ("chapters", "auto+cameras"),
        ("all", "auto"),
        ("all", "auto+cameras"),
    ]
    assert all(r["files_n"] == 2 for r in rows)
