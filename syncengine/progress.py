"""Progress bookkeeping: weighted stages -> one monotonic overall fraction.

Conventions
-----------
Callbacks receive ``(stage, fraction)`` where ``stage`` names the work under way ("probing",
"extracting_audio", "motion_analysis", "correlating", "solving", "rendering", "verifying") and
``fraction`` in [0, 1] is the progress of the whole operation, never decreasing.

Callbacks always run in the thread that created the tracker (the caller's thread): updates
from worker threads are recorded and delivered by :meth:`StagedProgress.flush`, which the
owner calls while it waits. So a callback may use thread-bound resources (a database
connection) and may raise to abort the work.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from syncengine.types import ProgressCallback

__all__ = ["StagedProgress"]


class StagedProgress:
    """Turn per-stage, per-item progress into overall progress for a ``ProgressCallback``."""

    def __init__(
        self, callback: ProgressCallback | None, stages: Sequence[tuple[str, float]]
    ) -> None:
        total = sum(w for _, w in stages) or 1.0
        self._callback = callback
        self._start: dict[str, float] = {}
        self._weight: dict[str, float] = {}
        acc = 0.0
        for name, weight in stages:
            self._start[name] = acc / total
            self._weight[name] = weight / total
            acc += weight
        self._items: dict[str, dict[int, float]] = {}
        self._lock = threading.Lock()
        self._last = 0.0
        self._owner = threading.get_ident()
        self._pending: tuple[str, float] | None = None

    def update(self, stage: str, fraction: float, *, item: int = 0, n_items: int = 1) -> None:
        """Record ``fraction`` done of ``item`` (of ``n_items``) in ``stage`` and report."""
        if self._callback is None or stage not in self._start:
            return
        with self._lock:
            items = self._items.setdefault(stage, {})
            items[item] = min(1.0, max(0.0, fraction))
            done = sum(items.values()) / max(1, n_items)
            overall = self._start[stage] + self._weight[stage] * min(1.0, done)
            overall = max(self._last, min(1.0, overall))
            self._last = overall
            if threading.get_ident() != self._owner:
                self._pending = (stage, overall)
                return
            self._pending = None
        self._callback(stage, overall)

    def flush(self) -> None:
        """Deliver the latest update recorded by a worker thread (call from the owner thread)."""
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None and self._callback is not None:
            self._callback(*pending)

    def item_callback(self, stage: str, item: int, n_items: int) -> ProgressCallback:
        """A callback for one item of a stage (e.g. one file of "rendering")."""

        def report(_stage: str, fraction: float) -> None:
            self.update(stage, fraction, item=item, n_items=n_items)

        return report
