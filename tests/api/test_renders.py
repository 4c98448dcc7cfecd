"""Renders over the API: start, status, per-file download with Range, the streamed ZIP."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse

from projects import errors, services
from projects.models import Render
from tests.api.base import ApiTestCase


@pytest.mark.usefixtures("_clips")
class RenderApiTests(ApiTestCase):
    def test_the_owner_renders_a_run_and_downloads_the_files_and_the_zip(self) -> None:
        project, run = self.synced_run("a", "b_late")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.call(
                "POST",
                reverse("api-render-list", args=[run.pk]),
                {"mode": "union", "reencode": True},
            )
        assert response.status_code == 201, response.content
        render = Render.objects.get(run=run)
        body = self.call("GET", reverse("api-render-detail", args=[render.pk])).json()
        assert body["status"] == "done" and body["finished"] and body["verified"], body
        assert body["stage_label"] == "Done" and body["progress"] == 1.0
        assert body["max_residual_s"] is not None and body["max_residual_s"] <= body["tolerance_s"]
        assert not body["out_of_date"] and len(body["outputs"]) == 2
        names = sorted(o["name"] for o in body["outputs"])
        assert names == ["a_synced.mp4", "b_late_synced.mov"]
        listing = self.call("GET", reverse("api-render-list", args=[run.pk])).json()
        assert listing["count"] == 1 and listing["results"][0] == body

        output = body["outputs"][0]
        response = self.call("GET", output["download_url"], HTTP_ACCEPT="video/mp4")
        data = b"".join(response.streaming_content)
        assert response.status_code == 200 and len(data) == output["size_bytes"]
        assert "attachment" in response["Content-Disposition"]
        response = self.call("GET", output["download_url"], HTTP_RANGE="bytes=10-19")
        assert response.status_code == 206 and b"".join(response.streaming_content) == data[10:20]

        response = self.call("GET", body["zip_url"])
        assert response.status_code == 200 and response["Content-Type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        assert sorted(archive.namelist()) == names

        late = project.videos.get(original_name="b_late.mov")
        self.call(
            "PATCH", reverse("api-offset-adjust", args=[run.pk, late.pk]), {"manual_offset_s": 1.5}
        )
        body = self.call("GET", reverse("api-render-detail", args=[render.pk])).json()
        assert body["out_of_date"]

        response = self.call("DELETE", reverse("api-render-detail", args=[render.pk]))
        assert response.status_code == 204
        assert not Render.objects.exists()

    def test_a_render_needs_a_finished_run_and_valid_options(self) -> None:
        project = self.project_with("a", "b_late")
        run = services.sync_run_start(project=project, method="audio")  # queued
        url = reverse("api-render-list", args=[run.pk])
        self.assert_error(
            self.call("POST", url, {}), 400, "run_not_done", errors.RENDER_RUN_NOT_DONE
        )
        body = self.assert_error(
            self.call("POST", url, {"mode": "all", "reencode": "maybe"}), 400, "invalid"
        )
        assert sorted(body["extra"]["fields"]) == ["mode", "reencode"]
        assert not Render.objects.exists()

    def test_an_unfinished_render_has_no_files_to_download(self) -> None:
        _, run = self.synced_run("a", "b_late")
        render = services.render_start(run=run)  # queued: on_commit never ran
        body = self.call("GET", reverse("api-render-detail", args=[render.pk])).json()
        assert body["status"] == "queued" and body["outputs"] == [] and body["zip_url"] == ""
        zip_url = reverse("api-render-zip", args=[render.pk])
        self.assert_error(
            self.call("GET", zip_url, HTTP_ACCEPT="application/zip"),
            409,
            "render_not_ready",
            errors.RENDER_NOT_READY,
        )
        self.assert_error(
            self.call("POST", reverse("api-render-list", args=[run.pk]), {}),
            409,
            "render_active",
            errors.RENDER_ALREADY_ACTIVE,
        )
        response = self.call("DELETE", reverse("api-render-detail", args=[render.pk]))
        self.assert_error(response, 409, "render_active", errors.RENDER_ALREADY_ACTIVE)
        missing = reverse("api-render-output", args=[render.pk, 999])
        self.assert_error(self.call("GET", missing), 404, "not_found")
        cancel = reverse("api-render-cancel", args=[render.pk])
        body = self.call("POST", cancel).json()
        assert body["status"] == "cancelled" and body["finished"]
        assert body["error_message"] == errors.CANCELLED
        self.assert_error(
            self.call("POST", cancel), 409, "render_finished", errors.RENDER_ALREADY_FINISHED
        )

    def test_another_user_or_anonymous_cannot_see_or_start_renders(self) -> None:
        _, run = self.synced_run("a", "b_late")
        render = services.render_start(run=run)
        calls = [
            ("POST", reverse("api-render-list", args=[run.pk])),
            ("GET", reverse("api-render-list", args=[run.pk])),
            ("GET", reverse("api-render-detail", args=[render.pk])),
            ("DELETE", reverse("api-render-detail", args=[render.pk])),
            ("GET", reverse("api-render-zip", args=[render.pk])),
            ("GET", reverse("api-render-output", args=[render.pk, 1])),
            ("POST", reverse("api-render-cancel", args=[render.pk])),
        ]
        for method, url in calls:
            with self.subTest(method=method, url=url):
                self.assert_error(self.call(method, url, {}, key="outsider"), 404, "not_found")
                self.assert_error(self.call(method, url, {}, key=None), 401, "not_authenticated")
        assert Render.objects.count() == 1
