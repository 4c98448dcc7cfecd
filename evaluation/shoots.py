"""The "real shoots" presets: devices with several files, recorders, drift and phone footage.

``shoots-tune`` and ``shoots-heldout`` each hold one case per condition of issue 11, in the same
order, so per-condition scores compare; ``shoots-long`` (opt-in, slow) is the full 30-minute
two-camera take at 300 ppm. :mod:`mediasynth.shoots` writes them (``python -m
evaluation.offset_generation --preset shoots-heldout``) and records each file's ground truth:
its offset, its camera (device) key, the true skew of its sound against its picture and its
clock's drift. The engine is tuned on ``shoots-tune`` only; ``shoots-heldout`` is quoted.

Every case has a reference camera ``A`` (a 320x240 30 fps camera that sees and hears the
whole event, unless said otherwise) and the condition's device(s):

- ``chapters``: an action camera's one recording cut into back-to-back chapters by ffmpeg's
  segment muxer (GoPro names ``GX01nnnn.MP4``, ``GX02nnnn.MP4``...), the last chapter running
  past the reference's end (tune: 2-3 s in common; heldout: none, so only its camera places it);
- ``stop_start``: a phone that records two clips with a gap (same camera key);
- ``recorder``: two external recorders, a multichannel 24-bit BWF WAV (``time_reference`` set)
  and a 32-bit float WAV, each with one weak channel (a slipped lavalier), clean close sound,
  starting before the cameras and stopping after them;
- ``drift``: a camera 300 ppm off the reference over a 5-10 minute take (160x120);
- ``muted``: a camera whose track is digital silence, beside one that hears;
- ``wind``: an action camera with wind gusts, handling knocks and hard clipping;
- ``av_skew``: a camera whose own sound is 50-200 ms late against its own picture (ground truth:
  the picture's offset; ``true_skew_s`` the lag);
- ``rotation``: a portrait phone stored landscape with a rotation tag (``.MOV``);
- ``vfr``: a phone with variable frame-rate timestamps;
- ``hevc10``: a phone in HEVC 10-bit (libx265, yuv420p10le, HLG colour tags);
- ``hd60``: a 1080p60 H.264 camera (rendered at 480x270 and scaled up);
- ``long_offset``: short clips minutes into a 4-6 minute reference (160x120).

How ``shoots-heldout`` differs from ``shoots-tune`` (other seeds *and* other content, harder
ranges):

============================  ================================  ================================
                              ``shoots-tune``                   ``shoots-heldout``
============================  ================================  ================================
case random stream            ``default_rng([seed, 7301, n])``  ``default_rng([seed, 9402, n])``
world seed of case ``n``      ``30000 + n``                     ``40000 + n``
event sound                   ``song_a+crowd+cheers`` (4/4      ``song_b+crowd_b+cheers`` (3/4
                              pop, 14 voices)                   waltz, 26 voices with children)
long takes' sound             ``crowd+cheers``                  ``traffic_b+crowd_b+cheers``
recorders' sound              ``speech`` (formant bursts)       ``crowd_b+cheers`` (close talk
                                                                in babble)
scene                         ``stage``                         ``party``
camera rooms RT60 / DRR       0.3-0.6 s / +2..+6 dB             0.7-1.1 s / -2..+2 dB
device clock error            +-2 s (creation times)            +-15 s
chapters                      3 of ~12 s, last one 2-3 s        4 of ~9 s, last one overlaps
                              over the reference                nothing
stop/start                    clips 10-14 s, gap 3-6 s          clips 7-10 s, gap 8-14 s
recorders                     24-bit 2 ch (weak -30 dB),        24-bit 4 ch (weak -42 dB),
                              float 2 ch (weak -24 dB)          float 3 ch (weak -36 dB)
drift                         +300 ppm, 5-6 min take            -300 ppm, 8-9 min take
wind / clipping drive         -26..-20 dBFS / 4-8 dB            -16..-10 dBFS / 8-12 dB
sound late on its picture     50-110 ms                         120-200 ms
rotation tag                  90 (portrait 180x320)             270 (portrait, zoomed 0.7)
VFR                           60 fps base, ~55 % kept           30 fps base, ~55 % kept
HEVC 10-bit                   640x360                           1280x720
1080p60                       H.264, steady                     H.264, handheld shake
long offsets                  4 min reference, clips 30 s at    6 min reference, clips 25 s at
                              1.5-3.5 min                       3-5.5 min
============================  ================================  ================================

Conventions: those of :mod:`mediasynth.shoots` (offsets in seconds, positive when the file's
t=0 comes after the reference's; drift in the engine's ppm; an audio-only file counts as within
one frame at the reference's frame rate).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mediasynth.clips import CameraSpec
from mediasynth.shoots import Recording, ShootCase, chapter_starts_s

__all__ = ["SHOOT_CONDITIONS", "SHOOT_PRESETS", "shoot_cases"]

SHOOT_PRESETS = ("shoots-tune", "shoots-heldout", "shoots-long")
SHOOT_CONDITIONS = (
    "chapters",
    "stop_start",
    "recorder",
    "drift",
    "muted",
    "wind",
    "av_skew",
    "rotation",
    "vfr",
    "hevc10",
    "hd60",
    "long_offset",
)
_Rng = np.random.Generator


@dataclass(frozen=True)
class _Style:
    """What differs between shoots-tune and shoots-heldout (see the module table)."""

    stream: int
    world: int
    event: str
    long_sound: str
    talk: str
    scene: str
    rt60_s: tuple[float, float]
    drr_db: tuple[float, float]
    clock_error_s: float
    chapters: int
    chapter_s: float
    chapter_overlap_s: tuple[float, float]  # of the last chapter with the reference
    stop_clip_s: tuple[float, float]
    gap_s: tuple[float, float]
    recorder_channels: tuple[int, int]  # 24-bit, float
    weak_db: tuple[float, float]  # 24-bit, float
    drift_ppm: float
    drift_take_s: tuple[float, float]
    wind_db: tuple[float, float]
    drive_db: tuple[float, float]
    skew_s: tuple[float, float]
    rotation_deg: int
    rotation_zoom: float
    vfr_fps: float
    hevc_size: tuple[int, int]
    hd_shake: float
    long_ref_s: float
    long_clip_s: float
    long_starts_s: tuple[float, float]


_TUNE = _Style(
    stream=7301,
    world=30_000,
    event="song_a+crowd+cheers",
    long_sound="crowd+cheers",
    talk="speech",
    scene="stage",
    rt60_s=(0.3, 0.6),
    drr_db=(2.0, 6.0),
    clock_error_s=2.0,
    chapters=3,
    chapter_s=12.0,
    chapter_overlap_s=(2.0, 3.0),
    stop_clip_s=(10.0, 14.0),
    gap_s=(3.0, 6.0),
    recorder_channels=(2, 2),
    weak_db=(-30.0, -24.0),
    drift_ppm=300.0,
    drift_take_s=(300.0, 360.0),
    wind_db=(-26.0, -20.0),
    drive_db=(4.0, 8.0),
    skew_s=(0.050, 0.110),
    rotation_deg=90,
    rotation_zoom=1.0,
    vfr_fps=60.0,
    hevc_size=(640, 360),
    hd_shake=0.0,
    long_ref_s=240.0,
    long_clip_s=30.0,
    long_starts_s=(90.0, 210.0),
)
_HELDOUT = _Style(
    stream=9402,
    world=40_000,
    event="song_b+crowd_b+cheers",
    long_sound="traffic_b+crowd_b+cheers",
    talk="crowd_b+cheers",
    scene="party",
    rt60_s=(0.7, 1.1),
    drr_db=(-2.0, 2.0),
    clock_error_s=15.0,
    chapters=4,
    chapter_s=9.0,
    chapter_overlap_s=(-3.0, -1.0),
    stop_clip_s=(7.0, 10.0),
    gap_s=(8.0, 14.0),
    recorder_channels=(4, 3),
    weak_db=(-42.0, -36.0),
    drift_ppm=-300.0,
    drift_take_s=(480.0, 540.0),
    wind_db=(-16.0, -10.0),
    drive_db=(8.0, 12.0),
    skew_s=(0.120, 0.200),
    rotation_deg=270,
    rotation_zoom=0.7,
    vfr_fps=30.0,
    hevc_size=(1280, 720),
    hd_shake=0.02,
    long_ref_s=360.0,
    long_clip_s=25.0,
    long_starts_s=(180.0, 330.0),
)


class _Maker:
    """Builds one case's recordings from its random stream and the style."""

    def __init__(self, rng: _Rng, st: _Style, world_seed: int) -> None:
        self.rng, self.st, self.world_seed = rng, st, world_seed

    def u(self, r: tuple[float, float], nd: int = 3) -> float:
        return round(float(self.rng.uniform(*r)), nd)

    def clock(self) -> float:
        return self.u((-self.st.clock_error_s, self.st.clock_error_s), 2)

    def room(self) -> dict[str, object]:
        return {"rt60_s": self.u(self.st.rt60_s, 2), "drr_db": self.u(self.st.drr_db, 1)}

    def spec(self, start_s: float, duration_s: float, **kw: object) -> CameraSpec:
        fields: dict[str, object] = {
            "video": self.st.scene,
            "audio_kind": self.st.event,
            "unrelated_scene": self.st.scene,
            "world_seed": self.world_seed,
        }
        fields |= kw
        return CameraSpec(
            "cam",
            start_s=float(round(start_s, 6)),
            duration_s=float(round(duration_s, 3)),
            **fields,  # type: ignore[arg-type]
        )

    def reference(self, start_s: float, duration_s: float, **kw: object) -> Recording:
        spec = self.spec(start_s, duration_s, noise_db=-60.0, **kw)
        return Recording(
            "A", spec, ("C0001.MP4",), make="Sony", model="ILCE-7M4", clock_error_s=self.clock()
        )

    def phone(self, camera: str, number: int, spec: CameraSpec, **kw: object) -> Recording:
        fields: dict[str, object] = {
            "make": "Apple",
            "model": "iPhone 15",
            "clock_error_s": self.clock(),
        }
        fields |= kw
        return Recording(camera, spec, (f"IMG_{number:04d}.MOV",), **fields)  # type: ignore[arg-type]


