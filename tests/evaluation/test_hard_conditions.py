"""Tests for the harder synthetic conditions and the tune/heldout presets (no mocks)."""

from __future__ import annotations

import subprocess
from itertools import islice
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from scipy import signal

import syncengine
from evaluation.offset_generation import generate
from evaluation.presets import HARD_TAGS, TAGS, ClipPlan, preset_cases
from mediasynth.clips import CameraSpec, camera_audio, camera_frames, write_clip
from mediasynth.dataset import _entry, _Job
from mediasynth.degrade import post_argv
from mediasynth.room import agc, cheap_mic, clip, room_impulse_response, wind_and_handling
from mediasynth.video import render_float
from mediasynth.view import shake_path
from mediasynth.world import LAYERS, is_layered, layered_audio, song_layout

RATE_HZ = 48000
SEED = 7
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def _schroeder_rt60_s(ir: np.ndarray) -> float:
    """RT60 from the -5..-25 dB slope of the backward-integrated energy decay (T20 x 3)."""
    energy = np.cumsum(ir[::-1] ** 2)[::-1]
    decay_db = 10 * np.log10(energy / energy[0])
    t_s = np.arange(ir.size) / RATE_HZ
    fit = (decay_db < -5) & (decay_db > -25)
    slope_db_per_s = np.polyfit(t_s[fit], decay_db[fit], 1)[0]
    return -60.0 / slope_db_per_s


def _peak_lag(x: np.ndarray, reference: np.ndarray) -> int:
    corr = signal.correlate(x, reference, method="fft")
    return int(signal.correlation_lags(x.size, reference.size)[np.argmax(corr)])


