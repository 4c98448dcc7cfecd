"""Layered synthetic event sound: a song with real repetition, crowd babble, traffic, cheers.

A *layered* audio kind is a ``+``-joined list of layer names (``"song_a+crowd+cheers"``); see
``LAYERS``. Each layer is a sum of seeded events (notes, drum hits, syllables, passing vehicles)
placed on the absolute 48 kHz sample grid, so, as for :mod:`mediasynth.audio`, a sample's
value depends only on ``(seed, kind, t)`` and never on the span requested.

Conventions
-----------
- Events are generated per block (a song bar, or 1 s of crowd/traffic/cheers), each block seeded
  by ``(seed, layer, block)``; an event may ring for up to ``max_len_s`` past its onset, so a span
  renders every block from ``max_len_s`` before it.
- Songs (``song_a``, ``song_b``) are seeded by ``song_seed`` (default: the world seed) and read at
  world time ``t + song_shift_s``; every other layer uses ``seed``. So a recording of another
  event (another ``seed``) can share the song, heard at another moment (``song_shift_s``).
- A song is a sequence of sections (intro, verse, chorus, ...) of whole bars at a fixed tempo; each
  section *type* has one note pattern that every occurrence plays note for note, on the same
  sample grid (a produced track: no timing jitter), with small per-bar variation (+-10 % note
  velocity, 4 % of notes dropped) seeded by the absolute bar, so the second chorus is a near copy
  of the first. The whole song loops after ``song_length_s``.
- Output is mono float64, not clipped (``mediasynth.clips`` clips after the microphone).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import signal

__all__ = ["LAYERS", "SongLayout", "is_layered", "layered_audio", "song_layout"]

_RATE = 48000
_INDEX_BIAS = 1 << 40
_ROOM_TONE_STD = 0.002
_DROP_P = 0.04  # share of a song's notes that a bar leaves out
_Event = tuple[int, NDArray[np.float64]]  # (absolute onset sample, samples)


@dataclass(frozen=True)
class _SongStyle:
    beats_per_bar: int
    bpm: tuple[float, float]
    sections: tuple[tuple[str, int], ...]  # (section type, bars) in playing order
    scale: tuple[int, ...]  # semitones of the scale
    root_hz: float
    lead: str  # instrument names, see _instrument
    chords: str
    bass: str
    drums: tuple[tuple[str, tuple[float, ...]], ...]  # (drum, beat positions in the bar)
    melody_step: float  # beats between melody notes


_STYLES = {
    # Tune style: 4/4 pop at 96-116 bpm, piano lead and chords, saw bass, kick/snare/hi-hat.
    "song_a": _SongStyle(
        beats_per_bar=4,
        bpm=(96.0, 116.0),
        sections=(
            ("intro", 4),
            ("verse", 8),
            ("chorus", 8),
            ("verse", 8),
            ("chorus", 8),
            ("bridge", 4),
            ("chorus", 8),
            ("outro", 4),
        ),
        scale=(0, 2, 4, 5, 7, 9, 11),
        root_hz=196.0,
        lead="piano",
        chords="piano",
        bass="saw",
        drums=(
            ("kick", (0.0, 2.0, 2.5)),
            ("snare", (1.0, 3.0)),
            ("hat", (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5)),
        ),
        melody_step=0.5,
    ),
    # Held-out style: 3/4 waltz at 138-156 bpm, FM bell lead, organ chords, plucked bass,
    # toms/rim/shaker, and a different section structure.
    "song_b": _SongStyle(
        beats_per_bar=3,
        bpm=(138.0, 156.0),
        sections=(("a", 8), ("a", 8), ("b", 8), ("a", 8), ("c", 4), ("b", 8), ("b", 8), ("a", 4)),
        scale=(0, 2, 3, 5, 7, 8, 10),
        root_hz=233.1,
        lead="bell",
        chords="organ",
        bass="pluck",
        drums=(("tom", (0.0,)), ("rim", (1.0, 2.0)), ("shaker", (0.0, 0.5, 1.0, 1.5, 2.0, 2.5))),
        melody_step=1.0 / 3.0 * 2.0,
    ),
}


@dataclass(frozen=True)
class SongLayout:
    """Where a song's bars and sections fall: the song starts at world time 0 and loops."""

    bar_s: float
    beat_s: float
    section_starts_bars: tuple[int, ...]  # first bar of each section, in playing order
    section_types: tuple[str, ...]
    n_bars: int

    @property
    def song_length_s(self) -> float:
        return self.n_bars * self.bar_s

    def section_start_s(self, i: int) -> float:
        return self.section_starts_bars[i] * self.bar_s


