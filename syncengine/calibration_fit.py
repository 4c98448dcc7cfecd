"""Fitted calibration of pair confidence: written by ``python -m evaluation.calibrate``.

Do not edit by hand. Each model maps :func:`syncengine.confidence.design_row` of a pair's
features to P(within one frame) = sigmoid(intercept + sum(coef * (x - mean) / scale)).
Provisional hand-set values until the first fit: they favour a wide margin and a low ratio.
"""

MODELS: dict[str, dict[str, list[float] | float]] = {
    "audio": {
        "intercept": 0.0,
        "coef": [3.0, -2.0, -1.0, 0.0, 0.5],
        "mean": [2.3, 0.6, 0.6, 3.0, 2.5],
        "scale": [0.5, 0.2, 0.4, 0.5, 0.8],
    },
    "visual": {
        "intercept": 0.0,
        "coef": [3.0, -2.0, 0.0, 0.0, 0.5],
        "mean": [2.3, 0.6, 0.0, 3.0, 2.5],
        "scale": [0.5, 0.2, 1.0, 0.5, 0.8],
    },
}
