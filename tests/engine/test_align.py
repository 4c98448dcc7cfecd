"""Global solve: all offsets from pairwise lags, robust to a bad pair."""

from __future__ import annotations

import numpy as np
import pytest

from syncengine.align import loop_support, solve
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


def test_loops_that_close_raise_each_pair_by_the_others_evidence() -> None:
    closing = [(0, 1, 1.0, 0.5), (1, 2, 2.0, 0.5), (0, 2, 3.001, 0.5)]
    # each pair: 1 - (1 - 0.5) * (1 - 0.5 * 0.5) = 0.625, by hand
    assert loop_support(closing, [0.005] * 3) == pytest.approx([0.625] * 3)
    broken = [(0, 1, 1.0, 0.5), (1, 2, 2.0, 0.5), (0, 2, 3.5, 0.5)]
    assert loop_support(broken, [0.005] * 3) == pytest.approx([0.5] * 3)
    # orientation: (2, 1) measures offset_1 - offset_2 = -2.0
    flipped = [(0, 1, 1.0, 0.2), (2, 1, -2.0, 0.9), (0, 2, 3.0, 0.9)]
    assert loop_support(flipped, [0.005] * 3)[0] == pytest.approx(1 - 0.8 * (1 - 0.81))


def test_a_weak_pair_confirmed_by_a_loop_places_its_clip() -> None:
    pairs = [(0, 1, 1.0, 0.15), (1, 2, 2.0, 0.9), (0, 2, 3.0, 0.9)]
    plain = solve(3, pairs, outlier_s=0.005)
    looped = solve(3, pairs, outlier_s=0.005, loops=True)
    assert plain.values[1] == pytest.approx(1.0) and looped.values[1] == pytest.approx(1.0)
    assert looped.loops.tolist() == [1, 1, 1] and looped.loop_residual[1] == pytest.approx(0.0)
    # the weak pair now closes the loop: 1 - 0.85 * (1 - 0.81) = 0.8385
    assert looped.inliers[0][3] == pytest.approx(0.8385)
    assert looped.disputed.tolist() == [0.0, 0.0, 0.0]


def test_pairs_that_contradict_around_a_loop_dispute_the_clips_they_touch() -> None:
    pairs = [
        (0, 1, 1.0, 0.9),
        (1, 2, 2.0, 0.9),
        (0, 2, 3.5, 0.6),
        (0, 3, 0.5, 0.9),
        (3, 2, 2.5, 0.9),
    ]
    sol = solve(4, pairs, outlier_s=0.005, loops=True)
    assert [p[:3] for p in sol.outliers] == [(0, 2, 3.5)]
    assert sol.values[2] == pytest.approx(3.0)
    assert sol.disputed[2] == pytest.approx(0.6) and sol.disputed[1] == 0.0


def test_a_clip_that_misses_a_partner_it_should_overlap_is_doubted() -> None:
    from syncengine.sync import _silent_partners
    from syncengine.types import PairEstimate

    # 0 and 1 agree strongly; 2 is placed by one fair pair with 1 and fails to match 0, which it
    # would overlap by 15 s where it was put.
    pairs = [
        PairEstimate(0, 1, 2.0, 0.99, "audio"),
        PairEstimate(1, 2, 1.0, 0.4, "audio"),
        PairEstimate(0, 2, 9.0, 0.05, "audio"),
    ]
    sol = solve(3, [(p.i, p.j, p.lag_s, p.confidence) for p in pairs], outlier_s=0.005)
    assert sol.values[2] == pytest.approx(3.0)
    silent = _silent_partners(sol, pairs, [20.0, 20.0, 18.0], ref=0)
    assert [m for m, _, _ in silent[2]] == [0] and silent[2][0][1] == pytest.approx(17.0)
    assert silent[0] == [] and silent[1] == []  # the better-placed clips are not doubted
