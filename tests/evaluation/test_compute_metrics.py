"""Metric functions on hand-computed values, validation errors, and evaluate() on a fixture."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from evaluation import compute_metrics as cm
from tests.evaluation import fixtures

NAN = math.nan


@pytest.mark.parametrize(
    ("true_s", "est_s", "mae", "rmse", "median", "worst"),
    [
        ([0.0], [0.0], 0.0, 0.0, 0.0, 0.0),
        ([1.25, -2.0], [1.25, -2.0], 0.0, 0.0, 0.0, 0.0),
        ([1.0, -1.0], [1.5, -1.5], 0.5, 0.5, 0.5, 0.5),
        ([0.0, 0.0, 0.0], [0.003, -0.004, 0.0], 7e-3 / 3, math.sqrt(25e-6 / 3), 0.003, 0.004),
        ([-20.0, 20.0, 5.0, 0.0], [-19.9, 20.0, 5.3, 0.1], 0.125, math.sqrt(0.11 / 4), 0.1, 0.3),
    ],
)
def test_error_statistics_match_hand_computed_values(true_s, est_s, mae, rmse, median, worst):
    assert cm.mae_s(true_s, est_s) == pytest.approx(mae)
    assert cm.rmse_s(true_s, est_s) == pytest.approx(rmse)
    assert cm.median_abs_error_s(true_s, est_s) == pytest.approx(median)
    assert cm.max_abs_error_s(true_s, est_s) == pytest.approx(worst)


def test_error_statistics_of_no_clips_are_nan():
    assert math.isnan(cm.mae_s([], []))
    assert math.isnan(cm.within_one_frame_pct([], [], fps=[]))


@pytest.mark.parametrize(
    ("errors_s", "fps", "expected_pct"),
    [
        ([0.0, 0.03, 0.04], [30.0, 30.0, 30.0], 200 / 3),  # 1 frame at 30 fps = 33.3 ms
        ([0.039, 0.041], [25.0, 25.0], 50.0),  # 40 ms at 25 fps
        ([0.02, 0.02], [60.0, 30.0], 50.0),  # each clip is held to its own rate
        ([-0.01, 0.5], [30.0, 1.0], 100.0),
    ],
)
def test_within_one_frame_uses_each_clips_rate(errors_s, fps, expected_pct):
    true_s = np.zeros(len(errors_s))
    assert cm.within_one_frame_pct(true_s, errors_s, fps=fps) == pytest.approx(expected_pct)


@pytest.mark.parametrize(
    ("tolerance_s", "expected_pct"), [(0.01, 50.0), (0.002, 25.0), (1.0, 100.0)]
)
def test_within_tolerance_counts_errors_up_to_the_tolerance(tolerance_s, expected_pct):
    est_s = [0.001, -0.009, 0.011, 0.2]
    got = cm.within_tolerance_pct([0, 0, 0, 0], est_s, tolerance_s=tolerance_s)
    assert got == pytest.approx(expected_pct)


def test_error_by_band_shows_error_per_confidence_band():
    bands = cm.error_by_band(
        [0] * 5, [0.5, 0.1, 0.02, 0.0, 0.004], confidences=[0.1, 0.3, 0.6, 0.9, 1.0]
    )
    assert bands["poor"] == (1, pytest.approx(0.5))
    assert bands["fair"] == (1, pytest.approx(0.1))
    assert bands["good"] == (1, pytest.approx(0.02))
    assert bands["excellent"] == (2, pytest.approx(0.002))


@pytest.mark.parametrize(
    ("true_s", "est_s", "conf", "expected"),
    [
        ([1.0], [1.02], [0.9], 0),  # right within a frame
        ([1.0], [1.5], [0.9], 1),  # confident and wrong
        ([1.0], [1.5], [0.49], 0),  # wrong, but said so
        ([1.0], [NAN], [0.9], 0),  # not synced: a failure, not a wrong answer
        ([NAN], [3.0], [0.5], 1),  # unsyncable clip placed with confidence
        ([NAN], [3.0], [0.3], 0),
        ([NAN, 1.0, -1.0], [NAN, 1.0, -2.0], [NAN, 1.0, 0.8], 1),
    ],
)
def test_confident_but_wrong_counts_both_kinds(true_s, est_s, conf, expected):
    fps = [30.0] * len(true_s)
    assert cm.confident_but_wrong_count(true_s, est_s, confidences=conf, fps=fps) == expected


@pytest.mark.parametrize(
    ("est_s", "conf", "expected_pct"),
    [
        ([NAN, NAN], [0.0, NAN], 100.0),
        ([1.0, NAN], [0.9, 0.0], 50.0),
        ([1.0], [0.19], 100.0),
        ([1.0, 2.0], [0.2, 0.8], 0.0),
    ],
)
def test_refused_pct_counts_unsynced_or_low_confidence(est_s, conf, expected_pct):
    assert cm.refused_pct(est_s, confidences=conf) == pytest.approx(expected_pct)


def test_failure_pct_counts_missing_estimates():
    assert cm.failure_pct([1.0, NAN, 2.0, NAN]) == pytest.approx(50.0)
    assert math.isnan(cm.failure_pct([]))


def test_agreement_skips_missing_and_counts_within_200ms():
    got = cm.agreement([0.01, -0.3, NAN, 0.1, 0.19])
    assert got["av_n"] == 4
    assert got["av_within_200ms_pct"] == pytest.approx(75.0)
    assert got["av_diff_median_ms"] == pytest.approx(145.0)
    assert got["av_diff_max_ms"] == pytest.approx(300.0)


def test_efficiency_divides_total_runtime_by_total_minutes():
    got = cm.efficiency(
        [1.0, 3.0], video_minutes=[0.5, 1.5], peak_memory_mb=[100, NAN], peak_cpu_percent=[50, 150]
    )
    assert got["runtime_s_per_video_min"] == pytest.approx(2.0)
    assert got["peak_memory_mb"] == 100
    assert (got["peak_cpu_max_pct"], got["peak_cpu_mean_pct"]) == (150, 100)


@pytest.mark.parametrize(
    ("true_s", "est_s", "match"),
    [
        ([0.0, 1.0], [0.0], "length mismatch: 2 true offsets, 1 estimates"),
        ([[0.0]], [[0.0]], r"true_offsets_s must be 1-D, got shape \(1, 1\)"),
        ([0.0, NAN], [0.0, 1.0], r"true_offsets_s\[1\] = nan is not finite"),
        ([0.0, 1.0], [0.0, math.inf], r"est_offsets_s\[1\] = inf is not finite"),
    ],
)
def test_validate_rejects_bad_arrays_naming_the_value(true_s, est_s, match):
    with pytest.raises(ValueError, match=match):
        cm.validate(true_s, est_s)


def test_validate_allows_missing_values_but_not_infinities():
    cm.validate([NAN, 1.0], [2.0, NAN], allow_missing=True)
    with pytest.raises(ValueError, match=r"true_offsets_s\[0\] = -inf"):
        cm.validate([-math.inf], [0.0], allow_missing=True)


@pytest.mark.parametrize("fps", [[30.0, 0.0], [30.0, NAN], [30.0]])
def test_within_one_frame_rejects_bad_frame_rates(fps):
    with pytest.raises(ValueError, match="fps"):
        cm.within_one_frame_pct([0.0, 0.0], [0.0, 0.0], fps=fps)


def test_metrics_reject_negative_tolerance():
    with pytest.raises(ValueError, match="tolerance_s must be >= 0, got -0.1"):
        cm.within_tolerance_pct([0.0], [0.0], tolerance_s=-0.1)


@pytest.mark.parametrize("method", sorted(fixtures.EXPECTED))
def test_evaluate_results_matches_the_hand_made_fixture(method):
    metrics = cm.evaluate_results(fixtures.results())
    scores = metrics["methods"][method]
    for key, expected in fixtures.EXPECTED[method].items():
        assert scores[key] == pytest.approx(expected), key
    assert scores["clips_n"] == 5  # references are excluded
    assert "synced" in metrics["note"]


def test_evaluate_results_breaks_down_by_tag():
    by_tag = cm.evaluate_results(fixtures.results())["by_tag"]
    assert set(by_tag["audio"]) == {"offset_range", "unsyncable", "no_audio"}
    assert by_tag["audio"]["no_audio"]["failure_pct"] == 100.0
    assert by_tag["audio"]["offset_range"]["mae_ms"] == pytest.approx(2.5)
    assert by_tag["visual"]["unsyncable"]["confident_wrong_n"] == 1


def test_main_writes_metrics_json_and_prints_tables(tmp_path, capsys):
    root = fixtures.write_results(tmp_path)
    assert cm.main(["--preset", fixtures.PRESET, "--out", str(tmp_path)]) == 0
    written = json.loads((root / "metrics.json").read_text())
    assert written["methods"]["audio"]["mae_ms"] == pytest.approx(35.0)
    assert written["methods"]["audio"]["dm_mae_ms"] == pytest.approx(2.5)
    assert written["by_tag"]["audio"]["no_audio"]["mae_ms"] is None  # NaN -> null
    out = capsys.readouterr().out
    assert "mae_ms" in out and "visual by tag" in out and "failure_pct" in out


def test_main_says_which_command_writes_missing_results(tmp_path):
    with pytest.raises(SystemExit, match="run python -m evaluation.run_batch first"):
        cm.main(["--preset", "nothing", "--out", str(tmp_path)])


def test_calibration_by_hand() -> None:
    # right at 0.9; 0.5 s off at 0.9; an unsyncable clip placed at 0.3 (never right)
    scores = cm.calibration(
        [0.0, 1.0, math.nan], [0.0, 1.5, 2.0], confidences=[0.9, 0.9, 0.3], fps=[30.0, 30.0, 30.0]
    )
    # ECE: bin 0.9-1.0 holds 2 clips (mean 0.9, half right), bin 0.3-0.4 one (0.3, wrong)
    assert scores["ece"] == pytest.approx(2 / 3 * 0.4 + 1 / 3 * 0.3)
    assert (scores["cal_excellent_n"], scores["cal_excellent_correct_pct"]) == (2, 50.0)
    assert (scores["cal_fair_n"], scores["cal_fair_correct_pct"]) == (1, 0.0)
    assert scores["cal_good_n"] == 0 and math.isnan(scores["cal_good_correct_pct"])