def _normalised_xcorr(x: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Pearson-like correlation of ``segment`` against every window of ``x`` (mode "valid")."""
    corr = signal.correlate(x, segment, mode="valid", method="fft")
    power = np.concatenate([[0.0], np.cumsum(x**2)])
    energy = np.sqrt(power[segment.size :] - power[: -segment.size])
    return corr / (energy * np.linalg.norm(segment) + 1e-12)


# Rooms -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("rt60_s", [0.3, 0.8, 1.3])
@pytest.mark.parametrize("drr_db", [-10.0, 3.0])
def test_room_impulse_response_has_the_requested_rt60_and_drr(rt60_s, drr_db):
    ir = room_impulse_response(rt60_s=rt60_s, drr_db=drr_db, seed=(SEED, 1))
    assert abs(_schroeder_rt60_s(ir) - rt60_s) <= 0.2 * rt60_s
    measured_drr_db = 10 * np.log10(ir[0] ** 2 / np.sum(ir[1:] ** 2))
    assert measured_drr_db == pytest.approx(drr_db, abs=0.5)
    assert np.argmax(np.abs(ir)) == 0  # the direct path is the strongest tap
    early = np.flatnonzero(np.abs(ir[1 : int(0.031 * RATE_HZ)]) > 0.25 * ir[0]) + 1
    assert early.size >= 1 and early.min() >= 0.005 * RATE_HZ - 1  # reflections from 5 ms on


def test_a_distant_reverberant_mic_keeps_the_direct_path_at_lag_0():
    """Dry vs wet cross-correlation peaks at lag 0 within one sample, even at a -10 dB DRR."""
    dry = CameraSpec("far", start_s=1.0, duration_s=3.0, audio_kind="crowd+cheers")
    wet = CameraSpec(
        "far", start_s=1.0, duration_s=3.0, audio_kind="crowd+cheers", rt60_s=1.2, drr_db=-10.0
    )
    x_dry, x_wet = (camera_audio(s, seed=SEED)[:, 0].astype(float) for s in (dry, wet))
    assert abs(_peak_lag(x_wet, x_dry)) <= 1
    noise = np.random.default_rng(0).standard_normal(RATE_HZ)
    ir = room_impulse_response(rt60_s=1.3, drr_db=-10.0, seed=(SEED, 2))
    assert abs(_peak_lag(signal.oaconvolve(noise, ir)[: noise.size], noise)) <= 1
    # The reverberant energy dominates: the wet signal is far from the dry one.
    assert np.corrcoef(x_dry, x_wet)[0, 1] < 0.5


# Microphones -----------------------------------------------------------------------------------


def _tone_gain_db(f_hz: float) -> float:
    t = np.arange(RATE_HZ) / RATE_HZ
    x = np.sin(2 * np.pi * f_hz * t)
    y = cheap_mic(x, band_hz=(300.0, 3400.0))
    return 20 * np.log10(np.std(y[4000:-4000]) / np.std(x[4000:-4000]))


def test_cheap_mic_passes_the_voice_band_only_and_adds_no_delay():
    assert abs(_tone_gain_db(1000.0)) < 1.0
    assert _tone_gain_db(60.0) < -20.0 and _tone_gain_db(12000.0) < -20.0
    noise = np.random.default_rng(1).standard_normal(RATE_HZ)
    assert _peak_lag(cheap_mic(noise, band_hz=(300.0, 3400.0)), noise) == 0


def test_clipping_and_agc():
    x = 0.3 * np.sin(2 * np.pi * 440 * np.arange(RATE_HZ) / RATE_HZ)
    hard = clip(x, drive_db=20.0, mode="hard")
    assert np.mean(np.abs(hard) == 1.0) > 0.7
    soft = clip(x, drive_db=20.0, mode="soft")
    assert np.abs(soft).max() < 1.0 and np.abs(soft).max() > 0.9
    # A quiet second then a loud second (30 dB apart): the AGC narrows the gap and pumps.
    quiet_loud = np.concatenate([0.01 * x, x * 3])
    y = agc(quiet_loud)
    level = [20 * np.log10(np.std(y[k * RATE_HZ + 9600 : (k + 1) * RATE_HZ])) for k in (0, 1)]
    assert level[1] - level[0] < 15.0
    onset = y[RATE_HZ : RATE_HZ + 480]  # the first 10 ms of the loud part, before the attack
    assert np.abs(onset).max() > 2 * np.abs(y[-4800:]).max()


def test_wind_and_handling_are_loud_low_frequency_bursts():
    n = 10 * RATE_HZ
    wind = wind_and_handling(n, wind_db=-12.0, handling=False, seed=(SEED, 3))
    spectrum = np.abs(np.fft.rfft(wind)) ** 2
    freqs = np.fft.rfftfreq(n, 1 / RATE_HZ)
    assert spectrum[freqs < 500].sum() > 0.95 * spectrum.sum()
    rms_100ms = np.sqrt(np.mean(wind.reshape(-1, 4800) ** 2, axis=1))
    assert np.mean(rms_100ms < 0.25 * rms_100ms.max()) > 0.2  # gusts with calm between them
    handled = wind_and_handling(n, wind_db=None, handling=True, seed=(SEED, 3))
    assert np.abs(handled).max() > 0.3


def test_action_camera_audio_clips_and_muted_camera_is_digital_silence():
    action = CameraSpec(
        "act",
        start_s=0.0,
        duration_s=4.0,
        audio_kind="song_a+crowd",
        wind_db=-10.0,
        handling=True,
        clip_mode="hard",
        drive_db=8.0,
    )
    audio = camera_audio(action, seed=SEED)
    assert np.mean(np.abs(audio) >= 0.999) > 0.001
    muted = CameraSpec("mute", start_s=0.0, duration_s=1.0, audio="silent", agc=True)
    assert not camera_audio(muted, seed=SEED).any()


# Songs and other layered worlds ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["song_a+crowd+cheers", "song_b+traffic_b", "crowd_b"])
def test_layered_audio_is_the_same_function_of_time_whatever_the_span(kind):
    whole = layered_audio(kind, start_s=-2.0, duration_s=8.0, seed=SEED)
    part = layered_audio(kind, start_s=1.5, duration_s=3.0, seed=SEED)
    first = round(3.5 * RATE_HZ)
    np.testing.assert_array_equal(whole[first : first + part.size], part)
    assert -40 < 20 * np.log10(np.std(whole)) < -15


@pytest.mark.parametrize("style", ["song_a", "song_b"])
def test_a_song_repeats_its_sections_note_for_note_with_small_variation(style):
    lay = song_layout(SEED, style)
    types = lay.section_types
    first = next(i for i, t in enumerate(types) if t in types[i + 1 :])
    second = types.index(types[first], first + 1)
    start_s, repeat_s = lay.section_start_s(first), lay.section_start_s(second)
    bars = repeat_s - start_s
    # The first 4 bars of the section: within it, the second phrase repeats much of them.
    segment = layered_audio(style, start_s=start_s, duration_s=4 * lay.bar_s, seed=SEED)
    ahead = layered_audio(
        style, start_s=start_s + lay.bar_s, duration_s=bars + 4 * lay.bar_s, seed=SEED
    )
    corr = _normalised_xcorr(ahead, segment)
    peak = int(np.argmax(corr))
    # The strongest repeat (after the first bar) is the next occurrence of the same section...
    assert abs(peak - round((bars - lay.bar_s) * RATE_HZ)) <= 1
    assert corr[peak] > 0.85
    # ...closely followed by the phrase repeat inside the section (4 bars on): real ambiguity.
    phrase = round(3 * lay.bar_s * RATE_HZ)
    assert 0.7 < corr[phrase] < corr[peak]
    # Not an exact copy: the per-bar variation leaves the true lag distinguishable.
    copy = layered_audio(style, start_s=repeat_s, duration_s=4 * lay.bar_s, seed=SEED)
    assert not np.allclose(copy, segment, atol=1e-3)


def test_the_two_song_styles_differ_in_tempo_and_metre():
    a, b = song_layout(SEED, "song_a"), song_layout(SEED, "song_b")
    assert 60 / a.beat_s < 120 < 60 / b.beat_s
    assert a.bar_s / a.beat_s == pytest.approx(4) and b.bar_s / b.beat_s == pytest.approx(3)
    assert a.section_types != b.section_types


def test_a_shared_music_stranger_hears_the_song_at_another_moment_and_nothing_else():
    kind, shift_s = "song_a+crowd", 30.0
    ref = CameraSpec("ref", start_s=0.0, duration_s=6.0, audio_kind=kind)
    stranger = CameraSpec(
        "str",
        start_s=0.0,
        duration_s=6.0,
        audio_kind=kind,
        audio="shared_music",
        video="unrelated",
        song_shift_s=shift_s,
    )
    heard = camera_audio(stranger, seed=SEED)[:, 0].astype(float)
    song_later = layered_audio("song_a", start_s=shift_s, duration_s=6.0, seed=SEED)
    song_now = layered_audio("song_a", start_s=0.0, duration_s=6.0, seed=SEED)
    assert np.corrcoef(heard, song_later)[0, 1] > 0.5  # this event's song, 30 s on
    assert abs(np.corrcoef(heard, song_now)[0, 1]) < 0.3
    crowd = layered_audio("crowd", start_s=0.0, duration_s=6.0, seed=SEED)
    assert abs(np.corrcoef(heard, crowd)[0, 1]) < 0.1  # another crowd
    plan = ClipPlan(stranger)
    assert not plan.syncable and plan.has_audio and not plan.distinct_motion
    assert ClipPlan(ref).syncable
    with pytest.raises(ValueError, match="song_shift_s"):
        CameraSpec("x", start_s=0.0, duration_s=1.0, audio_kind=kind, song_shift_s=3.0)


def test_layer_names_compose():
    assert is_layered("song_b+crowd_b+cheers") and not is_layered("song_a+jazz")
    assert not is_layered("crowd+crowd") and not is_layered("mixed")
    assert {"song_a", "song_b", "crowd", "traffic"} <= set(LAYERS)


# Pictures ----------------------------------------------------------------------------------------


def _frames(spec: CameraSpec, n: int) -> np.ndarray:
    return np.asarray(list(islice(camera_frames(spec, seed=SEED), n)), dtype=float)


def test_a_shaken_rolled_zoomed_camera_sees_another_view_of_the_same_scene():
    base = {"start_s": 2.0, "duration_s": 1.0, "width": 160, "height": 120, "video": "stage"}
    ref = _frames(CameraSpec("a", **base), 20)
    moved = CameraSpec(
        "b", **base, zoom=0.6, center=(0.4, 0.55), roll_deg=4.0, shake=0.03, rolling_shutter=0.8
    )
    view = _frames(moved, 20)
    assert view.shape == ref.shape
    assert np.mean(np.abs(view - ref)) > 10
    # Zoom 1 with no other effect renders exactly the reference view through synth_view.
    same = _frames(CameraSpec("c", **base, blur_px=1e-9), 3)
    assert np.mean(np.abs(same - ref[:3])) < 1.5
    portrait = _frames(CameraSpec("p", **base | {"width": 90, "height": 160}, zoom=0.9), 2)
    assert portrait.shape[1:] == (160, 90, 3)


def test_shake_is_a_smooth_random_walk_of_the_requested_size():
    path = shake_path(300, fps=30.0, amount=0.02, seed=(SEED, 4))
    assert path[:, :2].std(axis=0) == pytest.approx([0.02, 0.02], rel=0.05)
    assert path[:, 2].std() == pytest.approx(0.6, rel=0.05)  # degrees of roll
    steps = np.abs(np.diff(path[:, 0]))
    assert steps.mean() < 0.25 * path[:, 0].std()  # smooth: small frame-to-frame moves
    again = shake_path(300, fps=30.0, amount=0.02, seed=(SEED, 4))
    np.testing.assert_array_equal(path, again)


def _stage_switch_s(seed: int) -> float:
    """World time of a big light switch in the stage scene (found from the scene itself)."""
    t_s = np.arange(0.0, 60.0, 0.1)
    level = np.array(
        [render_float(t, width=32, height=24, seed=seed, kind="stage").mean() for t in t_s]
    )
    # A lasting step (medians of 0.5 s either side), not a 0.12 s flash.
    steps = np.zeros(t_s.size)
    for k in range(5, t_s.size - 6):
        steps[k] = abs(np.median(level[k + 1 : k + 6]) - np.median(level[k - 5 : k]))
    k = int(np.argmax(steps))
    assert steps[k] > 15, "the stage scene should switch its lights"
    return float(t_s[k])


def test_stage_lights_switch_and_a_lagging_auto_exposure_recovers():
    switch_s = _stage_switch_s(SEED)
    base = {
        "start_s": switch_s - 1.0,
        "duration_s": 4.0,
        "width": 64,
        "height": 48,
        "video": "stage",
    }
    plain = _frames(CameraSpec("a", **base), 120).mean(axis=(1, 2, 3))
    exposed = _frames(CameraSpec("e", **base, exposure_lag_s=0.3), 120).mean(axis=(1, 2, 3))
    # The switch is in the picture about 1 s (30 frames) into the clip...
    assert abs(np.median(plain[35:60]) - np.median(plain[:25])) > 15
    # ...and the auto exposure is off right after it, then settles back near its target.
    after = exposed[33:40].mean()
    settled = exposed[-10:].mean()
    assert abs(settled - 115) < 15
    assert abs(after - 115) > abs(settled - 115) + 10


def test_party_scene_has_more_blobs_and_other_lights_than_stage():
    stage = render_float(3.0, width=160, height=120, seed=SEED, kind="stage")
    party = render_float(3.0, width=160, height=120, seed=SEED, kind="party")
    assert stage.shape == party.shape and np.mean(np.abs(stage - party)) > 10


# Presets -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hard() -> dict[str, tuple]:
    return {p: preset_cases(p, seed=0) for p in ("tune", "heldout")}


def test_tune_and_heldout_share_no_world_and_differ_in_content(hard):
    worlds = {
        p: {c.spec.world_seed for case in cases for c in case.clips} for p, cases in hard.items()
    }
    assert not worlds["tune"] & worlds["heldout"] and 0 not in worlds["tune"] | worlds["heldout"]

    def content(cases, attr):
        return {getattr(c.spec, attr) for case in cases for c in case.clips}

    kinds = {
        p: {layer for k in content(cases, "audio_kind") for layer in k.split("+")}
        for p, cases in hard.items()
    }
    assert {"song_a", "crowd", "traffic"} <= kinds["tune"]
    assert {"song_b", "crowd_b", "traffic_b"} <= kinds["heldout"]
    assert not kinds["tune"] & kinds["heldout"] - {"cheers"}
    videos = {p: content(cases, "video") - {"unrelated", "static"} for p, cases in hard.items()}
    assert videos == {"tune": {"stage"}, "heldout": {"party"}}
    rt60 = {p: sorted(content(cases, "rt60_s") - {None}) for p, cases in hard.items()}
    assert max(rt60["heldout"]) > max(rt60["tune"]) and min(rt60["tune"]) >= 0.3
    assert max(rt60["heldout"]) <= 1.3
    zooms = {p: min(content(cases, "zoom")) for p, cases in hard.items()}
    assert zooms["heldout"] < zooms["tune"] and zooms["heldout"] >= 0.5


def test_hard_presets_cover_every_condition_with_truths_inside_their_clips(hard):
    for preset, cases in hard.items():
        assert 20 <= len(cases) <= 26, preset
        assert 60 <= sum(len(c.clips) for c in cases) <= 80, preset
        tags = {t for c in cases for t in c.tags}
        assert tags <= set(TAGS) and set(HARD_TAGS) <= tags, set(HARD_TAGS) - tags
        assert max(len(c.clips) for c in cases) >= 5
        offsets = []
        for case in cases:
            ref = case.clips[0].spec
            for k, plan in enumerate(case.clips[1:], start=1):
                s, truth = plan.spec, case.true_offset_s(k)
                assert (truth is None) == (not plan.syncable), case.case_id
                if truth is None:
                    continue
                offsets.append(abs(truth))
                overlap_s = min(ref.duration_s, truth + s.duration_s) - max(0.0, truth)
                assert overlap_s >= 5.0, (case.case_id, k)  # the truth lies within both clips
                assert abs(s.drift_ppm) <= 300.0
            assert all(c.spec.duration_s <= 120.0 for c in case.clips)
        assert max(offsets) > 60 and any(19.0 <= o <= 20.0 for o in offsets)
        sizes = {(c.spec.width, c.spec.height) for case in cases for c in case.clips}
        assert sizes == {(320, 240), (180, 320)}
        drift = next(c for c in cases if "drift" in c.tags)
        assert max(abs(c.spec.drift_ppm) for c in drift.clips) > 150
        long_ref = next(c for c in cases if "long_ref" in c.tags)
        assert long_ref.clips[0].spec.duration_s == 90.0
        assert {c.spec.duration_s for c in long_ref.clips[1:]} == {15.0}


def test_manifest_flags_of_muted_no_audio_and_stranger_clips(hard):
    case = next(c for c in hard["tune"] if "muted" in c.tags)
    clips = _entry(_Job(case, None), "hash")["clips"]
    assert [c["has_audio"] for c in clips] == [True, False, False, True]
    assert all(c["syncable"] and c["distinct_motion"] for c in clips)
    shared = next(c for c in hard["heldout"] if "shared_music" in c.tags)
    entry = _entry(_Job(shared, None), "hash")["clips"]
    strangers = [c for c in entry if c["true_offset_s"] is None]
    assert len(strangers) >= 1 and not any(c["syncable"] or c["distinct_motion"] for c in strangers)
    # A stranger shows another party (another world's scene of the same kind), not old blobs.
    scenes = {c.spec.unrelated_scene for c in shared.clips if c.spec.video == "unrelated"}
    assert scenes == {"party"}
    views = next(c for c in hard["heldout"] if "viewpoint" in c.tags)
    assert all(c["distinct_motion"] for c in _entry(_Job(views, None), "hash")["clips"])


def test_a_muted_clip_keeps_its_audio_track_and_crf_reencodes_the_picture(tmp_path):
    spec = CameraSpec("m", start_s=0.0, duration_s=1.0, width=64, height=48, audio="silent")
    plan = ClipPlan(spec, crf=40, audio_bitrate_kbps=48)
    raw = write_clip(spec, tmp_path, seed=SEED)
    argv = post_argv(plan, raw, tmp_path / "out.mp4", ffmpeg_bin=FFMPEG, seed=1)
    assert argv[argv.index("-crf") + 1] == "40" and "-c:a" in argv
    subprocess.run(argv, check=True, capture_output=True, timeout=60)
    probe = subprocess.run(
        [FFMPEG, "-i", str(tmp_path / "out.mp4")], capture_output=True, text=True, timeout=60
    )
    assert "Audio: aac" in probe.stderr and not plan.has_audio and plan.has_track
    assert Path(tmp_path / "out.mp4").stat().st_size > 0


def test_generate_writes_a_hard_case_synthetically_with_its_flags(tmp_path):
    """End to end: even with originals present, a tune case is synthesised (its conditions are
    the synth's), the muted camera has a silent track and ``has_audio`` False."""
    originals = tmp_path / "originals"
    write_clip(CameraSpec("event", 0.0, 4.0, width=64, height=48), originals, seed=2)
    manifest = generate(
        "tune", out_dir=tmp_path, originals_dir=originals, cases=["muted"], log=lambda _: None
    )
    (case,) = manifest["cases"]
    assert case["source_file"] is None and case["tags"] == ["muted", "no_audio"]
    root = tmp_path / "tune"
    tracks = [syncengine.probe(root / c["file"]).has_audio for c in case["clips"]]
    assert tracks == [True, False, True, True]  # the muted camera keeps its (silent) track
    assert [c["has_audio"] for c in case["clips"]] == [True, False, False, True]
    muted = subprocess.run(
        [
            FFMPEG,
            "-v",
            "error",
            "-i",
            str(root / case["clips"][2]["file"]),
            "-f",
            "f32le",
            "-ac",
            "1",
            "-",
        ],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    assert len(muted) > 0 and not np.frombuffer(muted, np.float32).any()
