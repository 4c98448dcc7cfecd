"""Tests for the synthetic multi-camera clip generator (real ffmpeg, real PyAV, no mocks)."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from itertools import islice
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np
import pytest
from scipy import signal

from mediasynth.clips import (
    CameraSpec,
    SynthError,
    camera_audio,
    camera_frames,
    scene_frame,
    world_audio,
    write_clip,
    write_clips,
    write_disguised_concat,
    write_disguised_playlist,
    write_not_media,
    write_truncated,
)

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
SEED = 5
RATE_HZ = 48000

CLIP_SPECS = [
    CameraSpec("ref", start_s=0.0, duration_s=3.0),
    CameraSpec(
        "ntsc",
        start_s=2.35,
        duration_s=3.0,
        fps=30000 / 1001,
        sample_rate_hz=44100,
        channels=2,
        container="mov",
        crop=0.8,
        gain_db=-6.0,
        noise_db=-45.0,
    ),
    CameraSpec(
        "early",
        start_s=-1.6,
        duration_s=3.5,
        fps=25.0,
        container="mkv",
        lowpass_hz=4000.0,
        reverb=True,
    ),
    CameraSpec("mute", start_s=0.7 + 0.4 / RATE_HZ, duration_s=3.0, fps=60.0, audio="none"),
]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_clips(CLIP_SPECS, tmp_path_factory.mktemp("synth"), seed=SEED)


def _motion_energy(frames: list[np.ndarray]) -> np.ndarray:
    stack = np.asarray(frames, dtype=np.float32)
    return np.abs(np.diff(stack, axis=0)).mean(axis=(1, 2, 3))


def _decode_mono_48k(path: Path) -> np.ndarray:
    argv = [
        FFMPEG,
        "-nostdin",
        "-v",
        "error",
        "-i",
        str(path),
        "-f",
        "f32le",
        "-ac",
        "1",
        "-ar",
        str(RATE_HZ),
        "pipe:1",
    ]
    done = subprocess.run(argv, capture_output=True, check=True, timeout=60)
    return np.frombuffer(done.stdout, dtype=np.float32)


def _peak_lag_samples(x: np.ndarray, reference: np.ndarray) -> int:
    n = min(x.size, reference.size)
    corr = signal.correlate(x[:n], reference[:n], method="fft")
    return int(signal.correlation_lags(n, n)[np.argmax(corr)])


# World audio ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["mixed", "speech", "noise", "music_loop"])
@pytest.mark.parametrize(("start_s", "sub_start_s"), [(0.0, 3.0), (-4.0, -1.5)])
def test_world_audio_is_the_same_function_of_time_whatever_the_span(kind, start_s, sub_start_s):
    whole = world_audio(start_s=start_s, duration_s=10.0, seed=SEED, kind=kind)
    part = world_audio(start_s=sub_start_s, duration_s=4.0, seed=SEED, kind=kind)
    first = round((sub_start_s - start_s) * RATE_HZ)
    np.testing.assert_array_equal(whole[first : first + part.size], part)


def test_world_audio_is_deterministic_by_seed():
    a = world_audio(duration_s=2.0, seed=1)
    assert a.dtype == np.float32 and a.shape == (2 * RATE_HZ,)
    assert np.all(np.abs(a) <= 1.0)
    np.testing.assert_array_equal(a, world_audio(duration_s=2.0, seed=1))
    assert not np.allclose(a, world_audio(duration_s=2.0, seed=2))


def test_mixed_world_audio_is_never_quiet_for_long():
    audio = world_audio(start_s=-3.0, duration_s=20.0, seed=SEED)
    rms = np.sqrt(np.mean(audio.reshape(-1, 960) ** 2, axis=1))  # 20 ms windows
    quiet_run = longest = 0
    for is_quiet in rms < 0.01:  # -40 dBFS
        quiet_run = quiet_run + 1 if is_quiet else 0
        longest = max(longest, quiet_run)
    assert longest * 0.02 <= 0.4


def test_music_loop_repeats_every_half_second():
    audio = world_audio(duration_s=3.0, seed=SEED, kind="music_loop")
    np.testing.assert_allclose(audio[RATE_HZ // 2 :], audio[: -RATE_HZ // 2], atol=1e-5)


def test_world_audio_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown audio kind 'jazz'"):
        world_audio(duration_s=1.0, kind="jazz")


# Scenes ----------------------------------------------------------------------------------------


def test_scene_frame_is_rgb_uint8_and_a_pure_function_of_time():
    frame = scene_frame(1.234, width=320, height=240, seed=SEED)
    assert frame.shape == (240, 320, 3) and frame.dtype == np.uint8
    scene_frame(7.0, width=320, height=240, seed=SEED)  # no state is carried between frames
    np.testing.assert_array_equal(frame, scene_frame(1.234, width=320, height=240, seed=SEED))
    assert not np.array_equal(frame, scene_frame(1.234, width=320, height=240, seed=SEED + 1))


def test_blobs_motion_energy_varies_non_periodically():
    frames = [scene_frame(k / 30, width=320, height=240, seed=SEED) for k in range(300)]
    energy = _motion_energy(frames)
    assert energy.std() / energy.mean() > 0.2


def test_static_scene_has_zero_motion():
    frames = [scene_frame(-2.0 + k / 30, width=160, height=120, kind="static") for k in range(60)]
    assert np.all(_motion_energy(frames) == 0.0)


def test_loop_scene_repeats_every_second():
    a = scene_frame(0.37, width=160, height=120, seed=SEED, kind="loop")
    b = scene_frame(4.37, width=160, height=120, seed=SEED, kind="loop")
    assert np.abs(a.astype(int) - b).max() <= 1


def test_scene_frame_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown video kind 'spiral'"):
        scene_frame(0.0, width=32, height=32, kind="spiral")


# Camera recordings (pure) ------------------------------------------------------------------------


def test_camera_audio_with_drift_falls_behind_the_world_clock():
    drift_ppm = 500.0
    spec = CameraSpec("fast", start_s=1.0, duration_s=6.0, drift_ppm=drift_ppm)
    recorded = camera_audio(spec, seed=SEED)[:, 0]
    # Clip time 5 s holds world time 1 + 5 * (1 + 500e-6) s: 120 samples past nominal, and the
    # lag keeps growing, so use a short (50 ms) window whose mean lag is 120.6 samples.
    window = RATE_HZ // 20
    clip = recorded[5 * RATE_HZ : 5 * RATE_HZ + window]
    nominal = world_audio(start_s=6.0, duration_s=window / RATE_HZ, seed=SEED)
    expected_samples = 5.025 * drift_ppm * 1e-6 * RATE_HZ
    assert abs(-_peak_lag_samples(clip, nominal) - expected_samples) <= 1


def test_silent_camera_records_digital_silence_and_unrelated_records_another_world():
    silent = camera_audio(CameraSpec("s", start_s=0.0, duration_s=1.0, audio="silent"))
    assert not silent.any()
    other = camera_audio(CameraSpec("u", start_s=0.0, duration_s=2.0, audio="unrelated"))[:, 0]
    world = world_audio(duration_s=2.0)
    assert abs(np.corrcoef(other, world)[0, 1]) < 0.1


def test_camera_frames_apply_crop_and_brightness():
    plain = CameraSpec("p", start_s=0.5, duration_s=0.1, width=160, height=120)
    bright = CameraSpec("b", start_s=0.5, duration_s=0.1, width=160, height=120, brightness=0.1)
    zoomed = CameraSpec("z", start_s=0.5, duration_s=0.1, width=160, height=120, crop=0.5)
    p, b, z = (next(camera_frames(spec)) for spec in (plain, bright, zoomed))
    assert p.shape == b.shape == z.shape == (120, 160, 3)
    assert 20 < b.astype(float).mean() - p.astype(float).mean() <= 26
    assert not np.array_equal(p, z)


def test_camera_spec_rejects_bad_values():
    with pytest.raises(ValueError, match=r"bad CameraSpec.crop: 1.5"):
        CameraSpec("x", start_s=0.0, duration_s=1.0, crop=1.5)
    with pytest.raises(ValueError, match=r"bad CameraSpec.audio: 'loud'"):
        CameraSpec("x", start_s=0.0, duration_s=1.0, audio="loud")


# Encoded clips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", CLIP_SPECS, ids=lambda spec: spec.name)
def test_written_clip_streams_match_the_spec(clips, spec):
    path = clips[spec.name]
    assert path.name == f"{spec.name}.{spec.container}"
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert video.average_rate == Fraction(spec.fps).limit_denominator(1001)
        assert (video.width, video.height) == (spec.width, spec.height)
        assert abs(container.duration / av.time_base - spec.duration_s) <= 1 / spec.fps
        if spec.audio == "none":
            assert not container.streams.audio
        else:
            audio = container.streams.audio[0]
            assert audio.rate == spec.sample_rate_hz
            assert audio.channels == spec.channels


@pytest.mark.parametrize("spec", [s for s in CLIP_SPECS if s.audio != "none"], ids=lambda s: s.name)
def test_written_clip_audio_is_the_world_audio_from_start_s(clips, spec):
    decoded = _decode_mono_48k(clips[spec.name])
    world = world_audio(start_s=spec.start_s, duration_s=spec.duration_s, seed=SEED)
    assert abs(_peak_lag_samples(decoded, world)) <= 1


def test_written_clip_frames_are_at_start_s_plus_k_over_fps(clips):
    spec = CLIP_SPECS[1]  # 29.97 fps, cropped
    with av.open(str(clips[spec.name])) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in islice(container.decode(video=0), 12)]
    rendered = list(camera_frames(spec, seed=SEED))[:12]
    for k in (3, 10):
        errors = [np.mean((decoded[k].astype(float) - r) ** 2) for r in rendered]
        assert int(np.argmin(errors)) == k


def test_write_clip_raises_synth_error_and_leaves_nothing_when_ffmpeg_fails(tmp_path):
    spec = CameraSpec("broken", start_s=0.0, duration_s=0.5)
    with pytest.raises(SynthError, match=r"ffmpeg failed \(1\)"):
        write_clip(spec, tmp_path, ffmpeg_bin="/bin/false")
    assert list(tmp_path.iterdir()) == []


def test_write_clips_rejects_duplicate_names(tmp_path):
    spec = CameraSpec("same", start_s=0.0, duration_s=0.5)
    with pytest.raises(ValueError, match="camera names must be unique"):
        write_clips([spec, spec], tmp_path)


# Bad files -------------------------------------------------------------------------------------


def test_truncated_clip_keeps_a_prefix_and_does_not_open(clips, tmp_path):
    src = clips["ref"]
    dst = write_truncated(src, tmp_path / "cut.mp4", keep_fraction=0.3)
    assert dst.read_bytes() == src.read_bytes()[: int(src.stat().st_size * 0.3)]
    with pytest.raises(av.FFmpegError):
        av.open(str(dst))


def test_not_media_is_text_with_a_video_name(tmp_path):
    dst = write_not_media(tmp_path / "notes.mp4")
    with pytest.raises(av.FFmpegError):
        av.open(str(dst))


def test_disguised_playlist_and_concat_reference_the_target(clips, tmp_path):
    target = clips["ref"]
    playlist = write_disguised_playlist(tmp_path / "list.mp4", target=target).read_text()
    assert playlist.startswith("#EXTM3U\n") and target.resolve().as_uri() in playlist
    concat = write_disguised_concat(tmp_path / "concat.mp4", target=target).read_text()
    assert concat == f"ffconcat version 1.0\nfile '{target.resolve()}'\n"
