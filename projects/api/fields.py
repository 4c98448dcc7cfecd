"""Serializer fields shared by the API modules."""

from __future__ import annotations

import math
from typing import Any

from rest_framework import serializers


class FiniteFloatField(serializers.FloatField):
    """A float that refuses NaN and infinity (``float("nan")`` passes DRF's min/max checks)."""

    default_error_messages = {"not_finite": "A finite number is required."}

    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("not_finite")
        return value