def _chapters(m: _Maker) -> tuple[tuple[str, ...], list[Recording]]:
    st = m.st
    total = st.chapters * st.chapter_s + m.u((0.5, 2.0))
    start = m.u((-3.0, -1.0))
    last = float(chapter_starts_s(total, st.chapters)[-1])
    ref_end = start + last + m.u(st.chapter_overlap_s)  # where the reference stops
    action = Recording(
        "B",
        m.spec(start, total, **m.room(), fps=30.0),
        tuple(f"GX{k:02d}0042.MP4" for k in range(1, st.chapters + 1)),
        make="GoPro",
        model="HERO11 Black",
        clock_error_s=m.clock(),
    )
    return ("chapters", "camera_groups"), [m.reference(0.0, ref_end), action]


def _stop_start(m: _Maker) -> tuple[tuple[str, ...], list[Recording]]:
    st = m.st
    first, second, gap = m.u(st.stop_clip_s), m.u(st.stop_clip_s), m.u(st.gap_s)
    t0 = m.u((1.0, 4.0))
    ref = m.reference(0.0, t0 + first + gap + second + m.u((1.0, 3.0)))
    clock = m.clock()
    a = m.phone("B", 2201, m.spec(t0, first, **m.room()), clock_error_s=clock)
    b = m.phone("B", 2202, m.spec(t0 + first + gap, second, **m.room()), clock_error_s=clock)
    return ("stop_start", "camera_groups"), [ref, a, b]


