"""Media behind nginx: with SENDFILE_BACKEND=nginx the views answer X-Accel-Redirect (and no
body); without it Django streams the file with Range, as before. Behind the proxy the client's
address comes from X-Real-IP only when the peer is a trusted proxy, so the per-address log-in
limit counts each client, not nginx.
"""

from __future__ import annotations

from pathlib import Path

from django.test import RequestFactory, override_settings
from django.urls import reverse

from projects.views.files import ranged_file_response
from syncsite.middleware import TrustedProxyMiddleware
from tests.projects.base import BaseTestCase
from tests.projects.test_accounts import LOCKED, WRONG

NGINX = "django_sendfile.backends.nginx"


def _media(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "media"
    clip = root / "renders" / "7" / "café take 2_synced.mov"
    clip.parent.mkdir(parents=True)
    clip.write_bytes(bytes(range(256)) * 40)
    return root, clip


def test_with_nginx_the_answer_is_an_x_accel_redirect_without_a_body(tmp_path: Path) -> None:
    root, clip = _media(tmp_path)
    request = RequestFactory().get("/", HTTP_RANGE="bytes=0-9")
    with override_settings(SENDFILE_BACKEND=NGINX, SENDFILE_ROOT=str(root), MEDIA_ROOT=root):
        response = ranged_file_response(request, clip)
    assert response.status_code == 200  # nginx answers the Range itself
    assert response["X-Accel-Redirect"] == (
        "/_media_internal/renders/7/caf%C3%A9%20take%202_synced.mov"
    )
    assert response.content == b""
    assert "Content-Length" not in response  # nginx sends the length with the body
    assert response["Content-Type"] == "video/quicktime"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["Accept-Ranges"] == "bytes"


def test_without_nginx_django_streams_the_range_itself(tmp_path: Path) -> None:
    root, clip = _media(tmp_path)
    request = RequestFactory().get("/", HTTP_RANGE="bytes=0-9")
    with override_settings(SENDFILE_BACKEND=None, MEDIA_ROOT=root):
        response = ranged_file_response(request, clip)
    assert response.status_code == 206
    assert "X-Accel-Redirect" not in response
    assert b"".join(response.streaming_content) == bytes(range(10))


def test_a_file_outside_the_mapped_folder_is_streamed_not_redirected(tmp_path: Path) -> None:
    root, _ = _media(tmp_path)
    elsewhere = tmp_path / "plots" / "run.png"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(b"\x89PNG" + bytes(100))
    with override_settings(SENDFILE_BACKEND=NGINX, SENDFILE_ROOT=str(root)):
        response = ranged_file_response(RequestFactory().get("/"), elsewhere)
    assert "X-Accel-Redirect" not in response
    assert b"".join(response.streaming_content) == elsewhere.read_bytes()


def _address_after_proxy(**meta: str) -> str:
    seen: list[str] = []

    def view(request):
        seen.append(request.META["REMOTE_ADDR"])
        return None

    TrustedProxyMiddleware(view)(RequestFactory().get("/", **meta))
    return seen[0]


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_x_real_ip_is_believed_only_from_a_trusted_proxy() -> None:
    assert _address_after_proxy(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.7") == (
        "203.0.113.7"
    )
    # A client talking to gunicorn directly cannot choose its address.
    assert _address_after_proxy(REMOTE_ADDR="198.51.100.2", HTTP_X_REAL_IP="203.0.113.7") == (
        "198.51.100.2"
    )
    assert _address_after_proxy(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="not-an-address") == (
        "127.0.0.1"
    )
    assert _address_after_proxy(REMOTE_ADDR="127.0.0.1") == "127.0.0.1"


@override_settings(TRUSTED_PROXIES=["127.0.0.1"], LOGIN_MAX_FAILURES_PER_ADDRESS=5)
class LoginLimitBehindTheProxyTests(BaseTestCase):
    def _log_in(self, username: str, password: str, client_address: str):
        return self.client.post(
            reverse("login"),
            {"username": username, "password": password},
            REMOTE_ADDR="127.0.0.1",  # every request arrives from nginx
            HTTP_X_REAL_IP=client_address,
        )

    def test_one_sprayer_behind_nginx_locks_its_own_address_not_everyone(self) -> None:
        for attempt in range(20):
            response = self._log_in(f"user{attempt}", "guess", "203.0.113.7")
            assert response.status_code == 200
            self.assertContains(response, WRONG if attempt < 5 else LOCKED)
        self.assertContains(self._log_in("alice", "password-alice", "203.0.113.7"), LOCKED)
        # Another client, through the same nginx, logs in.
        response = self._log_in("alice", "password-alice", "198.51.100.9")
        self.assertRedirects(response, reverse("project-list"))
