"""Sound and picture compared where both measure: a drifting clip is neither a disagreement
nor a skew.

The sound fits a drift line (its lag is the line's value at the other clip's t=0); the picture
fits none (its lag is the overlap's average, the middle). Found on the held-out real-shoot
preset: a camera 300 ppm slow over 8.7 minutes had its sound right to 0.2 ms, its picture 102 ms
away at the overlap's middle, and the fusion kept the picture, 102 ms off.
"""

from __future__ import annotations

import numpy as np

from syncengine import align
from syncengine.sync import _fuse, _sound_seen_by_picture, _sound_skews
from syncengine.types import LagEstimate

TRUE_LAG_S = 7.422
DRIFT_PPM = -300.0
OVERLAP_S = 700.0  # the overlap's middle 350 s in: the two lags 105 ms apart


def _estimate(lag_s: float, confidence: float, drift_ppm: float | None = None) -> LagEstimate:
    return LagEstimate(
        lag_s=lag_s,
        confidence=confidence,
        peak_z=10.0,
        margin_z=5.0,
        overlap_s=OVERLAP_S,
        drift_ppm=drift_ppm,
    )


def _picture_at_middle() -> float:
    return TRUE_LAG_S + DRIFT_PPM * 1e-6 * OVERLAP_S / 2


def test_a_drifting_pair_keeps_the_sound_s_lag_when_the_picture_is_surer() -> None:
    audio = _estimate(TRUE_LAG_S, 0.2, DRIFT_PPM)
    visual = _estimate(_picture_at_middle(), 0.27)
    assert abs(visual.lag_s - audio.lag_s) > 0.1  # apart by the drift, not by a mistake
    lag_s, confidence, source = _fuse(audio, visual)
    assert source == "audio" and lag_s == TRUE_LAG_S
    assert confidence > max(audio.confidence, visual.confidence)  # they agree: both count


def test_without_drift_a_real_disagreement_still_goes_to_the_surer_method() -> None:
    audio = _estimate(TRUE_LAG_S, 0.2)
    visual = _estimate(TRUE_LAG_S - 0.3, 0.6)
    lag_s, confidence, source = _fuse(audio, visual)
    assert source == "visual" and lag_s == TRUE_LAG_S - 0.3
    assert confidence < visual.confidence  # the other method's doubt lowers it


def _solution(values: list[float]) -> align.Solution:
    v = np.array(values, dtype=float)
    return align.Solution(
        values=v,
        confidence=np.where(np.isfinite(v), 0.9, 0.0),
        residual=np.zeros_like(v),
        inliers=(),
        outliers=(),
    )


def test_a_drifting_camera_among_three_is_not_called_a_sound_skew() -> None:
    durations = [600.0, 520.0, 520.0]
    # Clip 2 runs 300 ppm fast: its picture sits 78 ms later than its sound's t=0 placement.
    sound = _solution([0.0, 2.0, 5.0])
    picture = _solution([0.0, 2.0, 5.0 + 300e-6 * 520.0 / 2])
    drift = _solution([0.0, 0.0, 300.0])
    assert _sound_skews(sound, picture, ref=0) == {2: picture.values[2] - 5.0}  # as it was
    seen = _sound_seen_by_picture(sound, drift, durations)
    assert seen is not None and seen.values[2] == picture.values[2]
    assert _sound_skews(seen, picture, ref=0) == {}
    # A real skew on a clip with no drift is still found.
    skewed = _solution([0.0, 2.0 + 0.15, 5.0 + 300e-6 * 520.0 / 2])
    assert set(_sound_skews(seen, skewed, ref=0)) == {1}
