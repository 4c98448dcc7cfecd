"""REST paths over one-view-per-operation: ``route()`` picks the operation by HTTP method.

Django resolves a path to one view, but ``GET /projects/`` (list) and ``POST /projects/``
(create) are two operations with their own serializers, throttles and parsers. ``route()``
returns a small dispatcher, which answers the path, followed by one pattern per operation view
that is never reached by requests: drf-spectacular reads the schema from those patterns, so
the routing table and the schema come from the same declaration and cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from rest_framework.views import APIView

from projects.api.errors import method_not_allowed

__all__ = ["ID_MAX", "IdConverter", "route"]

ID_MAX = 10**18 - 1  # 18 digits: inside a signed 64-bit column on every database


class IdConverter:
    """``<id:name>``: a row id. A longer number is a 404 here, not an overflow in the database."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


def route(pattern: str, *, name: str, **views: type[APIView]) -> list[URLPattern]:
    """``route("projects/", name="project-list", get=ProjectListApi, post=ProjectCreateApi)``."""
    handlers: dict[str, Callable[..., HttpResponse]] = {
        method.upper(): view.as_view() for method, view in views.items()
    }
    if "GET" in handlers:
        handlers["HEAD"] = handlers["GET"]
    allowed = sorted(handlers)

    def dispatch(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        handler = handlers.get(request.method or "")
        if handler is None:
            return method_not_allowed(request.method or "", allowed)
        return handler(request, *args, **kwargs)

    # DRF views are CSRF-exempt at the middleware: SessionAuthentication enforces CSRF itself
    # (only for session callers), token callers never need it.
    dispatch.csrf_exempt = True  # type: ignore[attr-defined]
    dispatch.__name__ = f"route_{name}"
    schema_only = [path(pattern, view.as_view()) for view in views.values()]
    return [path(pattern, dispatch, name=name), *schema_only]
