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
            'log_margin_z', 'ratio', 'plain_ratio', 'log_peak_z', 'log_overlap_s',
            'log_coherence',
        ),
        coef=(
            0.937681704, -0.748372669, -0.23541348, 0.981941386, -0.260488865, 1.36489464,
        ),
        intercept=1.84454424,
        mean=(
            3.86503064, 0.335694843, 0.688442459, 4.39543515, 2.16075506, -1.27458482,
        ),
        scale=(
            2.0233035, 0.346958017, 0.540318249, 1.40482425, 0.621926971, 1.35150208,
        ),
    ),
    'visual': LogisticModel(
        feature_names=(
            'log_margin_z', 'ratio', 'plain_ratio', 'log_peak_z', 'log_overlap_s',
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
