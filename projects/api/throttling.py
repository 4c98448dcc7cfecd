"""Scoped throttling whose rates are read per request, so settings overrides take effect."""

from __future__ import annotations

from rest_framework import throttling
from rest_framework.settings import api_settings


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    # DRF copies DEFAULT_THROTTLE_RATES into a class attribute at import time.
    def get_rate(self) -> str | None:
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        return super().get_rate()
