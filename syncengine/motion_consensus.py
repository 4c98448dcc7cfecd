"""Region-against-region correlation of two motion series, combined into one consensus curve.

Conventions
-----------
Columns are prepared series (zero mean, robust unit scale) on one grid; a curve over lags
follows :mod:`syncengine.xcorr` (``c[L] = sum_n a[n + L] * b[n]``). Every region of one camera is
correlated with every region of the other, because two viewpoints do not map cell to cell: a
zoomed, rolled or portrait view sees the same event in another cell, or across several.
"""

from __future__ import annotations

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
OVERLAP_POWER = 0.5


def prepare_columns(
    x: NDArray[np.floating], *, rate_hz: float, highpass_s: float, signed: bool = False
) -> NDArray[np.float32]:
    """Normalise each column of ``x`` [shape=(n, k)] for correlation across cameras.

    Unsigned (motion energy): ``log1p(v / level)`` with ``level`` the column's median (its mean
    when the median is 0). Signed (brightness change): the values as they are. Then, per column,
    a moving-median high-pass of ``highpass_s``, division by a robust scale
    ``max(1.4826 * MAD, 0.5 * RMS, 1e-3)`` (the RMS term keeps a column that is still most of
    the time from blowing its rare events up to the soft limit), a soft limit
    ``2 * tanh(x / 2)`` and removal of the mean.
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
    extra: list[tuple[NDArray[np.float32], NDArray[np.float32], float]] = (),  # type: ignore[assignment]
    top: int | None = None,
) -> tuple[NDArray[np.float64], dict[str, float]]:
    """Combine the correlations of every column of ``ref_cols`` with every column of ``other_cols``.

    Each pair's curve (tempered-whitened correlation divided by the overlap at each lag) is put in
    robust standard deviations of itself (``z = c / (1.4826 * MAD(c))``); the consensus is
    ``sum(w * z) / sqrt(sum(w ** 2))`` over the kept pairs, so at the true lag the pairs that see
    the same motion add up while elsewhere their unrelated peaks average out. ``top`` keeps only
    the pairs with the highest peaks (all when None). ``extra`` adds ``(a, b, weight)`` pairs of
    1-D series (the whole-frame and brightness series).

    Returns
    -------
    (curve, info)
        ``curve`` [shape=(len(lags),)] float64; ``info`` holds ``pairs`` (pairs used) and
        ``agreeing`` (pairs whose own peak, at least 4 robust sigmas, lies within 2 samples of
        the consensus peak).
    """
    n, m = ref_cols.shape[0], other_cols.shape[0]
    nfft = scipy.fft.next_fast_len(n + m, real=True)
    n_bins = nfft // 2 + 1
    band = max(2, int(np.ceil(band_fraction * n_bins)))
    overlap = (np.minimum(m, n - lags) - np.maximum(0, -lags)).astype(np.float64)
    norm = np.power(np.maximum(overlap, 1.0), OVERLAP_POWER).astype(np.float32)
    step = max(1, lags.size // _MAX_SIGMA_SAMPLES)
    idx = lags % nfft
    curves: list[NDArray[np.float32]] = []
    weights: list[float] = []

    def add(block: NDArray[np.float32], weight: float) -> None:
        block = block[:, idx] / norm
        sample = block[:, ::step]
        med = np.median(sample, axis=1, keepdims=True)
        sigma = 1.4826 * np.median(np.abs(sample - med), axis=1, keepdims=True) + 1e-12
        z = (block - med) / sigma
        curves.extend(z)
        weights.extend([weight] * z.shape[0])

    a = ref_cols[:, _live(ref_cols)]
    b = other_cols[:, _live(other_cols)]
    if a.shape[1] and b.shape[1]:
        fa = _spectra(a, nfft, beta, band)
        fb = np.conj(_spectra(b, nfft, beta, band))
        for i in range(fa.shape[1]):
            cross = fa[:, i : i + 1] * fb
            add(scipy.fft.irfft(cross, nfft, axis=0).T.astype(np.float32), 1.0)
    n_extra = len(curves)
    for x, y, weight in extra:
        if not (_live(x[:, None])[0] and _live(y[:, None])[0]):
            continue
        fx = _spectra(x[:, None], nfft, beta, band)
        fy = np.conj(_spectra(y[:, None], nfft, beta, band))
        add(scipy.fft.irfft(fx * fy, nfft, axis=0).T.astype(np.float32), weight)
    n_extra = len(curves) - n_extra
    if not curves:
        return np.zeros(lags.size), {"pairs": 0.0, "agreeing": 0.0}
    z = np.stack(curves).astype(np.float64)
    w = np.asarray(weights, dtype=np.float64)
    peaks = z.max(axis=1)
    n_cells = len(curves) - n_extra
    if top is not None and top < n_cells:  # the extra pairs always count
        keep = np.concatenate([np.argsort(peaks[:n_cells])[-top:], np.arange(n_cells, len(w))])
        z, w, peaks = z[keep], w[keep], peaks[keep]
    curve = (w @ z) / np.sqrt(float(np.sum(w * w)))
    best = int(np.argmax(curve))
    agreeing = int(np.sum((peaks >= 4.0) & (np.abs(np.argmax(z, axis=1) - best) <= 2)))
    return curve, {"pairs": float(z.shape[0]), "agreeing": float(agreeing)}
