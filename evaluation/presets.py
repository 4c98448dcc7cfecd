"""Evaluation presets: the cases (sets of cameras at known offsets) that offset_generation writes.

A case is a tuple of :class:`ClipPlan`, each wrapping a :class:`mediasynth.clips.CameraSpec` (where
the camera sits in world time and how it hears and sees the scene) plus the degradations that
:mod:`evaluation.offset_generation` applies with ffmpeg afterwards (lossy audio re-encode, picture
softness, sensor noise, perspective). Each case isolates one real-world condition and names it in
``tags``; the full preset adds ``field`` cases where every camera differs in every way at once.

Presets: ``tiny``, ``small`` and ``full`` (the original conditions: offsets, frame and sample
rates, rooms, codecs, loops, drift, strangers), and ``tune`` and ``heldout``: 23 cases (80 clips,
~33 min of video) each of the conditions of real shoots (``HARD_TAGS``), mostly 320x240 (portrait
phones 180x320) and 15-25 s long, plus a 90 s reference, a 100-120 s drift take and 25-50 s clips
for long offsets. The engine is tuned on ``tune`` only and ``heldout`` is quoted; both have one
case of each kind, in the same order, so per-tag scores compare. The cases are:

- sound: a song alone (``song``), the song over a still picture (``song``, ``repetitive``), crowd
  babble, traffic, rooms with RT60 and direct-to-reverberant ratio (``reverb``), distant mics
  (low DRR, -10..-16 dB, lowpassed, noisy), cheap mics (300-3400 Hz band-pass, soft/hard
  clipping, AGC pumping), MP3/AAC at 32-64 kb/s, action cameras (wind gusts, handling knocks,
  hard clipping, shake, 60 fps), a camera with no audio track next to one whose track is digital
  silence (``muted``; both ``has_audio`` False), and a five-camera case with two strangers: one
  that shares only the song, heard 20-50 s away in the song over another crowd and scene
  (``shared_music``), and one that shares nothing;
- picture: viewpoints (zoom with an off-centre view, roll, perspective, a portrait slice),
  handheld shake with rolling-shutter skew, lagging auto exposure under light switches, lens
  blur + sensor noise + high CRF;
- timing: 15 s clips 3-73 s into a 90 s reference (``long_ref``), 19-20 s offsets with 30 %
  overlap (``edge_offset``), 30-34 s offsets with 10-14 s overlap, 18-28 s in a street scene,
  and drift of 125-292 ppm on a 100-120 s take;
- ``field``: six cameras that differ in everything (``many_cameras``), a night event whose lights
  switch (with a shared-music stranger), and a street with traffic, a crowd and music from a bar.

How ``heldout`` differs from ``tune`` (not a reseed: other seeds *and* other content):

============================  ================================  ================================
                              ``tune``                          ``heldout``
============================  ================================  ================================
case random stream            ``default_rng([seed, 7001, n])``  ``default_rng([seed, 9002, n])``
world seed of case ``n``      ``10000 + n``                     ``20000 + n``
song (``mediasynth.world``)   ``song_a``: 4/4 pop, 96-116 bpm,  ``song_b``: 3/4 waltz, 138-156
                              intro-V-C-V-C-bridge-C-outro,     bpm, A-A-B-A-C-B-B-A, FM bell,
                              piano, saw bass, kick/snare/hat   organ, plucked bass, tom/rim/
                                                                shaker, another scale
crowd                         ``crowd``: 14 adult voices        ``crowd_b``: 26 voices with
                                                                children (f0 to 330 Hz)
traffic                       ``traffic``: 0.35 vehicles/s      ``traffic_b``: 0.7/s, trucks,
                                                                faster passes, more horns
scene (``mediasynth.video``)  ``stage``: 5 blobs, flashes,      ``party``: 9 smaller blobs,
                              white lights switching in 5 s     another background, coloured
                              slots (100-30 %)                  lights in 3.5 s slots (100-20 %),
                                                                8 Hz strobe bursts
room RT60 / DRR               0.3-0.8 s / 0..+6 dB              0.7-1.3 s / -3..+3 dB
distant-mic DRR               -6..-2 dB                         -10..-6 dB
view zoom / roll              0.7-0.95 / 1-3 deg                0.5-0.8 / 3-6 deg
shake (RMS, frame heights)    0.008-0.02                        0.015-0.035
low bitrates                  48-64 kb/s (and 32)               32-40 kb/s
CRF / lens blur               32-36 / 0.8-1.5 px                38-43 / 1.5-2.5 px
auto-exposure lag             0.3-0.8 s                         0.8-1.5 s
wind gusts                    -26..-18 dBFS                     -18..-10 dBFS
drift                         125-208 ppm                       229-292 ppm
============================  ================================  ================================

Conventions
-----------
- Clip 0 of a case is its reference. The true offset of clip ``k`` is
  ``clips[k].spec.start_s - clips[0].spec.start_s`` seconds (positive: it started later), the
  engine's ``offset_s`` convention; it is ``None`` for a clip that shares nothing (``unsyncable``).
- In ``tiny``, ``small`` and ``full`` all true offsets lie within +-20 s (the engine's old default
  ``max_lag_s``); ``tune`` and ``heldout`` go to 75 s, always with >= 5 s in common.
- Seeded and deterministic: case ``n`` of a preset draws every random choice from
  ``np.random.default_rng([seed, n])`` (``tune``/``heldout``: see the table above).
- Drift values are whole multiples of 1e6 / 48000 ppm (one extra sample per second at 48 kHz), so
  ffmpeg's ``asetrate`` can reproduce them exactly when cutting from originals.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from mediasynth.clips import CameraSpec
from mediasynth.plan import CasePlan, ClipPlan

__all__ = ["HARD_TAGS", "PRESETS", "TAGS", "CasePlan", "ClipPlan", "Look", "preset_cases"]

HARD_TAGS = (
    "song",
    "crowd",
    "traffic",
    "reverb",
    "distant_mic",
    "cheap_mic",
    "clipping",
    "agc",
    "low_bitrate",
    "wind",
    "action_cam",
    "muted",
    "shared_music",
    "portrait",
    "shake",
    "rolling_shutter",
    "auto_exposure",
    "light_switch",
    "blur",
    "sensor_noise",
    "low_quality",
    "long_ref",
    "long_offset",
    "edge_offset",
    "many_cameras",
)
TAGS = (
    "offset_range",
    "subframe",
    "partial_overlap",
    "durations",
    "fps_mix",
    "rate_mix",
    "channels",
    "room_mic",
    "viewpoint",
    "no_audio",
    "near_silence",
    "repetitive",
    "drift",
    "unsyncable",
    "speech",
    "field",
    *HARD_TAGS,
)
NTSC_FPS = 30000 / 1001
_PPM_STEP = 1e6 / 48000  # one sample per second at 48 kHz, in ppm
_MAX_OFFSET_S = 19.8


@dataclass(frozen=True)
class Look:
    """A preset's scale: picture size, clip lengths (seconds) and the long drift take."""

    width: int
    height: int
    clip_s: tuple[float, float]  # clip durations are drawn from this range
    drift_take_s: tuple[float, float]

    def cam(self, start_s: float, duration_s: float, **kw: object) -> CameraSpec:
        size = {"width": self.width, "height": self.height} | kw
        start_s, duration_s = float(round(start_s, 7)), float(round(duration_s, 3))
        return CameraSpec("cam", start_s=start_s, duration_s=duration_s, **size)  # type: ignore[arg-type]


