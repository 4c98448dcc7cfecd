"""Evaluation presets: the cases (sets of cameras at known offsets) that offset_generation writes.

A case is a tuple of :class:`ClipPlan`, each wrapping a :class:`evaluation.synth.CameraSpec` (where
the camera sits in world time and how it hears and sees the scene) plus the degradations that
:mod:`evaluation.offset_generation` applies with ffmpeg afterwards (lossy audio re-encode, picture
softness, sensor noise, perspective). Each case isolates one real-world condition and names it in
``tags``; the full preset adds ``field`` cases where every camera differs in every way at once.

Conventions
-----------
- Clip 0 of a case is its reference. The true offset of clip ``k`` is
  ``clips[k].spec.start_s - clips[0].spec.start_s`` seconds (positive: it started later), the
  engine's ``offset_s`` convention; it is ``None`` for a clip that shares nothing (``unsyncable``).
- All true offsets lie within +-20 s (the engine's default ``max_lag_s``).
- Seeded and deterministic: case ``n`` of a preset draws every random choice from
  ``np.random.default_rng([seed, n])``.
- Drift values are whole multiples of 1e6 / 48000 ppm (one extra sample per second at 48 kHz), so
  ffmpeg's ``asetrate`` can reproduce them exactly when cutting from originals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from evaluation.synth import CameraSpec

__all__ = ["PRESETS", "TAGS", "CasePlan", "ClipPlan", "Look", "preset_cases"]

TAGS = ("offset_range", "subframe", "partial_overlap", "durations", "fps_mix", "rate_mix",
        "channels", "room_mic", "viewpoint", "no_audio", "near_silence", "repetitive", "drift",
        "unsyncable", "speech", "field")  # fmt: skip
NTSC_FPS = 30000 / 1001
_PPM_STEP = 1e6 / 48000  # one sample per second at 48 kHz, in ppm
_MAX_OFFSET_S = 19.8


@dataclass(frozen=True)
class ClipPlan:
    """One camera of a case: a synth ``spec`` plus the ffmpeg degradations applied after it.

    ``audio_codec`` ("aac" or "mp3") at ``audio_bitrate_kbps``; ``scale`` < 1 shrinks the picture
    by that factor and back (a softer lens or lower-resolution sensor); ``video_noise`` is ffmpeg's
    ``noise`` strength (0-100, temporal); ``perspective`` narrows the top edge by that fraction of
    the width on each side (a camera looking up at the scene).
    """

    spec: CameraSpec
    audio_codec: str = "aac"
    audio_bitrate_kbps: int = 128
    scale: float = 1.0
    video_noise: int = 0
    perspective: float = 0.0

    @property
    def syncable(self) -> bool:
        return self.spec.audio != "unrelated" and self.spec.video != "unrelated"

    @property
    def has_audio(self) -> bool:
        return self.spec.audio != "none"

    @property
    def distinct_motion(self) -> bool:
        """True when the picture alone can place this clip (non-repeating, shared motion)."""
        return self.spec.video == "blobs"

    @property
    def post_processed(self) -> bool:
        """True when a synthetic clip needs an ffmpeg pass after ``evaluation.synth``."""
        return (self.audio_codec, self.audio_bitrate_kbps, self.scale, self.video_noise,
                self.perspective) != ("aac", 128, 1.0, 0, 0.0)  # fmt: skip


@dataclass(frozen=True)
class CasePlan:
    """A set of clips of one world; ``clips[0]`` is the reference."""

    number: int
    tags: tuple[str, ...]
    clips: tuple[ClipPlan, ...]

    @property
    def case_id(self) -> str:
        return f"c{self.number:03d}_{self.tags[0]}"

    def true_offset_s(self, k: int) -> float | None:
        """Clip ``k``'s true offset against clip 0, seconds (None if it shares nothing)."""
        if not self.clips[k].syncable:
            return None
        return round(self.clips[k].spec.start_s - self.clips[0].spec.start_s, 9)


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
    starts = [(rng.integers(-90, 90) + rng.uniform(0.05, 0.95)) / 30.0 + rng.uniform(0, 1) / 48000
              for _ in range(2)]  # fmt: skip
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
    return ClipPlan(replace(spec, **mic), audio_codec=codec, audio_bitrate_kbps=kbps,
                    **video)  # type: ignore[arg-type]  # fmt: skip


