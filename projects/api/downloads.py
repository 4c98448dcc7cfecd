"""File downloads through the API: any Accept header is fine, errors are still JSON."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

__all__ = ["DownloadApi", "binary_responses"]


class _AnyMediaRenderer(BaseRenderer):
    """Lets content negotiation accept ``Accept: video/mp4``; it never renders a body itself."""

    media_type = "*/*"
    format = "bin"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        return JSONRenderer().render(data, "application/json", renderer_context)


class DownloadApi(APIView):
    """Base for views that answer with a file (``HttpResponse``) instead of a JSON body."""

    renderer_classes = [JSONRenderer, _AnyMediaRenderer]

    def finalize_response(
        self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        if isinstance(response, Response):  # an error body: always JSON, whatever was accepted
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


def binary_responses(*media_types: str, ranges: bool = True) -> dict[Any, OpenApiResponse]:
    """Schema entries for a file body: 200 (whole), 206 (a byte range), 416 (range outside)."""
    responses: dict[Any, OpenApiResponse] = {}
    for media_type in media_types:
        responses[(200, media_type)] = OpenApiResponse(OpenApiTypes.BINARY, description="The file")
        if ranges:
            responses[(206, media_type)] = OpenApiResponse(
                OpenApiTypes.BINARY, description="The requested byte range (Range: bytes=a-b)"
            )
    if ranges:
        responses[416] = OpenApiResponse(description="The Range starts past the end of the file")
    return responses