_Rng = np.random.Generator
_Case = tuple[tuple[str, ...], list[ClipPlan]]  # (tags, clips) as a builder returns them
_Builder = Callable[[_Rng, Look], _Case]


def _plans(*specs: CameraSpec) -> list[ClipPlan]:
    return [ClipPlan(s) for s in specs]


def _offset(rng: _Rng, low_s: float, high_s: float) -> float:
    return float(np.clip(rng.uniform(low_s, high_s), -_MAX_OFFSET_S, _MAX_OFFSET_S))


def _offset_range(rng: _Rng, look: Look) -> _Case:
    d = rng.uniform(*look.clip_s)
    late, early = round(_offset(rng, 10.0, 20.0), 3), round(_offset(rng, -20.0, -2.0), 3)
    # Each pair keeps >= 60 % of a clip in common, whatever the offset.
    return ("offset_range",), _plans(
        look.cam(0.0, max(d, late + 0.6 * d)), look.cam(late, d), look.cam(early, -early + 0.6 * d)
    )


def _subframe(rng: _Rng, look: Look) -> _Case:
    d = rng.uniform(*look.clip_s)
    # Whole frames plus a fraction of a frame plus a fraction of a 48 kHz sample.
    starts = [
        (rng.integers(-90, 90) + rng.uniform(0.05, 0.95)) / 30.0 + rng.uniform(0, 1) / 48000
        for _ in range(2)
    ]
    return ("subframe", "offset_range"), _plans(look.cam(0.0, d), *(look.cam(s, d) for s in starts))


def _partial_overlap(rng: _Rng, look: Look) -> _Case:
    f_late, f_early = rng.uniform(0.3, 0.5, size=2)
    d = min(rng.uniform(*look.clip_s), _MAX_OFFSET_S / (1 - min(f_late, f_early)))
    late, early = look.cam(d * (1 - f_late), d), look.cam(-d * (1 - f_early), d)
    return ("partial_overlap",), _plans(look.cam(0.0, d), late, early)


def _durations(rng: _Rng, look: Look) -> _Case:
    d = rng.uniform(*look.clip_s)
    short = look.cam(rng.uniform(0.5, 0.6 * d - 0.5), 0.4 * d)
    long = look.cam(-min(0.3 * d, _MAX_OFFSET_S), 1.8 * d)
    return ("durations",), _plans(look.cam(0.0, d), short, long)


def _near(rng: _Rng, look: Look, d: float, **kw: object) -> CameraSpec:
    """A camera of duration ``d`` starting within +-30 % of ``d`` of the reference."""
    return look.cam(_offset(rng, -0.3 * d, 0.3 * d), d, **kw)


def _fps_mix(rng: _Rng, look: Look) -> _Case:
    d = rng.uniform(*look.clip_s)
    others = (_near(rng, look, d, fps=fps) for fps in (25.0, NTSC_FPS, 60.0))
    return ("fps_mix",), _plans(look.cam(0.0, d), *others)


def _rate_mix(rng: _Rng, look: Look) -> _Case:
    d = rng.uniform(*look.clip_s)
    others = (_near(rng, look, d, sample_rate_hz=44100, channels=c) for c in (1, 1))
    return ("rate_mix",), _plans(look.cam(0.0, d), *others)


