"""API tokens: made and revoked on the portal page, shown once, hashed; session auth with CSRF."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects import services
from projects.api.auth import INVALID_TOKEN
from projects.api.errors import CSRF_FAILED
from projects.api.models import ApiToken
from tests.api.base import ApiTestCase

LIST = reverse("api-project-list")


class TokenTests(ApiTestCase):
    def test_a_user_creates_a_token_on_the_portal_sees_it_once_and_uses_it(self) -> None:
        self.client.force_login(self.owner)
        page = self.client.get(reverse("project-list"))
        self.assertContains(page, f'href="{reverse("token-list")}">API tokens</a>')
        response = self.client.post(reverse("token-list"), {"name": "nightly export"})
        assert response.status_code == 201 and response["Cache-Control"] == "no-store"
        key = response.context["new_key"]
        assert key.startswith("sst_") and len(key) > 40
        self.assertContains(response, key, status_code=201)
        token = ApiToken.objects.get(user=self.owner, name="nightly export")
        assert token.key_hash == hashlib.sha256(key.encode()).hexdigest() and token.prefix in key
        assert key not in str(ApiToken.objects.filter(pk=token.pk).values().get())
        page = self.client.get(reverse("token-list"))
        self.assertNotContains(page, key)  # never shown again
        self.assertContains(page, "nightly export")
        self.assertContains(page, f"{token.prefix}…")

        self.client.logout()
        response = self.call("GET", LIST, key=key)
        assert response.status_code == 200
        token.refresh_from_db()
        assert token.last_used_at is not None

    def test_a_revoked_or_wrong_token_is_refused_with_401(self) -> None:
        self.client.force_login(self.owner)
        self.client.post(reverse("token-list"), {"name": "ci"})
        token = ApiToken.objects.get(user=self.owner, name="ci")
        response = self.client.post(reverse("token-revoke", args=[token.pk]), follow=True)
        self.assertContains(response, "Token &#x27;ci&#x27; was revoked")
        assert not ApiToken.objects.filter(pk=token.pk).exists()
        self.client.logout()
        for header in ("Token sst_not-a-real-key", "Token ", "Token a b", "Bearer xyz"):
            with self.subTest(header):
                response = self.client.get(LIST, HTTP_AUTHORIZATION=header)
                assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
                assert response.json()["code"] in {"authentication_failed", "not_authenticated"}
        body = self.assert_error(
            self.call("GET", LIST, key="sst_wrong"), 401, "authentication_failed", INVALID_TOKEN
        )
        assert body["extra"] == {}
        self.owner.is_active = False
        self.owner.save()
        self.assert_error(self.call("GET", LIST), 401, "authentication_failed")

    def test_tokens_belong_to_their_user(self) -> None:
        theirs = ApiToken.objects.get(user=self.outsider)
        self.client.force_login(self.owner)
        assert self.client.post(reverse("token-revoke", args=[theirs.pk])).status_code == 404
        self.assertNotContains(self.client.get(reverse("token-list")), theirs.prefix)
        response = self.client.post(reverse("token-list"), {"name": ""})
        self.assertContains(response, "This field is required.", status_code=400)
        assert ApiToken.objects.filter(pk=theirs.pk).exists()
        self.client.logout()
        response = self.client.get(reverse("token-list"))
        self.assertRedirects(response, f"{reverse('login')}?next={reverse('token-list')}")

    def test_the_browser_session_works_and_writes_need_the_csrf_token(self) -> None:
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(self.owner)
        assert browser.get(LIST).status_code == 200
        response = browser.post(LIST, {"name": "x"}, content_type="application/json")
        # The message a person can act on (the pages show it; see static/js/api.js).
        self.assert_error(response, 403, "csrf_failed", CSRF_FAILED)
        browser.get(reverse("token-list"))  # sets the CSRF cookie
        csrf = browser.cookies["csrftoken"].value
        response = browser.post(
            LIST, {"name": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
        )
        assert response.status_code == 201
        # A token caller needs no CSRF token, even with the session cookie absent.
        api = Client(enforce_csrf_checks=True)
        response = api.post(
            LIST,
            {"name": "y"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {self.owner_key}",
        )
        assert response.status_code == 201

    def test_the_admin_lists_tokens_without_their_keys_and_cannot_make_one(self) -> None:
        admin = type(self.owner).objects.create_superuser("root", "root@example.org", "pw-root")
        self.client.force_login(admin)
        token = ApiToken.objects.get(user=self.owner)
        page = self.client.get(reverse("admin:api_apitoken_changelist"))
        self.assertContains(page, token.prefix)
        self.assertNotContains(page, self.owner_key)
        assert self.client.get(reverse("admin:api_apitoken_add")).status_code == 403


class TokenLifetimeTests(ApiTestCase):
    """Tokens die with a password change and API_TOKEN_MAX_AGE_DAYS after they were made."""

    def test_a_password_change_in_the_admin_revokes_the_users_tokens(self) -> None:
        staff = get_user_model().objects.create_superuser("root", "root@example.org", "pw-root")
        self.client.force_login(staff)
        assert self.call("GET", LIST).status_code == 200
        url = reverse("admin:auth_user_password_change", args=[self.owner.pk])
        response = self.client.post(
            url,
            {
                "usable_password": "true",
                "password1": "violet-harbour-lantern",
                "password2": "violet-harbour-lantern",
            },
        )
        assert response.status_code == 302, response.content[:2000]
        self.client.logout()
        assert not ApiToken.objects.filter(user=self.owner).exists()
        self.assert_error(self.call("GET", LIST), 401, "authentication_failed", INVALID_TOKEN)
        assert self.call("GET", LIST, key="outsider").status_code == 200  # others keep theirs

    def test_set_password_revokes_tokens_but_other_saves_and_rehashes_keep_them(self) -> None:
        self.owner.first_name = "Alice"
        self.owner.save()
        self.owner.set_password("password-alice")  # the same password again
        self.owner.save()
        # A hasher upgrade on log-in re-hashes the same password (setter of check_password).
        with self.settings(
            PASSWORD_HASHERS=[
                "django.contrib.auth.hashers.PBKDF2PasswordHasher",
                "django.contrib.auth.hashers.MD5PasswordHasher",
            ]
        ):
            assert self.owner.check_password("password-alice")
        assert self.owner.password.startswith("pbkdf2_")
        assert self.call("GET", LIST).status_code == 200

        self.owner.set_password("a-brand-new-pass-phrase")
        self.owner.save()
        self.assert_error(self.call("GET", LIST), 401, "authentication_failed", INVALID_TOKEN)
        _, key = services.api_token_create(user=self.owner, name="after")
        assert self.call("GET", LIST, key=key).status_code == 200  # new tokens work
        self.outsider.set_unusable_password()
        self.outsider.save()
        self.assert_error(self.call("GET", LIST, key="outsider"), 401, "authentication_failed")

    def test_an_expired_token_is_refused_like_a_revoked_one(self) -> None:
        token = ApiToken.objects.get(user=self.owner)
        made = timezone.now() - timedelta(days=90, minutes=1)
        ApiToken.objects.filter(pk=token.pk).update(created_at=made)
        body = self.assert_error(
            self.call("GET", LIST), 401, "authentication_failed", INVALID_TOKEN
        )
        assert body["extra"] == {}
        ApiToken.objects.filter(pk=token.pk).update(created_at=made + timedelta(minutes=2))
        assert self.call("GET", LIST).status_code == 200  # just inside the 90 days
        ApiToken.objects.filter(pk=token.pk).update(created_at=made - timedelta(days=900))
        with self.settings(API_TOKEN_MAX_AGE_DAYS=0):  # 0: tokens never expire
            assert self.call("GET", LIST).status_code == 200
        with self.settings(API_TOKEN_MAX_AGE_DAYS=400):
            self.assert_error(self.call("GET", LIST), 401, "authentication_failed")
