"""Global solve: pairwise lags -> one offset per video, robust to a bad pair.

Conventions
-----------
A pair ``(i, j, lag_s, confidence)`` measures ``offset_j - offset_i``. The reference's offset is 0.

Method
------
Pairs below the synced threshold are dropped. The rest are solved by weighted least squares
(weights = confidence) with the reference pinned at 0. While some pair's residual exceeds
``outlier_s``, the worst pair (largest ``|residual| * sqrt(weight)``, ties to the less confident)
is removed and the system solved again, so one wrong pair in a redundant set is voted out. Videos
not connected to the reference by the remaining pairs are left unplaced (``NaN``).

A placed video's confidence is that of its most reliable chain to the reference (the best path's
weakest pair); its residual is the RMS disagreement of the pairs that touch it (0 when no pair is
redundant, i.e. there is nothing to disagree with).

Loops (``loops=True``)
----------------------
With three or more videos, pairs that close a loop (``A->B + B->C = A->C`` within twice the
largest tolerance of the three) are independent evidence that each is right: two wrong peaks
almost never agree. Before thresholding, each pair's confidence ``c`` becomes
``1 - (1 - c) * prod(1 - c1 * c2)`` over the loops it closes, ``c1, c2`` the other two pairs'
confidences, so a pair of weak but consistent evidence can pass and pairs of a loop that only
repetition makes consistent (all weak) gain little. After the solve, a video's
``loop_residual`` is the largest closure error of the kept loops through it, and ``disputed`` the
confidence of the strongest pair through it that was voted out for disagreeing by more than
``dispute_s``: the caller lowers that video's confidence ``c`` to the probability that its kept
pairs are right and the voted-out one (confidence ``d``) wrong, ``c(1-d) / (c(1-d) + 1 - c)``,
and says so, never averaging.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from syncengine.confidence import SYNCED_THRESHOLD, combine_independent
from syncengine.errors import ParameterError

__all__ = ["Pair", "Solution", "loop_support", "same_camera_overlaps", "solve"]

Pair = tuple[int, int, float, float]  # (i, j, value_j_minus_i, confidence)


@dataclass(frozen=True)
class Solution:
    values: NDArray[np.float64]  # [shape=(n,)], NaN where unplaced
    confidence: NDArray[np.float64]  # [shape=(n,)], 0 where unplaced
    residual: NDArray[np.float64]  # [shape=(n,)], NaN where unplaced
    inliers: tuple[Pair, ...]
    outliers: tuple[Pair, ...]
    loop_residual: NDArray[np.float64] | None = None  # [shape=(n,)], NaN where no loop
    loops: NDArray[np.int64] | None = None  # [shape=(n,)], kept loops through each video
    disputed: NDArray[np.float64] | None = None  # [shape=(n,)], 0 where nothing disagreed

    def placed(self, k: int) -> bool:
        return bool(np.isfinite(self.values[k]))


def _triangles(pairs: Sequence[Pair]) -> list[tuple[tuple[int, int, int], float]]:
    """Every loop of three pairs: (their indices in ``pairs``, closure error ab + bc - ac)."""
    key = {}
    for e, (i, j, _, _) in enumerate(pairs):
        key[(min(i, j), max(i, j))] = e

    def value(a: int, b: int) -> float:  # offset_b - offset_a
        i, j, v, _ = pairs[key[(min(a, b), max(a, b))]]
        return v if (i, j) == (a, b) else -v

    nodes = sorted({k for i, j, _, _ in pairs for k in (i, j)})
    out = []
    for x, a in enumerate(nodes):
        for y in range(x + 1, len(nodes)):
            b = nodes[y]
            if (a, b) not in key:
                continue
            for c in nodes[y + 1 :]:
                if (a, c) in key and (b, c) in key:
                    closure = value(a, b) + value(b, c) - value(a, c)
                    out.append(((key[(a, b)], key[(b, c)], key[(a, c)]), closure))
    return out


def loop_support(pairs: Sequence[Pair], limits: Sequence[float]) -> list[float]:
    """Each pair's confidence raised by the loops of three it closes (see the module docstring)."""
    evidence = [[p[3]] for p in pairs]  # each pair's own, then the loops it closes
    for (e1, e2, e3), closure in _triangles(pairs):
        if abs(closure) > 2 * max(limits[e1], limits[e2], limits[e3]):
            continue
        c = [pairs[e][3] for e in (e1, e2, e3)]
        for k, e in enumerate((e1, e2, e3)):
            evidence[e].append(c[(k + 1) % 3] * c[(k + 2) % 3])
    return [combine_independent(*ev) for ev in evidence]


