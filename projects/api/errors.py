"""One error body for the whole API: ``{"message": str, "code": str, "extra": {...}}``.

:func:`exception_handler` is DRF's ``EXCEPTION_HANDLER``. It maps DRF's exceptions, Django's
``Http404``/``PermissionDenied``/``ValidationError``, our ``ServiceError`` (code and message from
the service) and an upload stopped by ``SizeLimitedUploadHandler``. Field errors go in
``extra.fields`` as ``{field: [message, ...]}``. Anything else is a bug and stays a 500.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadhandler import StopUpload
from django.http import Http404, JsonResponse
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import set_rollback

from projects import errors
from projects.services import ServiceError

__all__ = [
    "CSRF_FAILED",
    "ErrorSerializer",
    "error_body",
    "error_responses",
    "exception_handler",
    "method_not_allowed",
    "upload_too_large_message",
]

NOT_FOUND = "Not found."
CSRF_FAILED = (
    "The page's security token is missing or out of date (the session may have expired). "
    "Reload the page and try again."
)
INVALID = "Some fields are not valid: {fields}."

# Service codes that are not plain bad input (400).
STATUS_BY_SERVICE_CODE = {
    "upload_too_large": 413,
    "run_active": 409,
    "run_finished": 409,
    "render_active": 409,
    "render_finished": 409,
    "render_not_ready": 409,
    "file_missing": 409,
    "disk_full": 507,
}


def error_body(message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "code": code, "extra": extra}


def upload_too_large_message(size_bytes: int) -> str:
    return errors.UPLOAD_TOO_LARGE_STREAM.format(
        size=errors.human_size(size_bytes), limit=errors.human_size(settings.UPLOAD_MAX_BYTES)
    )


def _field_errors(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {
            str(k): _field_errors(v) if isinstance(v, dict) else _messages(v)
            for k, v in detail.items()
        }
    return {"non_field_errors": _messages(detail)}


def _messages(detail: Any) -> list[Any]:
    if isinstance(detail, list | tuple):
        return [_field_errors(d) if isinstance(d, dict) else str(d) for d in detail]
    return [str(detail)]


def _validation_body(detail: Any) -> dict[str, Any]:
    fields = _field_errors(detail)
    if list(fields) == ["non_field_errors"] and fields["non_field_errors"]:
        return error_body(str(fields["non_field_errors"][0]), "invalid", fields=fields)
    return error_body(INVALID.format(fields=", ".join(fields)), "invalid", fields=fields)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    headers: dict[str, str] = {}
    if isinstance(exc, StopUpload):
        size = getattr(request, "upload_too_large", None) or settings.UPLOAD_MAX_BYTES
        status, body = 413, error_body(upload_too_large_message(size), "upload_too_large")
    elif isinstance(exc, ServiceError):
        status = STATUS_BY_SERVICE_CODE.get(exc.code, 400)
        body = error_body(exc.message, exc.code, **exc.extra)
    elif isinstance(exc, DjangoValidationError):
        status, body = 400, _validation_body(serializers.as_serializer_error(exc))
    elif isinstance(exc, exceptions.ValidationError):
        status, body = 400, _validation_body(exc.detail)
    elif isinstance(exc, Http404 | exceptions.NotFound):
        # Another user's object looks exactly like a missing one.
        status, body = 404, error_body(NOT_FOUND, "not_found")
    elif isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF"):
        # A browser session without a valid token (SessionAuthentication's check).
        status, body = 403, error_body(CSRF_FAILED, "csrf_failed")
    elif isinstance(exc, DjangoPermissionDenied):
        status, body = 403, error_body(str(exc) or "Permission denied.", "permission_denied")
    elif isinstance(exc, exceptions.APIException):
        status = exc.status_code
        code = exc.default_code if not isinstance(exc.detail, str) else exc.get_codes()
        extra: dict[str, Any] = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait))
            extra["retry_after_s"] = int(exc.wait)
        if isinstance(exc, exceptions.MethodNotAllowed) and context.get("view") is not None:
            extra["allowed"] = list(context["view"].allowed_methods)
        body = error_body(str(exc.detail), str(code), **extra)
    else:
        return None
    set_rollback()
    return Response(body, status=status, headers=headers)


def method_not_allowed(method: str, allowed: list[str]) -> JsonResponse:
    """405 for a method no operation on this path answers (see :mod:`projects.api.routing`)."""
    response = JsonResponse(
        error_body(f'Method "{method}" not allowed.', "method_not_allowed", allowed=allowed),
        status=405,
    )
    response["Allow"] = ", ".join(allowed)
    return response


class ErrorSerializer(serializers.Serializer):
    """The error body (documentation only)."""

    message = serializers.CharField(help_text="what went wrong, for a person to read")
    code = serializers.CharField(help_text="stable slug for programs, e.g. 'not_found'")
    extra = serializers.DictField(
        help_text="structured details: 'fields' ({field: [messages]}) for invalid input, "
        "'retry_after_s' when throttled, 'allowed' methods on 405"
    )


_DESCRIPTIONS = {
    400: "Invalid input (field errors in extra.fields) or refused by the service",
    401: "No or invalid credentials (WWW-Authenticate: Token)",
    403: "Session authentication without a valid CSRF token",
    404: "No such object, or it belongs to another user",
    405: "Method not allowed",
    406: "The Accept header asks for a type this endpoint cannot produce",
    409: "Conflicts with the object's current state",
    413: "The upload is larger than UPLOAD_MAX_BYTES",
    415: "Unsupported request body type",
    429: "Too many requests (Retry-After header, extra.retry_after_s)",
    507: "The server ran out of disk space; nothing was stored",
}
_ALWAYS = (401, 403, 404, 405, 406)


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the error statuses an operation can answer with (plus the usual)."""
    return {
        status: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[status])
        for status in sorted({*_ALWAYS, *statuses})
    }
