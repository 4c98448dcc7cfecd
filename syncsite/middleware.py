"""The client's address behind a reverse proxy.

nginx (deploy/nginx.conf) connects to gunicorn itself, so ``REMOTE_ADDR`` is nginx's address for
every request; it sends the client's in ``X-Real-IP``. When the peer is one of
``TRUSTED_PROXIES``, that header becomes ``REMOTE_ADDR`` (the log-in limits count per address);
from any other peer the header is ignored, so a client cannot choose its own address.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

__all__ = ["TrustedProxyMiddleware"]


class TrustedProxyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("REMOTE_ADDR") in settings.TRUSTED_PROXIES:
            real = request.META.get("HTTP_X_REAL_IP", "").strip()
            with contextlib.suppress(ValueError):  # no or a malformed header: keep the proxy's
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(real))
        return self.get_response(request)
