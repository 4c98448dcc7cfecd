"""Visual sync: motion energy per video, and the lag between two videos by cross-correlation.

Each frame pair gives the motion of the whole picture, of each cell of a 4 x 4 grid with the
camera's own shake removed (:mod:`syncengine.motion_frame`), and the change of brightness; two
videos are matched region against region (:mod:`syncengine.motion_consensus`), since two
viewpoints do not see the same thing in the same place.

Conventions
-----------
- Frames come in as ``(time_s, gray)`` pairs in presentation order, ``time_s`` in seconds of
  file time (the container start is 0) and ``gray`` a 2-D ``uint8`` luma image. This module does
  no I/O: :func:`syncengine.media.iter_gray_frames` is the usual source.
- A :class:`~syncengine.types.MotionSeries` is in gray levels per second on a uniform grid of
  ``rate_hz`` starting at file time 0, so 25, 29.97, 30 and 60 fps and variable frame rates all
  land on one time base.
- Lags follow :mod:`syncengine.xcorr`: ``lag_s`` is the time on ``reference``'s timeline at which
  ``other``'s t=0 happens, positive when ``other`` started later. This matches
  ``lags[argmax(correlate(ref, other))]``.
"""

from __future__ import annotations

import math
import numbers
import weakref
from collections.abc import Callable, Iterable

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import median_filter

from syncengine.audio import pool_curve
from syncengine.confidence import calibrated_confidence, pair_features, peak_statistics
from syncengine.errors import ClipTooShort, ParameterError, StaticPicture
from syncengine.motion_consensus import consensus_curve, prepare_columns
from syncengine.motion_frame import NOISE_LEVEL, FramePairMeter
from syncengine.types import LagEstimate, MotionSeries
from syncengine.xcorr import refine_peak

__all__ = ["NOISE_LEVEL", "estimate_visual_lag", "motion_series", "prepare_motion"]

MIN_FRAMES = 10
MIN_DURATION_S = 1.0
#: ``change`` between two frames (gray levels, 0-255) below which nothing moved; a still picture
#: through H.264 measures < 0.05, the slowest synthetic scenes > 0.05 in 90 % of frame pairs.
STATIC_LEVEL = 0.25
#: Whitening exponent of the correlation (0: plain, 1: GCC-PHAT); see estimate_visual_lag.
BETA = 0.5
_HIGHPASS_S = 0.5
_SOFT_LIMIT = 2.0
_SCALE_FLOOR = 1e-3  # log units; only guards against a constant series
_MIN_OVERLAP_S = 2.0
_MIN_OVERLAP_FRACTION = 0.3
_PROGRESS_STEP = 0.02
#: Cell pairs summed in the consensus (those with the highest peaks); None sums them all.
#: On benchmarks/bench_visual (one series set) 8 placed 22 of 24 hard pairs, 16 placed 18-20,
#: all of them 6-7: with every pair summed the few that see the same motion drown.
TOP_PAIRS: int | None = 8
#: Weight of the whole-frame and of the brightness pair against one cell pair's.
EXTRA_WEIGHT = 2.0


