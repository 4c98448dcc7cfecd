"""Region-against-region correlation of two motion series, combined into one consensus curve.

Conventions
-----------
Columns are prepared series (zero mean, robust unit scale) on one grid; a curve over lags
follows :mod:`syncengine.xcorr` (``c[L] = sum_n a[n + L] * b[n]``). Every region of one camera is
correlated with every region of the other, because two viewpoints do not map cell to cell: a
zoomed, rolled or portrait view sees the same event in another cell, or across several.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.fft
from numpy.typing import NDArray
from scipy.ndimage import median_filter

__all__ = ["consensus_curve", "prepare_columns"]

_SOFT_LIMIT = 2.0
_SCALE_FLOOR = 1e-3
#: Columns whose prepared energy is below this fraction of the clip's median column carry no
#: information (a cell that never sees anything move) and are left out.
_DEAD_FRACTION = 1e-3
_MAX_SIGMA_SAMPLES = 4096


def prepare_columns(
    x: NDArray[np.floating], *, rate_hz: float, highpass_s: float, signed: bool = False
) -> NDArray[np.float32]:
    """Normalise each column of ``x`` [shape=(n, k)] for correlation across cameras.

    Unsigned (motion energy): ``log1p(v / level)`` with ``level`` the column's median (its mean
    when the median is 0). Signed (brightness change): the values as they are. Then, per column,
    a moving-median high-pass of ``highpass_s``, division by a robust scale
    ``max(1.4826 * MAD, 0.5 * RMS, 1e-3)`` (the RMS term keeps a column that is still most of
    the time from blowing its rare events up to the soft limit), a soft limit ``2 * tanh(x /
    2)`` and removal of the mean.
    """
    v = np.asarray(x, dtype=np.float64)
    if not signed:
        v = np.maximum(v, 0.0)
        level = np.median(v, axis=0)
        fallback = v.mean(axis=0)
        level = np.where(level > 0, level, np.where(fallback > 0, fallback, 1.0))
        v = np.log1p(v / level)
    width = max(3, int(round(highpass_s * rate_hz)) | 1)
    v = v - median_filter(v, size=(width, 1), mode="nearest")
    mad = np.median(np.abs(v - np.median(v, axis=0)), axis=0)
    rms = np.sqrt(np.mean(v * v, axis=0))
    scale = np.maximum(np.maximum(1.4826 * mad, 0.5 * rms), _SCALE_FLOOR)
    v = _SOFT_LIMIT * np.tanh(v / (scale * _SOFT_LIMIT))
    return (v - v.mean(axis=0)).astype(np.float32)


def _spectra(x: NDArray[np.float32], nfft: int, beta: float, band: int) -> NDArray[np.complex64]:
    """Column spectra over ``|X| ** beta`` (a product is then tempered-whitened), band-limited."""
    spec = scipy.fft.rfft(x, nfft, axis=0).astype(np.complex64)
    mag = np.abs(spec)
    floor = 1e-6 * mag.max(axis=0, keepdims=True) + 1e-12
    spec /= np.power(np.maximum(mag, floor), np.float32(beta))
    spec[band:] = 0
    spec[0] = 0
    return spec


def _live(x: NDArray[np.float32]) -> NDArray[np.bool_]:
    energy = np.mean(x.astype(np.float64) ** 2, axis=0)
    ref = float(np.median(energy)) if energy.size else 0.0
    return energy > max(_DEAD_FRACTION * ref, 1e-8)


def consensus_curve(
    ref_cols: NDArray[np.float32],
    other_cols: NDArray[np.float32],
    *,
    lags: NDArray[np.int64],
    beta: float,
    band_fraction: float,
    extra: Sequence[tuple[NDArray[np.float32], NDArray[np.float32], float]] = (),
    top: int | None = None,
) -> tuple[NDArray[np.float64], dict[str, float]]:
    """Combine the correlations of every column of ``ref_cols`` with every column of ``other_cols``.

    Each pair's curve (tempered-whitened correlation divided by ``sqrt(overlap)`` at each lag, so
    that noise has one scale at every lag and a lag that shares little of the clips has less
    evidence) is put in robust standard deviations of itself (``z = (c - med) / (1.4826 * MAD)``).
    The consensus is ``sum(w * z) / sqrt(sum(w ** 2))`` over the ``top`` region pairs with the
    highest peaks (all when None) and every ``extra`` pair ``(a, b, weight)`` of 1-D series (the
    whole-frame and brightness series), so at the true lag the pairs that see the same motion add
    up while elsewhere their unrelated peaks do not. Only ``top`` curves are held at a time.

    Returns
    -------
    (curve, info)
        ``curve`` [shape=(len(lags),)] float64; ``info`` holds ``pairs`` (region pairs
        correlated), ``kept`` (pairs summed) and ``agreeing`` (region pairs whose own peak, at
        least 4 robust sigmas, lies within 2 samples of the consensus peak) and
        ``kept_agreeing`` (the fraction of the ``top`` kept region pairs whose own peak lies
        within 2 samples of the consensus peak; 0 when ``top`` is None).
    """
    n, m = ref_cols.shape[0], other_cols.shape[0]
    nfft = scipy.fft.next_fast_len(n + m, real=True)
    band = max(2, int(np.ceil(band_fraction * (nfft // 2 + 1))))
    overlap = (np.minimum(m, n - lags) - np.maximum(0, -lags)).astype(np.float64)
    norm = np.sqrt(np.maximum(overlap, 1.0)).astype(np.float32)
    step = max(1, lags.size // _MAX_SIGMA_SAMPLES)
    idx = lags % nfft

    def zscores(block: NDArray[np.float32]) -> NDArray[np.float32]:
        block = block[:, idx] / norm
        sample = block[:, ::step]
        med = np.median(sample, axis=1, keepdims=True)
        sigma = 1.4826 * np.median(np.abs(sample - med), axis=1, keepdims=True) + 1e-12
        return ((block - med) / sigma).astype(np.float32)

    total = np.zeros(lags.size, dtype=np.float64)
    weight_sq = 0.0
    kept: NDArray[np.float32] | None = None  # the best region pairs so far (when top is set)
    peaks: list[NDArray[np.float32]] = []
    where: list[NDArray[np.int64]] = []
    a = ref_cols[:, _live(ref_cols)]
    b = other_cols[:, _live(other_cols)]
    if a.shape[1] and b.shape[1]:
        fa = _spectra(a, nfft, beta, band)
        fb = np.conj(_spectra(b, nfft, beta, band))
        for i in range(fa.shape[1]):
            z = zscores(scipy.fft.irfft(fa[:, i : i + 1] * fb, nfft, axis=0).T)
            peaks.append(z.max(axis=1))
            where.append(np.argmax(z, axis=1))
            if top is None:
                total += z.sum(axis=0)
                weight_sq += z.shape[0]
                continue
            kept = z if kept is None else np.concatenate([kept, z])
            if kept.shape[0] > top:
                kept = kept[np.argsort(kept.max(axis=1))[-top:]]
        del fa, fb
    if kept is not None:
        total += kept.sum(axis=0)
        weight_sq += kept.shape[0]
    n_kept = int(weight_sq)
    for x, y, weight in extra:
        if not (_live(x[:, None])[0] and _live(y[:, None])[0]):
            continue
        fx = _spectra(x[:, None], nfft, beta, band)
        fy = np.conj(_spectra(y[:, None], nfft, beta, band))
        total += weight * zscores(scipy.fft.irfft(fx * fy, nfft, axis=0).T)[0]
        weight_sq += weight * weight
        n_kept += 1
    if weight_sq == 0:
        return total, {"pairs": 0.0, "kept": 0.0, "agreeing": 0.0, "kept_agreeing": 0.0}
    curve = total / np.sqrt(weight_sq)
    best = int(np.argmax(curve))
    near = 0.0 if kept is None else float(np.mean(np.abs(np.argmax(kept, axis=1) - best) <= 2))
    agreeing = 0
    if peaks:
        all_peaks, all_where = np.concatenate(peaks), np.concatenate(where)
        agreeing = int(np.sum((all_peaks >= 4.0) & (np.abs(all_where - best) <= 2)))
    pairs = float(sum(p.size for p in peaks))
    return curve, {
        "pairs": pairs,
        "kept": float(n_kept),
        "agreeing": float(agreeing),
        "kept_agreeing": near,
    }
