"""Fitted calibration of pair confidence: written by ``python -m evaluation.calibrate``.

Do not edit by hand; refit with::

    python -m evaluation.calibrate --preset tune --methods audio --windows 12 --write

Each model maps :func:`syncengine.confidence.design_row` of a pair's features to
P(the pair's lag is within one frame of the truth), fitted on the tuning preset only.
"""

from syncengine.calibration import LogisticModel

MODELS: dict[str, LogisticModel] = {
    'audio': LogisticModel(
        feature_names=(
            'log_margin_z', 'log_unique', 'log_plain_unique', 'log_peak_z', 'log_overlap_s',
            'log_coherence',
        ),
        coef=(
            0.894417942, 0.642682439, 0.165901491, 0.94748255, -0.301975415, 1.26391076,
        ),
        intercept=1.49520837,
        mean=(
            3.34544577, -0.980854786, -1.79484817, 4.02961505, 2.17084245, -1.66682137,
        ),
        scale=(
            1.98710718, 1.20812713, 1.69581314, 1.36073552, 0.622064542, 1.29500479,
        ),
    ),
    'visual': LogisticModel(
        feature_names=(
            'log_margin_z', 'log_unique', 'log_plain_unique', 'log_peak_z', 'log_overlap_s',
            'log_coherence',
        ),
        coef=(
            3, -2, 0, 0, 0.5, 0,
        ),
        intercept=0,
        mean=(
            2.3, 0.6, 0, 3, 2.5, -2,
        ),
        scale=(
            0.5, 0.2, 1, 0.5, 0.8, 1,
        ),
    ),
}
