"""Peak statistics of a correlation curve -> a confidence in [0, 1], and its band.

Conventions
-----------
All statistics are in robust standard deviations ``sigma = 1.4826 * MAD(|c|)`` of the
correlation magnitude over the searched lag window, so audio and visual curves share one scale.

Formula
-------
With ``p`` the highest ``|c|``, ``s`` the highest ``|c|`` outside the main lobe (the best
competing peak) and ``med`` the median of ``|c|``::

    margin_z   = (p - s) / sigma
    sharpness  = 1 - exp(-max(0, margin_z - Z0) / ZS)
    uniqueness = clip(2 * (1 - s / p), 0, 1)
    confidence = sharpness * uniqueness

(This hand formula was the engine's confidence until the calibrated map replaced it; it now
only gates the windows of the audio drift fit.)

Calibrated confidence
---------------------
A pair's reported confidence is :func:`calibrated_confidence`: the probability that the pair's
lag is within one frame of the truth, from a logistic model of its peak features
(:data:`FEATURES`, transformed by :func:`design_row`) fitted on labelled pairs of the *tuning*
evaluation preset only. The fitted coefficients live in :mod:`syncengine.calibration_fit`,
written by ``python -m evaluation.calibrate`` (which also prints the reliability table and the
expected calibration error on the held-out preset). :func:`repeat_guard` refuses a strict
repeat, which the tuning data hold too few of for the fit to learn.

``Z0`` is where noise stops: for pure noise the two highest of ``L`` correlation values differ
by a fraction of a sigma (gaps above 5 sigma essentially never happen; the worst unrelated
motion curve we measured had 4.8), so unrelated clips score 0. ``uniqueness`` punishes
repetitive content: a loop whose second peak is 90 % of the first scores at most 0.2 however
long the clip. Bands follow the seed: 0.8-1 excellent, 0.5-0.8 good,
0.2-0.5 fair, below 0.2 poor (reported as not synced); :mod:`syncengine.constants` owns them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from syncengine.constants import SYNCED_THRESHOLD, band

__all__ = [
    "DESIGN",
    "FEATURES",
    "SYNCED_THRESHOLD",
    "PeakStats",
    "ambiguity_ratio",
    "band",
    "calibrated_confidence",
    "combine_independent",
    "confidence_from_stats",
    "design_row",
    "pair_features",
    "peak_statistics",
    "repeat_guard",
]

Z0 = 5.0
ZS = 6.0
_MAX_STAT_SAMPLES = 200_000
#: Per-pair features the calibrated map reads; see :func:`pair_features`.
FEATURES = ("margin_z", "ratio", "plain_ratio", "peak_z", "overlap_s", "coherence")
#: Names of :func:`design_row`'s columns, the calibrated model's inputs.
DESIGN = (
    "log_margin_z",
    "log_unique",
    "log_plain_unique",
    "log_peak_z",
    "log_overlap_s",
    "log_coherence",
    "strict_repeat",
)
_PLAIN_RATIO_CAP = 2.0
_STRICT_REPEAT = 0.97
_REPEAT_BAND = 0.03


@dataclass(frozen=True)
class PeakStats:
    index: int  # position of the peak in the curve
    peak: float
    second: float
    sigma: float
    peak_z: float
    margin_z: float


def peak_statistics(values: NDArray[np.floating], *, exclusion: int) -> PeakStats:
    """Locate the peak of ``|values|`` and measure it against the rest of the curve.

    Parameters
    ----------
    values : ndarray [shape=(n_lags,)]
        Correlation over the searched lags.
    exclusion : int
        Half-width in samples of the main lobe; the competing peak is searched outside
        ``[index - exclusion, index + exclusion]``, widened while the curve keeps falling.
    """
    mag = np.abs(np.asarray(values, dtype=np.float32))
    idx = int(np.argmax(mag))
    peak = float(mag[idx])
    step = max(1, mag.size // _MAX_STAT_SAMPLES)
    sample = mag[::step]
    med = float(np.median(sample))
    sigma = 1.4826 * float(np.median(np.abs(sample - med))) + 1e-12
    lo, hi = _main_lobe(mag, idx, exclusion)
    rest = np.concatenate([mag[:lo], mag[hi:]])
    second = float(rest.max()) if rest.size else med
    return PeakStats(
        index=idx,
        peak=peak,
        second=second,
        sigma=sigma,
        peak_z=(peak - med) / sigma,
        margin_z=(peak - second) / sigma,
    )


def _main_lobe(mag: NDArray[np.float32], idx: int, exclusion: int) -> tuple[int, int]:
    """``[lo, hi)`` of the peak's lobe: at least ``exclusion`` each side, more while descending."""
    lo = max(0, idx - exclusion)
    hi = min(mag.size, idx + exclusion + 1)
    limit = 4 * exclusion
    while lo > 0 and idx - lo < limit and mag[lo - 1] < mag[lo]:
        lo -= 1
    while hi < mag.size and hi - idx < limit and mag[hi] < mag[hi - 1]:
        hi += 1
    return lo, hi