def _channels(rng: _Rng, look: Look) -> _Case:
    d = rng.uniform(*look.clip_s)
    others = (_near(rng, look, d, channels=c) for c in (1, 2))
    return ("channels",), _plans(look.cam(0.0, d, channels=2), *others)


def _room_clip(rng: _Rng, spec: CameraSpec, *, codec: str, **video: object) -> ClipPlan:
    """``spec`` heard through its own room and microphone, then re-encoded at a low bitrate."""
    lowpass_hz, gain_db = float(round(rng.uniform(2500, 6000))), round(rng.uniform(-12, 6), 1)
    noise_db = round(rng.uniform(-55, -40), 1)
    mic = dict(reverb=True, lowpass_hz=lowpass_hz, gain_db=gain_db, noise_db=noise_db)
    kbps = int(rng.choice([32, 40, 48]))
    return ClipPlan(replace(spec, **mic), audio_codec=codec, audio_bitrate_kbps=kbps, **video)  # type: ignore[arg-type]


def _room_mic(rng: _Rng, look: Look) -> _Case:
    d = rng.uniform(*look.clip_s)
    reference = ClipPlan(look.cam(0.0, d, noise_db=-60.0), audio_bitrate_kbps=64)
    others = [_room_clip(rng, _near(rng, look, d), codec=codec) for codec in ("aac", "mp3")]
    return ("room_mic",), [reference, *others]


def _viewpoint(rng: _Rng, look: Look) -> _Case:
    d = rng.uniform(*look.clip_s)
    a = _near(
        rng,
        look,
        d,
        crop=round(rng.uniform(0.6, 0.8), 2),
        brightness=round(rng.uniform(0.05, 0.15), 2),
    )
    b = _near(
        rng,
        look,
        d,
        crop=round(rng.uniform(0.8, 0.95), 2),
        brightness=round(rng.uniform(-0.15, -0.05), 2),
    )
    return ("viewpoint",), [
        ClipPlan(look.cam(0.0, d)),
        ClipPlan(a, scale=0.5, video_noise=int(rng.integers(6, 14))),
        ClipPlan(
            b, perspective=round(rng.uniform(0.05, 0.12), 3), video_noise=int(rng.integers(4, 10))
        ),
    ]


def _no_audio(rng: _Rng, look: Look) -> _Case:
    d = rng.uniform(*look.clip_s)
    mute = look.cam(_offset(rng, 1.0, 0.3 * d), d, audio="none")
    early = look.cam(_offset(rng, -0.3 * d, -1.0), d)
    return ("no_audio",), _plans(look.cam(0.0, d), mute, early)


def _near_silence(rng: _Rng, look: Look) -> _Case:
    d = rng.uniform(*look.clip_s)
    # The world is ~-28 dBFS RMS: -32 dB puts it near -60 dBFS over a -70 dBFS noise floor.
    quiet = _near(rng, look, d, gain_db=-32.0, noise_db=-70.0)
    return ("near_silence",), _plans(look.cam(0.0, d), quiet)


def _repeating(rng: _Rng, look: Look, *, video: str) -> list[ClipPlan]:
    d = rng.uniform(*look.clip_s)
    kw = {"audio_kind": "music_loop", "video": video}
    return _plans(look.cam(0.0, d, **kw), _near(rng, look, d, **kw))


def _repetitive_sound(rng: _Rng, look: Look) -> _Case:
    """A 0.5 s music loop, distinct motion: only the picture can resolve the loop period."""
    return ("repetitive",), _repeating(rng, look, video="blobs")


def _repetitive_all(rng: _Rng, look: Look) -> _Case:
    """Music loop and 1 s motion loop: nothing can resolve it, so it must be refused."""
    return ("repetitive",), _repeating(rng, look, video="loop")


def _drift(rng: _Rng, look: Look) -> _Case:
    take_s = rng.uniform(*look.drift_take_s)
    ppm = [round(int(rng.integers(3, 8)) * _PPM_STEP * sign, 6) for sign in (1, -1)]
    others = (look.cam(_offset(rng, -10.0, 10.0), take_s, drift_ppm=p) for p in ppm)
    return ("drift",), _plans(look.cam(0.0, take_s), *others)


def _unsyncable(rng: _Rng, look: Look) -> _Case:
    d = rng.uniform(*look.clip_s)
    stranger = look.cam(0.0, d, audio="unrelated", video="unrelated")
    return ("unsyncable",), _plans(look.cam(0.0, d), _near(rng, look, d), stranger)


def _speech(rng: _Rng, look: Look) -> _Case:
    d = rng.uniform(*look.clip_s)
    kw = {"audio_kind": "speech"}
    far = _near(rng, look, d, reverb=True, noise_db=-50.0, **kw)
    return ("speech",), _plans(look.cam(0.0, d, **kw), _near(rng, look, d, **kw), far)


def _field(rng: _Rng, look: Look) -> _Case:
    """Four cameras that differ in everything at once, as at a real event."""
    d = rng.uniform(*look.clip_s)
    clips = [ClipPlan(look.cam(0.0, d, noise_db=-60.0))]
    for _ in range(3):
        spec = look.cam(
            _offset(rng, -0.4 * d, 0.4 * d),
            rng.uniform(0.6, 1.0) * d,
            fps=float(rng.choice([25.0, NTSC_FPS, 30.0, 60.0])),
            sample_rate_hz=int(rng.choice([44100, 48000])),
            channels=int(rng.integers(1, 3)),
            crop=round(rng.uniform(0.7, 1.0), 2),
            brightness=round(rng.uniform(-0.1, 0.1), 2),
        )
        clips.append(
            _room_clip(
                rng,
                spec,
                codec=str(rng.choice(["aac", "mp3"])),
                video_noise=int(rng.integers(0, 8)),
                scale=round(rng.uniform(0.5, 1.0), 2),
            )
        )
    return ("field",), clips