def _room_mic(rng: _Rng, look: Look) -> _Case:
    d = rng.uniform(*look.clip_s)
    reference = ClipPlan(look.cam(0.0, d, noise_db=-60.0), audio_bitrate_kbps=64)
    others = [_room_clip(rng, _near(rng, look, d), codec=codec) for codec in ("aac", "mp3")]
    return ("room_mic",), [reference, *others]


def _viewpoint(rng: _Rng, look: Look) -> _Case:
    d = rng.uniform(*look.clip_s)
    a = _near(rng, look, d, crop=round(rng.uniform(0.6, 0.8), 2),
              brightness=round(rng.uniform(0.05, 0.15), 2))  # fmt: skip
    b = _near(rng, look, d, crop=round(rng.uniform(0.8, 0.95), 2),
              brightness=round(rng.uniform(-0.15, -0.05), 2))  # fmt: skip
    return ("viewpoint",), [
        ClipPlan(look.cam(0.0, d)),
        ClipPlan(a, scale=0.5, video_noise=int(rng.integers(6, 14))),
        ClipPlan(b, perspective=round(rng.uniform(0.05, 0.12), 3),
                 video_noise=int(rng.integers(4, 10))),
    ]  # fmt: skip


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
            _offset(rng, -0.4 * d, 0.4 * d), rng.uniform(0.6, 1.0) * d,
            fps=float(rng.choice([25.0, NTSC_FPS, 30.0, 60.0])),
            sample_rate_hz=int(rng.choice([44100, 48000])), channels=int(rng.integers(1, 3)),
            crop=round(rng.uniform(0.7, 1.0), 2), brightness=round(rng.uniform(-0.1, 0.1), 2),
        )  # fmt: skip
        clips.append(_room_clip(rng, spec, codec=str(rng.choice(["aac", "mp3"])),
                                video_noise=int(rng.integers(0, 8)),
                                scale=round(rng.uniform(0.5, 1.0), 2)))  # fmt: skip
    return ("field",), clips


_ONE_EACH = (_offset_range, _subframe, _partial_overlap, _durations, _fps_mix, _rate_mix,
             _channels, _room_mic, _viewpoint, _no_audio, _near_silence, _repetitive_sound,
             _repetitive_all, _drift, _unsyncable, _speech)  # fmt: skip
_FULL_COUNTS = ((_offset_range, 8), (_subframe, 4), (_partial_overlap, 4), (_durations, 3),
                (_fps_mix, 3), (_rate_mix, 3), (_channels, 2), (_room_mic, 6), (_viewpoint, 4),
                (_no_audio, 2), (_near_silence, 3), (_repetitive_sound, 2), (_repetitive_all, 2),
                (_drift, 2), (_unsyncable, 3), (_speech, 4), (_field, 4))  # fmt: skip
_TINY = (_subframe, _room_mic, _no_audio, _unsyncable)
_PRESETS: dict[str, tuple[Look, tuple[_Builder, ...]]] = {
    "tiny": (Look(160, 120, (6.0, 8.0), (20.0, 20.0)), _TINY),
    "small": (Look(160, 120, (8.0, 12.0), (60.0, 66.0)), _ONE_EACH),
    "full": (
        Look(320, 240, (20.0, 45.0), (300.0, 420.0)),
        tuple(b for b, count in _FULL_COUNTS for _ in range(count)),
    ),
}
PRESETS = tuple(_PRESETS)


def preset_cases(preset: str, *, seed: int = 0) -> tuple[CasePlan, ...]:
    """The cases of ``preset`` ("tiny", "small" or "full") for world ``seed``.

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
    for number, build in enumerate(builders, start=1):
        tags, clips = build(np.random.default_rng([seed, number]), look)
        named = tuple(
            replace(c, spec=replace(c.spec, name=f"cam{k}")) for k, c in enumerate(clips, start=1)
        )
        cases.append(CasePlan(number=number, tags=tags, clips=named))
    return tuple(cases)
