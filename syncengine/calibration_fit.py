"""Fitted calibration of pair confidence: written by ``python -m evaluation.calibrate``.

Do not edit by hand; refit with::

    python -m evaluation.calibrate --preset tune,small --windows 12 --write

Each model maps :func:`syncengine.confidence.design_row` of a pair's features to
P(the pair's lag is within one frame of the truth), fitted on the tuning preset only.
"""

from syncengine.calibration import LogisticModel

MODELS: dict[str, LogisticModel] = {
    "audio": LogisticModel(
        feature_names=(
            "log_margin_z",
            "log_unique",
            "log_plain_unique",
            "log_peak_z",
            "log_overlap_s",
            "log_coherence",
            "strict_repeat",
        ),
        coef=(
            0.746658125,
            0.708495707,
            0.39658901,
            0.596622659,
            -0.266494827,
            1.08668348,
            -0.4627917,
        ),
        intercept=1.68215047,
        mean=(
            3.54877618,
            -0.888939072,
            -1.60888707,
            4.18409765,
            2.01631542,
            -1.56538602,
            0.236856669,
        ),
        scale=(
            1.96589007,
            1.16295029,
            1.74019461,
            1.35005691,
            0.680392587,
            1.29931726,
            0.425153604,
        ),
    ),
    "visual": LogisticModel(
        feature_names=(
            "log_margin_z",
            "log_unique",
            "log_plain_unique",
            "log_peak_z",
            "log_overlap_s",
            "log_coherence",
            "strict_repeat",
        ),
        coef=(
            0.918257299,
            0.708305389,
            -1.60068505e-31,
            1.03742189,
            0.18212332,
            0.807696228,
            0,
        ),
        intercept=1.7349187,
        mean=(
            2.87323846,
            -1.01981912,
            0.00995033085,
            3.72320876,
            1.90790881,
            -1.07366338,
            0,
        ),
        scale=(
            1.40361071,
            1.02175935,
            1,
            0.781999082,
            0.650525969,
            1.6603966,
            1,
        ),
    ),
}