# Hard presets (tune, heldout) ------------------------------------------------------------------


@dataclass(frozen=True)
class _Style:
    """What differs between the tune and heldout worlds (see the module docstring)."""

    song: str
    crowd: str
    traffic: str
    scene: str
    rt60_s: tuple[float, float]
    drr_db: tuple[float, float]  # an ordinary room microphone
    far_drr_db: tuple[float, float]  # a distant microphone
    zoom: tuple[float, float]
    roll_deg: tuple[float, float]
    shake: tuple[float, float]
    kbps: tuple[int, ...]
    crf: tuple[int, int]
    exposure_lag_s: tuple[float, float]
    blur_px: tuple[float, float]
    wind_db: tuple[float, float]
    drift_steps: tuple[int, int]  # drift in whole _PPM_STEPs (20.8 ppm)

    @property
    def event(self) -> str:
        return f"{self.song}+{self.crowd}+cheers"


_TUNE = _Style(
    song="song_a",
    crowd="crowd",
    traffic="traffic",
    scene="stage",
    rt60_s=(0.3, 0.8),
    drr_db=(0.0, 6.0),
    far_drr_db=(-6.0, -2.0),
    zoom=(0.7, 0.95),
    roll_deg=(1.0, 3.0),
    shake=(0.008, 0.02),
    kbps=(48, 64),
    crf=(32, 37),
    exposure_lag_s=(0.3, 0.8),
    blur_px=(0.8, 1.5),
    wind_db=(-26.0, -18.0),
    drift_steps=(6, 10),
)
_HELDOUT = _Style(
    song="song_b",
    crowd="crowd_b",
    traffic="traffic_b",
    scene="party",
    rt60_s=(0.7, 1.3),
    drr_db=(-3.0, 3.0),
    far_drr_db=(-10.0, -6.0),
    zoom=(0.5, 0.8),
    roll_deg=(3.0, 6.0),
    shake=(0.015, 0.035),
    kbps=(32, 40),
    crf=(38, 44),
    exposure_lag_s=(0.8, 1.5),
    blur_px=(1.5, 2.5),
    wind_db=(-18.0, -10.0),
    drift_steps=(11, 14),
)
_PORTRAIT = {"width": 180, "height": 320}


def _u(rng: _Rng, r: tuple[float, float], nd: int = 2) -> float:
    return round(float(rng.uniform(*r)), nd)


def _hc(look: Look, st: _Style, start_s: float, duration_s: float, **kw: object) -> CameraSpec:
    """A camera of the hard presets: the style's scene and event sound unless ``kw`` says else.

    A stranger (``video="unrelated"``) shows another world's scene of the same kind.
    """
    defaults = {"video": st.scene, "audio_kind": st.event, "unrelated_scene": st.scene}
    return look.cam(start_s, duration_s, **(defaults | kw))


def _around(rng: _Rng, d: float, frac: float = 0.35) -> float:
    """An offset within +-``frac`` of ``d``, at least 1 s from 0."""
    return round(float(rng.choice([-1, 1]) * rng.uniform(1.0, max(frac * d, 1.5))), 3)


def _room(rng: _Rng, st: _Style, *, far: bool = False) -> dict[str, object]:
    """A room microphone (``far``: a distant one, the direct path well below the reverb)."""
    lo, hi = st.rt60_s
    if far:
        return dict(
            rt60_s=_u(rng, ((lo + hi) / 2, hi)),
            drr_db=_u(rng, st.far_drr_db, 1),
            gain_db=_u(rng, (-16.0, -10.0), 1),
            lowpass_hz=float(round(rng.uniform(3000, 5000))),
            noise_db=_u(rng, (-52.0, -46.0), 1),
        )
    return dict(
        rt60_s=_u(rng, st.rt60_s), drr_db=_u(rng, st.drr_db, 1), noise_db=_u(rng, (-60.0, -50.0), 1)
    )


def _view(rng: _Rng, st: _Style, *, portrait: bool = False) -> dict[str, object]:
    """Another viewpoint: zoomed in off-centre (the view stays inside the scene) and rolled."""
    zoom = _u(rng, st.zoom)
    half_w = zoom * (0.5 * 180 / 320 * 0.75 if portrait else 0.5)
    cx = _u(rng, (half_w + 0.02, 1 - half_w - 0.02), 3) if half_w < 0.48 else 0.5
    cy = _u(rng, (zoom / 2 + 0.01, 1 - zoom / 2 - 0.01), 3) if zoom < 0.96 else 0.5
    roll = _u(rng, st.roll_deg, 1) * float(rng.choice([-1, 1]))
    return dict(zoom=zoom, center=(cx, cy), roll_deg=roll) | (_PORTRAIT if portrait else {})


