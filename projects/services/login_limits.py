"""Log-in attempt limits, per account and per client address, counted in Django's cache.

Used by :class:`projects.auth.LoginLimitedBackend`, the only authentication backend, so the
portal's log-in and the admin's log-in share one counter. A failure adds one to a counter for
the account (the username as typed, case-folded) and one for the client address; a counter
lives ``LOGIN_FAILURE_WINDOW_S`` from its first failure. When a counter reaches its limit
(``LOGIN_MAX_FAILURES_PER_ACCOUNT`` / ``LOGIN_MAX_FAILURES_PER_ADDRESS``) that account or
address is locked for ``LOGIN_LOCKOUT_S``: every attempt, even with the right password, is
refused. A successful log-in clears the account's counter, never the address's (one valid
account must not reset a password sprayer's count). The address is ``REMOTE_ADDR``: behind a
reverse proxy, have the proxy set it (X-Forwarded-For is not trusted).

The cache is shared between processes when it is Redis (``CACHES`` in syncsite/settings.py);
with the default local-memory cache each process counts on its own.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

__all__ = ["login_failed", "login_locked_for_s", "login_succeeded"]

_PREFIX = "login-limit"


def _key(kind: str, value: str) -> str:
    # Hashed: usernames may hold characters memcached-style backends refuse, and keys stay short.
    return f"{_PREFIX}:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def _subjects(request: HttpRequest | None, username: str | None) -> list[tuple[str, int]]:
    """(counter key, limit) for the account and the address; a limit of 0 turns it off."""
    subjects = []
    if username:
        subjects.append(
            (_key("account", username.casefold()), settings.LOGIN_MAX_FAILURES_PER_ACCOUNT)
        )
    address = request.META.get("REMOTE_ADDR") if request is not None else None
    if address:
        subjects.append((_key("address", address), settings.LOGIN_MAX_FAILURES_PER_ADDRESS))
    return [(key, limit) for key, limit in subjects if limit > 0]


def login_locked_for_s(*, request: HttpRequest | None, username: str | None) -> int:
    """Seconds until the account or the address may try again; 0 when neither is locked."""
    now = time.time()
    until = [cache.get(f"{key}:locked") for key, _ in _subjects(request, username)]
    return max([math.ceil(u - now) for u in until if u is not None and u > now], default=0)


def login_failed(*, request: HttpRequest | None, username: str | None) -> None:
    """Count one failed attempt; lock whatever reached its limit."""
    window_s = settings.LOGIN_FAILURE_WINDOW_S
    lockout_s = settings.LOGIN_LOCKOUT_S
    for key, limit in _subjects(request, username):
        cache.add(key, 0, timeout=window_s)  # the window starts at the first failure
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window_s)
            count = 1
        if count >= limit:
            cache.add(f"{key}:locked", time.time() + lockout_s, timeout=lockout_s)


def login_succeeded(*, request: HttpRequest | None, username: str | None) -> None:
    """A right password (while not locked): forget the account's failures."""
    if username:
        cache.delete(_key("account", username.casefold()))
