"""The portal's form posts share the API's throttles (issue 13: every door, one counter)."""

from __future__ import annotations

from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from projects import services
from projects.models import Render, SyncRun
from tests.projects.base import BaseTestCase

_RATES = {
    **settings.REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"uploads": "1/hour", "runs": "2/hour", "renders": "2/hour"},
}


@override_settings(REST_FRAMEWORK=_RATES)
class FormDoorThrottleTests(BaseTestCase):
    def test_the_run_start_form_is_throttled_and_shares_the_apis_counter(self) -> None:
        project = services.project_create(owner=self.owner, name="Gig")
        self.client.force_login(self.owner)
        url = reverse("run-start", args=[project.pk])
        first = self.client.post(url, {"method": "auto"})
        assert first.status_code == 400  # refused by the service (no videos), still counted
        api = self.client.post(
            reverse("api-run-list", args=[project.pk]), "{}", content_type="application/json"
        )
        assert api.status_code == 400 and api.json()["code"] == "need_two_videos"
        refused = self.client.post(url, {"method": "auto"})
        assert refused.status_code == 429
        assert "Too many syncs started" in refused.content.decode()
        assert int(refused["Retry-After"]) > 0
        # The API sees the same budget spent; another user still has their own.
        api = self.client.post(
            reverse("api-run-list", args=[project.pk]), "{}", content_type="application/json"
        )
        assert api.status_code == 429 and api.json()["code"] == "throttled"
        other = services.project_create(owner=self.outsider, name="Theirs")
        self.client.force_login(self.outsider)
        assert self.client.post(reverse("run-start", args=[other.pk]), {}).status_code == 400
        assert SyncRun.objects.count() == 0

    def test_the_export_form_is_throttled_with_its_message_beside_the_export(self) -> None:
        project = services.project_create(owner=self.owner, name="Gig")
        run = SyncRun.objects.create(project=project, status=SyncRun.Status.DONE)
        self.client.force_login(self.owner)
        url = reverse("render-start", args=[run.pk])
        for _ in range(2):
            self.client.post(url, {"mode": "union", "reencode": "on"})
        response = self.client.post(url, {"mode": "union", "reencode": "on"}, follow=True)
        page = response.content.decode()
        assert "Too many exports started" in page
        assert Render.objects.count() == 0
