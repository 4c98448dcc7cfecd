"""The site's own app: deployment checks that ``manage.py check --deploy`` runs.

Django's own deploy checks cover DEBUG, cookies, HSTS and the key's strength; these add what
Syncsite's production path needs (deploy/README.md): a SECRET_KEY from the environment shared by
every process, files handed to nginx, collected static files, the proxy's client address.
"""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks

__all__ = ["SyncsiteConfig", "check_production_settings"]


def check_production_settings(**kwargs: Any) -> list[checks.CheckMessage]:
    """Errors and warnings for a production process (only with ``check --deploy``)."""
    from django.conf import settings

    messages: list[checks.CheckMessage] = []
    if not settings.SECRET_KEY_FROM_ENV:
        messages.append(
            checks.Error(
                "SECRET_KEY is not set: this process signs sessions and queued tasks with the "
                "checkout's generated key (.secret_key), which other machines do not share.",
                hint="Set SECRET_KEY (the same value for the web server and every worker) and "
                "SYNCSITE_REQUIRE_SECRET_KEY=1.",
                id="syncsite.E001",
            )
        )
    if settings.SENDFILE_BACKEND is None:
        messages.append(
            checks.Warning(
                "Media and downloads are streamed by the web process (SENDFILE_BACKEND empty).",
                hint="Behind deploy/nginx.conf set SENDFILE_BACKEND=nginx so nginx sends them.",
                id="syncsite.W001",
            )
        )
    if not settings.STATIC_COLLECTED:
        messages.append(
            checks.Warning(
                "Static files are served from the source folders (STATIC_COLLECTED off).",
                hint="Run `manage.py collectstatic` with STATIC_COLLECTED=1 and keep it set.",
                id="syncsite.W002",
            )
        )
    if not settings.TRUSTED_PROXIES:
        messages.append(
            checks.Warning(
                "TRUSTED_PROXIES is empty: behind a reverse proxy every client has the proxy's "
                "address, so the per-address log-in limit counts everyone together.",
                hint="Set TRUSTED_PROXIES to nginx's address (127.0.0.1 on the same machine).",
                id="syncsite.W003",
            )
        )
    return messages


class SyncsiteConfig(AppConfig):
    name = "syncsite"
    verbose_name = "Syncsite"

    def ready(self) -> None:
        checks.register(check_production_settings, checks.Tags.security, deploy=True)
