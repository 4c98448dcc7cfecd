"""API tokens: create (the key is returned once, only its hash is stored), list, revoke."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from projects.api.models import ApiToken

__all__ = [
    "KEY_PREFIX",
    "api_token_create",
    "api_token_get_for_user",
    "api_token_list_for_user",
    "api_token_revoke",
    "api_token_user",
]

KEY_PREFIX = "sst_"
_TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is a hint, not worth a write per request


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the key, which is never readable again."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip(), key_hash=_hash(key), prefix=key[:10])
    token.full_clean()
    token.save()
    return token, key


def api_token_revoke(*, token: ApiToken) -> None:
    token.delete()


def api_token_user(*, key: str) -> ApiToken | None:
    """The active token for ``key`` (with its user), noting when it was last used."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(key), user__is_active=True)
        .first()
    )
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
    return token


def api_token_list_for_user(*, user: AbstractBaseUser) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def api_token_get_for_user(*, user: AbstractBaseUser, token_id: int) -> ApiToken:
    return get_object_or_404(ApiToken.objects.filter(user=user), pk=token_id)
