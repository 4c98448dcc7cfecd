from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _sqlite_wal(sender: Any, connection: Any, **kwargs: Any) -> None:
    # Concurrent web + worker writers: WAL lets readers proceed while a writer commits.
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL;")


class ProjectsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "projects"

    def ready(self) -> None:
        connection_created.connect(_sqlite_wal, dispatch_uid="projects_sqlite_wal")

        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_save

        # Each worker process sweeps for jobs a killed worker left (projects.services.sweep).
        from projects.queue import on_worker_start
        from projects.services.tokens import api_tokens_revoke_on_password_change
        from projects.tasks import worker_started_hook

        on_worker_start(worker_started_hook)
        pre_save.connect(
            api_tokens_revoke_on_password_change,
            sender=get_user_model(),
            dispatch_uid="projects_revoke_tokens_on_password_change",
        )