@functools.lru_cache(maxsize=64)
def song_layout(song_seed: int, style: str) -> SongLayout:
    """The tempo and section layout of song ``style`` for ``song_seed``."""
    st = _STYLES[style]
    bpm = float(np.random.default_rng([song_seed, 61, _style_id(style)]).uniform(*st.bpm))
    # Whole samples per beat: bars stay on the sample grid, so repeats are sample-exact.
    beat_n = round(60.0 / bpm * _RATE)
    starts, bar = [], 0
    for _, bars in st.sections:
        starts.append(bar)
        bar += bars
    return SongLayout(
        bar_s=beat_n * st.beats_per_bar / _RATE,
        beat_s=beat_n / _RATE,
        section_starts_bars=tuple(starts),
        section_types=tuple(s for s, _ in st.sections),
        n_bars=bar,
    )


def _style_id(style: str) -> int:
    return list(_STYLES).index(style)


# Instruments -------------------------------------------------------------------------------------


def _adsr(n: int, *, attack_s: float, decay_s: float) -> NDArray[np.float64]:
    t = np.arange(n) / _RATE
    return np.minimum(t / attack_s, 1.0) * np.exp(-t / decay_s)


def _instrument(name: str, f_hz: float, dur_s: float) -> NDArray[np.float64]:
    """One note of ``name`` at ``f_hz``; peak amplitude about 1."""
    if name == "piano":
        n = int((dur_s + 0.35) * _RATE)
        t = np.arange(n) / _RATE
        tone = sum(
            a * np.sin(2 * np.pi * h * f_hz * t * (1 + 0.0004 * h * h))
            for h, a in ((1, 1.0), (2, 0.45), (3, 0.25), (4, 0.12))
        )
        return tone * _adsr(n, attack_s=0.004, decay_s=0.35 + 0.3 * dur_s) / 1.8
    if name == "saw":
        n = int((dur_s + 0.05) * _RATE)
        t = np.arange(n) / _RATE
        tone = sum(np.sin(2 * np.pi * h * f_hz * t) / h for h in range(1, 9))
        env = np.minimum(t / 0.01, 1.0) * np.clip((dur_s + 0.05 - t) / 0.05, 0.0, 1.0)
        return tone * env / 1.7
    if name == "organ":
        n = int((dur_s + 0.08) * _RATE)
        t = np.arange(n) / _RATE
        vib = 1 + 0.004 * np.sin(2 * np.pi * 5.5 * t)
        tone = sum(
            a * np.sin(2 * np.pi * h * f_hz * t * vib)
            for h, a in ((0.5, 0.5), (1, 1.0), (2, 0.6), (4, 0.3))
        )
        env = np.minimum(t / 0.03, 1.0) * np.clip((dur_s + 0.08 - t) / 0.08, 0.0, 1.0)
        return tone * env / 2.2
    if name == "bell":
        n = int((dur_s + 0.6) * _RATE)
        t = np.arange(n) / _RATE
        mod = 2.2 * np.exp(-t / 0.3) * np.sin(2 * np.pi * 3.5 * f_hz * t)
        return np.sin(2 * np.pi * f_hz * t + mod) * _adsr(n, attack_s=0.002, decay_s=0.5)
    if name == "pluck":
        n = int((dur_s + 0.2) * _RATE)
        t = np.arange(n) / _RATE
        tone = sum(
            np.exp(-t * (3 + 4 * h)) * np.sin(2 * np.pi * h * f_hz * t) / h for h in range(1, 7)
        )
        return tone * np.minimum(t / 0.002, 1.0) / 1.5
    raise ValueError(f"unknown instrument {name!r}")


