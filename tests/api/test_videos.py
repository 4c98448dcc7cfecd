"""Videos over the API: multipart upload with the portal's checks, list, read, delete, media."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from projects import services
from projects.api.videos import NO_FILE
from projects.models import Video
from tests.api.base import ApiTestCase


def _files(root: str) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


@pytest.mark.usefixtures("_clips")
class VideoApiTests(ApiTestCase):
    def upload_url(self, project) -> str:  # noqa: ANN001
        return reverse("api-video-list", args=[project.pk])

    def test_uploading_a_clip_returns_its_probed_metadata_and_preview_urls(self) -> None:
        project = services.project_create(owner=self.owner, name="Gig")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.call(
                "POST",
                self.upload_url(project),
                {"file": self.upload(self.clips["b_late"])},
                multipart=True,
            )
        assert response.status_code == 201, response.content
        body = response.json()
        video = Video.objects.get(project=project)
        assert body["id"] == video.pk and body["project_id"] == project.pk
        assert body["name"] == "b_late.mov" and body["has_audio"] and body["channels"] == 2
        assert body["duration_s"] == pytest.approx(10.0, abs=0.1)
        assert body["fps"] == pytest.approx(29.97, abs=0.01) and body["sample_rate_hz"] == 44100
        assert body["status"] == "processing"  # the preview is made after the response
        body = self.call("GET", reverse("api-video-detail", args=[video.pk])).json()
        assert body["status"] == "ready"
        assert body["proxy_url"] == "http://testserver" + reverse(
            "api-video-proxy", args=[video.pk]
        )
        assert body["poster_url"].endswith(reverse("api-video-poster", args=[video.pk]))

    def test_the_list_is_per_project_in_upload_order_and_the_owner_deletes_one(self) -> None:
        project = self.project_with("a", "b_late")
        self.project_with("c_early", owner=self.outsider)
        response = self.call("GET", self.upload_url(project))
        assert response.json()["count"] == 2
        names = [v["name"] for v in response.json()["results"]]
        assert names == ["a.mp4", "b_late.mov"]
        video = project.videos.get(original_name="a.mp4")
        files = [Path(video.file.path), Path(video.proxy.path)]
        response = self.call("DELETE", reverse("api-video-detail", args=[video.pk]))
        assert response.status_code == 204
        assert [v.original_name for v in project.videos.all()] == ["b_late.mov"]
        assert not any(f.exists() for f in files)

    def test_a_corrupt_or_non_media_upload_gets_the_portals_message_and_nothing_is_stored(
        self,
    ) -> None:
        project = self.project_with("a")
        before = _files(self.media_root)
        cases = {
            "not_media": "unreadable_media",
            "truncated": "unreadable_media",
            "empty": "unreadable_media",
            "playlist": "unsupported_media",
        }
        for name, code in cases.items():
            with self.subTest(name):
                response = self.call(
                    "POST",
                    self.upload_url(project),
                    {"file": self.upload(self.clips[name])},
                    multipart=True,
                )
                body = self.assert_error(response, 400, code)
                assert f"'{self.clips[name].name}'" in body["message"]
        assert [v.original_name for v in project.videos.all()] == ["a.mp4"]
        assert _files(self.media_root) == before

    @override_settings(UPLOAD_MAX_BYTES=1000)
    def test_an_upload_over_the_limit_is_stopped_while_streaming(self) -> None:
        project = services.project_create(owner=self.owner, name="Gig")
        response = self.call(
            "POST", self.upload_url(project), {"file": self.upload(self.clips["a"])}, multipart=True
        )
        body = self.assert_error(response, 413, "upload_too_large")
        assert body["message"].startswith("The upload was stopped at")
        assert body["message"].endswith(
            "files may be at most 1000 bytes. Trim or compress it first."
        )
        # A declared length far over the limit is refused before a byte is read.
        response = self.call(
            "POST",
            self.upload_url(project),
            {"file": SimpleUploadedFile("big.mp4", b"x" * 10)},
            multipart=True,
            CONTENT_LENGTH=str(50 * 1024 * 1024),
        )
        body = self.assert_error(response, 413, "upload_too_large")
        assert "50.0 MB" in body["message"]
        assert not project.videos.exists()

    def test_an_upload_without_a_file_or_not_multipart_is_refused(self) -> None:
        project = services.project_create(owner=self.owner, name="Gig")
        url = self.upload_url(project)
        body = self.assert_error(
            self.call("POST", url, {}, multipart=True), 400, "no_file", NO_FILE
        )
        assert body["extra"]["fields"] == {"file": ["No file was submitted."]}
        body = self.assert_error(
            self.call("POST", url, {"file": "text"}, multipart=True), 400, "no_file"
        )
        self.assert_error(self.call("POST", url, {"file": "x"}), 415, "unsupported_media_type")
        response = self.client.post(
            url,
            b"--nope\r\n",
            HTTP_AUTHORIZATION=f"Token {self.owner_key}",
            content_type="multipart/form-data",
        )
        self.assert_error(response, 400, "parse_error")
        assert not project.videos.exists()

    def test_previews_are_served_with_byte_ranges(self) -> None:
        project = self.project_with("a")
        video = project.videos.get()
        data = Path(video.proxy.path).read_bytes()
        url = reverse("api-video-proxy", args=[video.pk])
        response = self.call("GET", url, HTTP_ACCEPT="video/mp4")
        assert response.status_code == 200 and response["Content-Type"] == "video/mp4"
        assert b"".join(response.streaming_content) == data
        response = self.call("GET", url, HTTP_RANGE="bytes=0-99")
        assert (
            response.status_code == 206 and response["Content-Range"] == f"bytes 0-99/{len(data)}"
        )
        assert b"".join(response.streaming_content) == data[:100]
        response = self.call("GET", url, HTTP_RANGE=f"bytes={len(data)}-")
        assert response.status_code == 416
        response = self.call("GET", reverse("api-video-poster", args=[video.pk]))
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        Video.objects.filter(pk=video.pk).update(proxy="")
        # Errors stay JSON even when the client asked for a video.
        self.assert_error(self.call("GET", url, HTTP_ACCEPT="video/mp4"), 404, "not_found")

    def test_another_user_or_anonymous_cannot_touch_videos(self) -> None:
        project = self.project_with("a")
        video = project.videos.get()
        urls = [
            ("GET", self.upload_url(project)),
            ("POST", self.upload_url(project)),
            ("GET", reverse("api-video-detail", args=[video.pk])),
            ("DELETE", reverse("api-video-detail", args=[video.pk])),
            ("GET", reverse("api-video-proxy", args=[video.pk])),
            ("GET", reverse("api-video-poster", args=[video.pk])),
        ]
        for method, url in urls:
            with self.subTest(method=method, url=url):
                data = {"file": self.upload(self.clips["b_late"])} if method == "POST" else None
                response = self.call(method, url, data, key="outsider", multipart=True)
                self.assert_error(response, 404, "not_found")
                data = {"file": self.upload(self.clips["b_late"])} if method == "POST" else None
                response = self.call(method, url, data, key=None, multipart=True)
                self.assert_error(response, 401, "not_authenticated")
        assert [v.original_name for v in project.videos.all()] == ["a.mp4"]
