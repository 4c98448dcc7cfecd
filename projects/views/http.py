"""HTTP plumbing shared by the views: the CSRF failure answer (JSON for script calls)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from projects.api.errors import CSRF_FAILED, error_body

__all__ = ["csrf_failure"]


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF rejections: the API's error body for script calls, Django's page otherwise.

    (The API's own views check CSRF through DRF, which answers the same body.)
    """
    wants_json = request.content_type == "application/json" or "application/json" in (
        request.headers.get("Accept", "")
    )
    if wants_json:
        return JsonResponse(error_body(CSRF_FAILED, "csrf_failed"), status=403)
    from django.views.csrf import csrf_failure as django_csrf_failure

    return django_csrf_failure(request, reason=reason)