def _drum(name: str, rng: np.random.Generator) -> NDArray[np.float64]:
    """A drum hit; ``rng`` only colours the noise (the same hit sounds alike every bar)."""
    if name in ("kick", "tom"):
        n = int((0.3 if name == "kick" else 0.4) * _RATE)
        t = np.arange(n) / _RATE
        f0, f1 = (130.0, 48.0) if name == "kick" else (190.0, 110.0)
        phase = 2 * np.pi * np.cumsum(f1 + (f0 - f1) * np.exp(-t / 0.04)) / _RATE
        return np.sin(phase) * np.exp(-t / (0.09 if name == "kick" else 0.15))
    if name in ("snare", "rim"):
        n = int((0.2 if name == "snare" else 0.06) * _RATE)
        t = np.arange(n) / _RATE
        noise = _highpass(rng.standard_normal(n), 1200.0 if name == "snare" else 2500.0)
        tone = np.sin(2 * np.pi * (185.0 if name == "snare" else 820.0) * t)
        return (0.8 * noise / 3 + 0.5 * tone) * np.exp(-t / (0.05 if name == "snare" else 0.012))
    if name in ("hat", "shaker"):
        n = int((0.05 if name == "hat" else 0.09) * _RATE)
        t = np.arange(n) / _RATE
        noise = _highpass(rng.standard_normal(n), 6000.0 if name == "hat" else 4000.0)
        env = np.exp(-t / 0.012) if name == "hat" else np.sin(np.pi * t / t[-1]) ** 2
        return 0.25 * noise * env
    raise ValueError(f"unknown drum {name!r}")


@functools.lru_cache(maxsize=8)
def _sos(kind: str, f_hz: float | tuple[float, float], order: int = 2) -> NDArray[np.float64]:
    return signal.butter(order, f_hz, btype=kind, fs=_RATE, output="sos")


def _highpass(x: NDArray[np.float64], f_hz: float) -> NDArray[np.float64]:
    return signal.sosfilt(_sos("highpass", f_hz), x)