def _h_song(rng: _Rng, look: Look, st: _Style) -> _Case:
    """The song alone: sections repeat note for note, so only small variations and the picture
    tell one chorus from the next."""
    d = rng.uniform(*look.clip_s)
    kw = {"audio_kind": st.song}
    return ("song",), [
        ClipPlan(_hc(look, st, 0.0, d, noise_db=-60.0, **kw)),
        ClipPlan(_hc(look, st, _around(rng, d), d, **kw, **_room(rng, st))),
        ClipPlan(_hc(look, st, _around(rng, d), d, **kw), audio_bitrate_kbps=64),
    ]


def _h_song_static(rng: _Rng, look: Look, st: _Style) -> _Case:
    """The song over a still picture: nothing but the song's small variations can place it."""
    d = rng.uniform(*look.clip_s)
    kw = {"audio_kind": st.song, "video": "static"}
    return ("song", "repetitive"), _plans(
        _hc(look, st, 0.0, d, **kw), _hc(look, st, _around(rng, d), d, **kw)
    )


def _h_crowd(rng: _Rng, look: Look, st: _Style) -> _Case:
    d = rng.uniform(*look.clip_s)
    kw = {"audio_kind": st.crowd}
    return ("crowd",), [
        ClipPlan(_hc(look, st, 0.0, d, **kw)),
        ClipPlan(_hc(look, st, _around(rng, d), d, **kw, **_room(rng, st))),
        ClipPlan(
            _hc(look, st, _around(rng, d), d, **kw, gain_db=-6.0, noise_db=-50.0),
            audio_codec="mp3",
            audio_bitrate_kbps=int(rng.choice(st.kbps)),
        ),
    ]


def _h_traffic(rng: _Rng, look: Look, st: _Style) -> _Case:
    d = rng.uniform(*look.clip_s)
    kw = {"audio_kind": st.traffic}
    return ("traffic",), [
        ClipPlan(_hc(look, st, 0.0, d, **kw)),
        ClipPlan(_hc(look, st, _around(rng, d), d, **kw, noise_db=-45.0)),
        ClipPlan(_hc(look, st, _around(rng, d), d, **kw, wind_db=_u(rng, st.wind_db, 1))),
    ]


def _h_reverb(rng: _Rng, look: Look, st: _Style) -> _Case:
    d = rng.uniform(*look.clip_s)
    return ("reverb",), _plans(
        _hc(look, st, 0.0, d, noise_db=-60.0),
        *(_hc(look, st, _around(rng, d), d, **_room(rng, st)) for _ in range(2)),
    )


def _h_distant(rng: _Rng, look: Look, st: _Style) -> _Case:
    d = rng.uniform(*look.clip_s)
    far = [
        ClipPlan(
            _hc(look, st, _around(rng, d), d, **_room(rng, st, far=True)),
            audio_bitrate_kbps=int(rng.choice(st.kbps)),
        )
        for _ in range(2)
    ]
    return ("distant_mic", "reverb"), [ClipPlan(_hc(look, st, 0.0, d, noise_db=-60.0)), *far]


def _h_cheap(rng: _Rng, look: Look, st: _Style) -> _Case:
    d = rng.uniform(*look.clip_s)
    soft = _hc(
        look,
        st,
        _around(rng, d),
        d,
        band_hz=(300.0, 3400.0),
        clip_mode="soft",
        drive_db=_u(rng, (12.0, 18.0), 1),
        noise_db=-50.0,
    )
    hard = _hc(
        look,
        st,
        _around(rng, d),
        d,
        band_hz=(float(round(rng.uniform(250, 400))), float(round(rng.uniform(3000, 3800)))),
        agc=True,
        clip_mode="hard",
        drive_db=_u(rng, (2.0, 6.0), 1),
    )
    pumped = _hc(look, st, _around(rng, d), d, agc=True, noise_db=-48.0)
    return ("cheap_mic", "clipping", "agc"), [
        ClipPlan(_hc(look, st, 0.0, d)),
        ClipPlan(soft, audio_bitrate_kbps=64),
        ClipPlan(hard, audio_codec="mp3", audio_bitrate_kbps=int(rng.choice(st.kbps))),
        ClipPlan(pumped, audio_bitrate_kbps=64),
    ]


def _h_codec(rng: _Rng, look: Look, st: _Style) -> _Case:
    d = rng.uniform(*look.clip_s)
    a = _hc(look, st, _around(rng, d), d)
    b = _hc(look, st, _around(rng, d), d, sample_rate_hz=44100, **_room(rng, st))
    c = _hc(look, st, _around(rng, d), d, channels=2)
    return ("low_bitrate",), [
        ClipPlan(_hc(look, st, 0.0, d)),
        ClipPlan(a, audio_codec="mp3", audio_bitrate_kbps=32),
        ClipPlan(b, audio_codec="aac", audio_bitrate_kbps=32),
        ClipPlan(c, audio_codec="mp3", audio_bitrate_kbps=int(rng.choice(st.kbps))),
    ]


def _h_wind(rng: _Rng, look: Look, st: _Style) -> _Case:
    """Action cameras: wind gusts, handling knocks, hard clipping, shake, a wide view."""
    d = rng.uniform(*look.clip_s)
    action = _hc(
        look,
        st,
        _around(rng, d),
        d,
        wind_db=_u(rng, st.wind_db, 1),
        handling=True,
        clip_mode="hard",
        drive_db=_u(rng, (6.0, 12.0), 1),
        shake=_u(rng, st.shake, 3) * 1.5,
        fps=60.0,
    )
    bar = _hc(
        look,
        st,
        _around(rng, d),
        d,
        wind_db=_u(rng, st.wind_db, 1) + 4.0,
        clip_mode="hard",
        drive_db=6.0,
        shake=_u(rng, st.shake, 3),
    )
    return ("wind", "action_cam", "shake", "clipping"), [
        ClipPlan(_hc(look, st, 0.0, d)),
        ClipPlan(action, audio_bitrate_kbps=64),
        ClipPlan(bar, audio_bitrate_kbps=int(rng.choice(st.kbps))),
    ]


