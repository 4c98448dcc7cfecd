"""Audio method: whitened cross-correlation of two mono tracks, sub-sample refinement, drift.

Conventions
-----------
``estimate_audio_lag(reference, other)`` returns ``lag_s``: the time on the reference's timeline
at which ``other``'s t=0 happens. Positive means ``other`` started later; this is
``lags[argmax(correlate(reference, other))] / sample_rate_hz``.

Method
------
1. Coarse search: both tracks decimated to ``COARSE_RATE_HZ``, GCC-PHAT (pure-phase whitening,
   so speech, music and transients all give a needle-sharp peak) band-limited to 50 Hz..0.9
   Nyquist, over every lag allowed by ``max_lag_s`` and the minimum overlap, coarse to fine
   (:func:`_search`: lags within ``NEAR_S`` at ``COARSE_RATE_HZ``, beyond that a scout curve of
   log-energy envelopes names ``SCOUT_CANDIDATES`` places measured at ``COARSE_RATE_HZ``); long
   clips are correlated in chunks whose curves are pooled so clock drift cannot smear the peak.
   Two long takes (both at least ``LONG_TAKE_S``) are searched at a bounded cost: a coarser
   scout, and the fine measurements on ``LONG_CHUNKS`` chunks spread along the take.
   The peak's features (:func:`syncengine.confidence.pair_features`: margin and runner-up ratio
   outside a ``LOBE_S`` main lobe, so a room's early reflections are not rivals; the plain,
   overlap-normalised correlation's repeat ratio, which sees loops that whitening hides; the
   overlap; and the coherence of short windows at the final lag) go through the calibrated map
   (:func:`syncengine.confidence.calibrated_confidence`), times the strict-repeat guard.
2. Refinement at the full analysis rate: GCC-PHAT of up to ``REFINE_WINDOW_S`` of the overlap
   around the coarse lag, windowed-sinc interpolation of the peak to ~1/100 sample.
3. Drift: on overlaps of at least ``DRIFT_MIN_OVERLAP_S``, the refinement is repeated in windows
   spread along the overlap; a line ``lag(u) = offset + drift * u`` (``u`` = time in ``other``) is
   fitted. The reported lag is the fit at ``u = 0`` (the offset at the video's start) and the
   slope in ppm is ``drift_ppm`` (positive: other's clock runs fast); the windows' own
   measurements are ``drift_points`` (time in reference, lag), for the drift plot.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.signal
from numpy.typing import NDArray

from syncengine.confidence import (
    ambiguity_ratio,
    calibrated_confidence,
    confidence_from_stats,
    pair_features,
    peak_statistics,
    repeat_guard,
)
from syncengine.errors import ClipTooShort, ParameterError, SilentAudio
from syncengine.types import AudioTrack, Curve, LagEstimate
from syncengine.xcorr import correlate_window, refine_peak, whiten_spectrum

__all__ = [
    "CURVE_POINTS",
    "PreparedAudio",
    "check_audio",
    "estimate_audio_lag",
    "pool_curve",
    "prepare_audio",
]

CURVE_POINTS = 2000  # most points kept of a debug curve (LagEstimate.curve, SyncResult.motion)

COARSE_RATE_HZ = 4000
#: Lags within +-NEAR_S are searched at COARSE_RATE_HZ; beyond, a scout curve at SCOUT_RATE_HZ
#: over every lag names SCOUT_CANDIDATES places, each searched at COARSE_RATE_HZ +-CANDIDATE_S.
NEAR_S = 10.0
SCOUT_RATE_HZ = 500
SCOUT_CHUNK_S = 24.0
SCOUT_CANDIDATES = 4
CANDIDATE_S = 0.5
COHERENCE_WINDOWS = 7
COHERENCE_WINDOW_S = 2.0
REFINE_WINDOW_S = 15.0
CHUNK_S = 10.0
DRIFT_BUDGET_PPM = 300.0
#: The default least overlap is 25 % of the shorter clip, but never more than this: ten seconds
#: of shared sound place a clip well, and a 40 s phone clip that shares its last 10 s with the
#: reference must not be searched only where a song's repeat can answer instead.
MIN_OVERLAP_CAP_S = 8.0
DRIFT_MIN_OVERLAP_S = 20.0
DRIFT_WINDOW_S = 5.0
MIN_DURATION_S = 1.0
SILENCE_RMS = 10 ** (-70 / 20)  # -70 dBFS
_BAND = (50.0, 0.9)  # Hz low edge, fraction of Nyquist high edge (below the decimator's roll-off)
_PLAIN_LOW_HZ = 150.0  # the ambiguity check ignores mains hum's fundamental
_DECIMATOR_TAPS = 31  # per unit of decimation factor, each side


@dataclass(frozen=True)
class PreparedAudio:
    """A checked track and its copies at ``COARSE_RATE_HZ`` and ``SCOUT_RATE_HZ``, made once."""

    track: AudioTrack
    coarse: NDArray[np.float32]
    scout: NDArray[np.float32] | None = None


def decimator_taps(factor: int) -> NDArray[np.float32]:
    """The decimator's taps: a Hann-windowed sinc at 0.9 of the new Nyquist, ``2 * half + 1``
    long with ``half = _DECIMATOR_TAPS * factor``, normalised to unit gain."""
    half = _DECIMATOR_TAPS * factor
    n = np.arange(-half, half + 1)
    cutoff = 0.9 / factor
    taps = cutoff * np.sinc(cutoff * n) * (0.5 + 0.5 * np.cos(np.pi * n / (half + 1)))
    return (taps / taps.sum()).astype(np.float32)


#: Input samples per decimation block, per unit of the factor (the streaming decimator of
#: :mod:`syncengine.audio_stream` cuts the same blocks, so both give the same samples).
DECIMATE_BLOCK = 1 << 18
#: A long take: a track at least this long is low-passed by FFT (overlap-add, 10x faster than
#: the direct sum, equal to it within ~1e-6 of full scale), and a pair of clips both this long
#: is searched at a bounded cost (:func:`_search`). Every clip of the evaluation is shorter, so
#: their results stay what they were.
LONG_TAKE_S = 600.0
LONG_SCOUT_RATE_HZ = 50
LONG_SCOUT_CHUNK_S = 120.0
LONG_CHUNKS = 48


def decimate_block(
    seg: NDArray[np.float32], taps: NDArray[np.float32], *, fast: bool
) -> NDArray[np.float32]:
    """``seg`` filtered by ``taps`` (centred, zeros outside): by the direct sum, or by FFT when
    ``fast`` (the track is a long take: see ``LONG_TAKE_S``)."""
    if not fast:
        return scipy.ndimage.convolve1d(seg, taps, mode="constant")
    half = taps.size // 2
    full = scipy.signal.oaconvolve(seg, taps, mode="full")
    return full[half : half + seg.size].astype(np.float32, copy=False)


def _decimate(x: NDArray[np.float32], factor: int) -> NDArray[np.float32]:
    """Zero-phase low-pass (Hann-windowed sinc at 0.9 of the new Nyquist), keep every factor-th.

    By FFT when ``x`` is at least ``LONG_TAKE_S`` long (at ``factor * COARSE_RATE_HZ``).
    """
    if factor == 1:
        return x
    half = _DECIMATOR_TAPS * factor
    taps = decimator_taps(factor)
    # Block by block, so no full-length temporary at the input rate is ever allocated.
    out = np.empty((x.size + factor - 1) // factor, dtype=np.float32)
    block = factor * DECIMATE_BLOCK
    fast = x.size >= LONG_TAKE_S * factor * COARSE_RATE_HZ
    for start in range(0, x.size, block):
        lo, hi = max(0, start - half), min(x.size, start + block + half)
        y = decimate_block(x[lo:hi], taps, fast=fast)
        kept = y[start - lo : start - lo + min(block, x.size - start) : factor]
        out[start // factor : start // factor + kept.size] = kept
    return out


def prepare_audio(track: AudioTrack, *, filename: str = "clip") -> PreparedAudio:
    """Check ``track`` (see :func:`check_audio`) and decimate it for the coarse search.

    Raises
    ------
    ClipTooShort, SilentAudio, ParameterError
    """
    check_audio(track, filename=filename)
    rate = track.sample_rate_hz
    if rate % COARSE_RATE_HZ:
        raise ParameterError(f"analysis rate {rate} Hz is not a multiple of {COARSE_RATE_HZ} Hz")
    coarse = _decimate(track.samples, rate // COARSE_RATE_HZ)
    return PreparedAudio(track=track, coarse=coarse, scout=_envelope(coarse))


def _envelope(x: NDArray[np.float32]) -> NDArray[np.float32]:
    """Log energy of the pre-emphasised signal per ``1 / SCOUT_RATE_HZ`` frame, mean removed.

    An envelope, not a low-passed signal: a cheap microphone's 300 Hz high-pass leaves nothing
    below 250 Hz, but every band's onsets and pauses show in its energy.
    """
    step = COARSE_RATE_HZ // SCOUT_RATE_HZ
    n = (x.size - 1) // step
    return envelope_from_energy(frame_energy(x[: n * step + 1]))


def frame_energy(x: NDArray[np.float32]) -> NDArray[np.float32]:
    """Mean square of the pre-emphasised ``x`` per scout frame: ``(x.size - 1) // step`` frames
    (``step = COARSE_RATE_HZ // SCOUT_RATE_HZ`` samples each); frame ``i`` needs
    ``x[i * step : (i + 1) * step + 1]``, so consecutive pieces that share one sample give the
    frames of the whole."""
    step = COARSE_RATE_HZ // SCOUT_RATE_HZ
    n = max(0, (x.size - 1) // step)
    d = np.diff(x)[: n * step].reshape(n, step)
    return np.einsum("ij,ij->i", d, d) / step


def envelope_from_energy(energy: NDArray[np.float32]) -> NDArray[np.float32]:
    """The scout envelope from the frames' energies (see :func:`_envelope`)."""
    env = np.log(energy + 1e-10 + 1e-4 * float(np.median(energy))).astype(np.float32)
    return env - np.float32(env.mean()) if env.size else env


_EXCLUSION_S = 0.0025
#: Half-width of the peak's main lobe for confidence: a room's early reflections (5-30 ms, up
#: to ~50 ms in a hall) make side peaks of the true match, not competitors.
LOBE_S = 0.05
#: Repeats nearer than this to the peak do not count as ambiguity (a beat is >= 0.2 s).
_AMBIGUITY_S = 0.1


def check_audio(track: AudioTrack, *, filename: str = "clip") -> None:
    """Raise if a track cannot be analysed: too short, or silent.

    Raises
    ------
    ClipTooShort, SilentAudio, ParameterError
    """
    x = track.samples
    if not isinstance(x, np.ndarray) or x.ndim != 1 or x.dtype != np.float32:
        raise ParameterError(f"audio samples must be a 1-D float32 array, got {type(x).__name__}")
    rms = float(np.sqrt(np.dot(x, x) / max(1, x.size)))  # no float64 copy of the track
    check_levels(duration_s=track.duration_s, rms=rms, filename=filename)


def check_levels(*, duration_s: float, rms: float, filename: str = "clip") -> None:
    """:func:`check_audio` on a track's duration (s) and RMS level (full scale 1).

    Raises
    ------
    ClipTooShort, SilentAudio
    """
    if duration_s < MIN_DURATION_S:
        raise ClipTooShort(
            f"'{filename}' has only {duration_s:.2f} s of audio; at least "
            f"{MIN_DURATION_S:.0f} s is needed to sync it.",
            filename=filename,
        )
    if rms < SILENCE_RMS:
        level = "digital silence" if rms < 1e-9 else f"{20 * np.log10(rms):.0f} dBFS"
        raise SilentAudio(
            f"'{filename}' has a silent audio track ({level}), so audio sync is unavailable. "
            "Try visual sync.",
            filename=filename,
            rms_dbfs=None if rms < 1e-9 else round(20 * float(np.log10(rms)), 1),
        )


def _lag_window(
    n_ref: int, n_oth: int, *, rate_hz: float, max_lag_s: float | None, min_overlap_s: float
) -> tuple[int, int]:
    min_ov = int(min_overlap_s * rate_hz)
    lo, hi = -(n_oth - min_ov), n_ref - min_ov
    if max_lag_s is not None:
        lim = int(np.ceil(max_lag_s * rate_hz))
        lo, hi = max(lo, -lim), min(hi, lim)
    if lo > hi:
        raise ClipTooShort(
            f"the clips cannot overlap by {min_overlap_s:.1f} s within the maximum offset "
            f"of {max_lag_s} s; raise the maximum offset or search the whole overlap"
        )
    return lo, hi


def _coarse_curve(
    ref: NDArray[np.float32],
    oth: NDArray[np.float32],
    *,
    lo: int,
    hi: int,
    rate_hz: int = COARSE_RATE_HZ,
    chunk_s: float = CHUNK_S,
    max_chunks: int | None = None,
) -> tuple[NDArray[np.float32], NDArray[np.float32], int]:
    """|GCC-PHAT| at ``rate_hz`` for lags ``lo..hi``, tolerant of clock drift.

    A long ``oth`` is cut into ``chunk_s`` chunks, each correlated against the part of ``ref``
    it can reach; each chunk's curve is max-pooled over the lag spread that a ``DRIFT_BUDGET_PPM``
    clock drift could cause at its distance from the middle, then the curves are summed. Without
    this a 100 ppm drift smears a 10-minute peak over 60 ms and it drowns in noise. With
    ``max_chunks``, only that many chunks spread evenly along ``oth`` are measured.

    Returns the GCC-PHAT curve, the unwhitened overlap-normalised curve (for the ambiguity
    check), and the half-width (samples) of the peak's lobe that drift may widen it to.
    """
    band = (_BAND[0] / (rate_hz / 2), _BAND[1])
    chunk = int(chunk_s * rate_hz)
    budget = DRIFT_BUDGET_PPM * 1e-6
    base = max(2, int(_EXCLUSION_S * rate_hz))
    plain_band = (min(_PLAIN_LOW_HZ / (rate_hz / 2), 0.5), _BAND[1])
    if oth.size <= 2 * chunk:
        corr = correlate_window(
            ref, oth, min_lag=lo, max_lag=hi, band_fraction=band, plain_band_fraction=plain_band
        )
        assert corr.plain is not None
        return np.abs(corr.values), np.abs(corr.plain), base + int(budget * oth.size)
    acc = np.zeros(hi - lo + 1, dtype=np.float32)
    acc_plain = np.zeros(hi - lo + 1, dtype=np.float32)
    mid = oth.size / 2
    n_chunks = oth.size // chunk  # the remainder joins the last chunk
    chosen = range(n_chunks)
    if max_chunks is not None and n_chunks > max_chunks:
        chosen = np.unique(np.linspace(0, n_chunks - 1, max_chunks).round().astype(int)).tolist()

    def measure(k: int) -> tuple[NDArray[np.int64], NDArray[np.float32], NDArray[np.float32]]:
        """Chunk ``k``'s pooled curves and where they go in ``acc``."""
        u = k * chunk
        piece = oth[u : (u + chunk if k < n_chunks - 1 else oth.size)]
        r0, r1 = max(0, lo + u), min(ref.size, hi + u + piece.size)
        if r1 - r0 < rate_hz:
            return np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.float32)
        corr = correlate_window(
            ref[r0:r1],
            piece,
            min_lag=lo + u - r0,
            max_lag=hi + u - r0,
            band_fraction=band,
            plain_band_fraction=plain_band,
        )
        assert corr.plain is not None
        vals, plain = np.abs(corr.values), np.abs(corr.plain)
        spread = int(budget * abs(u + piece.size / 2 - mid))
        if spread:
            vals = scipy.ndimage.maximum_filter1d(vals, 2 * spread + 1)
            plain = scipy.ndimage.maximum_filter1d(plain, 2 * spread + 1)
        return corr.lags + r0 - u - lo, vals, plain

    # A long take's chunks are measured two at a time (the FFTs run outside the GIL); they are
    # summed in chunk order either way, so the curve does not depend on it.
    with ThreadPoolExecutor(max_workers=2) as pool:
        for where, vals, plain in (pool.map if max_chunks else map)(measure, chosen):
            acc[where] += vals
            acc_plain[where] += plain
    return acc, acc_plain, base + int(budget * (mid + chunk))