# Songs ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _section_pattern(song_seed: int, style: str, section: str, bars: int) -> tuple:
    """The notes of one section type: ``(part, bar, beat, semitone, length_beats)`` tuples."""
    st = _STYLES[style]
    rng = np.random.default_rng([song_seed, 62, _style_id(style), sum(map(ord, section))])
    # A chord progression of 4 bars (scale degrees), cycled over the section.
    progression = rng.choice(len(st.scale), size=4)
    notes = []
    degree = int(rng.integers(0, len(st.scale)))
    phrase = max(1, bars // 2)  # sections are a phrase played twice with a new ending
    for bar in range(bars):
        root = int(progression[bar % 4])
        for chord_note in (0, 2, 4):  # triad on the scale
            deg = root + chord_note
            semi = st.scale[deg % len(st.scale)] + 12 * (deg // len(st.scale))
            notes.append(("chords", bar, 0.0, semi - 12, st.beats_per_bar * 0.9))
        for step in range(st.beats_per_bar):
            notes.append(("bass", bar, float(step), st.scale[root] - 24, 0.8))
        if bar >= phrase and bar < bars - 1:
            # The repeat of the phrase: copy the melody of bar - phrase note for note.
            notes += [
                ("lead", bar, b, s, d)
                for p, k, b, s, d in notes
                if p == "lead" and k == bar - phrase
            ]
            continue
        beat = 0.0
        while beat < st.beats_per_bar - 1e-9:
            degree = int(np.clip(degree + rng.integers(-2, 3), -3, 10))
            if rng.random() > 0.2:
                semi = st.scale[degree % len(st.scale)] + 12 * (degree // len(st.scale))
                notes.append(("lead", bar, beat, semi, st.melody_step * 0.9))
            beat += st.melody_step
    return tuple(notes)


def _song_bar(song_seed: int, style: str, bar_abs: int) -> list[_Event]:
    """The events of absolute bar ``bar_abs`` (bar 0 starts at song time 0)."""
    st = _STYLES[style]
    lay = song_layout(song_seed, style)
    bar_in_song = bar_abs % lay.n_bars
    i = int(np.searchsorted(lay.section_starts_bars, bar_in_song, side="right") - 1)
    section, bars = st.sections[i]
    bar = bar_in_song - lay.section_starts_bars[i]
    beat_n = round(lay.beat_s * _RATE)
    bar0 = bar_abs * beat_n * st.beats_per_bar
    # Variation of this bar: seeded by the absolute bar, so a repeat is near but not exact.
    var = np.random.default_rng([song_seed, 63, _style_id(style), bar_abs + _INDEX_BIAS])
    events: list[_Event] = []
    gains = {"lead": 0.16, "chords": 0.06, "bass": 0.13}
    for part, k, beat, semi, length in _section_pattern(song_seed, style, section, bars):
        if k != bar or var.random() < _DROP_P:
            continue
        instrument = {"lead": st.lead, "chords": st.chords, "bass": st.bass}[part]
        f_hz = st.root_hz * 2.0 ** (semi / 12.0)
        note = _cached_note(instrument, round(f_hz, 3), round(length * lay.beat_s, 4))
        events.append((bar0 + round(beat * beat_n), gains[part] * var.uniform(0.9, 1.1) * note))
    drums = [] if section in ("intro", "c") and bar % 2 else st.drums
    for name, positions in drums:
        for pos in positions:
            hit = _cached_drum(name, song_seed)
            events.append((bar0 + round(pos * beat_n), 0.22 * var.uniform(0.9, 1.1) * hit))
    return events


@functools.lru_cache(maxsize=512)
def _cached_note(instrument: str, f_hz: float, dur_s: float) -> NDArray[np.float64]:
    out = _instrument(instrument, f_hz, dur_s)
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=64)
def _cached_drum(name: str, song_seed: int) -> NDArray[np.float64]:
    out = _drum(name, np.random.default_rng([song_seed, 64, sum(map(ord, name))]))
    out.flags.writeable = False
    return out


# Crowd, traffic and cheers ---------------------------------------------------------------------


def _rng(seed: int, layer: str, *index: int) -> np.random.Generator:
    biased = (i + _INDEX_BIAS for i in index)
    return np.random.default_rng([seed, 65, sum(map(ord, layer)), *biased])


@dataclass(frozen=True)
class _CrowdStyle:
    voices: int
    f0_hz: tuple[float, float]
    formant_scale: tuple[float, float]
    level: float  # amplitude of one voice's syllables


_CROWDS = {
    "crowd": _CrowdStyle(voices=14, f0_hz=(85.0, 230.0), formant_scale=(0.9, 1.15), level=0.07),
    # Held out: denser, with children (higher f0 and formants).
    "crowd_b": _CrowdStyle(voices=26, f0_hz=(95.0, 330.0), formant_scale=(0.95, 1.35), level=0.05),
}


def _resonator(x: NDArray[np.float64], f_hz: float, q: float) -> NDArray[np.float64]:
    w0 = 2.0 * np.pi * f_hz / _RATE
    alpha = np.sin(w0) / (2.0 * q)
    return signal.lfilter([alpha, 0.0, -alpha], [1.0 + alpha, -2.0 * np.cos(w0), 1.0 - alpha], x)


def _crowd_block(seed: int, layer: str, b: int) -> list[_Event]:
    """Second ``b`` of babble: each voice talks in bursts of syllables with pauses."""
    st = _CROWDS[layer]
    events: list[_Event] = []
    for v in range(st.voices):
        who = _rng(seed, layer, v)  # the voice itself: pitch, timbre, loudness, talkativeness
        f0 = who.uniform(*st.f0_hz)
        scale = who.uniform(*st.formant_scale)
        level = st.level * who.uniform(0.4, 1.0)
        talk = who.uniform(0.35, 0.8)
        rng = _rng(seed, layer, v, b)
        if rng.random() > talk:
            continue
        t_s = rng.uniform(0.0, 0.3)
        while t_s < 1.0:
            n = int(rng.uniform(0.09, 0.25) * _RATE)
            tt = np.arange(n) / _RATE
            if rng.random() < 0.8:
                f = f0 * (1 + rng.uniform(-0.15, 0.15) * tt / tt[-1])
                exc = 2.0 * (np.cumsum(f) / _RATE % 1.0) - 1.0 + 0.2 * rng.standard_normal(n)
                formants: tuple[float, ...] = (rng.uniform(300, 850), rng.uniform(900, 2300))
            else:
                exc, formants = rng.standard_normal(n), (rng.uniform(2500, 5500),)
            out = sum(
                _resonator(exc, min(f * scale, 0.45 * _RATE), 4.0) / (i + 1)
                for i, f in enumerate(formants)
            )
            out = out * np.sin(np.pi * np.arange(n) / n) ** 1.5
            out *= level / (np.max(np.abs(out)) + 1e-12)
            events.append((b * _RATE + int(t_s * _RATE), out))
            t_s += (
                n / _RATE
                + rng.uniform(0.02, 0.15)
                + (rng.uniform(0.3, 1.0) if rng.random() < 0.15 else 0.0)
            )
    return events


@dataclass(frozen=True)
class _TrafficStyle:
    vehicles_per_s: float
    engine_hz: tuple[float, float]
    pass_s: tuple[float, float]  # time over which a vehicle passes (bell width)
    horn_p: float
    rumble: float


_TRAFFIC = {
    "traffic": _TrafficStyle(
        vehicles_per_s=0.35, engine_hz=(28.0, 60.0), pass_s=(0.8, 2.0), horn_p=0.05, rumble=0.01
    ),
    # Held out: a busier road with trucks (lower engines), faster passes and more horns.
    "traffic_b": _TrafficStyle(
        vehicles_per_s=0.7, engine_hz=(18.0, 45.0), pass_s=(0.5, 1.4), horn_p=0.1, rumble=0.02
    ),
}


def _traffic_block(seed: int, layer: str, b: int) -> list[_Event]:
    """Second ``b`` of a street: road rumble plus vehicles that pass (with Doppler) and horns."""
    st = _TRAFFIC[layer]
    rng = _rng(seed, layer, b)
    n = _RATE + 2400
    # Rumble: lowpassed noise with a 50 ms raised-cosine fade-in/out, overlapping the neighbours.
    rumble = signal.sosfilt(_sos("lowpass", 250.0, 4), rng.standard_normal(n))
    fade = np.minimum(1.0, np.minimum(np.arange(n), n - 1 - np.arange(n)) / 2400)
    events: list[_Event] = [(b * _RATE - 1200, st.rumble * 8 * rumble * fade)]
    for _ in range(rng.poisson(st.vehicles_per_s)):
        width = rng.uniform(*st.pass_s)
        m = int(5 * width * _RATE)
        t = (np.arange(m) / _RATE) - 2.5 * width
        env = 1.0 / (1.0 + (t / width) ** 2)
        speed = rng.uniform(10.0, 25.0)  # m/s; Doppler factor c / (c -+ v)
        doppler = 1.0 + np.tanh(-t / (0.3 * width)) * speed / 343.0
        f = rng.uniform(*st.engine_hz) * doppler
        phase = 2 * np.pi * np.cumsum(f) / _RATE
        engine = sum(np.sin(h * phase) / h for h in range(1, 5))
        tyre = signal.sosfilt(_sos("bandpass", (400.0, 2500.0)), rng.standard_normal(m))
        car = (0.5 * engine + 2.0 * tyre) * env * rng.uniform(0.04, 0.12)
        events.append((b * _RATE + int(rng.uniform(0, 1) * _RATE), car))
    if rng.random() < st.horn_p:
        m = int(rng.uniform(0.25, 0.9) * _RATE)
        t = np.arange(m) / _RATE
        horn = np.sign(np.sin(2 * np.pi * 410 * t)) + np.sign(np.sin(2 * np.pi * 512 * t))
        env = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.01)
        events.append(
            (
                b * _RATE + int(rng.uniform(0, 1) * _RATE),
                rng.uniform(0.03, 0.08) * _lowpass(horn, 3000.0) * env,
            )
        )
    return events


def _lowpass(x: NDArray[np.float64], f_hz: float) -> NDArray[np.float64]:
    return signal.sosfilt(_sos("lowpass", f_hz), x)


def _cheers_block(seed: int, layer: str, b: int) -> list[_Event]:
    """Sparse claps, whistles and shouts of the audience: distinct, non-periodic transients."""
    rng = _rng(seed, layer, b)
    events: list[_Event] = []
    if rng.random() < 0.3:  # a round of applause: 1-3 s of many random claps
        m = int(rng.uniform(1.0, 3.0) * _RATE)
        claps = np.zeros(m)
        for i in rng.integers(0, m - 2000, size=int(rng.uniform(15, 40) * m / _RATE)):
            k = rng.integers(300, 1200)
            claps[i : i + k] += rng.standard_normal(k) * np.exp(-np.arange(k) / 150.0)
        claps = _highpass(claps, 700.0) * np.sin(np.pi * np.arange(m) / m) ** 0.5
        events.append((b * _RATE + int(rng.uniform(0, 1) * _RATE), 0.04 * claps))
    if rng.random() < 0.2:  # a whistle
        m = int(rng.uniform(0.3, 0.8) * _RATE)
        t = np.arange(m) / _RATE
        f = rng.uniform(1800, 3000) * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(1, 4) * t))
        env = np.sin(np.pi * t / t[-1])
        events.append(
            (
                b * _RATE + int(rng.uniform(0, 1) * _RATE),
                0.08 * np.sin(2 * np.pi * np.cumsum(f) / _RATE) * env,
            )
        )
    return events


