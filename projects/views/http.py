"""HTTP plumbing shared by the views: JSON errors and auth for JSON endpoints."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

__all__ = ["csrf_failure", "json_error", "json_login_required"]

NOT_AUTHENTICATED = "Log in to continue."
NOT_FOUND = "Not found."
CSRF_FAILED = (
    "The page's security token is missing or out of date (the session may have expired). "
    "Reload the page and try again."
)


def json_error(message: str, *, code: str, status: int = 400, **extra: Any) -> JsonResponse:
    return JsonResponse({"ok": False, "message": message, "code": code, **extra}, status=status)


def json_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous callers get a 401 JSON body (not a login page); missing objects a 404 JSON."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return json_error(NOT_AUTHENTICATED, code="not_authenticated", status=401)
        try:
            return view(request, *args, **kwargs)
        except Http404:
            # Another user's object looks exactly like a missing one.
            return json_error(NOT_FOUND, code="not_found", status=404)

    return wrapper


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF rejections: JSON for script calls (the player's saves), Django's page otherwise."""
    wants_json = request.content_type == "application/json" or "application/json" in (
        request.headers.get("Accept", "")
    )
    if wants_json:
        return json_error(CSRF_FAILED, code="csrf_failed", status=403)
    from django.views.csrf import csrf_failure as django_csrf_failure

    return django_csrf_failure(request, reason=reason)
