"""Production settings: `check --deploy` passes with the production environment and fails
without it, a production process refuses to start without SECRET_KEY, the development defaults
leave DEBUG off, the 404 page lists no URL patterns, and static files are served with DEBUG off.

Settings are read once per process, so each environment is tried in a child process.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

REPO = Path(__file__).resolve().parent.parent.parent
# The environment deploy/README.md tells a production machine to set.
PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "SYNCSITE_REQUIRE_SECRET_KEY": "1",
    "ALLOWED_HOSTS": "sync.example.org",
    "HTTPS": "1",
    "SENDFILE_BACKEND": "nginx",
    "STATIC_COLLECTED": "1",
    "TRUSTED_PROXIES": "127.0.0.1",
}
_OURS = {*PRODUCTION, "DEBUG", "DATABASE_URL", "Q_BROKER", "CACHE_BACKEND"}


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in _OURS}
    return subprocess.run(
        argv,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env={**clean, "DJANGO_SETTINGS_MODULE": "syncsite.settings", **env},
    )


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "manage.py", *args], env)


def test_check_deploy_passes_with_the_production_environment() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_names_each_missing_production_setting() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env={})
    assert result.returncode != 0
    for check_id in (
        "syncsite.E001",  # SECRET_KEY not from the environment
        "syncsite.W001",  # files not handed to nginx
        "syncsite.W002",  # static files not collected
        "syncsite.W003",  # no trusted proxy: one address for every client
        "security.W004",  # no HSTS
        "security.W008",  # no https redirect
        "security.W012",  # session cookie not secure
        "security.W016",  # CSRF cookie not secure
    ):
        assert check_id in result.stderr, check_id
    assert "security.W018" not in result.stderr  # DEBUG is off by default


def test_a_production_process_refuses_to_start_without_secret_key() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is required in production" in result.stderr


def test_gunicorn_refuses_to_start_without_secret_key() -> None:
    argv = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--check-config"]
    refused = _run(argv, {})
    assert refused.returncode != 0
    assert "SECRET_KEY is not set" in refused.stderr
    assert _run(argv, {"SECRET_KEY": secrets.token_urlsafe(50)}).returncode == 0


def test_scripts_serve_refuses_debug_and_a_missing_secret_key() -> None:
    no_key = _run(["bash", "scripts/serve"], {})
    assert no_key.returncode == 2
    assert "SECRET_KEY is not set" in no_key.stderr
    debug = _run(["bash", "scripts/serve"], {"DEBUG": "True", "SECRET_KEY": "x" * 60})
    assert debug.returncode == 2
    assert "scripts/serve is the production server" in debug.stderr


def test_scripts_run_is_the_development_server_on_the_loopback_address() -> None:
    script = (REPO / "scripts" / "run").read_text()
    assert 'runserver "127.0.0.1:$port"' in script and "0.0.0.0" not in script
    assert "demo_project --user demo --create-user" in script
    serve = (REPO / "scripts" / "serve").read_text()
    assert "demo_project" not in serve and "--create-user" not in serve
    refused = _run(["bash", "scripts/run", "--production"], {})
    assert refused.returncode == 2
    assert "the production server is ./scripts/serve" in refused.stderr


def test_debug_is_off_and_no_key_is_written_in_the_code_by_default() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.SECRET_KEY_FROM_ENV, len(settings.SECRET_KEY))"
    )
    for env in ({}, {"DEBUG": "1"}):
        result = _run([sys.executable, "-c", code], env)
        assert result.returncode == 0, result.stderr
        debug, from_env, length = result.stdout.split()
        assert debug == str(bool(env)) and from_env == "False" and int(length) >= 50
    assert "insecure" not in (REPO / "syncsite" / "settings.py").read_text()


@pytest.mark.django_db
def test_the_not_found_page_lists_no_url_patterns(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "There is nothing here" in text
    assert "URLconf" not in text and "api/v1/" not in text


def test_static_files_are_served_with_debug_off(client: Client, settings) -> None:
    assert settings.DEBUG is False
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == (REPO / "static" / "css" / "site.css").read_bytes()
