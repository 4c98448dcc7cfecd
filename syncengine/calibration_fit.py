"""Fitted calibration of pair confidence: written by ``python -m evaluation.calibrate``.

Do not edit by hand; refit with::

    python -m evaluation.calibrate --preset tune,small --methods audio --windows 12 --write

Each model maps :func:`syncengine.confidence.design_row` of a pair's features to
P(the pair's lag is within one frame of the truth), fitted on the tuning preset only.
"""

from syncengine.calibration import LogisticModel

MODELS: dict[str, LogisticModel] = {
    'audio': LogisticModel(
        feature_names=(
            'log_margin_z', 'log_unique', 'log_plain_unique', 'log_peak_z', 'log_overlap_s',
            'log_coherence', 'strict_repeat',
        ),
        coef=(
            0.73767317, 0.723570689, 0.396135007, 0.570025062, -0.283886159, 1.11022761,
            -0.457160808,
        ),
        intercept=1.67472692,
        mean=(
            3.53832774, -0.893632379, -1.59723626, 4.17538265, 2.01621965, -1.57093097,
            0.232429441,
        ),
        scale=(
            1.96324877, 1.17078037, 1.72859884, 1.34680316, 0.680565568, 1.29641826,
            0.42238134,
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