def _reachable(n: int, pairs: Sequence[Pair], reference: int) -> set[int]:
    adj: dict[int, list[int]] = {k: [] for k in range(n)}
    for i, j, _, _ in pairs:
        adj[i].append(j)
        adj[j].append(i)
    seen, stack = {reference}, [reference]
    while stack:
        for nb in adj[stack.pop()]:
            if nb not in seen:
                seen.add(nb)
                stack.append(nb)
    return seen


def _wls(
    n: int, pairs: Sequence[Pair], weights: Sequence[float], reference: int, nodes: set[int]
) -> NDArray[np.float64]:
    values = np.full(n, np.nan)
    values[reference] = 0.0
    free = sorted(nodes - {reference})
    if not free:
        return values
    col = {k: c for c, k in enumerate(free)}
    a = np.zeros((len(pairs), len(free)))
    b = np.zeros(len(pairs))
    for row, ((i, j, value, conf), precision) in enumerate(zip(pairs, weights, strict=True)):
        w = np.sqrt(max(conf * precision, 1e-12))
        if j in col:
            a[row, col[j]] += w
        if i in col:
            a[row, col[i]] -= w
        b[row] = w * value
    sol, *_ = np.linalg.lstsq(a, b, rcond=None)
    values[free] = sol
    return values


def _widest_paths(n: int, pairs: Sequence[Pair], reference: int) -> NDArray[np.float64]:
    """Per node, the best over paths from the reference of the path's weakest confidence."""
    adj: dict[int, list[tuple[int, float]]] = {k: [] for k in range(n)}
    for i, j, _, conf in pairs:
        adj[i].append((j, conf))
        adj[j].append((i, conf))
    best = np.zeros(n)
    best[reference] = np.inf
    heap = [(-np.inf, reference)]
    while heap:
        neg, node = heapq.heappop(heap)
        if -neg < best[node]:
            continue
        for nb, conf in adj[node]:
            cand = min(-neg, conf)
            if cand > best[nb]:
                best[nb] = cand
                heapq.heappush(heap, (-cand, nb))
    touching = [c for i, j, _, c in pairs if reference in (i, j)]
    best[reference] = max(touching) if touching else (1.0 if n == 1 else 0.0)
    return best


