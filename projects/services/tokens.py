"""API tokens: create (the key is returned once, only its hash is stored), list, revoke.

A token expires ``API_TOKEN_MAX_AGE_DAYS`` after it was created (0 = never) and every token of
a user is revoked when their password changes (:func:`api_tokens_revoke_on_password_change`,
connected to the user model's ``pre_save`` in projects.apps): both then answer 401.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, is_password_usable
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
    "api_token_expires_at",
    "api_token_revoke",
    "api_tokens_revoke_on_password_change",
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


def _max_age() -> timedelta | None:
    days = settings.API_TOKEN_MAX_AGE_DAYS
    return timedelta(days=days) if days > 0 else None


def api_token_expires_at(*, token: ApiToken) -> datetime | None:
    """When ``token`` stops working; None when tokens never expire."""
    max_age = _max_age()
    return token.created_at + max_age if max_age is not None else None


def api_token_user(*, key: str) -> ApiToken | None:
    """The active, unexpired token for ``key`` (with its user), noting when it was last used."""
    tokens = ApiToken.objects.select_related("user").filter(
        key_hash=_hash(key), user__is_active=True
    )
    max_age = _max_age()
    if max_age is not None:
        tokens = tokens.filter(created_at__gt=timezone.now() - max_age)
    token = tokens.first()
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


def api_tokens_revoke_on_password_change(
    sender: Any, instance: Any, raw: bool = False, **kwargs: Any
) -> None:
    """``pre_save`` of the user model: a new password revokes every API token of the user.

    Covers ``set_password()`` + ``save()`` (the admin's password form, ``changepassword``, a
    password reset) and ``set_unusable_password()``. Django's re-hash of the same password on
    log-in (a hasher upgrade) keeps the tokens, as does the same password set again.
    """
    if raw or instance.pk is None:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "password" not in update_fields:
        return
    new_raw = getattr(instance, "_password", None)
    if new_raw is None and is_password_usable(instance.password):
        return  # no new password given (a hasher upgrade clears _password before saving)
    old = type(instance).objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if old is None or old == instance.password:
        return
    if new_raw is not None and check_password(new_raw, old):
        return  # the same password, hashed again
    ApiToken.objects.filter(user_id=instance.pk).delete()