# Mixing ------------------------------------------------------------------------------------------

_BlockFn = Callable[[int, str, int], list[_Event]]
_NOISE_LAYERS: dict[str, tuple[_BlockFn, float]] = {  # layer -> (1 s block events, max length)
    **{name: (_crowd_block, 1.6) for name in _CROWDS},
    **{name: (_traffic_block, 10.0) for name in _TRAFFIC},
    "cheers": (_cheers_block, 4.0),
}
LAYERS = (*_STYLES, *_NOISE_LAYERS)
# Layer gains: a song alone is about -27 dBFS RMS, a crowd -33, a street -25.
_LEVELS = {"song_a": 0.5, "song_b": 0.4}


def is_layered(kind: str) -> bool:
    """True when ``kind`` is a ``+``-joined list of ``LAYERS`` (each at most once)."""
    parts = kind.split("+")
    return all(p in LAYERS for p in parts) and len(set(parts)) == len(parts)


def _add(out: NDArray[np.float64], first: int, events: Iterable[_Event]) -> None:
    for onset, x in events:
        lo, hi = max(onset, first), min(onset + x.size, first + out.size)
        if lo < hi:
            out[lo - first : hi - first] += x[lo - onset : hi - onset]


def layered_audio(
    kind: str,
    *,
    start_s: float,
    duration_s: float,
    seed: int,
    song_seed: int | None = None,
    song_shift_s: float = 0.0,
) -> NDArray[np.float64]:
    """48 kHz world audio of layered ``kind`` for world times ``[start_s, start_s + duration_s)``.

    Parameters
    ----------
    kind : str
        ``+``-joined layer names (see ``LAYERS``); a faint room tone is always added.
    start_s, duration_s : float
        Span, seconds; ``start_s`` is rounded to the sample and may be negative.
    seed : int
        Seed of every layer except the song (and of the room tone).
    song_seed : int or None
        Seed of the song; None means ``seed``.
    song_shift_s : float
        The song is read at world time ``t + song_shift_s`` (rounded to the sample).

    Returns
    -------
    NDArray[np.float64]
        ``[shape=(round(duration_s * 48000),)]`` mono samples (not clipped).
    """
    if not is_layered(kind):
        raise ValueError(f"unknown layered audio kind {kind!r}; layers are {LAYERS}")
    first, n = round(start_s * _RATE), round(duration_s * _RATE)
    out = np.zeros(n)
    if n == 0:
        return out
    for layer in kind.split("+"):
        part = np.zeros(n)
        if layer in _STYLES:
            s_seed = seed if song_seed is None else song_seed
            shift = round(song_shift_s * _RATE)
            lay = song_layout(s_seed, layer)
            bar_n = round(lay.beat_s * _RATE) * _STYLES[layer].beats_per_bar
            lo_bar = (first + shift - 2 * _RATE) // bar_n  # notes ring < 2 s
            hi_bar = (first + shift + n - 1) // bar_n
            events = (e for bar in range(lo_bar, hi_bar + 1) for e in _song_bar(s_seed, layer, bar))
            _add(part, first + shift, events)
        else:
            block_fn, max_len_s = _NOISE_LAYERS[layer]
            lo_b = (first - round(max_len_s * _RATE)) // _RATE
            hi_b = (first + n - 1) // _RATE + 1  # rumble starts 25 ms before its block
            _add(part, first, (e for b in range(lo_b, hi_b + 1) for e in block_fn(seed, layer, b)))
        out += _LEVELS.get(layer, 1.0) * part
    tone_lo, tone_hi = first // _RATE, (first + n - 1) // _RATE
    tone = (
        (b * _RATE, _ROOM_TONE_STD * _rng(seed, "room", b).standard_normal(_RATE))
        for b in range(tone_lo, tone_hi + 1)
    )
    _add(out, first, tone)
    return out
