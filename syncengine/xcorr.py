"""Whitened FFT cross-correlation over a lag window, and sub-sample peak interpolation.

Conventions
-----------
``correlate_window(reference, other, ...)`` returns ``corr[k]`` for integer lags ``lags[k]`` with
``corr[k] = sum_n reference[n + lags[k]] * other[n]`` (after whitening), i.e. scipy's
``correlate(reference, other)`` convention: the peak lag is where ``other``'s t=0 falls on the
reference's sample axis, positive when ``other`` started later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft
from numpy.typing import NDArray

from syncengine.errors import ParameterError

__all__ = ["Correlation", "correlate_window", "refine_peak", "whiten_spectrum"]


@dataclass(frozen=True)
class Correlation:
    values: NDArray[np.float32]  # [shape=(n_lags,)]
    lags: NDArray[np.int64]  # [shape=(n_lags,)], in samples
    # Unwhitened correlation divided by the overlap (samples) at each lag, when asked for:
    # whitening flattens a line spectrum, which hides that periodic content is ambiguous.
    plain: NDArray[np.float32] | None = None


def _check_1d(name: str, x: NDArray[np.floating]) -> None:
    if not isinstance(x, np.ndarray) or x.ndim != 1:
        raise ParameterError(f"{name} must be a 1-D ndarray, got {type(x).__name__}")
    if not np.all(np.isfinite(x)):
        raise ParameterError(f"{name} contains NaN or infinite values")


def whiten_spectrum(
    spectrum: NDArray[np.complex64], *, beta: float, band: tuple[int, int] | None = None
) -> NDArray[np.complex64]:
    """Divide a spectrum by ``|X| ** beta`` (``beta=1``: pure phase, GCC-PHAT) and band-limit it.

    ``band`` is a pair of bin indices ``[lo, hi)`` to keep; bins outside are zeroed.
    """
    mag = np.abs(spectrum)
    floor = np.float32(1e-6 * (float(mag.max()) if mag.size else 0.0) + 1e-12)
    out = spectrum / np.power(np.maximum(mag, floor), np.float32(beta))
    if band is not None:
        lo, hi = band
        out[:lo] = 0
        out[hi:] = 0
    return out.astype(np.complex64, copy=False)


def correlate_window(
    reference: NDArray[np.float32],
    other: NDArray[np.float32],
    *,
    min_lag: int,
    max_lag: int,
    beta: float = 1.0,
    band_fraction: tuple[float, float] = (0.0, 1.0),
    plain_band_fraction: tuple[float, float] | None = None,
) -> Correlation:
    """Whitened cross-correlation of two 1-D signals for integer lags in ``[min_lag, max_lag]``.

    Parameters
    ----------
    reference, other : ndarray [shape=(n,)], [shape=(m,)]
    min_lag, max_lag : int
        Lag window in samples (clipped to the lags where the signals overlap).
    beta : float
        Whitening exponent: 1 is GCC-PHAT, 0 is plain correlation, in between is "tempered".
    band_fraction : (float, float)
        Frequency band kept, as fractions of Nyquist.
    plain_band_fraction : (float, float), optional
        Also return the unwhitened correlation in this band, normalised by the overlap length
        at each lag (``Correlation.plain``).
    """
    _check_1d("reference", reference)
    _check_1d("other", other)
    n, m = reference.size, other.size
    min_lag = max(min_lag, -(m - 1))
    max_lag = min(max_lag, n - 1)
    if min_lag > max_lag:
        raise ParameterError(f"empty lag window [{min_lag}, {max_lag}] for lengths {n} and {m}")
    nfft = scipy.fft.next_fast_len(n + m, real=True)
    ref_spec = scipy.fft.rfft(reference.astype(np.float32, copy=False), nfft)
    oth_spec = scipy.fft.rfft(other.astype(np.float32, copy=False), nfft)
    n_bins = ref_spec.size
    band = (int(band_fraction[0] * n_bins), max(1, int(np.ceil(band_fraction[1] * n_bins))))
    cross = ref_spec * np.conj(oth_spec)
    del ref_spec, oth_spec
    lags = np.arange(min_lag, max_lag + 1, dtype=np.int64)
    plain = None
    if plain_band_fraction is not None:
        lo, hi = int(plain_band_fraction[0] * n_bins), int(plain_band_fraction[1] * n_bins)
        limited = cross.copy()
        limited[:lo] = 0
        limited[hi:] = 0
        # Lags where the signals barely touch would divide a few products by a tiny count:
        # count at least half the shorter signal, so edges cannot outshine a real match.
        overlap = np.maximum(np.minimum(n, lags + m) - np.maximum(0, lags), min(n, m) // 2)
        plain_full = scipy.fft.irfft(limited, nfft)
        plain = (plain_full[lags % nfft] / np.maximum(overlap, 1)).astype(np.float32)
        del limited, plain_full
    cross = whiten_spectrum(cross, beta=beta, band=band)
    full = scipy.fft.irfft(cross, nfft).astype(np.float32, copy=False)
    return Correlation(values=full[lags % nfft], lags=lags, plain=plain)


def refine_peak(values: NDArray[np.floating], index: int, *, half_width: int = 8) -> float:
    """Sub-sample position of the peak of ``|values|`` near ``index``.

    Band-limited (windowed-sinc) interpolation of the samples around the peak, evaluated on a
    1/64-sample grid, followed by a parabola through the three best grid points.

    Returns
    -------
    float
        Fractional index (same units as ``index``).
    """
    lo = max(0, index - half_width)
    hi = min(values.size, index + half_width + 1)
    seg = np.asarray(values[lo:hi], dtype=np.float64)
    if seg.size < 3:
        return float(index)
    sign = 1.0 if values[index] >= 0 else -1.0
    seg = seg * sign
    pos = np.arange(lo, hi, dtype=np.float64)
    fine = np.linspace(index - 1.0, index + 1.0, 129)
    dist = fine[:, None] - pos[None, :]
    window = 0.5 + 0.5 * np.cos(np.pi * np.clip(dist / (half_width + 1), -1, 1))
    interp = (np.sinc(dist) * window) @ seg
    k = int(np.argmax(interp))
    if 0 < k < fine.size - 1:
        y0, y1, y2 = interp[k - 1 : k + 2]
        denom = y0 - 2 * y1 + y2
        shift = 0.5 * (y0 - y2) / denom if denom != 0 else 0.0
        return float(fine[k] + shift * (fine[1] - fine[0]))
    return float(fine[k])
