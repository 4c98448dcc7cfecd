"""Calibration: fit and check the map from a pair's features to P(its lag is within one frame).

Pure numpy/scipy, no Django and no media: the evaluation fits on labelled pairs (features of a
pair, and whether its lag came out within one frame of the truth) and the fitted coefficients
are pasted into the engine with :meth:`LogisticModel.to_source`, next to the command that refits
them.

Conventions
-----------
- ``X`` is ``[shape=(n_samples, n_features)]``, columns in ``feature_names`` order; ``y`` and
  ``correct`` are 0/1 (or bool) per sample; confidences and probabilities lie in [0, 1].
- Logistic model: ``p = 1 / (1 + exp(-(intercept + z @ coef)))`` with the standardised features
  ``z = (x - mean) / scale`` (``mean`` and population standard deviation of the training data;
  ``scale`` is 1 for a constant column). ``coef`` is therefore per standard deviation of each
  feature; :meth:`LogisticModel.natural` gives the same model in the features' own units.
- Bins are half-open ``[lo, hi)`` except the last, which is closed ``[lo, hi]`` so a confidence
  of exactly 1 is counted; the default edges are the engine's bands (poor < 0.2 <= fair < 0.5
  <= good < 0.8 <= excellent).

Method
------
:func:`fit_logistic` minimises the mean log-loss plus ``l2 / 2 * ||coef||^2`` (the intercept is
not penalised) by Newton's method with step halving. The objective is strictly convex whenever
``l2 > 0`` and both classes occur, so the answer is unique, deterministic and finite even when
the data are perfectly separable (plain maximum likelihood would send ``coef`` to infinity).
Because the loss is a mean, ``l2`` does not change meaning with the number of samples
(scikit-learn's ``C`` is ``1 / (n * l2)``).

:func:`fit_isotonic` is pool-adjacent-violators: the non-decreasing step function of the score
closest to ``y`` in (weighted) least squares; equal scores are pooled first so they always map
to one value.

:func:`expected_calibration_error` is the standard count-weighted ECE over ``n_bins``
equal-width bins (Naeini et al. 2015; Guo et al. 2017):
``sum_k n_k / N * |fraction correct_k - mean confidence_k|``; empty bins add nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

from syncengine.constants import BAND_EDGES
from syncengine.errors import ParameterError

__all__ = [
    "BAND_EDGES",
    "IsotonicMap",
    "LogisticModel",
    "ReliabilityRow",
    "expected_calibration_error",
    "fit_isotonic",
    "fit_logistic",
    "reliability_table",
]

_MAX_NEWTON = 100
_GRAD_TOL = 1e-10
F64 = NDArray[np.float64]


def _features(X: ArrayLike, n_features: int | None = None) -> F64:
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim == 1 and n_features is not None:
        arr = arr.reshape(-1, n_features)
    if arr.ndim != 2:
        raise ParameterError(f"X must be 2-D (n_samples, n_features), got shape {arr.shape}")
    if n_features is not None and arr.shape[1] != n_features:
        raise ParameterError(f"X has {arr.shape[1]} features, the model {n_features}")
    if not np.all(np.isfinite(arr)):
        raise ParameterError("X contains NaN or infinite values")
    return arr


def _labels(y: ArrayLike, n: int, name: str = "y") -> F64:
    arr = np.asarray(y, dtype=np.float64)
    if arr.ndim != 1 or arr.size != n:
        raise ParameterError(f"{name} must be 1-D with {n} values, got shape {arr.shape}")
    if not np.all((arr == 0) | (arr == 1)):
        raise ParameterError(f"{name} must hold only 0/1 (or bool) values")
    return arr


def _confidences(confidence: ArrayLike) -> F64:
    arr = np.asarray(confidence, dtype=np.float64)
    if arr.ndim != 1:
        raise ParameterError(f"confidence must be 1-D, got shape {arr.shape}")
    if not np.all(np.isfinite(arr) & (arr >= 0) & (arr <= 1)):
        raise ParameterError("confidence must be finite and within [0, 1]")
    return arr


@dataclass(frozen=True)
class LogisticModel:
    """A fitted logistic model on standardised features (see the module Conventions)."""

    feature_names: tuple[str, ...]
    coef: tuple[float, ...]  # per standard deviation of each feature
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    def __post_init__(self) -> None:
        d = len(self.feature_names)
        if not (len(self.coef) == len(self.mean) == len(self.scale) == d):
            raise ParameterError("feature_names, coef, mean and scale must have one value each")
        if any(not (s > 0 and math.isfinite(s)) for s in self.scale):
            raise ParameterError("scale values must be positive and finite")

    def decision(self, X: ArrayLike) -> F64:
        """Log-odds ``intercept + z @ coef`` per row of ``X`` [shape=(n_samples,)]."""
        x = _features(X, len(self.feature_names))
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        return self.intercept + z @ np.asarray(self.coef, dtype=np.float64)

    def predict(self, X: ArrayLike) -> F64:
        """Probabilities in [0, 1] per row of ``X`` [shape=(n_samples,)]."""
        return expit(self.decision(X))

    def predict_one(self, features: Mapping[str, float]) -> float:
        """The probability for one sample given by name; extra names are ignored."""
        missing = [n for n in self.feature_names if n not in features]
        if missing:
            raise ParameterError(
                f"missing feature(s) {missing}; the model needs {list(self.feature_names)}"
            )
        row = [[float(features[n]) for n in self.feature_names]]
        return float(self.predict(row)[0])

    def natural(self) -> tuple[F64, float]:
        """``(coef, intercept)`` of the same model on the unstandardised features."""
        coef = np.asarray(self.coef) / np.asarray(self.scale)
        return coef, float(self.intercept - coef @ np.asarray(self.mean))

    def to_source(self, *, indent: int = 0, width: int = 100) -> str:
        """Python source of this model: a ``LogisticModel(...)`` call of literals.

        Floats are written with ``repr`` (they read back exactly); every line starts with
        ``indent`` spaces and tuples wrap so that no line is longer than ``width``.
        """
        pad = " " * indent

        def field(name: str, values: Sequence[object]) -> list[str]:
            items = [repr(v) for v in values]
            one = f"{pad}    {name}=({', '.join(items)}{',' if len(items) == 1 else ''}),"
            if len(one) <= width:
                return [one]
            lines, line = [f"{pad}    {name}=("], f"{pad}       "
            for item in items:
                if len(line) + len(item) + 2 > width and line.strip():
                    lines.append(line.rstrip())
                    line = f"{pad}       "
                line += f" {item},"
            return [*lines, line.rstrip(), f"{pad}    ),"]

        floats = [float(v) for v in self.coef], [float(v) for v in self.mean]
        return "\n".join(
            [
                "LogisticModel(",
                *field("feature_names", [str(n) for n in self.feature_names]),
                *field("coef", floats[0]),
                f"{pad}    intercept={float(self.intercept)!r},",
                *field("mean", floats[1]),
                *field("scale", [float(v) for v in self.scale]),
                f"{pad})",
            ]
        )


def _objective(w: F64, z1: F64, y: F64, penalty: F64) -> float:
    t = z1 @ w
    # mean of log(1 + exp(t)) - y * t, computed without overflow
    return float(np.mean(np.logaddexp(0.0, t) - y * t) + 0.5 * w @ (penalty * w))


def fit_logistic(
    X: ArrayLike, y: ArrayLike, *, l2: float = 1e-3, feature_names: Sequence[str]
) -> LogisticModel:
    """L2-regularised logistic regression by Newton's method (see the module Method).

    Parameters
    ----------
    X : array_like [shape=(n_samples, n_features)]
        Features, columns in ``feature_names`` order.
    y : array_like [shape=(n_samples,)]
        1 when the sample is a success (the pair's lag within one frame), else 0.
    l2 : float
        Penalty on the standardised coefficients, > 0.
    feature_names : sequence of str
        One name per column, used by :meth:`LogisticModel.predict_one`.

    Raises
    ------
    ParameterError
        Bad shapes, non-finite values, labels other than 0/1, a single class, or ``l2 <= 0``.
    """
    x = _features(X)
    n, d = x.shape
    names = tuple(str(f) for f in feature_names)
    if len(names) != d or len(set(names)) != d:
        raise ParameterError(f"need {d} distinct feature names, got {list(names)}")
    labels = _labels(y, n)
    if not (l2 > 0 and math.isfinite(l2)):
        raise ParameterError(f"l2 must be positive, got {l2}")
    if labels.min() == labels.max():
        raise ParameterError("y holds a single class; a logistic fit needs both")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 1e-12 * np.maximum(1.0, np.abs(mean)), scale, 1.0)
    z1 = np.column_stack([np.ones(n), (x - mean) / scale])
    penalty = np.r_[0.0, np.full(d, l2)]  # the intercept (column 0) is not penalised
    w = np.zeros(d + 1)
    w[0] = math.log(labels.mean() / (1.0 - labels.mean()))  # the best constant model
    loss = _objective(w, z1, labels, penalty)
    for _ in range(_MAX_NEWTON):
        p = expit(z1 @ w)
        grad = z1.T @ (p - labels) / n + penalty * w
        if np.max(np.abs(grad)) < _GRAD_TOL:
            break
        hess = (z1.T * (p * (1.0 - p))) @ z1 / n + np.diag(penalty)
        hess[0, 0] += 1e-12  # all p at 0 or 1 in float64 would leave the intercept row empty
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-10:
            trial = w - t * step
            trial_loss = _objective(trial, z1, labels, penalty)
            if trial_loss <= loss:
                break
            t *= 0.5
        else:
            break  # no descent left at float precision: converged
        w, loss = trial, trial_loss
    return LogisticModel(
        feature_names=names,
        coef=tuple(float(c) for c in w[1:]),
        intercept=float(w[0]),
        mean=tuple(float(m) for m in mean),
        scale=tuple(float(s) for s in scale),
    )


@dataclass(frozen=True)
class IsotonicMap:
    """A non-decreasing step map: ``values[k]`` for scores in ``[starts[k], starts[k + 1])``.

    Scores below ``starts[0]`` take ``values[0]``; ``ends[k]`` is the highest training score of
    block ``k`` (between ``ends[k]`` and ``starts[k + 1]`` the lower block's value holds).
    """

    starts: tuple[float, ...]
    ends: tuple[float, ...]
    values: tuple[float, ...]

    def predict(self, scores: ArrayLike) -> F64:
        """The step map's value at each score [shape like ``scores``]."""
        s = np.asarray(scores, dtype=np.float64)
        if not np.all(np.isfinite(s)):
            raise ParameterError("scores contain NaN or infinite values")
        k = np.searchsorted(np.asarray(self.starts), s, side="right") - 1
        return np.asarray(self.values)[np.clip(k, 0, len(self.values) - 1)]


def fit_isotonic(
    scores: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
) -> IsotonicMap:
    """Pool-adjacent-violators: the non-decreasing fit of ``y`` on ``scores``.

    ``y`` may be any real values (0/1 labels give calibrated frequencies); ``sample_weight``
    (default 1 each) must be positive. Equal scores are pooled before the fit.

    Raises
    ------
    ParameterError
        Different lengths, no samples, non-finite values or non-positive weights.
    """
    s = np.asarray(scores, dtype=np.float64)
    target = np.asarray(y, dtype=np.float64)
    weight = np.ones_like(s) if sample_weight is None else np.asarray(sample_weight, np.float64)
    if s.ndim != 1 or target.shape != s.shape or weight.shape != s.shape or s.size == 0:
        raise ParameterError("scores, y and sample_weight must be 1-D, non-empty, equal length")
    if not (np.all(np.isfinite(s)) and np.all(np.isfinite(target)) and np.all(weight > 0)):
        raise ParameterError("scores and y must be finite and weights positive")
    uniq, inverse = np.unique(s, return_inverse=True)
    w_sum = np.bincount(inverse, weights=weight)
    wy_sum = np.bincount(inverse, weights=weight * target)
    # Stack of blocks: [weighted sum of y, total weight, first unique index, last unique index]
    blocks: list[list[float]] = []
    for k in range(uniq.size):
        blocks.append([wy_sum[k], w_sum[k], k, k])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            wy, w, _, last = blocks.pop()
            blocks[-1][0] += wy
            blocks[-1][1] += w
            blocks[-1][3] = last
    return IsotonicMap(
        starts=tuple(float(uniq[int(b[2])]) for b in blocks),
        ends=tuple(float(uniq[int(b[3])]) for b in blocks),
        values=tuple(float(b[0] / b[1]) for b in blocks),
    )


class ReliabilityRow(NamedTuple):
    """One bin of a reliability table; the means are NaN for an empty bin."""

    lo: float
    hi: float
    count: int
    mean_confidence: float
    fraction_correct: float


def _edges(edges: Sequence[float] | int) -> F64:
    if isinstance(edges, int | np.integer):
        if edges < 1:
            raise ParameterError(f"need at least one bin, got {edges}")
        return np.linspace(0.0, 1.0, int(edges) + 1)
    arr = np.asarray(edges, dtype=np.float64)
    if arr.ndim != 1 or arr.size < 2 or not np.all(np.diff(arr) > 0):
        raise ParameterError(f"edges must be at least two increasing values, got {edges}")
    return arr


def reliability_table(
    confidence: ArrayLike, correct: ArrayLike, edges: Sequence[float] | int = BAND_EDGES
) -> list[ReliabilityRow]:
    """Per bin: count, mean confidence and observed fraction correct.

    Parameters
    ----------
    confidence : array_like [shape=(n,)]
        Predicted probabilities in [0, 1].
    correct : array_like [shape=(n,)]
        1 (or True) where the answer was right.
    edges : sequence of float or int
        Bin edges (default the engine's bands), or a number of equal-width bins over [0, 1].
        Bins are ``[lo, hi)``, the last ``[lo, hi]``; confidences outside the edges are not
        counted.
    """
    conf = _confidences(confidence)
    ok = _labels(correct, conf.size, "correct")
    e = _edges(edges)
    rows = []
    for k in range(e.size - 1):
        lo, hi = float(e[k]), float(e[k + 1])
        sel = (conf >= lo) & ((conf <= hi) if k == e.size - 2 else (conf < hi))
        n = int(sel.sum())
        mean_c = float(conf[sel].mean()) if n else math.nan
        frac = float(ok[sel].mean()) if n else math.nan
        rows.append(ReliabilityRow(lo, hi, n, mean_c, frac))
    return rows


def expected_calibration_error(
    confidence: ArrayLike, correct: ArrayLike, n_bins: int = 10
) -> float:
    """Count-weighted ``|fraction correct - mean confidence|`` over ``n_bins`` equal-width bins.

    The standard ECE (see the module Method); bins as in :func:`reliability_table`. NaN for no
    samples.
    """
    rows = reliability_table(confidence, correct, edges=n_bins)
    total = sum(r.count for r in rows)
    if total == 0:
        return math.nan
    return float(
        sum(r.count * abs(r.fraction_correct - r.mean_confidence) for r in rows if r.count) / total
    )