def _scout_curve(
    ref: NDArray[np.float32],
    oth: NDArray[np.float32],
    *,
    lo: int,
    hi: int,
    rate_hz: int = SCOUT_RATE_HZ,
    chunk_s: float = SCOUT_CHUNK_S,
) -> NDArray[np.float32]:
    """|GCC-PHAT| of two scout envelopes over lags ``lo..hi``, chunk by chunk of ``oth`` (drift).

    Every chunk can reach the whole of ``ref``, so ``ref``'s spectrum is computed once.
    """
    chunk = int(chunk_s * rate_hz)
    n_chunks = max(1, oth.size // chunk)
    longest = oth.size - (n_chunks - 1) * chunk
    nfft = scipy.fft.next_fast_len(ref.size + longest, real=True)
    ref_spec = scipy.fft.rfft(ref, nfft)
    lags = np.arange(lo, hi + 1)
    acc = np.zeros(lags.size, dtype=np.float32)
    budget = DRIFT_BUDGET_PPM * 1e-6
    for k in range(n_chunks):
        u = k * chunk
        piece = oth[u : (u + chunk if k < n_chunks - 1 else oth.size)]
        cross = whiten_spectrum(ref_spec * np.conj(scipy.fft.rfft(piece, nfft)), beta=1.0)
        full = np.abs(scipy.fft.irfft(cross, nfft)).astype(np.float32)
        vals = full[(lags + u) % nfft]  # chunk at u: lag L of the clip is lag L + u of the chunk
        spread = int(budget * abs(u + piece.size / 2 - oth.size / 2))
        if spread:
            vals = scipy.ndimage.maximum_filter1d(vals, 2 * spread + 1)
        acc += vals
    return acc


def _search(
    ref: PreparedAudio, oth: PreparedAudio, *, lo: int, hi: int
) -> tuple[NDArray[np.int64], NDArray[np.float32], NDArray[np.float32], int]:
    """The coarse curve over lags ``lo..hi`` (coarse samples), coarse-to-fine when wide.

    Lags within ``NEAR_S`` are all measured at ``COARSE_RATE_HZ``. When the window reaches
    further, a scout curve at ``SCOUT_RATE_HZ`` covers every lag and its ``SCOUT_CANDIDATES``
    best peaks outside the near window are measured at ``COARSE_RATE_HZ`` too, so the whole
    overlap costs little more than the near window while a far peak or a far repeat (the next
    chorus) still reaches the statistics. Returns (lags, curve, plain, lobe half-width): the
    measured pieces in lag order, separated by zeros, so every statistic sees one curve.

    Two long takes (both at least ``LONG_TAKE_S``) are searched at a bounded cost: the scout
    runs on the envelopes averaged to ``LONG_SCOUT_RATE_HZ`` in ``LONG_SCOUT_CHUNK_S`` chunks
    (the drift within a chunk, 36 ms at 300 ppm, stays within two of its frames; the scout
    only has to land within ``CANDIDATE_S``), and the near window and the candidates are
    measured on ``LONG_CHUNKS`` chunks spread along ``other`` (8 minutes of sound), two at a
    time, instead of all of them. The scout's cost then grows with the clip's length, not with
    its square.
    """
    near = int(NEAR_S * COARSE_RATE_HZ)
    n_lo, n_hi = max(lo, -near), min(hi, near)
    if ref.scout is None or oth.scout is None or (n_lo == lo and n_hi == hi):
        curve, plain, exclusion = _coarse_curve(ref.coarse, oth.coarse, lo=lo, hi=hi)
        return np.arange(lo, hi + 1), curve, plain, exclusion
    long_take = min(ref.coarse.size, oth.coarse.size) >= LONG_TAKE_S * COARSE_RATE_HZ
    scout_rate, chunk_s, max_chunks = SCOUT_RATE_HZ, SCOUT_CHUNK_S, None
    env_r, env_o = ref.scout, oth.scout
    if long_take:
        scout_rate, chunk_s, max_chunks = LONG_SCOUT_RATE_HZ, LONG_SCOUT_CHUNK_S, LONG_CHUNKS
        env_r = _pooled_envelope(env_r, SCOUT_RATE_HZ // scout_rate)
        env_o = _pooled_envelope(env_o, SCOUT_RATE_HZ // scout_rate)
    step = COARSE_RATE_HZ // scout_rate
    s_lo, s_hi = -(-lo // step), hi // step
    scout = _scout_curve(env_r, env_o, lo=s_lo, hi=s_hi, rate_hz=scout_rate, chunk_s=chunk_s)
    s_lags = np.arange(s_lo, s_hi + 1) * step
    half = int(CANDIDATE_S * COARSE_RATE_HZ)
    scout[(s_lags >= n_lo - half) & (s_lags <= n_hi + half)] = 0.0  # measured finely anyway
    spans = [(n_lo, n_hi)] if n_lo <= n_hi else []
    for _ in range(SCOUT_CANDIDATES):
        k = int(np.argmax(scout))
        if scout[k] <= 0:
            break
        c = int(s_lags[k])
        spans.append((max(lo, c - half), min(hi, c + half)))
        scout[np.abs(s_lags - c) <= 4 * half] = 0.0
    spans.sort()
    pieces, lags_out, exclusion = [], [], 0
    gap = np.zeros(1, dtype=np.float32)
    for a, b in spans:
        curve, plain, exclusion = _coarse_curve(
            ref.coarse, oth.coarse, lo=a, hi=b, max_chunks=max_chunks
        )
        pieces.append((curve, plain))
        lags_out.append(np.arange(a, b + 1))
    # One zero between pieces, at the lag just past each piece, keeps lobes from joining.
    curve = np.concatenate([x for c, _ in pieces for x in (c, gap)])[:-1]
    plain = np.concatenate([x for _, p in pieces for x in (p, gap)])[:-1]
    lags = np.concatenate([x for lg in lags_out for x in (lg, lg[-1:] + 1)])[:-1]
    return lags, curve, plain, exclusion


def _pooled_envelope(env: NDArray[np.float32], factor: int) -> NDArray[np.float32]:
    """The scout envelope averaged over ``factor`` frames (mean removed again)."""
    n = env.size // factor
    pooled = env[: n * factor].reshape(n, factor).mean(axis=1, dtype=np.float64)
    return (pooled - pooled.mean()).astype(np.float32)


def pool_curve(
    x: NDArray[np.floating],
    values: NDArray[np.floating],
    *,
    how: str = "max",
    max_points: int = CURVE_POINTS,
) -> Curve:
    """Shrink a curve to at most ``max_points`` by pooling equal blocks of consecutive points.

    Parameters
    ----------
    x, values : ndarray [shape=(n,)]
        The abscissa (lag or time, seconds) and the curve.
    how : {"max", "mean"}
        ``"max"`` keeps each block's largest ``|values|`` (a correlation peak stays visible);
        ``"mean"`` averages ``values`` (a motion-energy series keeps its level).

    Returns
    -------
    (x, values) : float32 arrays [shape=(min(n, max_points),)]
        ``x`` at each block's centre (the mean of its ``x``).
    """
    if how not in ("max", "mean"):
        raise ParameterError(f"how must be 'max' or 'mean', got {how!r}")
    x, values = np.asarray(x, dtype=np.float64), np.asarray(values, dtype=np.float64)
    if how == "max":
        values = np.abs(values)
    block = max(1, -(-values.size // max_points))
    if block == 1:
        return x.astype(np.float32), values.astype(np.float32)
    pad = -values.size % block  # the last block is shorter: pad with NaN and ignore it
    xs = np.pad(x, (0, pad), constant_values=np.nan).reshape(-1, block)
    vs = np.pad(values, (0, pad), constant_values=np.nan).reshape(-1, block)
    pooled = np.nanmax(vs, axis=1) if how == "max" else np.nanmean(vs, axis=1)
    return np.nanmean(xs, axis=1).astype(np.float32), pooled.astype(np.float32)


def _overlap_s(lag_s: float, ref_s: float, oth_s: float) -> float:
    return max(0.0, min(ref_s, lag_s + oth_s) - max(0.0, lag_s))


def _refine(
    ref: NDArray[np.float32],
    oth: NDArray[np.float32],
    *,
    lag: int,
    start: int,
    length: int,
    pad: int,
    rate_hz: float,
) -> tuple[float, float]:
    """Refine an integer lag on ``ref[start:start+length]``; return (lag_samples, confidence)."""
    start = max(0, start)
    a_end = min(ref.size, start + length)
    b0 = max(0, start - lag - pad)
    b1 = min(oth.size, a_end - lag + pad)
    if a_end - start < rate_hz * 0.5 or b1 - b0 < rate_hz * 0.5:
        return float("nan"), 0.0
    seg_r, seg_o = ref[start:a_end], oth[b0:b1]
    centre = lag - start + b0  # expected peak in the segments' own lag axis
    corr = correlate_window(
        seg_r,
        seg_o,
        min_lag=centre - pad,
        max_lag=centre + pad,
        beta=1.0,
        band_fraction=(_BAND[0] / (rate_hz / 2), _BAND[1]),
    )
    stats = peak_statistics(corr.values, exclusion=max(2, int(_EXCLUSION_S * rate_hz)))
    frac = refine_peak(corr.values, stats.index)
    k = corr.lags[0] + frac
    return float(k + start - b0), confidence_from_stats(stats)


def _coherence(
    ref: NDArray[np.float32],
    oth: NDArray[np.float32],
    *,
    lag_s: float,
    drift_ppm: float | None,
    rate: int,
) -> float:
    """How much of the sound agrees at the lag: median over short windows of the PHAT peak.

    In ``COHERENCE_WINDOWS`` windows of ``COHERENCE_WINDOW_S`` spread over the overlap, the
    GCC-PHAT value at the best lag within +-5 ms of the expected one (offset plus drift), divided
    by its value for identical signals: the band-averaged cosine of the phase difference, 1 when
    everything in the band matches, ~0.01-0.05 for unrelated sound. A clip that shares only the
    background music (the same song at another moment) matches on the music's bins alone and
    scores far lower than a camera hearing the same room.
    """
    lag0 = lag_s * rate
    scale = 1.0 + (drift_ppm or 0.0) * 1e-6
    win = int(COHERENCE_WINDOW_S * rate)
    pad = int(0.005 * rate)
    u0, u1 = max(0.0, -lag0), min(oth.size, (ref.size - lag0) / scale)  # other's own samples
    if u1 - u0 < win + 2 * pad:
        return 0.0
    band = (_BAND[0] / (rate / 2), _BAND[1])
    values = []
    for u in np.linspace(u0 + pad, u1 - win - pad, COHERENCE_WINDOWS):
        b0 = int(u)
        a0 = int(round(lag0 + u * scale)) - pad
        seg_r = ref[max(0, a0) : a0 + win + 2 * pad]
        seg_o = oth[b0 : b0 + win]
        if seg_r.size < win or seg_o.size < win:
            continue
        shift = a0 - max(0, a0)
        corr = correlate_window(
            seg_r, seg_o, min_lag=shift, max_lag=shift + 2 * pad, band_fraction=band
        )
        nfft = scipy.fft.next_fast_len(seg_r.size + seg_o.size, real=True)
        n_bins = nfft // 2 + 1
        kept = int(np.ceil(band[1] * n_bins)) - int(band[0] * n_bins)
        values.append(float(np.max(np.abs(corr.values))) * nfft / (2.0 * kept))
    return float(np.median(values)) if values else 0.0


def estimate_audio_lag(
    reference: AudioTrack | PreparedAudio,
    other: AudioTrack | PreparedAudio,
    *,
    max_lag_s: float | None = None,
    min_overlap_s: float | None = None,
    estimate_drift: bool = True,
) -> LagEstimate:
    """Estimate where ``other``'s t=0 falls on ``reference``'s timeline, from the sound.

    Parameters
    ----------
    reference, other : AudioTrack or PreparedAudio
        Mono float32 tracks at the same ``sample_rate_hz`` (``samples[0]`` at file time 0);
        pass :func:`prepare_audio` results to avoid redoing the per-track work for every pair.
    max_lag_s : float or None
        Largest |lag| searched, seconds; ``None`` searches the whole possible overlap.
    min_overlap_s : float, optional
        Shortest overlap accepted; default 25 % of the shorter clip (at least 1 s, at most
        ``MIN_OVERLAP_CAP_S``).

    Returns
    -------
    LagEstimate
        ``lag_s`` (positive: other started later), confidence in [0, 1], peak statistics,
        overlap in seconds and ``drift_ppm`` (``None`` when the overlap is too short), with
        ``drift_points``: the drift fit's windows ``(time in reference s, lag s)``.

    Raises
    ------
    ParameterError
        Different sample rates.
    ClipTooShort, SilentAudio
        See :func:`check_audio`.
    """
    ref_t = reference.track if isinstance(reference, PreparedAudio) else reference
    oth_t = other.track if isinstance(other, PreparedAudio) else other
    if ref_t.sample_rate_hz != oth_t.sample_rate_hz:
        raise ParameterError(
            f"sample rates differ: {ref_t.sample_rate_hz} Hz vs {oth_t.sample_rate_hz} Hz"
        )
    if not isinstance(reference, PreparedAudio):
        reference = prepare_audio(reference, filename="reference")
    if not isinstance(other, PreparedAudio):
        other = prepare_audio(other, filename="other")
    rate = ref_t.sample_rate_hz
    ref, oth = ref_t.samples, oth_t.samples
    ref_s, oth_s = ref.size / rate, oth.size / rate
    if min_overlap_s is None:
        min_overlap_s = max(1.0, min(0.25 * min(ref_s, oth_s), MIN_OVERLAP_CAP_S))
    min_overlap_s = min(min_overlap_s, min(ref_s, oth_s))

    # 1. Coarse search over the whole allowed window.
    factor = rate // COARSE_RATE_HZ
    ref_c, oth_c = reference.coarse, other.coarse
    lo, hi = _lag_window(
        ref_c.size,
        oth_c.size,
        rate_hz=COARSE_RATE_HZ,
        max_lag_s=max_lag_s,
        min_overlap_s=min_overlap_s,
    )
    lags, curve, plain, exclusion = _search(reference, other, lo=lo, hi=hi)
    stats = peak_statistics(curve, exclusion=max(exclusion, int(LOBE_S * COARSE_RATE_HZ)))
    coarse_lag = int(lags[stats.index]) * factor
    overlap_s = _overlap_s(coarse_lag / rate, ref_s, oth_s)
    plain_ratio = ambiguity_ratio(
        plain, index=stats.index, exclusion=max(exclusion, int(_AMBIGUITY_S * COARSE_RATE_HZ))
    )
    features = pair_features(stats, overlap_s=overlap_s, plain_ratio=plain_ratio)
    provisional = confidence_from_stats(stats)  # gates the drift fit only

    # 2. Refinement around the coarse lag, in the middle of the overlap.
    ov_start = max(0, coarse_lag)
    ov_len = int(overlap_s * rate)
    win = min(ov_len, int(REFINE_WINDOW_S * rate))
    pad = 4 * factor + int(0.005 * rate)
    lag_fine, _ = _refine(
        ref,
        oth,
        lag=coarse_lag,
        start=ov_start + (ov_len - win) // 2,
        length=win,
        pad=pad,
        rate_hz=rate,
    )
    if not np.isfinite(lag_fine):
        lag_fine = float(coarse_lag)
    lag_s = lag_fine / rate

    # 3. Drift from windows along the overlap.
    drift_ppm: float | None = None
    drift_points: tuple[tuple[float, float], ...] = ()
    if estimate_drift and overlap_s >= DRIFT_MIN_OVERLAP_S and provisional > 0:
        fit = _fit_drift(ref, oth, lag=round(lag_fine), ov_start=ov_start, ov_len=ov_len, rate=rate)
        if fit is not None:
            lag_s, drift_ppm, drift_points = fit
    features["coherence"] = _coherence(ref, oth, lag_s=lag_s, drift_ppm=drift_ppm, rate=rate)
    confidence = calibrated_confidence("audio", features) * repeat_guard(plain_ratio)
    return LagEstimate(
        lag_s=lag_s,
        confidence=confidence,
        peak_z=stats.peak_z,
        margin_z=stats.margin_z,
        overlap_s=overlap_s,
        drift_ppm=drift_ppm,
        curve=pool_curve(lags / COARSE_RATE_HZ, curve),
        drift_points=drift_points,
        features=features,
    )


def _fit_drift(
    ref: NDArray[np.float32],
    oth: NDArray[np.float32],
    *,
    lag: int,
    ov_start: int,
    ov_len: int,
    rate: int,
) -> tuple[float, float, tuple[tuple[float, float], ...]] | None:
    """Fit ``lag(u) = offset + drift * u`` over windows; (offset_s at u=0, drift_ppm, points).

    ``points`` are the windows the fit used, ``(time in reference s, measured lag s)`` in time
    order (the drift plot's dots: against reference time their slope is
    ``drift / (1 + drift)``, within 0.1 ppm of ``drift_ppm`` up to 300 ppm).
    """
    n_win = int(np.clip(ov_len / rate / DRIFT_WINDOW_S, 3, 24))
    win = min(int(DRIFT_WINDOW_S * rate), ov_len // n_win)
    # Allow for the drift itself: up to 300 ppm across the overlap, plus a little.
    pad = int(0.005 * rate + 300e-6 * ov_len)
    starts = ov_start + np.linspace(0, ov_len - win, n_win).astype(int)
    u, lags, t_ref = [], [], []
    for s in starts:
        k, conf = _refine(ref, oth, lag=lag, start=int(s), length=win, pad=pad, rate_hz=rate)
        if np.isfinite(k) and conf >= 0.2:
            centre_ref = s + win / 2
            u.append((centre_ref - k) / rate)  # window centre in other's own time
            lags.append(k / rate)
            t_ref.append(centre_ref / rate)
    if len(u) < 3:
        return None
    # Theil-Sen: median of pairwise slopes, robust to a window that locked onto an echo.
    x, y = np.asarray(u), np.asarray(lags)
    i, j = np.triu_indices(x.size, k=1)
    slope = float(np.median((y[j] - y[i]) / (x[j] - x[i])))
    intercept = float(np.median(y - slope * x))
    points = tuple((float(t), float(lag)) for t, lag in zip(t_ref, lags, strict=True))
    return intercept, slope * 1e6, points
