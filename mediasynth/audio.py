"""Seeded synthetic "world" audio: a continuous-time sound event that every camera hears.

Conventions
-----------
- World time ``t`` is in seconds and may be negative. Sample ``k`` of a call covers world time
  ``round(start_s * sample_rate_hz) / sample_rate_hz + k / sample_rate_hz``.
- The signal is built in fixed 1-second blocks, block ``b`` seeded by ``(seed, kind, b)``; an
  event that starts in block ``b`` may ring into block ``b + 1``. So sample values depend only on
  ``(seed, kind, sample_rate_hz, t)``, never on the span requested: two cameras cut from the same
  world agree exactly.
- Different sample rates give the same kind of world, not bit-identical resampled signals; cameras
  therefore cut their audio from the 48 kHz world and resample it (see ``mediasynth.clips``).
- Output is mono float32 in [-1, 1].
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import signal

__all__ = [
    "AUDIO_KINDS",
    "WORLD_RATE_HZ",
    "apply_microphone",
    "fractional_advance",
    "world_audio",
]

AUDIO_KINDS = ("mixed", "noise", "music_loop", "speech")
WORLD_RATE_HZ = 48000

_KIND_IDS = {kind: i for i, kind in enumerate(AUDIO_KINDS)}
# SeedSequence wants non-negative entropy; block indices can be negative (world time < 0).
_INDEX_BIAS = 1 << 40
_LOOP_PERIOD_S = 0.5
_ROOM_TONE_STD = 0.002
_REVERB_S = 0.3


def world_audio(
    *,
    duration_s: float,
    start_s: float = 0.0,
    sample_rate_hz: int = WORLD_RATE_HZ,
    seed: int = 0,
    kind: str = "mixed",
) -> NDArray[np.float32]:
    """World audio for world times ``[start_s, start_s + duration_s)``.

    Parameters
    ----------
    duration_s : float
        Length to generate, seconds (>= 0); ``round(duration_s * sample_rate_hz)`` samples.
    start_s : float
        World time of the first sample, seconds; rounded to the nearest sample. May be negative.
    sample_rate_hz : int
        Output sample rate, Hz.
    seed : int
        World seed (>= 0). The same seed gives the same world.
    kind : str
        ``"mixed"``: speech-like syllables (formant-filtered pulse/noise bursts), claps and tonal
        music notes over a faint room tone; never quiet for more than ~0.4 s.
        ``"speech"``: the syllables and room tone only. ``"noise"``: broadband white noise.
        ``"music_loop"``: a strictly repeating 0.5 s note pattern (ambiguous lag by design).

    Returns
    -------
    NDArray[np.float32]
        ``[shape=(round(duration_s * sample_rate_hz),)]`` mono samples in [-1, 1].

    Raises
    ------
    ValueError
        On an unknown ``kind``, a negative seed or duration, or a non-positive sample rate.
    """
    if kind not in _KIND_IDS:
        raise ValueError(f"unknown audio kind {kind!r}; expected one of {AUDIO_KINDS}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    if not duration_s >= 0:
        raise ValueError(f"duration_s must be >= 0, got {duration_s}")
    if int(sample_rate_hz) != sample_rate_hz or sample_rate_hz <= 0:
        raise ValueError(f"sample_rate_hz must be a positive integer, got {sample_rate_hz}")
    rate = int(sample_rate_hz)
    first = round(start_s * rate)
    n = round(duration_s * rate)
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    if kind == "music_loop":
        out = _music_loop(first + np.arange(n), seed=seed, rate=rate)
    else:
        first_block, last_block = first // rate, (first + n - 1) // rate
        blocks = _blocks(range(first_block, last_block + 1), seed=seed, kind=kind, rate=rate)
        offset = first - first_block * rate
        out = np.concatenate(blocks)[offset : offset + n]
    return np.clip(out, -1.0, 1.0).astype(np.float32)


def apply_microphone(
    x: NDArray[np.float64],
    *,
    gain_db: float = 0.0,
    lowpass_hz: float | None = None,
    reverb_seed: tuple[int, ...] | None = None,
    sample_rate_hz: int = WORLD_RATE_HZ,
) -> NDArray[np.float64]:
    """A camera microphone: optional room reverb, then a lowpass, then gain.

    Parameters
    ----------
    x : NDArray[np.float64]
        ``[shape=(n,)]`` world audio; include >= 0.3 s of history before the part you keep, as
        the reverb is causal.
    gain_db : float
        Gain, dB.
    lowpass_hz : float or None
        Cut-off of a zero-phase 4th-order Butterworth lowpass (filtered forwards and backwards,
        so it adds no delay), Hz.
    reverb_seed : tuple of int or None
        Seed of the room's impulse response; None for no reverb. The response is a unit direct
        path followed, after 3 ms, by exponentially decaying noise (60 dB down at 0.3 s) with half
        the direct path's energy, so the direct path stays the strongest tap and lag 0 is kept.
    sample_rate_hz : int
        Sample rate of ``x``, Hz.

    Returns
    -------
    NDArray[np.float64]
        ``[shape=(n,)]`` processed audio (not clipped).
    """
    if reverb_seed is not None:
        rng = np.random.default_rng([*reverb_seed, 404])
        t = np.arange(round(_REVERB_S * sample_rate_hz)) / sample_rate_hz
        tail = rng.standard_normal(t.size) * np.exp(-t * 6.9 / _REVERB_S) * (t >= 0.003)
        ir = np.concatenate([[1.0], np.sqrt(0.5) * tail[1:] / np.linalg.norm(tail)])
        x = signal.oaconvolve(x, ir)[: x.size]
    if lowpass_hz is not None:
        sos = signal.butter(4, lowpass_hz, btype="lowpass", fs=sample_rate_hz, output="sos")
        x = signal.sosfiltfilt(sos, x)
    return x * 10.0 ** (gain_db / 20.0)


def fractional_advance(x: NDArray[np.float64], *, frac: float) -> NDArray[np.float64]:
    """Band-limited fractional shift ``y[m] = x(m + frac)`` via an FFT linear phase ramp.

    The shift is circular, so keep a margin of a few hundred samples at both ends and discard it.
    ``x`` is ``[shape=(n,)]``; ``frac`` is in samples (any real, typically in [0, 1)).
    """
    if frac == 0.0:
        return x
    n = x.size
    spectrum = np.fft.rfft(x)
    spectrum *= np.exp(2j * np.pi * np.fft.rfftfreq(n) * frac)
    if n % 2 == 0:
        # The Nyquist bin must stay real and a fractional ramp would make it complex: drop it.
        spectrum[-1] = 0.0
    return np.fft.irfft(spectrum, n)


def _rng(seed: int, kind: str, stream: int, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, _KIND_IDS[kind], stream, index + _INDEX_BIAS])


def _blocks(indices: range, *, seed: int, kind: str, rate: int) -> list[NDArray[np.float64]]:
    """Seconds of world audio: each block's events plus the tails of the previous block's."""
    if kind == "noise":
        return [0.25 * _rng(seed, kind, 0, b).standard_normal(rate) for b in indices]
    out = []
    before = _block_events(indices[0] - 1, seed=seed, kind=kind, rate=rate)
    for b in indices:
        here = _block_events(b, seed=seed, kind=kind, rate=rate)
        room = _ROOM_TONE_STD * _rng(seed, kind, 1, b).standard_normal(rate)
        out.append(here[:rate] + before[rate:] + room)
        before = here
    return out


def _block_events(b: int, *, seed: int, kind: str, rate: int) -> NDArray[np.float64]:
    """Events whose onset lies in block ``b``, rendered into 2 s (events last < 1 s)."""
    rng = _rng(seed, kind, 2, b)
    buf = np.zeros(2 * rate)
    # Syllables back to back with short gaps: the first onset (<= 0.15 s) plus the longest gap
    # (0.2 s) bounds any pause, including across block edges, to about 0.4 s.
    t_s = rng.uniform(0.0, 0.15)
    while t_s < 1.0:
        burst = _syllable(rng, rate=rate)
        i = int(t_s * rate)
        buf[i : i + burst.size] += burst
        t_s += burst.size / rate + rng.uniform(0.03, 0.2)
    if kind == "mixed":
        if rng.random() < 0.35:
            clap = _clap(rng, rate=rate)
            i = int(rng.uniform(0.0, 1.0) * rate)
            buf[i : i + clap.size] += clap
        for _ in range(rng.poisson(1.2)):
            note = _note(rng, rate=rate)
            i = int(rng.uniform(0.0, 1.0) * rate)
            buf[i : i + note.size] += note
    return buf


def _syllable(rng: np.random.Generator, *, rate: int) -> NDArray[np.float64]:
    """A voiced (pulse train + breath) or unvoiced burst through 2-3 random formant filters."""
    n = int(rng.uniform(0.08, 0.28) * rate)
    t = np.arange(n) / rate
    noise = rng.standard_normal(n)
    if rng.random() < 0.75:
        f0_hz = rng.uniform(90.0, 240.0) * (1.0 + rng.uniform(-0.2, 0.2) * t / t[-1])
        phase = np.cumsum(f0_hz) / rate
        excitation = 2.0 * (phase % 1.0) - 1.0 + 0.3 * noise
        formants_hz = [rng.uniform(300, 900), rng.uniform(900, 2500), rng.uniform(2500, 3500)]
    else:
        excitation = noise
        formants_hz = [rng.uniform(2500, 6000)]
    out = np.zeros(n)
    for i, f_hz in enumerate(formants_hz):
        out += _resonator(excitation, f_hz=min(f_hz, 0.45 * rate), q=3.5, rate=rate) / (i + 1)
    envelope = np.sin(np.pi * np.arange(n) / n) ** rng.uniform(0.5, 2.0)
    out *= envelope
    return out * (rng.uniform(0.12, 0.3) / (np.max(np.abs(out)) + 1e-12))


def _resonator(x: NDArray[np.float64], *, f_hz: float, q: float, rate: int) -> NDArray[np.float64]:
    """RBJ band-pass biquad (0 dB peak): a formant, ~10x cheaper to design than ``butter``."""
    w0 = 2.0 * np.pi * f_hz / rate
    alpha = np.sin(w0) / (2.0 * q)
    b = [alpha, 0.0, -alpha]
    a = [1.0 + alpha, -2.0 * np.cos(w0), 1.0 - alpha]
    return signal.lfilter(b, a, x)


def _clap(rng: np.random.Generator, *, rate: int) -> NDArray[np.float64]:
    """A sharp broadband transient with a fast exponential decay."""
    n = int(rng.uniform(0.03, 0.08) * rate)
    t = np.arange(n) / rate
    burst = rng.standard_normal(n) * np.exp(-t / rng.uniform(0.006, 0.02))
    sos = signal.butter(2, 600.0, btype="highpass", fs=rate, output="sos")
    burst = signal.sosfilt(sos, burst)
    return burst * (rng.uniform(0.4, 0.7) / (np.max(np.abs(burst)) + 1e-12))


def _note(rng: np.random.Generator, *, rate: int) -> NDArray[np.float64]:
    """A harmonic tone on a pentatonic pitch with a 10 ms attack and an exponential decay."""
    n = int(rng.uniform(0.2, 0.6) * rate)
    t = np.arange(n) / rate
    f_hz = 220.0 * 2.0 ** (rng.choice([0, 2, 4, 7, 9, 12, 14, 16, 19]) / 12.0)
    tone = sum(a * np.sin(2 * np.pi * h * f_hz * t) for h, a in ((1, 1.0), (2, 0.5), (3, 0.25)))
    envelope = np.minimum(t / 0.01, 1.0) * np.exp(-t / rng.uniform(0.08, 0.25))
    return rng.uniform(0.06, 0.15) * tone * envelope / 1.75


def _music_loop(index: NDArray[np.int64], *, seed: int, rate: int) -> NDArray[np.float64]:
    """A note pattern that is a pure function of ``t mod 0.5 s``: strictly periodic."""
    rng = _rng(seed, "music_loop", 0, 0)
    phase_s = np.mod(index / rate, _LOOP_PERIOD_S)
    out = np.zeros(index.size)
    for onset_s in np.sort(rng.uniform(0.0, _LOOP_PERIOD_S, size=4)):
        f_hz = 220.0 * 2.0 ** (rng.choice([0, 3, 5, 7, 10, 12, 15]) / 12.0)
        # Wrap the note time too, so a tail that crosses the loop end reappears at its start.
        tau_s = np.mod(phase_s - onset_s, _LOOP_PERIOD_S)
        envelope = np.minimum(tau_s / 0.005, 1.0) * np.exp(-tau_s / 0.08)
        out += 0.2 * envelope * np.sin(2 * np.pi * f_hz * tau_s)
    return out
