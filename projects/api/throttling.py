"""Scoped throttling whose rates are read per request, so settings overrides take effect."""

from __future__ import annotations

import math
from typing import Any, cast

from django.http import HttpRequest
from rest_framework import throttling
from rest_framework.settings import api_settings


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    # DRF copies DEFAULT_THROTTLE_RATES into a class attribute at import time.
    def get_rate(self) -> str | None:
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        return super().get_rate()


class _Door:
    """What DRF's scoped throttle reads from a view: only its scope."""

    def __init__(self, scope: str) -> None:
        self.throttle_scope = scope


def form_door_wait_s(request: HttpRequest, scope: str) -> int | None:
    """Count a portal form post against the API's throttle of ``scope``.

    The pages' HTML form posts (start a sync, start an export) are doors to the same work as
    the API's; they share its per-user counters (in the cache, so every process sees them).
    Returns None when the post may go on, else the whole seconds to wait.
    """
    throttle = ScopedRateThrottle()
    # The throttle reads only ``request.user`` and ``request.META``, which a Django request has.
    if throttle.allow_request(cast(Any, request), cast(Any, _Door(scope))):
        return None
    return max(1, math.ceil(throttle.wait() or 1))
