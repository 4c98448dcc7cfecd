"""Pages and endpoints on a real database with real clips: owner, another user, anonymous.

The pages' scripts call the API with the browser's session (``static/js/api.js``); the tests
here take that path too where a page's behaviour depends on it (uploads, run progress).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

from projects import errors, services
from projects.api.runs import RunOutputSerializer
from projects.models import Project, SyncRun, Video
from projects.views import present
from tests.projects.base import BaseTestCase

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201e2213bc30000000049454e44ae426082"
)


@pytest.fixture()
def _clips(request, clips) -> None:
    request.cls.clips = clips


def _media_files(root: str) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


# Password hashing dominates short view tests; the hasher is not what they test.
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
@pytest.mark.usefixtures("_clips")
class ViewTests(BaseTestCase):
    def _synced_project(self) -> tuple[Project, SyncRun]:
        project = self.project_with("a", "b_late", "c_early")
        self.client.force_login(self.owner)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("run-start", args=[project.pk]),
                {"method": "audio", "reference": project.videos.first().pk, "max_offset_s": "20"},
            )
        run = project.runs.get()
        self.assertRedirects(response, reverse("run-detail", args=[run.pk]))
        run.refresh_from_db()
        assert run.status == SyncRun.Status.DONE, run.error_message
        return project, run

    def _urls(self, project: Project, run: SyncRun) -> dict[str, list[str]]:
        video = project.videos.first()
        Path(self.media_root, "plots").mkdir(exist_ok=True)
        Path(self.media_root, "plots", "pair_0_1.png").write_bytes(PNG_1PX)
        SyncRun.objects.filter(pk=run.pk).update(plots=["plots/pair_0_1.png"])
        return {
            "pages": [
                reverse("project-detail", args=[project.pk]),
                reverse("project-edit", args=[project.pk]),
                reverse("project-delete", args=[project.pk]),
                reverse("project-video-rows", args=[project.pk]),
                reverse("run-detail", args=[run.pk]),
                reverse("video-media", args=[video.pk, "proxy"]),
                reverse("video-media", args=[video.pk, "poster"]),
                reverse("run-plot", args=[run.pk, 0]),
            ],
            # What the pages' scripts call, with the session (see static/js/api.js).
            "json": [
                reverse("api-run-detail", args=[run.pk]),
                reverse("api-run-results", args=[run.pk]),
            ],
            "posts": [
                reverse("project-edit", args=[project.pk]),
                reverse("project-delete", args=[project.pk]),
                reverse("run-start", args=[project.pk]),
                reverse("run-cancel", args=[run.pk]),
                reverse("video-delete", args=[video.pk]),
            ],
            "json_posts": [reverse("api-video-list", args=[project.pk])],
        }

    # --- access: owner, another user, anonymous -------------------------------------------

    def test_every_page_file_and_endpoint_is_scoped_to_its_owner(self) -> None:
        project, run = self._synced_project()
        urls = self._urls(project, run)
        for url in urls["pages"] + urls["json"]:
            with self.subTest(owner=url):
                assert self.client.get(url).status_code == 200

        self.client.force_login(self.outsider)
        for url in urls["pages"] + urls["posts"]:
            with self.subTest(outsider=url):
                method = self.client.post if url in urls["posts"] else self.client.get
                assert method(url, {"name": "Mine now"}).status_code == 404
        for url in urls["json"] + urls["json_posts"]:
            with self.subTest(outsider_json=url):
                method = self.client.post if url in urls["json_posts"] else self.client.get
                response = method(url)
                assert response.status_code == 404 and response.json()["code"] == "not_found"
        self.assertNotContains(self.client.get(reverse("project-list")), "Wedding")

        self.client.logout()
        for url in urls["pages"] + urls["posts"]:
            with self.subTest(anonymous=url):
                method = self.client.post if url in urls["posts"] else self.client.get
                self.assertRedirects(
                    method(url), f"{reverse('login')}?next={url}", fetch_redirect_response=False
                )
        for url in urls["json"] + urls["json_posts"]:
            with self.subTest(anonymous_json=url):
                method = self.client.post if url in urls["json_posts"] else self.client.get
                response = method(url)
                assert response.status_code == 401
                assert response.json()["code"] == "not_authenticated"
        # Nothing the others tried changed anything.
        project.refresh_from_db()
        run.refresh_from_db()
        assert project.name == "Wedding" and project.videos.count() == 3
        assert run.status == SyncRun.Status.DONE and project.runs.count() == 1

    def test_the_project_list_shows_only_mine_in_constant_queries(self) -> None:
        self.project_with(owner=self.outsider)
        self.client.force_login(self.owner)
        services.project_create(owner=self.owner, name="Concert")
        with self.assertNumQueries(3):  # session, user, projects with their video counts
            response = self.client.get(reverse("project-list"))
        for name in ("Rehearsal", "Festival", "Talk"):
            services.project_create(owner=self.owner, name=name)
        with self.assertNumQueries(3):
            response = self.client.get(reverse("project-list"))
        self.assertContains(response, "Festival")
        self.assertNotContains(response, "Wedding")
        self.assertRedirects(self.client.get("/accounts/login/"), reverse("project-list"))

    # --- accounts and projects ---------------------------------------------------------

    def test_a_visitor_signs_up_logs_out_and_logs_in(self) -> None:
        password = "a-long-pass-phrase"
        response = self.client.post(
            reverse("signup"),
            {"username": "dora", "password1": password, "password2": password},
            follow=True,
        )
        self.assertRedirects(response, reverse("project-list"))
        self.assertContains(response, "Welcome, dora!")
        assert self.client.get(reverse("logout")).status_code == 405  # logout is POST only
        self.assertRedirects(self.client.post(reverse("logout")), reverse("login"))
        response = self.client.post(reverse("login"), {"username": "dora", "password": password})
        self.assertRedirects(response, reverse("project-list"))

    def test_signup_shows_form_errors(self) -> None:
        response = self.client.post(
            reverse("signup"),
            {
                "username": "alice",
                "password1": "x-pass-1234",
                "password2": "different",
            },
        )
        assert response.status_code == 200
        self.assertContains(response, "A user with that username already exists.")

    def test_the_owner_creates_edits_and_deletes_a_project(self) -> None:
        self.client.force_login(self.owner)
        response = self.client.post(reverse("project-create"), {"name": "  ", "notes": ""})
        self.assertContains(response, "This field is required.")
        response = self.client.post(reverse("project-create"), {"name": "Gig", "notes": "3 cams"})
        project = Project.objects.get(owner=self.owner, name="Gig")
        self.assertRedirects(response, reverse("project-detail", args=[project.pk]))
        self.assertContains(self.client.get(response.url), "No videos yet")
        response = self.client.post(
            reverse("project-edit", args=[project.pk]), {"name": "Gig 2024", "notes": ""}
        )
        self.assertRedirects(response, reverse("project-detail", args=[project.pk]))
        project.refresh_from_db()
        assert project.name == "Gig 2024"
        response = self.client.post(reverse("project-delete", args=[project.pk]), follow=True)
        self.assertContains(response, "Project &#x27;Gig 2024&#x27; and its files were deleted.")
        assert not Project.objects.filter(pk=project.pk).exists()

    # --- upload ------------------------------------------------------------------------

    def test_the_page_uploads_through_the_api_and_shows_the_clip(self) -> None:
        project = services.project_create(owner=self.owner, name="Gig")
        self.client.force_login(self.owner)
        page = self.client.get(reverse("project-detail", args=[project.pk]))
        url = reverse("api-video-list", args=[project.pk])
        self.assertContains(page, f'action="{url}"')
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(url, {"file": self.upload(self.clips["b_late"])})
        assert response.status_code == 201, response.content
        data = response.json()
        video = Video.objects.get(project=project)
        assert data["id"] == video.pk and data["status_label"] == "Preparing preview"
        assert data["name"] == "b_late.mov" and data["has_audio"]
        assert data["duration_s"] == pytest.approx(10.0, abs=0.1)
        assert data["fps"] == pytest.approx(29.97, abs=0.01)
        video.refresh_from_db()
        assert video.status == Video.Status.READY and video.proxy and video.poster
        response = self.client.get(reverse("project-detail", args=[project.pk]))
        self.assertContains(response, "b_late.mov")
        self.assertContains(response, reverse("video-media", args=[video.pk, "poster"]))

    def test_a_long_or_letterless_name_is_shown_whole_and_stored_bounded(self) -> None:
        project = services.project_create(owner=self.owner, name="Gig")
        self.client.force_login(self.owner)
        for name in ["猫" * 198 + "ab.mp4", "😀😀😀"]:
            with self.subTest(name), self.captureOnCommitCallbacks(execute=True):
                url = reverse("api-video-list", args=[project.pk])
                response = self.client.post(url, {"file": self.upload(self.clips["a"], name)})
                assert response.status_code == 201, response.content
                video = Video.objects.get(pk=response.json()["id"])
                assert response.json()["name"] == video.original_name == name
                stored = Path(video.file.path)
                assert stored.is_file() and len(stored.name.encode()) <= 104
        assert Path(project.videos.last().file.path).name == "video"
        response = self.client.get(reverse("project-detail", args=[project.pk]))
        self.assertContains(response, "猫" * 198 + "ab.mp4")

    @override_settings(UPLOAD_MAX_BYTES=1000)
    def test_the_pages_upload_path_gets_the_apis_refusals(self) -> None:
        # One door: an oversized upload is 413 for the page as for any API client (the
        # portal's own endpoint answered 400), a missing file 400 no_file.
        project = services.project_create(owner=self.owner, name="Gig")
        self.client.force_login(self.owner)
        url = reverse("api-video-list", args=[project.pk])
        response = self.client.post(url, {"file": self.upload(self.clips["a"])})
        assert response.status_code == 413 and response.json()["code"] == "upload_too_large"
        assert response.json()["message"].startswith("The upload was stopped at")
        response = self.client.post(url, {})
        assert response.status_code == 400 and response.json()["code"] == "no_file"
        assert response.json()["message"] == "Choose a video file to upload."
        assert not project.videos.exists()

    def test_the_owner_removes_a_video(self) -> None:
        project = self.project_with("a", "b_late")
        self.client.force_login(self.owner)
        video = project.videos.get(original_name="a.mp4")
        response = self.client.post(reverse("video-delete", args=[video.pk]))
        self.assertRedirects(response, reverse("project-detail", args=[project.pk]))
        assert [v.original_name for v in project.videos.all()] == ["b_late.mov"]

    # --- sync runs ---------------------------------------------------------------------

    def test_a_run_shows_offsets_confidence_and_its_json(self) -> None:
        project, run = self._synced_project()
        status = self.client.get(reverse("api-run-detail", args=[run.pk])).json()
        assert status["status"] == "done" and status["status_label"] == "Done"
        assert status["stage_label"] == "Done" and status["progress"] == 1.0
        assert status["error_message"] == "" and status["finished"] is True
        results = self.client.get(reverse("api-run-results", args=[run.pk])).json()
        by_name = {o["video_name"]: o for o in results["offsets"]}
        for name, clip in (("a.mp4", "a"), ("b_late.mov", "b_late"), ("c_early.mkv", "c_early")):
            assert by_name[name]["offset_s"] == pytest.approx(self.clips.truth_s(clip), abs=0.005)
            assert by_name[name]["synced"] and by_name[name]["band"] == "excellent"
        assert by_name["a.mp4"]["is_reference"] and results["sign_convention"]
        page = self.client.get(reverse("run-detail", args=[run.pk]))
        self.assertContains(page, "+1.250")
        self.assertContains(page, "-2.400")
        self.assertContains(page, 'class="band band-excellent"')
        self.assertContains(page, "Positive: it started later than the reference")
        self.assertContains(page, 'id="player"')  # where the next issue's player slots in
        run.refresh_from_db()
        for index in range(len(run.plots)):  # the debug plots the run drew are shown and served
            url = reverse("run-plot", args=[run.pk, index])
            self.assertContains(page, f'<img src="{url}"')
            assert self.client.get(url)["Content-Type"] == "image/png"
        self.assertNotContains(page, "Cancel run")
        self.assertContains(
            self.client.get(reverse("project-detail", args=[project.pk])), f"Run {run.pk}"
        )

    def test_an_unrelated_clip_is_reported_as_not_synced(self) -> None:
        project = self.project_with("a", "b_late", "unrelated")
        self.client.force_login(self.owner)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(
                reverse("run-start", args=[project.pk]),
                {"method": "audio", "reference": project.videos.first().pk},
            )
        run = project.runs.get()
        page = self.client.get(reverse("run-detail", args=[run.pk]))
        self.assertContains(page, "This video could not be placed on the timeline.")
        assert run.max_offset_s is None  # empty field: the whole overlap

    def test_starting_a_run_reports_what_is_wrong(self) -> None:
        project = self.project_with("a")
        other = self.project_with("b_late", owner=self.outsider)
        self.client.force_login(self.owner)
        url = reverse("run-start", args=[project.pk])
        response = self.client.post(url, {"method": "audio", "reference": project.videos.get().pk})
        self.assertContains(response, errors.NEED_TWO_VIDEOS, status_code=400)
        response = self.client.post(url, {"method": "audio", "reference": other.videos.get().pk})
        self.assertContains(response, "Select a valid choice.", status_code=400)
        response = self.client.post(url, {"method": "fast", "max_offset_s": "-3"})
        self.assertContains(
            response, "Ensure this value is greater than or equal to 0.1.", status_code=400
        )
        assert not SyncRun.objects.exists()

    def test_a_queued_run_polls_as_unfinished_and_can_be_cancelled(self) -> None:
        project = self.project_with("a", "b_late")
        run = services.sync_run_start(project=project, method="audio")  # not executed
        self.client.force_login(self.owner)
        status = self.client.get(reverse("api-run-detail", args=[run.pk])).json()
        assert status["status"] == "queued" and status["finished"] is False
        page = self.client.get(reverse("run-detail", args=[run.pk]))
        self.assertContains(page, "Cancel run")
        self.assertContains(page, 'data-active="1"')
        self.assertContains(page, f'data-run-id="{run.pk}"')  # run.js polls api runs/{id}/
        response = self.client.post(reverse("run-cancel", args=[run.pk]), follow=True)
        self.assertContains(response, "Sync cancelled.")
        self.assertContains(response, errors.CANCELLED)
        run.refresh_from_db()
        assert run.status == SyncRun.Status.CANCELLED
        response = self.client.post(reverse("run-cancel", args=[run.pk]), follow=True)
        self.assertContains(response, "nothing to cancel")

    def test_a_failed_run_shows_the_engines_message(self) -> None:
        project = self.project_with("a", "noaudio")
        self.client.force_login(self.owner)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(
                reverse("run-start", args=[project.pk]),
                {"method": "audio", "reference": project.videos.first().pk, "max_offset_s": "20"},
            )
        run = project.runs.get()
        status = self.client.get(reverse("api-run-detail", args=[run.pk])).json()
        assert status["status"] == "failed" and status["error_code"] == "no_audio_stream"
        page = self.client.get(reverse("run-detail", args=[run.pk]))
        self.assertContains(page, "&#x27;noaudio.mp4&#x27; has no audio track")
        self.assertContains(page, errors.ENGINE_HINTS["no_audio_stream"].replace("'", "&#x27;"))

    def test_a_clip_without_sound_is_not_synced_with_its_reason_and_the_others_are(self) -> None:
        project = self.project_with("a", "b_late", "noaudio")
        self.client.force_login(self.owner)
        with self.captureOnCommitCallbacks(execute=True):
            data = {"method": "audio", "reference": project.videos.first().pk}
            self.client.post(reverse("run-start", args=[project.pk]), data)
        run = project.runs.get()
        assert run.status == SyncRun.Status.DONE, run.error_message
        results = self.client.get(reverse("api-run-results", args=[run.pk])).json()
        by_name = {o["video_name"]: o for o in results["offsets"]}
        assert by_name["a.mp4"]["synced"] and by_name["a.mp4"]["offset_s"] == 0.0
        assert by_name["b_late.mov"]["synced"]
        assert by_name["b_late.mov"]["offset_s"] == pytest.approx(1.25, abs=0.005)
        lonely = by_name["noaudio.mp4"]
        assert not lonely["synced"] and lonely["offset_s"] is None
        assert "audio" in lonely["reason"] and lonely["reason"] == lonely["notes"][0]
        assert by_name["a.mp4"]["reason"] is None and by_name["b_late.mov"]["reason"] is None

        html = self.client.get(reverse("run-detail", args=[run.pk])).content.decode()
        row, notes = html.split('data-video-name="noaudio.mp4"')[1].split("</tr>")[:2]
        assert '<span class="bad">no</span>' in row and '<td class="num offset">no estimate' in row
        assert "<strong>Not synced:</strong> &#x27;noaudio.mp4&#x27; has no audio track" in notes
        assert present.WARN_NOT_SYNCED in notes
        for name in ("a.mp4", "b_late.mov"):
            row = html.split(f'data-video-name="{name}"')[1].split("</tr>")[0]
            assert '<span class="ok">yes</span>' in row
        assert "Not synced:" not in html.split('data-video-name="noaudio.mp4"')[0]

    def test_debug_plots_are_shown_and_stay_inside_media_root(self) -> None:
        project, run = self._synced_project()
        self._urls(project, run)  # writes plots/pair_0_1.png and lists it on the run
        SyncRun.objects.filter(pk=run.pk).update(
            plots=["plots/pair_0_1.png", "../../../../etc/passwd", "plots/missing.png"]
        )
        page = self.client.get(reverse("run-detail", args=[run.pk]))
        self.assertContains(page, 'id="plots"')
        self.assertContains(page, "pair 0 1")
        response = self.client.get(reverse("run-plot", args=[run.pk, 0]))
        assert response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == PNG_1PX
        for index in (1, 2, 3):
            assert self.client.get(reverse("run-plot", args=[run.pk, index])).status_code == 404
        SyncRun.objects.filter(pk=run.pk).update(plots=[])
        self.assertNotContains(self.client.get(reverse("run-detail", args=[run.pk])), 'id="plots"')

    # --- media with Range ----------------------------------------------------------------

    def test_media_is_served_with_byte_ranges(self) -> None:
        project = self.project_with("a")
        self.client.force_login(self.owner)
        video = project.videos.get()
        data = Path(video.proxy.path).read_bytes()
        size = len(data)
        url = reverse("video-media", args=[video.pk, "proxy"])
        response = self.client.get(url)
        assert response.status_code == 200 and response["Accept-Ranges"] == "bytes"
        assert response["Content-Type"] == "video/mp4" and int(response["Content-Length"]) == size
        assert b"".join(response.streaming_content) == data
        cases = {
            "bytes=0-99": (0, 99),
            "bytes=100-": (100, size - 1),
            "bytes=-50": (size - 50, size - 1),
            f"bytes=10-{size + 500}": (10, size - 1),
        }
        for header, (first, last) in cases.items():
            with self.subTest(header):
                response = self.client.get(url, HTTP_RANGE=header)
                assert response.status_code == 206
                assert response["Content-Range"] == f"bytes {first}-{last}/{size}"
                assert int(response["Content-Length"]) == last - first + 1
                assert b"".join(response.streaming_content) == data[first : last + 1]
        for header in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=-0"):
            with self.subTest(header):
                response = self.client.get(url, HTTP_RANGE=header)
                assert response.status_code == 416
                assert response["Content-Range"] == f"bytes */{size}"
        for header in ("bytes=5-2", "items=0-10", "bytes=0-1,5-6"):  # ignored: the whole file
            with self.subTest(header):
                assert self.client.get(url, HTTP_RANGE=header).status_code == 200
        original = reverse("video-media", args=[video.pk, "original"])  # never served
        assert self.client.get(original).status_code == 404


def test_warnings_cover_low_confidence_and_disagreement() -> None:
    video = Video(pk=1, original_name="cam.mp4")
    row, ref = present.offset_rows(
        [
            _offset(video, offset_s=0.5, confidence=0.31, synced=True, audio_video_diff_s=0.35),
            _offset(video, offset_s=0.0, confidence=0.9, synced=True, audio_video_diff_s=0.01),
        ]
    )
    assert row.warnings == [
        present.WARN_LOW_CONFIDENCE.format(confidence=0.31),
        present.WARN_DISAGREE.format(diff_s=0.35),
    ]
    assert row.offset == "+0.500" and row.low_confidence and row.disagree
    assert ref.warnings == [] and not ref.disagree


def _offset(video: Video, **fields: object):
    from projects.models import VideoOffset

    return VideoOffset(video=video, band="fair", notes=["engine says hi"], **fields)


def test_the_run_json_describes_the_stage() -> None:
    run = SyncRun(pk=1, status=SyncRun.Status.RUNNING, stage="extracting_audio", progress=0.42)
    data = RunOutputSerializer(run).data
    assert data["stage_label"] == "Extracting audio" and data["finished"] is False
    assert data["progress"] == 0.42 and data["results_url"] == "/api/v1/runs/1/results/"
