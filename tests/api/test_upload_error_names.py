"""Media errors raised while probing an upload name the user's file, never our temporary file."""

from __future__ import annotations

import random
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.api.base import ApiTestCase

TEMPORARY = re.compile(r"tmp\w{4,}|\.upload\b|syncsite-probe|/tmp/")


@pytest.mark.usefixtures("_clips")
class UploadErrorNameTests(ApiTestCase):
    def test_every_refusal_names_the_users_file(self) -> None:
        project = self.project_with()
        url = reverse("api-video-list", args=[project.pk])
        for clip in ("truncated", "not_media", "playlist", "concat", "empty"):
            data = self.clips[clip].read_bytes()
            for name in (f"Wedding {clip}.mkv", f"{clip}"):
                with self.subTest(clip=clip, name=name):
                    upload = SimpleUploadedFile(name, data)
                    response = self.call("POST", url, {"file": upload}, multipart=True)
                    assert response.status_code == 400, response.content
                    message = response.json()["message"]
                    assert f"'{name}'" in message, message
                    assert not TEMPORARY.search(message.replace(f"'{name}'", "")), message

    def test_a_picture_that_cannot_be_decoded_names_the_users_file(self) -> None:
        # Headers intact, the first picture scrambled: the decoder's error (which carries no
        # file name of its own) used to name 'tmpXXXXXXXX.upload.mp4'.
        data = bytearray(self.clips["a"].read_bytes())
        noise = random.Random(1)
        for i in range(1000, 41000):
            data[i] = noise.randrange(256)
        project = self.project_with()
        upload = SimpleUploadedFile("Ceremony.mp4", bytes(data))
        response = self.call(
            "POST", reverse("api-video-list", args=[project.pk]), {"file": upload}, multipart=True
        )
        body = self.assert_error(response, 400, "unreadable_media")
        assert body["message"].startswith("'Ceremony.mp4': the picture cannot be decoded"), body
        assert not TEMPORARY.search(body["message"].replace("'Ceremony.mp4'", "")), body