def _h_muted(rng: _Rng, look: Look, st: _Style) -> _Case:
    d = rng.uniform(*look.clip_s)
    return ("muted", "no_audio"), _plans(
        _hc(look, st, 0.0, d),
        _hc(look, st, _around(rng, d), d, audio="none"),
        _hc(look, st, _around(rng, d), d, audio="silent"),
        _hc(look, st, _around(rng, d), d),
    )


def _h_shared_music(rng: _Rng, look: Look, st: _Style) -> _Case:
    """Two strangers beside three syncable cameras: one shares only the song (heard at another
    moment of it, over another crowd and scene), one shares nothing."""
    d = rng.uniform(*look.clip_s)
    shift = round(float(rng.uniform(20.0, 50.0)) * float(rng.choice([-1, 1])), 3)
    stranger = _hc(
        look,
        st,
        _around(rng, d),
        d,
        audio="shared_music",
        video="unrelated",
        song_shift_s=shift,
        **_room(rng, st),
    )
    nobody = _hc(look, st, _around(rng, d), d, audio="unrelated", video="unrelated")
    return ("shared_music", "unsyncable", "many_cameras"), [
        ClipPlan(_hc(look, st, 0.0, d)),
        ClipPlan(_hc(look, st, _around(rng, d), d)),
        ClipPlan(_hc(look, st, _around(rng, d), d, **_room(rng, st))),
        ClipPlan(stranger, audio_bitrate_kbps=64),
        ClipPlan(nobody),
    ]


def _h_viewpoint(rng: _Rng, look: Look, st: _Style) -> _Case:
    d = rng.uniform(*look.clip_s)
    return ("viewpoint", "portrait"), [
        ClipPlan(_hc(look, st, 0.0, d)),
        ClipPlan(_hc(look, st, _around(rng, d), d, **_view(rng, st))),
        ClipPlan(
            _hc(look, st, _around(rng, d), d, **_view(rng, st)),
            perspective=_u(rng, (0.06, 0.14), 3),
        ),
        ClipPlan(_hc(look, st, _around(rng, d), d, **_view(rng, st, portrait=True))),
    ]


def _h_shake(rng: _Rng, look: Look, st: _Style) -> _Case:
    d = rng.uniform(*look.clip_s)
    return ("shake", "rolling_shutter"), _plans(
        _hc(look, st, 0.0, d),
        *(
            _hc(
                look,
                st,
                _around(rng, d),
                d,
                shake=_u(rng, st.shake, 3),
                rolling_shutter=_u(rng, (0.5, 0.9)),
                **_view(rng, st),
            )
            for _ in range(2)
        ),
    )


def _h_exposure(rng: _Rng, look: Look, st: _Style) -> _Case:
    d = rng.uniform(*look.clip_s)
    return ("auto_exposure", "light_switch"), _plans(
        _hc(look, st, 0.0, d, exposure_lag_s=_u(rng, st.exposure_lag_s)),
        *(
            _hc(look, st, _around(rng, d), d, exposure_lag_s=_u(rng, st.exposure_lag_s))
            for _ in range(2)
        ),
    )


def _h_quality(rng: _Rng, look: Look, st: _Style) -> _Case:
    d = rng.uniform(*look.clip_s)
    return ("blur", "sensor_noise", "low_quality"), [
        ClipPlan(_hc(look, st, 0.0, d)),
        ClipPlan(
            _hc(look, st, _around(rng, d), d, blur_px=_u(rng, st.blur_px)),
            video_noise=int(rng.integers(10, 20)),
            crf=int(rng.integers(*st.crf)),
        ),
        ClipPlan(
            _hc(look, st, _around(rng, d), d, blur_px=_u(rng, st.blur_px)),
            scale=0.5,
            crf=int(rng.integers(*st.crf)),
        ),
    ]


def _h_long_ref(rng: _Rng, look: Look, st: _Style) -> _Case:
    """Short phone clips inside a 90 s reference, up to 75 s into it."""
    ref = _hc(look, st, 0.0, 90.0, noise_db=-60.0)
    starts = (rng.uniform(3, 12), rng.uniform(32, 45), rng.uniform(62, 73))
    others = [
        ClipPlan(
            _hc(look, st, round(float(t), 3), 15.0, **_room(rng, st)),
            audio_bitrate_kbps=int(rng.choice(st.kbps)),
        )
        for t in starts
    ]
    return ("long_ref", "long_offset"), [ClipPlan(ref), *others]


def _h_edge(rng: _Rng, look: Look, st: _Style) -> _Case:
    """Offsets of 19-20 s with ~30 % overlap: the edge of the old +-20 s search."""
    late, early = _u(rng, (19.0, 20.0), 3), -_u(rng, (19.0, 20.0), 3)
    d = round(late / 0.7, 3)
    return ("edge_offset", "partial_overlap"), _plans(
        _hc(look, st, 0.0, d),
        _hc(look, st, late, d),
        _hc(look, st, early, round(-early / 0.7, 3), **_room(rng, st)),
    )


