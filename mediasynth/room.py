"""Harder camera microphones for the synthetic world: real rooms, cheap capsules, wind, handling.

All functions act on 48 kHz mono float64 audio in world time (see :mod:`mediasynth.clips`) and are
seeded; none moves the true offset:

- ``room_impulse_response``: a direct path at lag 0, discrete early reflections 5-30 ms after it
  and an exponentially decaying noise tail reaching -60 dB at ``rt60_s``. The direct-to-reverberant
  energy ratio is ``drr_db``; every reflection stays below the direct tap (so the dry/wet
  cross-correlation still peaks at lag 0) even when the reverberant energy dominates.
- ``cheap_mic``: a zero-phase band-pass (like a phone capsule, e.g. 300-3400 Hz), so no delay.
- ``agc``: automatic gain control with a fast attack and a slow release: quiet passages are
  pumped up and loud onsets duck the level (a multiplicative, zero-delay gain).
- ``clip``: soft (tanh) or hard clipping after ``drive_db`` of gain.
- ``wind_and_handling``: additive gusts of low-frequency wind noise and handling thumps/rubs, as an
  action camera on a moving person records.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import signal

__all__ = ["agc", "cheap_mic", "clip", "room_impulse_response", "wind_and_handling"]

_RATE = 48000
_MAX_REFLECTION = 0.7  # of the direct tap's amplitude


def room_impulse_response(
    *, rt60_s: float, drr_db: float, seed: tuple[int, ...], sample_rate_hz: int = _RATE
) -> NDArray[np.float64]:
    """A room's impulse response ``[shape=(ceil(1.05 * rt60_s * rate),)]``, unit energy.

    Parameters
    ----------
    rt60_s : float
        Reverberation time: the tail's energy falls by 60 dB over this many seconds (0.05-5).
    drr_db : float
        Direct-to-reverberant energy ratio, dB: direct tap energy over everything else. Distant
        microphones have a low (negative) ratio.
    seed : tuple of int
        Seed of the reflections and the tail.
    sample_rate_hz : int
        Sample rate, Hz.

    Returns
    -------
    NDArray[np.float64]
        Tap 0 is the direct path and the largest tap in magnitude.
    """
    if not 0.05 <= rt60_s <= 5.0:
        raise ValueError(f"rt60_s must be in [0.05, 5], got {rt60_s}")
    rate = sample_rate_hz
    rng = np.random.default_rng([*seed, 505])
    n = int(np.ceil(1.05 * rt60_s * rate))
    t = np.arange(n) / rate
    reverberant = 10.0 ** (-drr_db / 10.0)  # energy, with the direct tap's energy 1
    # Early reflections: 4-7 taps between 5 and 30 ms, decaying with delay.
    k = int(rng.integers(4, 8))
    delays = np.sort(rng.uniform(0.005, 0.030, size=k))
    amps = rng.uniform(0.35, 0.65, size=k) * np.exp(-delays / 0.06) * rng.choice([-1, 1], size=k)
    early_energy = float(np.sum(amps**2))
    if early_energy > 0.5 * reverberant:  # a dry room: the reflections take half the reverb
        amps *= np.sqrt(0.5 * reverberant / early_energy)
        early_energy = 0.5 * reverberant
    # Diffuse tail from 5 ms: noise with a -60 dB (energy) decay at rt60_s.
    tail = rng.standard_normal(n) * np.exp(-6.907755 * t / rt60_s) * (t >= 0.005)
    tail *= np.sqrt((reverberant - early_energy) / np.sum(tail**2))
    # A tail tap may not outgrow the direct one either (it never does for rt60 >= 0.1 s).
    tail = np.clip(tail, -_MAX_REFLECTION, _MAX_REFLECTION)
    ir = tail
    ir[0] = 1.0
    np.add.at(ir, np.round(delays * rate).astype(int), amps)
    ir[1:] = np.clip(ir[1:], -_MAX_REFLECTION, _MAX_REFLECTION)
    return ir / np.sqrt(np.sum(ir**2))


def cheap_mic(x: NDArray[np.float64], *, band_hz: tuple[float, float]) -> NDArray[np.float64]:
    """A zero-phase 4th-order Butterworth band-pass (forwards and backwards: no delay)."""
    sos = signal.butter(2, band_hz, btype="bandpass", fs=_RATE, output="sos")
    return signal.sosfiltfilt(sos, x)


def agc(
    x: NDArray[np.float64],
    *,
    target_db: float = -20.0,
    attack_s: float = 0.02,
    release_s: float = 1.5,
    max_gain_db: float = 24.0,
) -> NDArray[np.float64]:
    """Automatic gain control: gain = target / envelope, envelope tracked in 10 ms frames."""
    hop = _RATE // 100
    n_frames = -(-x.size // hop)
    padded = np.zeros(n_frames * hop)
    padded[: x.size] = x
    power = np.mean(padded.reshape(n_frames, hop) ** 2, axis=1) + 1e-10
    up, down = 1.0 - np.exp(-0.01 / attack_s), 1.0 - np.exp(-0.01 / release_s)
    env = np.empty(n_frames)
    level = power[0]
    for i, p in enumerate(power):
        level += (up if p > level else down) * (p - level)
        env[i] = level
    gain_db = np.minimum(target_db - 10.0 * np.log10(env), max_gain_db)
    centres = (np.arange(n_frames) + 0.5) * hop
    gain = 10.0 ** (np.interp(np.arange(x.size), centres, gain_db) / 20.0)
    return x * gain


def clip(x: NDArray[np.float64], *, drive_db: float, mode: str) -> NDArray[np.float64]:
    """``drive_db`` of gain, then ``"soft"`` (tanh) or ``"hard"`` (at +-1) clipping."""
    y = x * 10.0 ** (drive_db / 20.0)
    if mode == "soft":
        return np.tanh(y)
    if mode == "hard":
        return np.clip(y, -1.0, 1.0)
    raise ValueError(f"clip mode must be 'soft' or 'hard', got {mode!r}")


def wind_and_handling(
    n: int, *, wind_db: float | None, handling: bool, seed: tuple[int, ...]
) -> NDArray[np.float64]:
    """``n`` samples of wind gusts (RMS ``wind_db`` dBFS in a gust) plus handling noise.

    Wind: lowpassed (below ~300 Hz) noise under a gust envelope that is on about half the time.
    Handling: every 2-7 s a thump (a heavily lowpassed knock) or a 0.3-1 s rub.
    """
    rng = np.random.default_rng([*seed, 606])
    out = np.zeros(n)
    if wind_db is not None:
        sos = signal.butter(4, 300.0, btype="lowpass", fs=_RATE, output="sos")
        wind = signal.sosfilt(sos, rng.standard_normal(n))
        wind /= np.sqrt(np.mean(wind**2)) + 1e-12
        # Gusts: a smooth random envelope, 0 to 1, changing over ~0.5-2 s.
        knots = np.maximum(rng.standard_normal(n // (_RATE // 2) + 3), 0.0)
        env = np.interp(np.arange(n), np.arange(knots.size) * (_RATE // 2), knots)
        env = np.minimum(env, 1.5)
        out += 10.0 ** (wind_db / 20.0) * wind * env
    if handling:
        pos = int(rng.uniform(0.5, 3.0) * _RATE)
        while pos < n:
            if rng.random() < 0.6:
                m = int(rng.uniform(0.05, 0.2) * _RATE)
                knock = rng.standard_normal(m) * np.exp(-np.arange(m) / (0.02 * _RATE))
                sos = signal.butter(2, 150.0, btype="lowpass", fs=_RATE, output="sos")
                burst = signal.sosfilt(sos, knock)
                burst *= rng.uniform(0.4, 0.9) / (np.abs(burst).max() + 1e-12)
            else:
                m = int(rng.uniform(0.3, 1.0) * _RATE)
                sos = signal.butter(2, (200.0, 2000.0), btype="bandpass", fs=_RATE, output="sos")
                burst = signal.sosfilt(sos, rng.standard_normal(m)) * np.sin(
                    np.pi * np.arange(m) / m
                )
                burst *= rng.uniform(0.05, 0.2) / (np.abs(burst).max() + 1e-12)
            end = min(pos + m, n)
            out[pos:end] += burst[: end - pos]
            pos += m + int(rng.uniform(2.0, 7.0) * _RATE)
    return out
