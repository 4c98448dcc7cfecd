"""Global solve: all offsets from pairwise lags, robust to a bad pair."""

from __future__ import annotations

import numpy as np
import pytest

from syncengine.align import solve
from syncengine.errors import ParameterError

TRUE = [0.0, 1.5, -2.0, 3.25, 0.75]


def _all_pairs(conf: float = 0.9) -> list[tuple[int, int, float, float]]:
    n = len(TRUE)
    return [(i, j, TRUE[j] - TRUE[i], conf) for i in range(n) for j in range(i + 1, n)]


def test_it_recovers_offsets_from_consistent_pairs() -> None:
    sol = solve(len(TRUE), _all_pairs())
    np.testing.assert_allclose(sol.values, TRUE, atol=1e-9)
    np.testing.assert_allclose(sol.residual, 0.0, atol=1e-9)


def test_it_votes_out_a_confident_wrong_pair() -> None:
    pairs = _all_pairs()
    pairs[1] = (0, 2, 5.0, 0.95)  # wrong by 7 s, and the most confident of all
    sol = solve(len(TRUE), pairs)
    np.testing.assert_allclose(sol.values, TRUE, atol=1e-9)
    assert sol.outliers == ((0, 2, 5.0, 0.95),)


def test_it_places_a_clip_through_others_and_leaves_the_unconnected_out() -> None:
    pairs = [(0, 1, 1.5, 0.9), (1, 3, 1.75, 0.6), (2, 3, 5.25, 0.1)]
    sol = solve(4, pairs)
    assert sol.values[3] == pytest.approx(3.25)
    assert sol.confidence[3] == pytest.approx(0.6)  # the weakest link of its chain
    assert np.isnan(sol.values[2]) and sol.confidence[2] == 0.0


def test_a_measured_disagreement_shows_in_the_residual() -> None:
    pairs = [(0, 1, 1.0, 0.9), (1, 2, 1.0, 0.9), (0, 2, 2.03, 0.9)]
    sol = solve(3, pairs, outlier_s=0.1)
    assert 0.005 < sol.residual[2] < 0.03


def test_the_reference_can_be_any_video() -> None:
    sol = solve(len(TRUE), _all_pairs(), reference=3)
    np.testing.assert_allclose(sol.values, np.array(TRUE) - TRUE[3], atol=1e-9)


def test_it_rejects_bad_pairs() -> None:
    with pytest.raises(ParameterError, match=r"bad pair \(0, 0"):
        solve(2, [(0, 0, 1.0, 0.9)])
    with pytest.raises(ParameterError, match="reference index 5"):
        solve(2, [], reference=5)


def test_a_coarse_pair_does_not_pull_a_clip_placed_by_a_precise_one() -> None:
    # 0-1 measured by audio (precise), 0-2 and 1-2 by picture (coarse) and off by 20 ms.
    pairs = [(0, 1, 1.0, 0.9), (0, 2, 2.02, 0.9), (1, 2, 1.0, 0.9)]
    sol = solve(3, pairs, outlier_s=0.1, precision=[1.0, 0.0025, 0.0025])
    assert sol.values[1] == pytest.approx(1.0, abs=1e-4)
    equal = solve(3, pairs, outlier_s=0.1)
    assert abs(equal.values[1] - 1.0) > 0.005  # without precision the coarse pairs drag it


def test_a_pair_outside_the_reference_component_does_not_break_the_solve() -> None:
    pairs = [(0, 1, 1.5, 0.9), (2, 3, 0.5, 0.9), (0, 4, 0.75, 0.5)]
    sol = solve(5, pairs, outlier_s=0.04)
    assert sol.values[1] == pytest.approx(1.5) and sol.values[4] == pytest.approx(0.75)
    assert np.isnan(sol.values[2]) and np.isnan(sol.values[3]) and sol.outliers == ()
