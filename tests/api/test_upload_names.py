"""Hostile file names: kept whole for display, stored and linked under a bounded safe name, so
sync and render of such clips work (a 600-byte CJK name was a 500, a 404-byte emoji name broke
every sync of its project, a 255-character name broke every render)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from projects import services
from projects.models import Render, SyncRun, Video
from projects.services.videos import MAX_STEM_BYTES, safe_file_name
from tests.api.base import ApiTestCase

HOSTILE = {
    "cjk_600_bytes": "猫" * 198 + "ab.mp4",
    "emoji_404_bytes": "😀" * 100 + ".mp4",
    "ascii_255_chars": "x" * 251 + ".mov",
}


def test_the_hostile_names_are_as_the_review_found_them() -> None:
    assert len(HOSTILE["cjk_600_bytes"].encode()) == 600
    assert len(HOSTILE["emoji_404_bytes"].encode()) == 404
    assert len(HOSTILE["ascii_255_chars"]) == 255


def test_a_safe_name_is_bounded_normalised_and_keeps_its_extension() -> None:
    for name in HOSTILE.values():
        safe = safe_file_name(name)
        assert safe.endswith(Path(name).suffix)
        assert len(Path(safe).stem.encode()) <= MAX_STEM_BYTES
        assert name.startswith(Path(safe).stem)  # cut on a character boundary
    assert safe_file_name("clip.mp4") == "clip.mp4"
    assert safe_file_name("e\u0301t\u00e9.mov") == "\u00e9t\u00e9.mov"  # NFC
    assert safe_file_name("a/b\\c\x00d\n.mkv") == "a_b_c_d_.mkv"
    assert safe_file_name(".mp4") == ".mp4" and safe_file_name("   ") == "video"
    assert safe_file_name("clip." + "x" * 40) == ("clip." + "x" * 40)[:MAX_STEM_BYTES]


@pytest.mark.usefixtures("_clips")
class HostileNameTests(ApiTestCase):
    def test_each_hostile_name_uploads_syncs_and_renders_with_its_name_shown(self) -> None:
        for label, name in HOSTILE.items():
            with self.subTest(label):
                project = services.project_create(owner=self.owner, name=label)
                ids = []
                with self.captureOnCommitCallbacks(execute=True):
                    for clip, upload_name in [("a", name), ("b_late", "b_late.mov")]:
                        response = self.call(
                            "POST",
                            reverse("api-video-list", args=[project.pk]),
                            {"file": self.upload(self.clips[clip], name=upload_name)},
                            multipart=True,
                        )
                        assert response.status_code == 201, response.content
                        assert response.json()["name"] == upload_name
                        ids.append(response.json()["id"])
                video = Video.objects.get(pk=ids[0])
                assert video.original_name == name and video.status == Video.Status.READY
                stored = Path(video.file.path)
                assert stored.is_file() and len(stored.name.encode()) <= MAX_STEM_BYTES + 4
                with self.captureOnCommitCallbacks(execute=True):
                    response = self.call(
                        "POST",
                        reverse("api-run-list", args=[project.pk]),
                        {"method": "audio", "max_offset_s": 20},
                    )
                assert response.status_code == 201, response.content
                run = project.runs.get()
                assert run.status == SyncRun.Status.DONE, run.error_message
                detail = self.call("GET", reverse("api-run-detail", args=[run.pk])).json()
                results = self.call("GET", detail["results_url"]).json()
                assert name in str(results), results  # results name the clip as the user did
                with self.captureOnCommitCallbacks(execute=True):
                    response = self.call("POST", reverse("api-render-list", args=[run.pk]), {})
                assert response.status_code == 201, response.content
                render = Render.objects.get(run=run)
                body = self.call("GET", reverse("api-render-detail", args=[render.pk])).json()
                assert body["status"] == "done" and body["verified"], body
                names = sorted(o["name"] for o in body["outputs"])
                stem, suffix = Path(safe_file_name(name)).stem, Path(name).suffix
                assert names == sorted(["b_late_synced.mov", f"{stem}_synced{suffix}"])