def motion_series(
    frames: Iterable[tuple[float, NDArray[np.uint8]]],
    *,
    rate_hz: float = 100.0,
    duration_s: float | None = None,
    progress: Callable[[float], None] | None = None,
    filename: str = "clip",
) -> MotionSeries:
    """Motion energy of a stream of frames, resampled onto a uniform time grid.

    For each pair of consecutive frames, :class:`syncengine.motion_frame.FramePairMeter` first
    shifts ``prev`` onto ``cur`` by the camera's own global shift (shake, a slow pan), when most
    of the picture agrees on one; then with ``d = cur - shifted(prev)`` and
    ``m = mean(cur) - mean(prev)`` (gray levels)::

        excess = max(|d - m| - NOISE_LEVEL, 0)
        change = mean(excess) + |m|,     value = change / dt
        cells  = mean of excess over each cell of a 4 x 4 grid, / dt   -> regions
        m / dt                                                         -> brightness

    The first term of ``change`` is local motion with the global brightness change removed;
    pixel changes below :data:`NOISE_LEVEL` (2 gray levels) are treated as noise, which also
    silences the re-quantisation of the whole picture at every keyframe (otherwise a clock
    ticking at the same rate in every camera). The second term is the global brightness change,
    so a light switch or a camera flash counts as an event too. Dividing by the frame interval
    ``dt`` makes 25, 30 and 60 fps cameras and variable frame rates comparable. Each value is
    stamped at the midpoint of the two frames' real timestamps, then linearly interpolated onto
    ``k / rate_hz``, ``k = 0, 1, ...`` up to the last midpoint; grid points before the first
    midpoint take the first value.

    Only the previous frame is held, so memory does not grow with the clip's length.

    Parameters
    ----------
    frames : iterable of (float, ndarray [shape=(height, width)], uint8)
        Frames in presentation order with their timestamps in seconds of file time. Frames whose
        timestamp does not increase (duplicated timestamps) are skipped.
    rate_hz : float
        Rate of the output grid, Hz. 100 Hz resolves a 60 fps camera's frame intervals.
    duration_s : float, optional
        Expected duration in seconds; enables ``progress``.
    progress : callable(float), optional
        Called with the fraction done in [0, 1] every few percent when ``duration_s`` is given.
    filename : str
        Name used in error messages.

    Returns
    -------
    MotionSeries
        ``values`` [shape=(n,)] float32 in gray levels per second, ``regions`` [shape=(n, 16)]
        and ``brightness`` [shape=(n,)] on the same grid, ``start_s = 0``, ``fps`` the
        median frame rate and ``frame_count`` the number of frames used.

    Raises
    ------
    ParameterError
        ``rate_hz`` or ``duration_s`` not positive and finite; a frame that is not a 2-D array,
        changes shape, or has a non-finite timestamp.
    ClipTooShort
        Fewer than 10 frames or less than 1 s of picture.
    StaticPicture
        No frame pair's ``change`` reaches :data:`STATIC_LEVEL` gray levels: nothing moves and
        the brightness never changes.
    """
    _check_positive("rate_hz", rate_hz)
    if duration_s is not None:
        _check_positive("duration_s", duration_s)
    times_s: list[float] = []
    rows: list[NDArray[np.float32]] = []  # per frame pair: [local + |m|, m, cells...] per second
    peak_change = 0.0
    prev: NDArray[np.float32] | None = None
    meter: FramePairMeter | None = None
    prev_t = -math.inf
    next_report = 0.0
    for t_s, gray in frames:
        t_s = float(t_s)
        if not math.isfinite(t_s):
            raise ParameterError(f"frame timestamp must be finite, got {t_s}")
        if not isinstance(gray, np.ndarray) or gray.ndim != 2 or gray.size == 0:
            shape = getattr(gray, "shape", type(gray).__name__)
            raise ParameterError(f"frames must be non-empty 2-D gray images, got shape {shape}")
        if t_s <= prev_t:
            continue
        cur = gray.astype(np.float32)
        if prev is not None:
            if cur.shape != prev.shape:
                raise ParameterError(f"frame size changed from {prev.shape} to {cur.shape}")
            if meter is None:
                meter = FramePairMeter(cur.shape)
            local, mean_change, cells = meter.measure(prev, cur)
            change = local + abs(mean_change)
            peak_change = max(peak_change, change)
            times_s.append(0.5 * (prev_t + t_s))
            row = np.empty(2 + cells.size, dtype=np.float32)
            row[0], row[1], row[2:] = change, mean_change, cells
            rows.append(row / np.float32(t_s - prev_t))
        prev, prev_t = cur, t_s
        if progress is not None and duration_s is not None and t_s / duration_s >= next_report:
            progress(min(1.0, t_s / duration_s))
            next_report = t_s / duration_s + _PROGRESS_STEP
    return _finish(
        times_s,
        rows,
        peak_change,
        rate_hz=rate_hz,
        filename=filename,
        progress=progress if duration_s is not None else None,
    )