def _recorder(m: _Maker) -> tuple[tuple[str, ...], list[Recording]]:
    st = m.st
    d = m.u((20.0, 26.0))
    n24, nf = st.recorder_channels
    weak24, weakf = st.weak_db
    gains24 = tuple([0.0, -3.0, -6.0, -2.0][: n24 - 1] + [weak24])
    gainsf = tuple([-1.0, -4.0][: nf - 1] + [weakf])
    talk = {"audio_kind": st.talk, "video": "static"}
    lead = m.u((2.0, 6.0))
    r24 = Recording(
        "R24",
        m.spec(-lead, d + lead + m.u((2.0, 5.0)), **talk),
        ("ZOOM0001.WAV",),
        recorder="s24",
        channel_gains_db=gains24,
        make="ZOOM",
        model="F3",
        clock_error_s=m.clock(),
    )
    lead_f = m.u((1.0, 4.0))
    rf = Recording(
        "RF",
        m.spec(-lead_f, d + lead_f + m.u((1.0, 4.0)), **talk),
        ("250613_001.WAV",),
        recorder="f32",
        channel_gains_db=gainsf,
        make="Sound Devices",
        model="MixPre-3 II",
        clock_error_s=m.clock(),
    )
    # The cameras hear the talk through the room; the recorders hear it close.
    cam_kw = {"audio_kind": st.talk, **m.room()}
    ref = Recording(
        "A",
        m.spec(0.0, d, noise_db=-55.0, **cam_kw),
        ("C0001.MP4",),
        make="Sony",
        model="ILCE-7M4",
        clock_error_s=m.clock(),
    )
    cam = m.phone("B", 3301, m.spec(m.u((1.0, 5.0)), d - 6.0, noise_db=-50.0, **cam_kw))
    return ("recorder", "audio_only", "camera_groups"), [ref, r24, rf, cam]


