"""API tokens in the admin: listed and revocable (delete); keys are made on the tokens page."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from projects.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["user", "name", "prefix", "key_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a key must be shown to its user once: only the tokens page makes them
