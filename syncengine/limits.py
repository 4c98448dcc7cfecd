"""Limits on what the engine accepts, checked by :func:`syncengine.probe.probe` from the stream
headers before any picture is decoded. One owner: the portal, the API and the CLI all refuse
through the probe.

A picture larger than 8K UHD or a duration over 6 hours is refused: a 392 KB 8000x8000 clip
drove a render to 11 GB, and a 57 KB MKV declaring 1,000,000 s made a run try to allocate 30 GiB.
"""

from __future__ import annotations

__all__ = ["MAX_DURATION_S", "MAX_PICTURE_PIXELS", "MAX_PICTURE_SIDE"]

#: Largest picture, in pixels (8K UHD, 7680 x 4320).
MAX_PICTURE_PIXELS = 7680 * 4320
#: Longest side of a picture, in pixels (either width or height).
MAX_PICTURE_SIDE = 8192
#: Longest clip, in seconds (6 hours), as the container or any stream declares it.
MAX_DURATION_S = 6 * 3600.0