def _drift(m: _Maker, *, take_s: float | None = None) -> tuple[tuple[str, ...], list[Recording]]:
    st = m.st
    d = take_s if take_s is not None else m.u(st.drift_take_s, 1)
    small = {"width": 160, "height": 120, "audio_kind": st.long_sound}
    ref = Recording(
        "A",
        m.spec(0.0, d, **small),
        ("C0001.MP4",),
        make="Sony",
        model="ILCE-7M4",
        clock_error_s=m.clock(),
    )
    cam = Recording(
        "B",
        m.spec(m.u((2.0, 8.0)), d - 10.0, drift_ppm=st.drift_ppm, **small, **m.room()),
        ("MVI_0042.MP4",),
        make="Canon",
        model="EOS R6",
        clock_error_s=m.clock(),
    )
    return ("drift", "long_take"), [ref, cam]


def _muted(m: _Maker) -> tuple[tuple[str, ...], list[Recording]]:
    d = m.u((18.0, 24.0))
    hears = m.phone("B", 4401, m.spec(m.u((-4.0, 4.0)), d, **m.room()))
    muted = m.phone("C", 4402, m.spec(m.u((-4.0, 4.0)), d, audio="silent"))
    return ("muted", "no_audio"), [m.reference(0.0, d), hears, muted]


def _wind(m: _Maker) -> tuple[tuple[str, ...], list[Recording]]:
    st = m.st
    d = m.u((18.0, 24.0))
    action = Recording(
        "B",
        m.spec(
            m.u((-4.0, 4.0)),
            d,
            wind_db=m.u(st.wind_db, 1),
            handling=True,
            clip_mode="hard",
            drive_db=m.u(st.drive_db, 1),
            shake=0.015,
            fps=60.0,
        ),
        ("GX010077.MP4",),
        make="GoPro",
        model="HERO11 Black",
        clock_error_s=m.clock(),
    )
    return ("wind", "handling"), [m.reference(0.0, d), action]


def _av_skew(m: _Maker) -> tuple[tuple[str, ...], list[Recording]]:
    d = m.u((18.0, 24.0))
    cheap = Recording(
        "B",
        m.spec(m.u((-4.0, 4.0)), d, **m.room()),
        ("REC_0001.MP4",),
        audio_lag_s=m.u(m.st.skew_s),
        make="Generic",
        model="DashCam",
        clock_error_s=m.clock(),
    )
    good = m.phone("C", 5501, m.spec(m.u((-4.0, 4.0)), d, **m.room()))
    return ("av_skew",), [m.reference(0.0, d), cheap, good]


def _portrait(m: _Maker, zoom: float) -> dict[str, object]:
    kw: dict[str, object] = {"width": 180, "height": 320}
    if zoom < 1.0:
        kw |= {"zoom": zoom, "center": (0.5, m.u((0.4, 0.6)))}
    return kw