def confidence_from_stats(stats: PeakStats) -> float:
    """Map peak statistics to [0, 1] with the module's documented formula."""
    if stats.peak <= 0:
        return 0.0
    sharpness = 1.0 - math.exp(-max(0.0, stats.margin_z - Z0) / ZS)
    uniqueness = min(1.0, max(0.0, 2.0 * (1.0 - stats.second / stats.peak)))
    return float(sharpness * uniqueness)


def ambiguity_ratio(plain: NDArray[np.floating], *, index: int, exclusion: int) -> float:
    """Best value of ``|plain|`` beyond ``exclusion`` samples of ``index`` over the value at the
    peak (its lobe's maximum): about 1 or more when another lag (a loop's repeat, a song's next
    chorus) matches as well as the peak, near 0 for a unique match. 0 when nothing lies outside.
    """
    mag = np.abs(np.asarray(plain, dtype=np.float32))
    lo, hi = max(0, index - exclusion), min(mag.size, index + exclusion + 1)
    at_peak = float(mag[lo:hi].max())
    rest = np.concatenate([mag[:lo], mag[hi:]])
    if rest.size == 0:
        return 0.0
    return float(rest.max()) / at_peak if at_peak > 0 else _PLAIN_RATIO_CAP


def pair_features(
    stats: PeakStats, *, overlap_s: float, plain_ratio: float = 0.0, coherence: float = 0.0
) -> dict[str, float]:
    """The :data:`FEATURES` of one measured pair, as plain floats (stored with the pair).

    ``coherence`` (0-1) is how much of the signal agrees at the lag where the method can say
    (audio: the band-averaged PHAT peak of short windows); 0 where it cannot.
    """
    return {
        "coherence": float(coherence),
        "margin_z": float(stats.margin_z),
        "ratio": float(stats.second / stats.peak) if stats.peak > 0 else 1.0,
        "plain_ratio": float(min(plain_ratio, _PLAIN_RATIO_CAP)),
        "peak_z": float(stats.peak_z),
        "overlap_s": float(overlap_s),
    }


def design_row(features: dict[str, float]) -> list[float]:
    """The model's inputs from :func:`pair_features`: ``log1p(margin_z+)``,
    ``log(1.01 - ratio)`` and ``log(1.01 - plain_ratio)`` (ratios clipped to [0, 1]: a runner-up
    as tall as the peak is far worse news than one at 70 %, which a linear term cannot say),
    ``log1p(peak_z+)``, ``log(overlap_s)`` (floored at 0.5 s), ``log(coherence + 0.01)``, and
    ``strict_repeat``, 1 when another lag matches the unwhitened content at least 97 % as well
    (a strict loop stands hundreds of sigmas above the noise at every period, so the margin
    alone would call it certain; the fit learns what a strict repeat is worth).
    """
    log_margin = math.log1p(max(0.0, features["margin_z"]))
    plain = min(1.0, max(0.0, features["plain_ratio"]))
    return [
        log_margin,
        math.log(1.01 - min(1.0, max(0.0, features["ratio"]))),
        math.log(1.01 - plain),
        math.log1p(max(0.0, features["peak_z"])),
        math.log(max(0.5, features["overlap_s"])),
        math.log(max(0.0, features.get("coherence", 0.0)) + 0.01),
        1.0 if plain >= _STRICT_REPEAT else 0.0,
    ]


def repeat_guard(plain_ratio: float) -> float:
    """0 for a strict repeat (plain ratio 1), rising linearly to 1 at 3 % either side of it.

    When the unwhitened content matches another lag (one period of a loop) exactly as well as
    the peak, no margin can say which period is right, however many sigmas the peak stands; the
    tuning data hold too few such loops for the fit to learn it, so the engine states it. A ratio
    well above 1 is not a repeat but the overlap normalisation of a short overlap (the whitened
    features judge those pairs).
    """
    return float(min(1.0, abs(1.0 - plain_ratio) / _REPEAT_BAND))


def calibrated_confidence(method: str, features: dict[str, float]) -> float:
    """P(lag within one frame of the truth | features), by the fitted model of ``method``."""
    from syncengine.calibration_fit import MODELS

    return float(MODELS[method].predict([design_row(features)])[0])


def combine_independent(*confidences: float) -> float:
    """Confidence that at least one of several independent agreeing measurements is right."""
    miss = 1.0
    for c in confidences:
        miss *= 1.0 - min(1.0, max(0.0, c))
    return 1.0 - miss
