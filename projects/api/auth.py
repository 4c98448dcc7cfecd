"""``Authorization: Token <key>`` against the hashed :class:`ApiToken` rows."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions

INVALID_TOKEN = "Invalid, expired or revoked API token."


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """DRF's header parsing and ``WWW-Authenticate: Token``; our own lookup by key hash."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        from projects.services.tokens import api_token_user

        token = api_token_user(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        return token.user, token