def _rotation(m: _Maker) -> tuple[tuple[str, ...], list[Recording]]:
    d = m.u((18.0, 24.0))
    spec = m.spec(m.u((-4.0, 4.0)), d, **_portrait(m, m.st.rotation_zoom), **m.room())
    phone = m.phone("B", 6601, spec, rotation_deg=m.st.rotation_deg)
    return ("rotation", "portrait", "phone"), [m.reference(0.0, d), phone]


def _vfr(m: _Maker) -> tuple[tuple[str, ...], list[Recording]]:
    d = m.u((18.0, 24.0))
    spec = m.spec(m.u((-4.0, 4.0)), d, fps=m.st.vfr_fps, **m.room())
    return ("vfr", "phone"), [m.reference(0.0, d), m.phone("B", 7701, spec, vfr=True)]


def _hevc10(m: _Maker) -> tuple[tuple[str, ...], list[Recording]]:
    d = m.u((15.0, 20.0))
    w, h = m.st.hevc_size
    spec = m.spec(m.u((-4.0, 4.0)), d, width=320, height=180, **m.room())
    phone = m.phone("B", 8801, spec, video_codec="hevc10", encode_size=(w, h))
    return ("hevc10", "phone"), [m.reference(0.0, d), phone]


def _hd60(m: _Maker) -> tuple[tuple[str, ...], list[Recording]]:
    d = m.u((12.0, 16.0))
    shake = {"shake": m.st.hd_shake} if m.st.hd_shake else {}
    spec = m.spec(m.u((-4.0, 4.0)), d, width=480, height=270, fps=60.0, **shake, **m.room())
    cam = Recording(
        "B",
        spec,
        ("C0002.MP4",),
        encode_size=(1920, 1080),
        make="Sony",
        model="ZV-E10",
        clock_error_s=m.clock(),
    )
    return ("hd60",), [m.reference(0.0, d), cam]


def _long_offset(m: _Maker) -> tuple[tuple[str, ...], list[Recording]]:
    st = m.st
    small = {"width": 160, "height": 120, "audio_kind": st.long_sound}
    ref = Recording(
        "A",
        m.spec(0.0, st.long_ref_s, **small),
        ("C0001.MP4",),
        make="Sony",
        model="ILCE-7M4",
        clock_error_s=m.clock(),
    )
    lo, hi = st.long_starts_s
    starts = sorted(m.u((lo, hi)) for _ in range(2))
    clips = [
        m.phone(cam, n, m.spec(t, st.long_clip_s, **small, **m.room()))
        for cam, n, t in (("B", 9901, starts[0]), ("C", 9902, starts[1]))
    ]
    return ("long_offset", "long_take"), [ref, *clips]


_Builder = Callable[[_Maker], tuple[tuple[str, ...], list[Recording]]]
_CASES: tuple[_Builder, ...] = (
    _chapters,
    _stop_start,
    _recorder,
    _drift,
    _muted,
    _wind,
    _av_skew,
    _rotation,
    _vfr,
    _hevc10,
    _hd60,
    _long_offset,
)


def _long_take(m: _Maker) -> tuple[tuple[str, ...], list[Recording]]:
    return _drift(m, take_s=1800.0)


_PRESET_CASES: dict[str, tuple[_Style, tuple[_Builder, ...]]] = {
    "shoots-tune": (_TUNE, _CASES),
    "shoots-heldout": (_HELDOUT, _CASES),
    "shoots-long": (_TUNE, (_long_take,)),
}


def shoot_cases(preset: str, *, seed: int = 0) -> tuple[ShootCase, ...]:
    """The cases of a shoots preset for world ``seed``, numbered from 1.

    Raises
    ------
    ValueError
        On an unknown preset or a negative seed.
    """
    if preset not in _PRESET_CASES:
        raise ValueError(f"unknown shoots preset {preset!r}; expected one of {SHOOT_PRESETS}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    st, builders = _PRESET_CASES[preset]
    cases = []
    for number, build in enumerate(builders, start=1):
        maker = _Maker(np.random.default_rng([seed, st.stream, number]), st, st.world + number)
        tags, recordings = build(maker)
        cases.append(ShootCase(number=number, tags=tags, recordings=tuple(recordings)))
    return tuple(cases)
