"""OpenAPI generation tweaks (drf-spectacular)."""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi


class AutoSchema(openapi.AutoSchema):
    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        # Nested serializers are all called InputSerializer: name the component after its view
        # (ProjectCreateApi.InputSerializer -> "ProjectCreateInput").
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer, inner = qualname.split(".")[-2:]
            return outer.removesuffix("Api") + inner.removesuffix("Serializer")
        return super().get_serializer_name(serializer, direction)