def _h_far(rng: _Rng, look: Look, st: _Style) -> _Case:
    """Offsets of 30-34 s with 10-14 s in common."""
    late = _u(rng, (30.0, 34.0), 3)
    early = -_u(rng, (30.0, 34.0), 3)
    return ("long_offset",), _plans(
        _hc(look, st, 0.0, 45.0),
        _hc(look, st, late, 25.0, **_room(rng, st)),
        _hc(look, st, early, round(-early + _u(rng, (10.0, 14.0)), 3)),
    )


def _h_drift(rng: _Rng, look: Look, st: _Style) -> _Case:
    take_s = rng.uniform(*look.drift_take_s)
    fast, slow = (int(rng.integers(st.drift_steps[0], st.drift_steps[1] + 1)) for _ in range(2))
    a = _hc(look, st, _around(rng, 20.0), take_s, drift_ppm=round(fast * _PPM_STEP, 6))
    b = _hc(
        look,
        st,
        _around(rng, 20.0),
        0.5 * take_s,
        drift_ppm=round(-slow * _PPM_STEP, 6),
        **_room(rng, st),
    )
    return ("drift",), _plans(_hc(look, st, 0.0, take_s), a, b)


def _h_unrelated(rng: _Rng, look: Look, st: _Style) -> _Case:
    d = rng.uniform(*look.clip_s)
    stranger = _hc(look, st, 0.0, d, audio="unrelated", video="unrelated")
    return ("unsyncable",), _plans(
        _hc(look, st, 0.0, d), _hc(look, st, _around(rng, d), d), stranger
    )


def _h_field_many(rng: _Rng, look: Look, st: _Style) -> _Case:
    """Six cameras of one event that differ in everything at once."""
    d = rng.uniform(*look.clip_s)
    o = [_around(rng, d, 0.45) for _ in range(5)]
    kb = int(rng.choice(st.kbps))
    return ("field", "many_cameras"), [
        ClipPlan(_hc(look, st, 0.0, d, noise_db=-60.0)),
        ClipPlan(
            _hc(
                look,
                st,
                o[0],
                d,
                **_view(rng, st, portrait=True),
                agc=True,
                shake=_u(rng, st.shake, 3),
                exposure_lag_s=_u(rng, st.exposure_lag_s),
                band_hz=(300.0, 3400.0),
                fps=NTSC_FPS,
                **_room(rng, st),
            ),
            audio_bitrate_kbps=kb,
            crf=int(rng.integers(*st.crf)),
        ),
        ClipPlan(
            _hc(
                look,
                st,
                o[1],
                0.8 * d,
                **_view(rng, st),
                **_room(rng, st, far=True),
                fps=25.0,
                sample_rate_hz=44100,
            ),
            audio_codec="mp3",
            audio_bitrate_kbps=kb,
            perspective=_u(rng, (0.05, 0.1), 3),
            video_noise=int(rng.integers(5, 12)),
        ),
        ClipPlan(
            _hc(
                look,
                st,
                o[2],
                d,
                wind_db=_u(rng, st.wind_db, 1),
                handling=True,
                clip_mode="hard",
                drive_db=6.0,
                shake=1.5 * _u(rng, st.shake, 3),
                rolling_shutter=0.8,
                fps=60.0,
            ),
            audio_bitrate_kbps=64,
        ),
        ClipPlan(
            _hc(
                look,
                st,
                o[3],
                0.7 * d,
                blur_px=_u(rng, st.blur_px),
                clip_mode="soft",
                drive_db=14.0,
                **_room(rng, st),
            ),
            crf=int(rng.integers(*st.crf)),
            scale=0.6,
            audio_bitrate_kbps=kb,
        ),
        ClipPlan(_hc(look, st, o[4], d, audio="none", **_view(rng, st))),
    ]


def _h_field_night(rng: _Rng, look: Look, st: _Style) -> _Case:
    """A night event: lights switch, exposure lags, rooms ring, one stranger shares the song."""
    d = rng.uniform(*look.clip_s)
    lag = st.exposure_lag_s
    stranger = _hc(
        look,
        st,
        _around(rng, d),
        d,
        audio="shared_music",
        video="unrelated",
        song_shift_s=_u(rng, (25.0, 45.0), 3),
        agc=True,
    )
    return ("field", "shared_music", "auto_exposure", "reverb"), [
        ClipPlan(_hc(look, st, 0.0, d, exposure_lag_s=_u(rng, lag), **_room(rng, st))),
        ClipPlan(
            _hc(
                look,
                st,
                _around(rng, d),
                d,
                exposure_lag_s=_u(rng, lag),
                agc=True,
                **_view(rng, st),
                **_room(rng, st, far=True),
            ),
            audio_bitrate_kbps=48,
            video_noise=int(rng.integers(12, 22)),
        ),
        ClipPlan(
            _hc(
                look,
                st,
                _around(rng, d),
                d,
                exposure_lag_s=_u(rng, lag),
                shake=_u(rng, st.shake, 3),
                **_view(rng, st, portrait=True),
                band_hz=(300.0, 3400.0),
                clip_mode="soft",
                drive_db=10.0,
            ),
            audio_codec="mp3",
            audio_bitrate_kbps=int(rng.choice(st.kbps)),
            crf=int(rng.integers(*st.crf)),
        ),
        ClipPlan(stranger, audio_bitrate_kbps=64),
    ]


