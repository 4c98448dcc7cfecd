"""The export's sound-skew correction through the service, the API and the export panel.

Three cameras of one synthetic world (:mod:`mediasynth`, made with ffmpeg at test time, as in
``tests/engine/test_cameras_auto.py``); the cheap one's sound is delayed by 150 ms with ffmpeg's
``adelay`` (picture copied). A real sync with method ``auto`` places it by its picture and
stores the skew (``VideoOffset.sound_skew_s``); an export with ``correct_skew`` moves its sound
back, verified by the engine. A second run by sound alone finds no skew: the option is accepted
there and moves nothing.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mediasynth.clips import CameraSpec, write_clips
from projects import services
from projects.models import Project, Render, SyncRun
from projects.services import renders as render_service
from syncengine.media import ffmpeg_executable
from tests.api.base import ApiTestCase

DELAY_S = 0.150
FRAME_S = 1 / 30
CHEAP = "cheap_late.mp4"
MOVED = re.compile(r"'cheap_late\.mp4': its sound is moved (\d+) ms earlier to match its picture")


def _write_shoot(folder: Path) -> dict[str, Path]:
    specs = [
        CameraSpec("wide", start_s=0.0, duration_s=16.0, container="mp4"),
        CameraSpec("good", start_s=3.0, duration_s=11.0, container="mp4"),
        CameraSpec("cheap", start_s=2.0, duration_s=12.0, container="mp4"),
    ]
    paths = write_clips(specs, folder, seed=31)
    late = folder / CHEAP
    subprocess.run(
        [
            ffmpeg_executable(), "-nostdin", "-v", "error", "-y", "-i", str(paths["cheap"]),
            "-map", "0", "-c:v", "copy", "-af", f"adelay={round(DELAY_S * 1000)}:all=1",
            "-c:a", "aac", "-b:a", "128k", "-t", "12", str(late),
        ],
        check=True,
        timeout=120,
    )  # fmt: skip
    return {"wide.mp4": paths["wide"], "good.mp4": paths["good"], CHEAP: late}


class ExportSkewTests(ApiTestCase):
    user: Any
    project: Project
    auto_run: SyncRun
    export: Render
    key: str
    media_dir: str

    @classmethod
    def setUpTestData(cls) -> None:
        cls.media_dir = tempfile.mkdtemp(prefix="syncsite-skew-")
        shoot = _write_shoot(Path(cls.media_dir))
        cls.user = get_user_model().objects.create_user("sam", "sam@example.org", "pw-sam")
        _, cls.key = services.api_token_create(user=cls.user, name="tests")
        cls.project = services.project_create(owner=cls.user, name="Skew")
        for name, path in shoot.items():  # wide.mp4 first: the reference
            services.video_add(
                project=cls.project, upload=SimpleUploadedFile(name, path.read_bytes())
            )
        with cls.captureOnCommitCallbacks(execute=True):
            run = services.sync_run_start(project=cls.project, method="auto")
        run.refresh_from_db()
        assert run.status == SyncRun.Status.DONE, run.error_message
        cls.auto_run = run

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        shutil.rmtree(cls.media_dir, ignore_errors=True)

    def start(self, run: SyncRun, **data: object) -> Any:
        url = reverse("api-render-list", args=[run.pk])
        with self.captureOnCommitCallbacks(execute=True):
            return self.call("POST", url, data, key=self.key)

    def test_the_auto_sync_stores_the_skew_and_the_export_moves_the_sound_back(self) -> None:
        skews = {o.video.original_name: o.sound_skew_s for o in self.auto_run.offsets.all()}
        print(f"stored skews (s): {skews}")
        skew_s = skews[CHEAP]
        assert skew_s is not None and skew_s == pytest.approx(DELAY_S, abs=FRAME_S), skews
        assert skews["wide.mp4"] is None and skews["good.mp4"] is None
        # The export panel offers the correction and says which clip and by how much.
        self.client.force_login(self.user)
        page_url = reverse("run-detail", args=[self.auto_run.pk])
        page = self.client.get(page_url).content.decode()
        assert 'name="correct_skew"' in page
        # Ticked already: without it this clip's file would fail the export's check.
        assert re.search(r'<input[^>]*name="correct_skew"[^>]*checked', page), page
        assert html.escape("Correct a camera whose sound runs off its own picture") in page
        ms = round(skew_s * 1000)
        assert f"<strong>{CHEAP}</strong>: its sound runs {ms} ms late" in page, ms

        response = self.start(self.auto_run, correct_skew=True)
        assert response.status_code == 201, response.content[:300]
        body = response.json()
        assert body["correct_skew"] is True
        render = Render.objects.get(pk=body["id"])
        assert render.status == Render.Status.DONE, render.error_message
        assert render.correct_skew and render.verified
        assert render.max_residual_s is not None and render.tolerance_s is not None
        worst_ms, allowed_ms = render.max_residual_s * 1e3, render.tolerance_s * 1e3
        print(f"skew-corrected export: worst residual {worst_ms:.2f} ms (allowed {allowed_ms:.1f})")
        moved = [m for n in render.notes if (m := MOVED.search(n))]
        assert len(moved) == 1, render.notes
        assert int(moved[0].group(1)) == ms
        # The cheap camera's file is verified against the reference's along the take.
        cheap = render.outputs.get(video__original_name=CHEAP)
        sound = [w["sound_s"] for w in cheap.windows if w["sound_s"] is not None]
        print(f"{CHEAP} windows (ms): {[round(s * 1e3, 2) for s in sound]}")
        assert sound and all(abs(s) < FRAME_S for s in sound), cheap.windows
        detail: Any = self.call("GET", reverse("api-render-detail", args=[render.pk]), key=self.key)
        assert detail.json()["correct_skew"] is True
        # The export list says so.
        page = self.client.get(page_url).content.decode()
        assert f'id="render-{render.pk}"' in page
        assert '<span class="render-skew">sound skew corrected</span>' in page

    def test_a_copy_cannot_correct_the_skew(self) -> None:
        response = self.start(self.auto_run, correct_skew=True, reencode=False)
        body = self.assert_error(response, 400, "invalid")
        assert body["message"] == render_service.RENDER_COPY_CANNOT_SKEW
        assert not self.auto_run.renders.exists()  # nothing was queued
        # The portal's form says the same beside the export panel.
        self.client.force_login(self.user)
        url = reverse("render-start", args=[self.auto_run.pk])
        form = {"mode": "union", "reencode": "0", "correct_skew": "on"}
        response = self.client.post(url, form, follow=True)
        self.assertContains(response, html.escape(render_service.RENDER_COPY_CANNOT_SKEW))
        assert not self.auto_run.renders.exists()

    def test_without_a_skew_the_option_moves_nothing(self) -> None:
        # By sound alone the engine finds no skew (nothing to compare the sound with).
        with self.captureOnCommitCallbacks(execute=True):
            run = services.sync_run_start(project=self.project, method="audio")
        run.refresh_from_db()
        assert run.status == SyncRun.Status.DONE, run.error_message
        assert all(o.sound_skew_s is None for o in run.offsets.all())
        self.client.force_login(self.user)
        page = self.client.get(reverse("run-detail", args=[run.pk])).content.decode()
        assert 'name="correct_skew"' not in page  # nothing to correct: not offered
        response = self.start(run, correct_skew=True)
        assert response.status_code == 201, response.content[:300]
        render = Render.objects.get(pk=response.json()["id"])
        assert render.status == Render.Status.DONE and render.verified, render.error_message
        assert render.correct_skew
        assert not any("its sound is moved" in n for n in render.notes), render.notes
