"""Fitted calibration of pair confidence: written by ``python -m evaluation.calibrate``.

Do not edit by hand; refit with::

    python -m evaluation.calibrate --preset tune,small --windows 12 --write

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
            0.742762723, 0.717341199, 0.39178907, 0.582406023, -0.278866548, 1.09453352,
            -0.461662299,
        ),
        intercept=1.66234528,
        mean=(
            3.5471129, -0.889580208, -1.60489679, 4.18300321, 2.01708373, -1.56788655,
            0.235749862,
        ),
        scale=(
            1.96548333, 1.16288725, 1.73745148, 1.349596, 0.681049857, 1.29854526,
            0.424466565,
        ),
    ),
    'visual': LogisticModel(
        feature_names=(
            'log_margin_z', 'log_unique', 'log_plain_unique', 'log_peak_z', 'log_overlap_s',
            'log_coherence', 'strict_repeat',
        ),
        coef=(
            0.918257299, 0.708305389, -1.60068505e-31, 1.03742189, 0.18212332, 0.807696228,
            0,
        ),
        intercept=1.7349187,
        mean=(
            2.87323846, -1.01981912, 0.00995033085, 3.72320876, 1.90790881, -1.07366338, 0,
        ),
        scale=(
            1.40361071, 1.02175935, 1, 0.781999082, 0.650525969, 1.6603966, 1,
        ),
    ),
}