def _finish(
    times_s: list[float],
    rows: list[NDArray[np.float32]],
    peak_change: float,
    *,
    rate_hz: float,
    filename: str,
    progress: Callable[[float], None] | None,
) -> MotionSeries:
    """Check the collected pairs and resample them onto the grid."""
    n_frames = len(times_s) + 1 if times_s else 0
    mid = np.asarray(times_s, dtype=np.float64)
    frame_dt_s = float(np.median(np.diff(mid))) if mid.size > 1 else 0.0
    # span of the frames' timestamps plus one frame's display time
    shown_s = float(mid[-1] - mid[0]) + 2 * frame_dt_s if mid.size > 1 else 0.0
    if n_frames < MIN_FRAMES or shown_s < MIN_DURATION_S - 1e-6:
        raise ClipTooShort(
            f"'{filename}' has only {n_frames} frames ({shown_s:.2f} s) of picture; visual sync "
            f"needs at least {MIN_FRAMES} frames and {MIN_DURATION_S:g} s. Try audio sync.",
            filename=filename,
            frame_count=n_frames,
            duration_s=shown_s,
        )
    if peak_change < STATIC_LEVEL:
        raise StaticPicture(
            f"'{filename}' shows a still picture (nothing moves or changes brightness), so "
            "visual sync is unavailable. Try audio sync.",
            filename=filename,
            max_change=peak_change,
        )
    n_grid = max(1, math.floor(mid[-1] * rate_hz) + 1)
    grid_s = np.arange(n_grid, dtype=np.float64) / rate_hz
    table = np.stack(rows)
    resampled = np.empty((n_grid, table.shape[1]), dtype=np.float32)
    for k in range(table.shape[1]):
        resampled[:, k] = np.interp(grid_s, mid, table[:, k])
    if progress is not None:
        progress(1.0)
    return MotionSeries(
        values=np.ascontiguousarray(resampled[:, 0]),
        rate_hz=float(rate_hz),
        start_s=0.0,
        fps=1.0 / frame_dt_s,
        frame_count=n_frames,
        regions=np.ascontiguousarray(resampled[:, 2:]),
        brightness=np.ascontiguousarray(resampled[:, 1]),
    )


def prepare_motion(series: MotionSeries) -> NDArray[np.float32]:
    """Normalise a motion series for correlation across viewpoints, exposures and noise.

    1. ``x = log1p(values / level)`` with ``level`` the series' median: a camera that sees the
       scene larger, brighter or noisier gives nearly the same curve up to an offset and a scale.
    2. ``x -= moving_median(x, 0.5 s)``: a high-pass that removes slow trends (pans,
       auto-exposure, the general activity level). A median, unlike a moving average, puts no
       dip around a flash.
    3. ``x /= 1.4826 * MAD(x)`` (robust standard deviation, floored at 1e-3), then
       ``x = c * tanh(x / c)`` with ``c = 2``: a soft limit, so one flash or cut cannot outweigh
       all the motion around it (which would let any two flashes of unrelated clips match);
       finally the mean is removed.

    Parameters
    ----------
    series : MotionSeries

    Returns
    -------
    ndarray [shape=(len(series.values),)], float32
        Zero-mean series in robust standard deviations, soft-limited to about ``±2``; all
        zeros when the series is constant.
    """
    v = np.asarray(series.values, dtype=np.float64)
    if v.ndim != 1 or v.size == 0 or not np.all(np.isfinite(v)):
        raise ParameterError(f"motion values must be a finite non-empty 1-D array, got {v.shape}")
    v = np.maximum(v, 0.0)
    level = float(np.median(v))
    if level <= 0.0:  # mostly still footage with sparse events
        level = float(v.mean()) or 1.0
    x = np.log1p(v / level)
    width = max(3, int(round(_HIGHPASS_S * series.rate_hz)) | 1)
    x = x - median_filter(x, size=width, mode="nearest")
    scale = max(1.4826 * float(np.median(np.abs(x - np.median(x)))), _SCALE_FLOOR)
    x = _SOFT_LIMIT * np.tanh(x / (scale * _SOFT_LIMIT))
    return (x - x.mean()).astype(np.float32)


