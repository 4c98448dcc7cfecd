"""Request ids in logs: set per web request (or from the run in a worker), added to records."""

from __future__ import annotations

import contextvars
import logging
import uuid
from collections.abc import Callable
from pathlib import Path

from django.http import HttpRequest, HttpResponse

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class LazyFileHandler(logging.FileHandler):
    """A file handler that creates its folder and file only when something is logged."""

    def __init__(self, filename: str, **kwargs: object) -> None:
        super().__init__(filename, delay=True, **kwargs)  # type: ignore[arg-type]

    def _open(self):  # type: ignore[no-untyped-def]
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


class RequestIdMiddleware:
    """Give each request an id (or keep a sane incoming X-Request-ID) for logs and responses."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if incoming.isalnum() and len(incoming) <= 32 else new_request_id()
        request.request_id = rid  # type: ignore[attr-defined]
        token = request_id_var.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = rid
        return response
