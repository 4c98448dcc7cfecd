"""The authentication backend: Django's ModelBackend behind the log-in attempt limits.

Both log-in forms (the portal's ``accounts/login/`` and the admin's) call
``django.contrib.auth.authenticate``, which calls this backend. While the account or the client
address is locked (:mod:`projects.services.login_limits`) the password is not even checked:
:class:`LoginLimited` (a ``ValidationError``) propagates out of ``authenticate`` into the form's
``clean()``, which shows its message in place of "Please enter a correct username and password".
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from projects.services import login_limits

__all__ = ["LoginLimited", "LoginLimitedBackend"]


class LoginLimited(ValidationError):
    """Too many failed log-ins for this account or address: try again later."""


class LoginLimitedBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get(self._username_field())
        wait_s = login_limits.login_locked_for_s(request=request, username=username)
        if wait_s:
            minutes = max(1, round(wait_s / 60))
            raise LoginLimited(
                f"Too many failed log-in attempts. Try again in {minutes} minute"
                f"{'s' if minutes != 1 else ''}.",
                code="too_many_attempts",
            )
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            login_limits.login_failed(request=request, username=username)
        else:
            login_limits.login_succeeded(request=request, username=username)
        return user

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD
