"""Fitted calibration of pair confidence: written by ``python -m evaluation.calibrate``.

Do not edit by hand: refit with ``python -m evaluation.calibrate --preset tune --write``.
Each model maps :func:`syncengine.confidence.design_row` of a pair's features to
P(the pair's lag is within one frame of the truth). Provisional hand-set values until the
first fit.
"""

from syncengine.calibration import LogisticModel

MODELS: dict[str, LogisticModel] = {
    "audio": LogisticModel(
        feature_names=('log_margin_z', 'ratio', 'plain_ratio', 'log_peak_z', 'log_overlap_s'),
        coef=(3.0, -2.0, -1.0, 0.0, 0.5),
        intercept=0.0,
        mean=(2.3, 0.6, 0.6, 3.0, 2.5),
        scale=(0.5, 0.2, 0.4, 0.5, 0.8),
    ),
    "visual": LogisticModel(
        feature_names=('log_margin_z', 'ratio', 'plain_ratio', 'log_peak_z', 'log_overlap_s'),
        coef=(3.0, -2.0, 0.0, 0.0, 0.5),
        intercept=0.0,
        mean=(2.3, 0.6, 0.0, 3.0, 2.5),
        scale=(0.5, 0.2, 1.0, 0.5, 0.8),
    ),
}
