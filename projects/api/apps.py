from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "projects.api"
    label = "api"  # its own migrations: API tokens live apart from the portal's models
    verbose_name = "REST API"
    default_auto_field = "django.db.models.BigAutoField"
