"""User-facing engine constants, one owner each: the CLI, the portal and evaluation import them.

Conventions
-----------
Seconds end in ``_s`` and confidences are in ``[0, 1]``. A band's lower edge is inclusive: a
confidence ``c`` is in the first band of :data:`CONFIDENCE_BANDS` whose edge is ``<= c`` (so 0.5
is "good", 0.4999 is "fair"). A clip below :data:`SYNCED_THRESHOLD` is reported as not synced.
The Django portal builds its form choices, model choices and the run page's legend from these
tuples; ``tests/projects/test_constants.py`` pins them together.
"""

from __future__ import annotations

__all__ = [
    "AGREEMENT_S",
    "BAND_EDGES",
    "CONFIDENCE_BANDS",
    "DEFAULT_MAX_LAG_S",
    "FALLBACK_FPS",
    "RENDER_MODES",
    "SYNCED_THRESHOLD",
    "band",
]

#: Largest offset searched by default, seconds: None, every lag with enough overlap
#: (coarse-to-fine). The CLI's ``--max-offset``, the API's and the portal form's
#: ``max_offset_s`` and ``estimate_offsets(max_lag_s=...)`` all default to this.
DEFAULT_MAX_LAG_S: float | None = None

#: Confidence bands from the seed, highest first: ``(inclusive lower edge, name)``.
CONFIDENCE_BANDS: tuple[tuple[float, str], ...] = (
    (0.8, "excellent"),
    (0.5, "good"),
    (0.2, "fair"),
    (0.0, "poor"),
)
#: Below this confidence a clip is not placed ("poor" is "not synced").
SYNCED_THRESHOLD = 0.2
#: The band edges ascending, from 0 to 1 (for reliability tables and plots).
BAND_EDGES: tuple[float, ...] = (*sorted(edge for edge, _ in CONFIDENCE_BANDS), 1.0)

#: Sound and picture estimates of one clip within this many seconds are "the same answer";
#: further apart they disagree (a note on the clip and a warning on the run page).
AGREEMENT_S = 0.1

#: Frame rate assumed when a file declares none (frame steps, editor timelines, tolerances).
FALLBACK_FPS = 30.0

#: Render timelines: "union" keeps all footage (starts with the earliest camera),
#: "reference" keeps the reference's span. The first is the default.
RENDER_MODES: tuple[str, ...] = ("union", "reference")


def band(confidence: float) -> str:
    """The seed's band name for a confidence value (lower edges inclusive)."""
    for lower, name in CONFIDENCE_BANDS:
        if confidence >= lower:
            return name
    return CONFIDENCE_BANDS[-1][1]