def estimate_visual_lag(
    reference: MotionSeries,
    other: MotionSeries,
    *,
    max_lag_s: float | None = 20.0,
    min_overlap_s: float | None = None,
) -> LagEstimate:
    """Lag of ``other`` against ``reference`` by a consensus of region-against-region correlations.

    Two cameras see the event from their own viewpoints (zoom, off-centre framing, roll, a
    portrait phone), so cell ``k`` of one is not cell ``k`` of the other. Every cell series of
    ``reference`` (``regions``, prepared like :func:`prepare_motion`, per column) is correlated
    with every cell series of ``other`` (tempered whitening ``beta = 0.5``, band-limited to the
    slower camera's Nyquist rate, divided by ``sqrt(overlap)`` so noise has one scale at every
    lag), each curve in robust sigmas of itself; the :data:`TOP_PAIRS` cell pairs with the highest
    peaks are summed with the whole-frame pair (:func:`prepare_motion` of ``values``) and the
    brightness pair (signed frame-mean change: flashes, light switches), those two with weight
    :data:`EXTRA_WEIGHT` (see :func:`syncengine.motion_consensus.consensus_curve`). Where many
    pairs agree the sum peaks; a strictly periodic motion gives equal peaks one period apart,
    hence a low confidence. Series without ``regions`` use the whole-frame pair alone.

    Parameters
    ----------
    reference, other : MotionSeries
        Same ``rate_hz``.
    max_lag_s : float or None
        Largest ``|lag_s|`` searched, seconds; None searches every lag with enough overlap.
    min_overlap_s : float or None
        Least time both clips must share at a candidate lag, seconds. Default: 30 % of the
        shorter clip, at least 2 s (capped at the shorter clip's length).

    Returns
    -------
    LagEstimate
        ``lag_s`` is the time on ``reference``'s timeline at which ``other``'s t=0 happens:
        positive means ``other`` started later (``lags[argmax(correlate(ref, other))]``),
        refined to a fraction of a sample. ``confidence``, ``peak_z`` and ``margin_z`` come from
        :func:`syncengine.confidence.peak_statistics` with a main lobe of one frame interval of
        the slower camera, mapped by :func:`syncengine.confidence.calibrated_confidence`
        (0 when the strongest extremum is an anti-correlation; ``lag_s`` is then the highest
        positive peak). ``overlap_s`` is the time the clips share at the peak. ``features``
        holds :func:`syncengine.confidence.pair_features` plus ``region_pairs`` (cell pairs
        correlated), ``kept_pairs`` (pairs summed), ``agreeing_pairs`` (cell pairs whose own
        peak, >= 4 sigmas, is within 2 samples of the consensus peak) and ``agreeing_fraction``
        (the share of the kept cell pairs whose own peak is there).

    Raises
    ------
    ParameterError
        Not MotionSeries, different rates, a negative ``max_lag_s``, a non-positive
        ``min_overlap_s``, or no lag within ``max_lag_s`` with enough overlap.
    """
    lags, values, overlap, exclusion, info = _lag_curve(
        reference, other, max_lag_s=max_lag_s, min_overlap_s=min_overlap_s
    )
    stats = peak_statistics(values, exclusion=exclusion)
    index = stats.index
    anti = values[index] <= 0  # anti-correlated motion is no match: report the best positive
    if anti:
        index = int(np.argmax(values))
    lag_samples = lags[0] + refine_peak(values, index)  # lags are consecutive integers
    shift_s = reference.start_s - other.start_s
    overlap_s = float(overlap[index]) / reference.rate_hz
    # "How much agrees at the lag" is, for the picture, the share of cell pairs that peak there.
    features = pair_features(stats, overlap_s=overlap_s, coherence=info["kept_agreeing"])
    features.update(
        region_pairs=info["pairs"],
        kept_pairs=info["kept"],
        agreeing_pairs=info["agreeing"],
        agreeing_fraction=info["kept_agreeing"],
    )
    confidence = 0.0 if anti else calibrated_confidence("visual", features)
    return LagEstimate(
        lag_s=float(lag_samples) / reference.rate_hz + shift_s,
        confidence=confidence,
        peak_z=stats.peak_z,
        margin_z=stats.margin_z,
        overlap_s=overlap_s,
        curve=pool_curve(lags / reference.rate_hz + shift_s, values),
        features=features,
    )