def _h_field_street(rng: _Rng, look: Look, st: _Style) -> _Case:
    """A street event: traffic and a crowd over music from a bar, offsets of 20-40 s."""
    kind = f"{st.traffic}+{st.crowd}+{st.song}"
    d = rng.uniform(35.0, 45.0)
    late, early = _u(rng, (21.0, 28.0), 3), -_u(rng, (18.0, 25.0), 3)
    return ("field", "traffic", "long_offset"), [
        ClipPlan(_hc(look, st, 0.0, d, audio_kind=kind)),
        ClipPlan(
            _hc(
                look,
                st,
                late,
                25.0,
                audio_kind=kind,
                wind_db=_u(rng, st.wind_db, 1),
                shake=_u(rng, st.shake, 3),
                **_view(rng, st),
            ),
            audio_codec="mp3",
            audio_bitrate_kbps=int(rng.choice(st.kbps)),
        ),
        ClipPlan(
            _hc(
                look,
                st,
                early,
                35.0,
                audio_kind=kind,
                **_room(rng, st, far=True),
                **_view(rng, st, portrait=True),
            ),
            crf=int(rng.integers(*st.crf)),
        ),
        ClipPlan(
            _hc(
                look,
                st,
                _around(rng, d),
                20.0,
                audio_kind=kind,
                audio="unrelated",
                video="unrelated",
            )
        ),
    ]


_HARD = (
    _h_song,
    _h_song_static,
    _h_crowd,
    _h_traffic,
    _h_reverb,
    _h_distant,
    _h_cheap,
    _h_codec,
    _h_wind,
    _h_muted,
    _h_shared_music,
    _h_viewpoint,
    _h_shake,
    _h_exposure,
    _h_quality,
    _h_long_ref,
    _h_edge,
    _h_far,
    _h_drift,
    _h_unrelated,
    _h_field_many,
    _h_field_night,
    _h_field_street,
)


_ONE_EACH = (
    _offset_range,
    _subframe,
    _partial_overlap,
    _durations,
    _fps_mix,
    _rate_mix,
    _channels,
    _room_mic,
    _viewpoint,
    _no_audio,
    _near_silence,
    _repetitive_sound,
    _repetitive_all,
    _drift,
    _unsyncable,
    _speech,
)
_FULL_COUNTS = (
    (_offset_range, 8),
    (_subframe, 4),
    (_partial_overlap, 4),
    (_durations, 3),
    (_fps_mix, 3),
    (_rate_mix, 3),
    (_channels, 2),
    (_room_mic, 6),
    (_viewpoint, 4),
    (_no_audio, 2),
    (_near_silence, 3),
    (_repetitive_sound, 2),
    (_repetitive_all, 2),
    (_drift, 2),
    (_unsyncable, 3),
    (_speech, 4),
    (_field, 4),
)
_TINY = (_subframe, _room_mic, _no_audio, _unsyncable)
_HARD_LOOK = Look(320, 240, (15.0, 25.0), (100.0, 120.0))
_PRESETS: dict[str, tuple[Look, tuple[_Builder, ...]]] = {
    "tiny": (Look(160, 120, (6.0, 8.0), (20.0, 20.0)), _TINY),
    "small": (Look(160, 120, (8.0, 12.0), (60.0, 66.0)), _ONE_EACH),
    "full": (
        Look(320, 240, (20.0, 45.0), (300.0, 420.0)),
        tuple(b for b, count in _FULL_COUNTS for _ in range(count)),
    ),
    "tune": (_HARD_LOOK, tuple(functools.partial(b, st=_TUNE) for b in _HARD)),
    "heldout": (_HARD_LOOK, tuple(functools.partial(b, st=_HELDOUT) for b in _HARD)),
}
# The hard presets draw their cases from their own random streams and worlds: case n of "tune"
# uses np.random.default_rng([seed, 7001, n]) and world seed 10000 + n, "heldout" 9002 and 20000.
_HARD_STREAMS = {"tune": (7001, 10_000), "heldout": (9002, 20_000)}
PRESETS = tuple(_PRESETS)


def preset_cases(preset: str, *, seed: int = 0) -> tuple[CasePlan, ...]:
    """The cases of ``preset`` ("tiny", "small", "full", "tune" or "heldout") for world ``seed``.

    Returns
    -------
    tuple of CasePlan
        Numbered from 1; camera names are ``cam1``, ``cam2``, ... with ``cam1`` the reference.

    Raises
    ------
    ValueError
        On an unknown preset or a negative seed.
    """
    if preset not in _PRESETS:
        raise ValueError(f"unknown preset {preset!r}; expected one of {PRESETS}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    look, builders = _PRESETS[preset]
    cases = []
    stream, world = _HARD_STREAMS.get(preset, (None, 0))
    for number, build in enumerate(builders, start=1):
        entropy = [seed, number] if stream is None else [seed, stream, number]
        tags, clips = build(np.random.default_rng(entropy), look)
        world_seed = {"world_seed": world + number} if stream is not None else {}
        named = tuple(
            replace(c, spec=replace(c.spec, name=f"cam{k}", **world_seed))
            for k, c in enumerate(clips, start=1)
        )
        cases.append(CasePlan(number=number, tags=tags, clips=named))
    return tuple(cases)
