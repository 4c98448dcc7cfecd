"""Accounts: log-in attempt limits on the portal and the admin, password rules at sign-up.

The limits (projects.services.login_limits): 5 failures for one account within 15 minutes lock
that account, from every address, for 15 minutes, even for the right password; 50 failures from
one client address lock that address for every account. Another account from the address of a
locked account still logs in until the address's own limit is reached.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from projects.services import login_limits
from tests.projects.base import BaseTestCase

REPO = Path(__file__).resolve().parent.parent.parent
LOCKED = "Too many failed log-in attempts. Try again in 15 minutes."
WRONG = "Please enter a correct username and password"
WRONG_ADMIN = "Please enter the correct username and password for a staff account"


def _unlock(kind: str, value: str) -> None:
    """Move the clock: the lock of ``kind`` ("account"/"address") ended a second ago."""
    key = login_limits._key(kind, value)
    assert cache.get(f"{key}:locked") is not None
    cache.set(f"{key}:locked", time.time() - 1)


class PortalLoginLimitTests(BaseTestCase):
    def _log_in(self, username: str, password: str, address: str = "127.0.0.1"):
        return self.client.post(
            reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
        )

    def test_a_brute_force_locks_the_account_even_for_the_right_password(self) -> None:
        for attempt in range(1, 21):
            response = self._log_in("alice", f"guess-{attempt}")
            assert response.status_code == 200, attempt
            self.assertContains(response, WRONG if attempt <= 5 else LOCKED)
        response = self._log_in("alice", "password-alice")
        self.assertContains(response, LOCKED)
        assert "_auth_user_id" not in self.client.session
        # The account is locked from any address, and whatever the case of the username.
        self.assertContains(self._log_in("ALICE", "password-alice", "10.0.0.7"), LOCKED)
        # Another account from the same address is not locked by alice's failures.
        self.assertRedirects(self._log_in("bob", "password-bob"), reverse("project-list"))
        self.client.logout()

        _unlock("account", "alice")
        self.assertRedirects(self._log_in("alice", "password-alice"), reverse("project-list"))

    def test_failures_within_the_limit_are_forgotten_after_a_right_password(self) -> None:
        for attempt in range(4):
            self.assertContains(self._log_in("alice", f"guess-{attempt}"), WRONG)
        self.assertRedirects(self._log_in("alice", "password-alice"), reverse("project-list"))
        self.client.logout()
        for attempt in range(4):
            self.assertContains(self._log_in("alice", f"guess-{attempt}"), WRONG)
        self.assertRedirects(self._log_in("alice", "password-alice"), reverse("project-list"))

    @override_settings(LOGIN_MAX_FAILURES_PER_ADDRESS=8)
    def test_one_address_spraying_many_accounts_is_locked_for_every_account(self) -> None:
        for attempt in range(8):
            self.assertContains(self._log_in(f"user{attempt}", "password", "10.0.0.9"), WRONG)
        self.assertContains(self._log_in("bob", "password-bob", "10.0.0.9"), LOCKED)
        response = self._log_in("bob", "password-bob", "10.0.0.10")  # another address
        self.assertRedirects(response, reverse("project-list"))

    @override_settings(LOGIN_MAX_FAILURES_PER_ACCOUNT=0, LOGIN_MAX_FAILURES_PER_ADDRESS=0)
    def test_a_limit_of_zero_turns_it_off(self) -> None:
        for attempt in range(20):
            self.assertContains(self._log_in("alice", f"guess-{attempt}"), WRONG)
        self.assertRedirects(self._log_in("alice", "password-alice"), reverse("project-list"))


class AdminLoginLimitTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        get_user_model().objects.create_superuser("root", "root@example.org", "password-root")

    def _log_in(self, password: str, username: str = "root"):
        return self.client.post(
            reverse("admin:login"),
            {
                "username": username,
                "password": password,
                "next": reverse("admin:index"),
            },
        )

    def test_a_brute_force_on_the_admin_log_in_locks_the_account(self) -> None:
        for attempt in range(1, 21):
            response = self._log_in(f"guess-{attempt}")
            assert response.status_code == 200, attempt
            self.assertContains(response, WRONG_ADMIN if attempt <= 5 else LOCKED)
        self.assertContains(self._log_in("password-root"), LOCKED)
        assert self.client.get(reverse("admin:index")).status_code == 302  # still logged out
        _unlock("account", "root")
        self.assertRedirects(self._log_in("password-root"), reverse("admin:index"))

    def test_the_portal_and_the_admin_share_one_counter(self) -> None:
        for attempt in range(3):
            self.client.post(reverse("login"), {"username": "root", "password": f"g{attempt}"})
        self.assertContains(self._log_in("guess"), WRONG_ADMIN)
        self.assertContains(self._log_in("guess"), WRONG_ADMIN)
        self.assertContains(self._log_in("password-root"), LOCKED)


class SignupPasswordTests(BaseTestCase):
    def _sign_up(self, username: str, password: str):
        return self.client.post(
            reverse("signup"),
            {
                "username": username,
                "password1": password,
                "password2": password,
            },
        )

    def test_weak_passwords_are_refused_with_the_validators_messages(self) -> None:
        cases = {
            "abc": "This password is too short. It must contain at least 10 characters.",
            "password123": "This password is too common.",
            "8302749561": "This password is entirely numeric.",
            "dora-the-explorer": "The password is too similar to the username.",
        }
        for password, message in cases.items():
            with self.subTest(password):
                username = "dora-the-explorer" if "dora" in password else "dora"
                response = self._sign_up(username, password)
                self.assertContains(response, message)
                assert not get_user_model().objects.filter(username=username).exists()

    def test_a_strong_password_is_accepted(self) -> None:
        response = self._sign_up("dora", "violet-harbour-lantern")
        self.assertRedirects(response, reverse("project-list"))
        assert (
            get_user_model().objects.get(username="dora").check_password("violet-harbour-lantern")
        )
        assert self.client.get(reverse("project-list")).status_code == 200  # stays logged in


def _settings_in(env: dict[str, str]) -> str:
    """The default cache backend that syncsite.settings configures under ``env``."""
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CACHES['default']['BACKEND'])"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("Q_BROKER", "CACHE_BACKEND")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, "DJANGO_SETTINGS_MODULE": "syncsite.settings", **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_cache_is_redis_when_the_queue_is_and_local_memory_otherwise() -> None:
    redis = "django.core.cache.backends.redis.RedisCache"
    locmem = "django.core.cache.backends.locmem.LocMemCache"
    assert _settings_in({"Q_BROKER": "redis"}) == redis
    assert _settings_in({"CACHE_BACKEND": "redis"}) == redis
    assert _settings_in({}) == locmem


def test_the_api_throttles_count_in_the_default_cache() -> None:
    from django.core.cache import cache

    from projects.api.throttling import ScopedRateThrottle

    assert ScopedRateThrottle.cache is cache  # the default cache: Redis when configured