def _lag_curve(
    reference: MotionSeries,
    other: MotionSeries,
    *,
    max_lag_s: float | None,
    min_overlap_s: float | None,
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], int, dict[str, float]]:
    """Consensus curve over the allowed lags: (lags, values, overlap, exclusion, info)."""
    _check_series("reference", reference)
    _check_series("other", other)
    if not math.isclose(reference.rate_hz, other.rate_hz, rel_tol=1e-9):
        raise ParameterError(
            f"motion series have different rates: {reference.rate_hz} Hz and {other.rate_hz} Hz"
        )
    if max_lag_s is not None and not (_is_real(max_lag_s) and max_lag_s >= 0):
        raise ParameterError(f"max_lag_s must be >= 0 or None, got {max_lag_s!r}")
    if min_overlap_s is not None:
        _check_positive("min_overlap_s", min_overlap_s)
    rate_hz = reference.rate_hz
    a, b = prepare_motion(reference), prepare_motion(other)
    n, m = a.size, b.size
    if min_overlap_s is None:
        min_overlap_s = max(_MIN_OVERLAP_S, _MIN_OVERLAP_FRACTION * min(n, m) / rate_hz)
    min_overlap = max(1, min(n, m, round(min_overlap_s * rate_hz)))
    # lag L pairs other[k] with reference[k + L]: they share min(m, n - L) - max(0, -L) samples
    lo, hi = min_overlap - m, n - min_overlap
    start_diff_s = reference.start_s - other.start_s
    if max_lag_s is not None:
        lo = max(lo, math.ceil((-max_lag_s - start_diff_s) * rate_hz - 1e-9))
        hi = min(hi, math.floor((max_lag_s - start_diff_s) * rate_hz + 1e-9))
    if lo > hi:
        raise ParameterError(
            f"no lag within max_lag_s={max_lag_s} leaves {min_overlap / rate_hz:.2f} s of overlap "
            f"for clips of {n / rate_hz:.2f} s and {m / rate_hz:.2f} s"
        )
    slow_fps = min(reference.fps, other.fps)
    lags = np.arange(lo, hi + 1, dtype=np.int64)
    band = min(1.0, slow_fps / rate_hz)
    if reference.regions is None or other.regions is None:  # series without regions: one pair
        values, info = consensus_curve(
            a[:, None], b[:, None], lags=lags, beta=BETA, band_fraction=band
        )
    else:
        cells_a, extra_a = _columns(reference, a)
        cells_b, extra_b = _columns(other, b)
        extra = [(x, y, EXTRA_WEIGHT) for x, y in zip(extra_a, extra_b, strict=False)]
        values, info = consensus_curve(
            cells_a, cells_b, lags=lags, beta=BETA, band_fraction=band, extra=extra, top=TOP_PAIRS
        )
    overlap = (np.minimum(m, n - lags) - np.maximum(0, -lags)).astype(np.float64)
    exclusion = max(1, round(rate_hz / slow_fps))
    return lags, values, overlap, exclusion, info


#: Prepared columns per live series (by id, checked by a weak reference): a video is correlated
#: with every other one, and the moving medians cost more than the correlation.
_PREPARED: dict[
    int, tuple[weakref.ref[MotionSeries], NDArray[np.float32], list[NDArray[np.float32]]]
] = {}


def _columns(
    series: MotionSeries, whole: NDArray[np.float32]
) -> tuple[NDArray[np.float32], list[NDArray[np.float32]]]:
    """Prepared region columns [shape=(n, k)] and the 1-D series (whole frame, brightness)."""
    key = id(series)
    hit = _PREPARED.get(key)
    if hit is not None and hit[0]() is series:
        return hit[1], hit[2]
    cells, extra = _prepare_columns(series, whole)
    _PREPARED[key] = (weakref.ref(series), cells, extra)
    weakref.finalize(series, _PREPARED.pop, key, None)
    return cells, extra


def _prepare_columns(
    series: MotionSeries, whole: NDArray[np.float32]
) -> tuple[NDArray[np.float32], list[NDArray[np.float32]]]:
    rate_hz = series.rate_hz
    extra = [whole]
    assert series.regions is not None
    cells = prepare_columns(series.regions, rate_hz=rate_hz, highpass_s=_HIGHPASS_S)
    if series.brightness is not None:
        bright = prepare_columns(
            series.brightness[:, None], rate_hz=rate_hz, highpass_s=_HIGHPASS_S, signed=True
        )
        extra.append(bright[:, 0])
    return cells, extra


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _check_positive(name: str, value: float) -> None:
    if not _is_real(value) or value <= 0:
        raise ParameterError(f"{name} must be a positive finite number, got {value!r}")


def _check_series(name: str, series: MotionSeries) -> None:
    if not isinstance(series, MotionSeries):
        raise ParameterError(f"{name} must be a MotionSeries, got {type(series).__name__}")
    _check_positive(f"{name}.rate_hz", series.rate_hz)
    _check_positive(f"{name}.fps", series.fps)
