"""Base for API tests: the portal's owner/collaborator/outsider plus API tokens and helpers."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.http import HttpResponse
from django.urls import reverse

from projects import services
from projects.models import Project, SyncRun
from tests.projects.base import BaseTestCase


class ApiTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        cache.clear()  # throttle counters live in the cache
        _, self.owner_key = services.api_token_create(user=self.owner, name="tests")
        _, self.outsider_key = services.api_token_create(user=self.outsider, name="tests")

    # --- calls ---------------------------------------------------------------------------

    def call(
        self,
        method: str,
        url: str,
        data: Any = None,
        *,
        key: str | None = "owner",
        multipart: bool = False,
        **headers: str,
    ) -> HttpResponse:
        """``method`` ``url`` as the owner (default), ``key="outsider"``, or anonymous (None)."""
        if key is not None:
            token = {"owner": self.owner_key, "outsider": self.outsider_key}.get(key, key)
            headers["HTTP_AUTHORIZATION"] = f"Token {token}"
        send = getattr(self.client, method.lower())
        if multipart:
            return send(url, data, **headers)
        if data is None:
            return send(url, **headers)
        return send(url, data, content_type="application/json", **headers)

    def assert_error(
        self, response: HttpResponse, status: int, code: str, message: str | None = None
    ) -> dict[str, Any]:
        assert response.status_code == status, (response.status_code, response.content[:500])
        assert response["Content-Type"] == "application/json", response["Content-Type"]
        body = response.json()
        assert set(body) == {"message", "code", "extra"}, body
        assert body["code"] == code, body
        assert isinstance(body["message"], str) and body["message"], body
        if message is not None:
            assert body["message"] == message, body
        return body

    # --- data ----------------------------------------------------------------------------

    def synced_run(self, *names: str, method: str = "audio") -> tuple[Project, SyncRun]:
        project = self.project_with(*(names or ("a", "b_late", "c_early")))
        with self.captureOnCommitCallbacks(execute=True):
            response = self.call(
                "POST",
                reverse("api-run-list", args=[project.pk]),
                {"method": method, "max_offset_s": 20},
            )
        assert response.status_code == 201, response.content
        run = project.runs.get()
        assert run.status == SyncRun.Status.DONE, run.error_message
        return project, run