def solve(
    n: int,
    pairs: Sequence[Pair],
    *,
    reference: int = 0,
    outlier_s: float | Sequence[float] = 0.1,
    min_confidence: float = SYNCED_THRESHOLD,
    precision: Sequence[float] | None = None,
    loops: bool = False,
    dispute_s: float = 0.04,
) -> Solution:
    """Solve offsets of ``n`` videos from pairwise measurements.

    Parameters
    ----------
    n : int
        Number of videos.
    pairs : sequence of (i, j, value, confidence)
        ``value`` estimates ``offset_j - offset_i`` (seconds, or any additive quantity such as
        drift in ppm).
    reference : int
        Index pinned at 0.
    outlier_s : float or sequence of float
        A pair whose residual exceeds this is voted out (same unit as ``value``); one value
        per pair lets precise measurements be held to a tighter tolerance.
    precision : sequence of float, optional
        Per pair, a relative inverse variance multiplying its confidence in the least-squares
        weight (e.g. 1 for an audio lag, 0.0025 for a 20x less precise visual lag), so a coarse
        measurement cannot pull a clip that a precise one already placed. Default: all 1.
    loops : bool
        Use loops of three pairs as evidence (see the module docstring).
    dispute_s : float
        A voted-out pair that disagrees by more than this disputes the videos it touches.

    Returns
    -------
    Solution
    """
    if not 0 <= reference < n:
        raise ParameterError(f"reference index {reference} is out of range for {n} videos")
    for i, j, value, _ in pairs:
        if not (0 <= i < n and 0 <= j < n and i != j) or not np.isfinite(value):
            raise ParameterError(f"bad pair ({i}, {j}, {value}) for {n} videos")
    if precision is not None and len(precision) != len(pairs):
        raise ParameterError(f"{len(precision)} precisions for {len(pairs)} pairs")
    weights = list(precision) if precision is not None else [1.0] * len(pairs)
    limits = [outlier_s] * len(pairs) if isinstance(outlier_s, int | float) else list(outlier_s)
    if len(limits) != len(pairs):
        raise ParameterError(f"{len(limits)} outlier limits for {len(pairs)} pairs")
    if loops:
        support = loop_support(pairs, limits)
        pairs = [(i, j, v, c) for (i, j, v, _), c in zip(pairs, support, strict=True)]
    keep = [e for e, p in enumerate(pairs) if p[3] >= min_confidence]
    kept, kept_w = [pairs[e] for e in keep], [weights[e] for e in keep]
    kept_lim = [limits[e] for e in keep]
    outliers: list[Pair] = []
    while True:
        nodes = _reachable(n, kept, reference)
        values = _wls(n, kept, kept_w, reference, nodes)
        # Pairs outside the reference's component cannot be checked (their residual is NaN).
        resid = np.nan_to_num(np.array([values[j] - values[i] - v for i, j, v, _ in kept]))
        if not kept or np.all(np.abs(resid) <= np.asarray(kept_lim)):
            break
        # The worst pair relative to its own tolerance goes first.
        score = np.abs(resid) / np.asarray(kept_lim)
        order = sorted(range(len(kept)), key=lambda e: (-round(score[e], 9), kept[e][3]))
        outliers.append(kept.pop(order[0]))
        kept_w.pop(order[0])
        kept_lim.pop(order[0])
    residual = np.full(n, np.nan)
    for k in nodes:
        r = [resid[e] for e, (i, j, _, _) in enumerate(kept) if k in (i, j)]
        residual[k] = float(np.sqrt(np.mean(np.square(r)))) if r else 0.0
    confidence = _widest_paths(n, kept, reference)
    confidence[~np.isfinite(values)] = 0.0
    loop_residual = np.full(n, np.nan)
    loop_count = np.zeros(n, dtype=np.int64)
    for tri, closure in _triangles(kept):
        for k in {v for e in tri for v in kept[e][:2]}:
            loop_count[k] += 1
            loop_residual[k] = np.nanmax([loop_residual[k], abs(closure)])
    disputed = np.zeros(n)
    for i, j, v, c in outliers:
        if (
            np.isfinite(values[i])
            and np.isfinite(values[j])
            and abs(values[j] - values[i] - v) > dispute_s
        ):
            for k in (i, j):
                disputed[k] = max(disputed[k], c)
    return Solution(
        values=values,
        confidence=np.clip(confidence, 0.0, 1.0),
        residual=residual,
        inliers=tuple(kept),
        outliers=tuple(outliers),
        loop_residual=loop_residual,
        loops=loop_count,
        disputed=disputed,
    )


def same_camera_overlaps(
    values: Sequence[float],
    spans: Sequence[tuple[float, float]],
    cameras: Sequence[str | None],
    *,
    tolerance_s: float,
) -> list[tuple[int, int, float]]:
    """Placed clips of one camera that overlap each other: ``(i, j, overlap_s)``, worst first.

    Parameters
    ----------
    values : sequence of float
        Each clip's offset (seconds; NaN: not placed).
    spans : sequence of (start_s, end_s)
        Each clip's own extent in its file time (seconds).
    cameras : sequence of str or None
        Each clip's camera key; ``None`` is a camera of its own (never overlaps a sibling).
    tolerance_s : float
        Overlaps up to this are allowed (chapters meet to within a frame and an audio packet).
    """
    out = []
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            if cameras[i] is None or cameras[i] != cameras[j]:
                continue
            if not (np.isfinite(values[i]) and np.isfinite(values[j])):
                continue
            start = max(values[i] + spans[i][0], values[j] + spans[j][0])
            end = min(values[i] + spans[i][1], values[j] + spans[j][1])
            if end - start > tolerance_s:
                out.append((i, j, float(end - start)))
    return sorted(out, key=lambda t: -t[2])
