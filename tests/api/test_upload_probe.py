"""API uploads probed in a decoder child: cut-off copies and decoder crashes answer a clean 400.

The answer is the API's JSON error with a stable code, nothing is stored, and the server (this
process, which serves the test client) answers the next upload as usual.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from projects import services
from projects.models import Video
from tests.api.base import ApiTestCase
from tests.engine.decoder_faults import (
    PCM8,
    crash_decoder_on_start,
    needs_pcm8,
    stored_files,
)


@pytest.fixture(autouse=True)
def _media(request, cut_copies) -> None:
    request.cls.cut_copies = cut_copies


class UploadProbeApiTests(ApiTestCase):
    cut_copies: dict[str, Path]

    def post(self, project, path: Path, name: str):  # noqa: ANN001, ANN201
        url = reverse("api-video-list", args=[project.pk])
        with self.captureOnCommitCallbacks(execute=True):
            return self.call("POST", url, {"file": self.upload(path, name)}, multipart=True)

    def test_a_cut_off_copy_is_refused_as_truncated_and_nothing_is_stored(self) -> None:
        project = services.project_create(owner=self.owner, name="Gig")
        before = stored_files(self.media_root)
        for suffix in (".mp4", ".mkv"):
            with self.subTest(suffix):
                response = self.post(project, self.cut_copies[f"cut{suffix}"], f"cam2{suffix}")
                body = self.assert_error(response, 400, "truncated")
                assert body["message"].startswith(f"'cam2{suffix}' is incomplete: it declares")
                assert "Copy the complete file" in body["message"]
        assert not Video.objects.exists()
        assert stored_files(self.media_root) == before

    def test_a_crashed_decoder_answers_400_and_the_server_carries_on(self) -> None:
        project = services.project_create(owner=self.owner, name="Gig")
        before = stored_files(self.media_root)
        with crash_decoder_on_start("probe") as killed:
            response = self.post(project, self.cut_copies["whole.mkv"], "Stage left.mkv")
        assert len(killed) == 1
        body = self.assert_error(response, 400, "decoder_crashed")
        assert body["message"].startswith("'Stage left.mkv' crashed the video decoder (SIGSEGV)")
        assert "Re-export it as MP4" in body["message"]
        assert not Video.objects.exists() and stored_files(self.media_root) == before
        response = self.post(project, self.cut_copies["whole.mkv"], "Stage left.mkv")
        assert response.status_code == 201, response.content
        assert response.json()["name"] == "Stage left.mkv"

    @needs_pcm8
    def test_the_8_channel_pcm_mov_is_accepted(self) -> None:
        project = services.project_create(owner=self.owner, name="Gig")
        response = self.post(project, PCM8, "A7S 7.1.mov")
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["channels"] == 8 and body["has_audio"] and body["name"] == "A7S 7.1.mov"
        video = Video.objects.get(pk=body["id"])
        assert video.status == Video.Status.READY, video.error_message
