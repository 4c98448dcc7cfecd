"""Calibration math: ECE and reliability tables by hand, PAV, and the logistic fit."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.optimize

from syncengine.calibration import (
    IsotonicMap,
    LogisticModel,
    ReliabilityRow,
    expected_calibration_error,
    fit_isotonic,
    fit_logistic,
    reliability_table,
)
from syncengine.errors import ParameterError

# Eight answers; no confidence sits on a bin edge except 1.0 (closed last bin).
CONF = [0.05, 0.15, 0.35, 0.35, 0.72, 0.78, 0.95, 1.0]
CORRECT = [0, 0, 1, 0, 1, 1, 1, 0]


def test_ece_by_hand() -> None:
    # Ten bins: [0, .1) 1 at 0.05, 0 right -> .05; [.1, .2) 1 at .15, 0 right -> .15;
    # [.3, .4) 2 at .35, half right -> .15; [.7, .8) 2 at .75, all right -> .25;
    # [.9, 1] 2 at .975, half right -> .475. ECE = (.05 + .15 + 2 * (.15 + .25 + .475)) / 8.
    assert expected_calibration_error(CONF, CORRECT) == pytest.approx(1.95 / 8)
    # One bin: |mean correct - mean confidence| = |4/8 - 4.35/8|
    assert expected_calibration_error(CONF, CORRECT, n_bins=1) == pytest.approx(0.35 / 8)
    assert expected_calibration_error([1.0, 0.0], [True, False]) == 0.0
    assert math.isnan(expected_calibration_error([], []))


def test_reliability_table_by_hand_on_the_bands() -> None:
    rows = reliability_table(CONF, CORRECT)
    expected = [
        (0.0, 0.2, 2, 0.1, 0.0),
        (0.2, 0.5, 2, 0.35, 0.5),
        (0.5, 0.8, 2, 0.75, 1.0),
        (0.8, 1.0, 2, 0.975, 0.5),
    ]
    assert [r[:3] for r in rows] == [e[:3] for e in expected]
    for row, (*_, mean_c, frac) in zip(rows, expected, strict=True):
        assert isinstance(row, ReliabilityRow)
        assert (row.mean_confidence, row.fraction_correct) == pytest.approx((mean_c, frac))


def test_reliability_bins_are_half_open_but_the_last_is_closed() -> None:
    rows = reliability_table([0.0, 0.2, 0.5, 0.8, 1.0], [1, 1, 0, 1, 1])
    assert [r.count for r in rows] == [1, 1, 1, 2]
    assert rows[3].mean_confidence == pytest.approx(0.9)


def test_reliability_table_with_ten_equal_bins_keeps_empty_bins() -> None:
    rows = reliability_table(CONF, CORRECT, edges=10)
    assert [r.count for r in rows] == [1, 1, 0, 2, 0, 0, 0, 2, 0, 2]
    assert (rows[0].lo, rows[-1].hi) == (0.0, 1.0)
    assert rows[2].lo == pytest.approx(0.2) and math.isnan(rows[2].mean_confidence)
    assert rows[9].fraction_correct == 0.5


def test_calibration_inputs_are_checked() -> None:
    with pytest.raises(ParameterError, match="within"):
        expected_calibration_error([1.2], [1])
    with pytest.raises(ParameterError, match="0/1"):
        reliability_table([0.5], [2])
    with pytest.raises(ParameterError, match="increasing"):
        reliability_table([0.5], [1], edges=(0.0, 0.5, 0.5, 1.0))


def test_pav_on_the_textbook_sequence() -> None:
    iso = fit_isotonic([1, 2, 3, 4, 5, 6], [1, 3, 2, 4, 3, 5])
    assert iso == IsotonicMap(
        starts=(1.0, 2.0, 4.0, 6.0), ends=(1.0, 3.0, 5.0, 6.0), values=(1.0, 2.5, 3.5, 5.0)
    )
    assert list(iso.predict([1, 2, 3, 4, 5, 6])) == [1.0, 2.5, 2.5, 3.5, 3.5, 5.0]
    assert list(iso.predict([-1.0, 1.5, 3.9, 5.99, 99.0])) == [1.0, 1.0, 2.5, 3.5, 5.0]


def test_pav_pools_a_decreasing_run_ties_and_weights() -> None:
    assert fit_isotonic([3, 1, 2], [1, 3, 2]).values == (2.0,)  # sorted by score: 3, 2, 1
    tied = fit_isotonic([1, 1, 2], [1, 0, 0])  # score 1 -> 0.5, then 0: pooled to 1/3
    assert tied.values == pytest.approx((1 / 3,)) and tied.starts == (1.0,)
    weighted = fit_isotonic([2, 1], [0, 1], sample_weight=[3, 1])
    assert weighted.values == pytest.approx((0.25,))
    labels = fit_isotonic([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1])  # calibrated frequencies
    assert labels.values == pytest.approx((0.0, 0.5, 1.0))
    with pytest.raises(ParameterError, match="positive"):
        fit_isotonic([1, 2], [0, 1], sample_weight=[1, 0])


def test_logistic_fit_matches_the_closed_form_on_one_binary_feature() -> None:
    # x = 0: 3 of 10 right; x = 1: 8 of 10. The maximum-likelihood model has
    # intercept logit(0.3) and slope logit(0.8) - logit(0.3) in natural units.
    x = np.r_[np.zeros(10), np.ones(10)][:, None]
    y = np.r_[np.ones(3), np.zeros(7), np.ones(8), np.zeros(2)]
    model = fit_logistic(x, y, l2=1e-10, feature_names=["x"])
    coef, intercept = model.natural()
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    assert intercept == pytest.approx(logit(0.3), abs=1e-6)
    assert coef[0] == pytest.approx(logit(0.8) - logit(0.3), abs=1e-6)
    assert model.predict([[0.0], [1.0]]) == pytest.approx([0.3, 0.8], abs=1e-8)
    assert (model.mean, model.scale) == ((0.5,), (0.5,))


def _known_model_sample(n: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.standard_normal(n), 3.0 + 2.0 * rng.standard_normal(n)])
    y = rng.random(n) < 1 / (1 + np.exp(-(1.9 + x @ np.array([1.5, -0.8]))))
    return x, y


def test_logistic_fit_recovers_a_known_model() -> None:
    # 20 000 draws of p = expit(1.9 + 1.5 x1 - 0.8 x2): the standard errors are ~0.03.
    x, y = _known_model_sample()
    model = fit_logistic(x, y, l2=1e-6, feature_names=("margin_z", "uniqueness"))
    coef, intercept = model.natural()
    assert coef == pytest.approx([1.5, -0.8], abs=0.1)
    assert intercept == pytest.approx(1.9, abs=0.15)
    assert model.mean == pytest.approx((0.0, 3.0), abs=0.05)
    assert model.scale == pytest.approx((1.0, 2.0), abs=0.05)


def test_logistic_fit_is_the_penalised_optimum() -> None:
    x, y = _known_model_sample(5_000)
    model = fit_logistic(x, y, l2=1e-2, feature_names=("a", "b"))
    z = (x - model.mean) / model.scale
    p = model.predict(x)
    # The gradient vanishes: the intercept is unpenalised, the coefficients are.
    assert abs(np.mean(p - y)) < 1e-9
    grad = z.T @ (p - y) / y.size + 1e-2 * np.asarray(model.coef)
    assert grad == pytest.approx([0, 0], abs=1e-9)
    z1 = np.column_stack([np.ones(y.size), z])

    def objective(w: np.ndarray) -> float:
        t = z1 @ w
        return float(np.mean(np.logaddexp(0, t) - y * t) + 0.5e-2 * w[1:] @ w[1:])

    other = scipy.optimize.minimize(objective, np.zeros(3), method="BFGS", options={"gtol": 1e-9})
    assert [model.intercept, *model.coef] == pytest.approx(other.x, abs=1e-5)
    shrunk = fit_logistic(x, y, l2=1.0, feature_names=("a", "b"))
    assert np.linalg.norm(shrunk.coef) < 0.5 * np.linalg.norm(model.coef)
    assert fit_logistic(x, y, l2=1e-2, feature_names=("a", "b")) == model  # deterministic


def test_perfect_separation_stays_finite_thanks_to_l2() -> None:
    x = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = [0, 0, 1, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = fit_logistic(x, y, feature_names=["margin_z"])
        weaker = fit_logistic(x, y, l2=0.1, feature_names=["margin_z"])
    assert all(math.isfinite(v) for v in (*model.coef, model.intercept))
    assert 0 < weaker.coef[0] < model.coef[0] < 50
    assert model.intercept == pytest.approx(0.0, abs=1e-9)  # symmetric data
    p = model.predict(x)
    assert p[0] < 0.01 and p[3] > 0.99 and np.all(np.diff(p) > 0)


def test_predict_one_and_to_source_round_trip() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((200, 2))
    y = (x[:, 0] + 0.5 * rng.standard_normal(200)) > 0
    model = fit_logistic(x, y, feature_names=["a", "b"])
    source = model.to_source()
    assert source.startswith("LogisticModel(\n    feature_names=('a', 'b'),\n")
    assert eval(source, {"LogisticModel": LogisticModel}) == model  # exact floats
    assert model.predict_one({"b": 0.3, "a": -0.2, "extra": 9.0}) == pytest.approx(
        float(model.predict([[-0.2, 0.3]])[0])
    )
    with pytest.raises(ParameterError, match=r"missing feature\(s\) \['b'\]"):
        model.predict_one({"a": 1.0})


def test_to_source_wraps_many_features_within_the_line_length() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((300, 8)) * np.arange(1, 9) + 1 / 3
    y = (x[:, 0] + x[:, 3] + rng.standard_normal(300)) > 0
    names = [f"log_feature_number_{k}" for k in range(8)]
    model = fit_logistic(x, y, feature_names=names)
    source = model.to_source(indent=4)
    assert max(len(line) for line in source.splitlines()) <= 100
    assert source.splitlines()[-1] == "    )" and "\n        coef=(\n" in source
    assert eval(source, {"LogisticModel": LogisticModel}) == model
    single = fit_logistic([[0.0], [1.0], [2.0]], [0, 1, 1], feature_names=["x"]).to_source()
    assert "feature_names=('x',)," in single
    assert eval(single, {"LogisticModel": LogisticModel}).feature_names == ("x",)


def test_logistic_fit_rejects_bad_input() -> None:
    with pytest.raises(ParameterError, match="single class"):
        fit_logistic([[1.0], [2.0]], [1, 1], feature_names=["a"])
    with pytest.raises(ParameterError, match="2-D"):
        fit_logistic([1.0, 2.0], [0, 1], feature_names=["a"])
    with pytest.raises(ParameterError, match="distinct feature names"):
        fit_logistic([[1.0, 2.0], [2.0, 1.0]], [0, 1], feature_names=["a", "a"])
    with pytest.raises(ParameterError, match="l2"):
        fit_logistic([[1.0], [2.0]], [0, 1], l2=0.0, feature_names=["a"])
    constant = fit_logistic(
        [[5.0, 1.0], [5.0, 2.0], [5.0, 3.0]], [0, 1, 1], feature_names=["c", "x"]
    )
    assert constant.scale[0] == 1.0 and constant.coef[0] == 0.0
