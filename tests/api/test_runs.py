"""Sync runs over the API: start, list, read, cancel, results, manual adjustment."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from projects import errors, services
from projects.api.runs import ALREADY_FINISHED
from projects.models import SyncRun
from projects.views.present import SIGN_CONVENTION, WARN_NOT_SYNCED
from tests.api.base import ApiTestCase


@pytest.mark.usefixtures("_clips")
class RunApiTests(ApiTestCase):
    def test_a_run_reports_offsets_confidence_and_agreement_for_each_video(self) -> None:
        project, run = self.synced_run("a", "b_late", "c_early", method="auto")
        body = self.call("GET", reverse("api-run-detail", args=[run.pk])).json()
        assert body["status"] == "done" and body["finished"] and body["progress"] == 1.0
        assert body["stage_label"] == "Done" and body["method"] == "auto"
        assert body["error_code"] == "" and body["max_offset_s"] == 20.0
        assert body["reference_video_id"] == project.videos.first().pk
        assert body["started_at"] and body["finished_at"] and body["elapsed_s"] > 0
        assert body["results_url"].endswith(reverse("api-run-results", args=[run.pk]))
        results = self.call("GET", body["results_url"]).json()
        assert results["run"] == body and results["sign_convention"] == SIGN_CONVENTION
        by_name = {o["video_name"]: o for o in results["offsets"]}
        for name, clip in (("a.mp4", "a"), ("b_late.mov", "b_late"), ("c_early.mkv", "c_early")):
            o = by_name[name]
            assert o["offset_s"] == pytest.approx(self.clips.truth_s(clip), abs=0.005)
            assert o["effective_offset_s"] == o["offset_s"] and o["manual_offset_s"] is None
            assert o["synced"] and o["band"] == "excellent" and o["confidence"] > 0.8
            assert o["warnings"] == []
        late = by_name["b_late.mov"]
        assert late["audio_offset_s"] == pytest.approx(1.25, abs=0.005)
        assert late["visual_offset_s"] == pytest.approx(1.25, abs=0.05)
        assert late["audio_video_diff_s"] < 0.05 and "drift_ppm" in late and "residual_s" in late
        assert by_name["a.mp4"]["is_reference"]
        listing = self.call("GET", reverse("api-run-list", args=[project.pk])).json()
        assert listing["count"] == 1 and listing["results"][0] == body
        for name in ("api-run-list", "api-video-list"):  # constant, whatever the row count
            with self.subTest(name), self.assertNumQueries(4):  # token, project, count, page
                self.call("GET", reverse(name, args=[project.pk]))

    def test_the_owner_sets_and_clears_a_manual_offset_but_not_on_the_reference(self) -> None:
        project, run = self.synced_run("a", "b_late")
        late = project.videos.get(original_name="b_late.mov")
        url = reverse("api-offset-adjust", args=[run.pk, late.pk])
        body = self.call("PATCH", url, {"manual_offset_s": 1.3}).json()
        assert body["manual_offset_s"] == 1.3 and body["effective_offset_s"] == 1.3
        assert body["offset_s"] == pytest.approx(1.25, abs=0.005) and body["manual_updated_at"]
        body = self.call("PATCH", url, {"manual_offset_s": None}).json()
        assert body["manual_offset_s"] is None and body["manual_updated_at"] is None
        assert body["effective_offset_s"] == body["offset_s"]
        for bad in ("nan", "inf", "x", 90000, None):
            with self.subTest(bad):
                data = {"manual_offset_s": bad} if bad is not None else {}
                body = self.assert_error(self.call("PATCH", url, data), 400, "invalid")
                assert list(body["extra"]["fields"]) == ["manual_offset_s"]
        reference = project.videos.get(original_name="a.mp4")
        ref_url = reverse("api-offset-adjust", args=[run.pk, reference.pk])
        self.assert_error(
            self.call("PATCH", ref_url, {"manual_offset_s": 0.5}),
            400,
            "reference_offset_fixed",
            errors.REFERENCE_OFFSET_FIXED,
        )
        assert self.call("PATCH", ref_url, {"manual_offset_s": None}).status_code == 200
        other = self.project_with("c_early", owner=self.outsider).videos.get()
        self.assert_error(
            self.call(
                "PATCH",
                reverse("api-offset-adjust", args=[run.pk, other.pk]),
                {"manual_offset_s": 1},
            ),
            404,
            "not_found",
        )
        self.assert_error(
            self.call("PATCH", url, {"manual_offset_s": 1}, key="outsider"), 404, "not_found"
        )

    def test_starting_a_run_reports_what_is_wrong(self) -> None:
        project = self.project_with("a")
        url = reverse("api-run-list", args=[project.pk])
        self.assert_error(
            self.call("POST", url, {"method": "audio"}),
            400,
            "need_two_videos",
            errors.NEED_TWO_VIDEOS,
        )
        self.project_with("b_late", owner=self.owner, name="Other")
        with self.captureOnCommitCallbacks(execute=True):
            services.video_add(project=project, upload=self.upload(self.clips["b_late"]))
        foreign = self.project_with("c_early", owner=self.outsider).videos.get()
        body = self.assert_error(
            self.call("POST", url, {"reference_video_id": foreign.pk}),
            400,
            "bad_reference",
            errors.VIDEO_NOT_IN_PROJECT,
        )
        assert body["extra"]["fields"] == {"reference_video_id": [errors.VIDEO_NOT_IN_PROJECT]}
        body = self.assert_error(
            self.call("POST", url, {"method": "fast", "max_offset_s": -3}), 400, "invalid"
        )
        assert sorted(body["extra"]["fields"]) == ["max_offset_s", "method"]
        body = self.assert_error(
            self.call("POST", url, {"reference_video_id": 10**30}), 400, "invalid"
        )
        assert list(body["extra"]["fields"]) == ["reference_video_id"]
        body = self.assert_error(self.call("POST", url, {"max_offset_s": "nan"}), 400, "invalid")
        assert body["extra"]["fields"]["max_offset_s"] == ["A valid number is required."]
        assert not SyncRun.objects.exists()

        run = services.sync_run_start(project=project, method="audio")  # queued, not executed
        self.assert_error(self.call("POST", url, {}), 409, "run_active", errors.RUN_ALREADY_ACTIVE)
        body = self.call("GET", reverse("api-run-detail", args=[run.pk])).json()
        assert body["status"] == "queued" and not body["finished"]
        assert body["stage_label"] == "Waiting for a worker" and body["started_at"] is None
        assert self.call("GET", reverse("api-run-results", args=[run.pk])).json()["offsets"] == []

    def test_a_queued_run_is_cancelled_once(self) -> None:
        project = self.project_with("a", "b_late")
        run = services.sync_run_start(project=project, method="audio")
        url = reverse("api-run-cancel", args=[run.pk])
        self.assert_error(self.call("POST", url, key="outsider"), 404, "not_found")
        self.assert_error(self.call("POST", url, key=None), 401, "not_authenticated")
        body = self.call("POST", url).json()
        assert body["status"] == "cancelled" and body["error_message"] == errors.CANCELLED
        assert body["finished"] and body["finished_at"]
        self.assert_error(self.call("POST", url), 409, "run_finished", ALREADY_FINISHED)

    def test_a_failed_run_shows_the_engines_code_and_message(self) -> None:
        project = self.project_with("a", "noaudio")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.call(
                "POST", reverse("api-run-list", args=[project.pk]), {"method": "audio"}
            )
        body = self.call("GET", reverse("api-run-detail", args=[response.json()["id"]])).json()
        assert body["status"] == "failed" and body["error_code"] == "no_audio_stream"
        assert "'noaudio.mp4' has no audio track" in body["error_message"]
        assert errors.ENGINE_HINTS["no_audio_stream"] in body["error_message"]

    def test_a_clip_without_sound_is_not_synced_with_its_reason_and_the_others_are(self) -> None:
        project, run = self.synced_run("a", "b_late", "noaudio", method="audio")
        results = self.call("GET", reverse("api-run-results", args=[run.pk])).json()
        assert results["run"]["status"] == "done" and results["run"]["error_code"] == ""
        by_name = {o["video_name"]: o for o in results["offsets"]}
        assert by_name["a.mp4"]["effective_offset_s"] == 0.0
        assert by_name["b_late.mov"]["effective_offset_s"] == pytest.approx(1.25, abs=0.005)
        for name in ("a.mp4", "b_late.mov"):
            assert by_name[name]["synced"] and by_name[name]["reason"] is None
        lonely = by_name["noaudio.mp4"]
        assert lonely["synced"] is False and lonely["band"] == "poor"
        assert lonely["offset_s"] is None and lonely["effective_offset_s"] is None
        assert lonely["audio_offset_s"] is None and lonely["visual_offset_s"] is None
        assert lonely["reason"].startswith("'noaudio.mp4' has no audio track")
        assert lonely["reason"] in lonely["notes"] and WARN_NOT_SYNCED in lonely["warnings"]

    def test_with_auto_a_clip_without_sound_gets_a_result_and_if_placed_within_a_frame(
        self,
    ) -> None:
        project, run = self.synced_run("a", "b_late", "noaudio", method="auto")
        results = self.call("GET", reverse("api-run-results", args=[run.pk])).json()
        by_name = {o["video_name"]: o for o in results["offsets"]}
        assert set(by_name) == {"a.mp4", "b_late.mov", "noaudio.mp4"}
        lonely = by_name["noaudio.mp4"]
        assert lonely["audio_offset_s"] is None  # no sound to measure
        if lonely["synced"]:  # from the picture alone
            frame_s = 1 / project.videos.get(original_name="noaudio.mp4").fps
            assert abs(lonely["offset_s"] - self.clips.truth_s("noaudio")) <= frame_s
            assert lonely["reason"] is None
        else:
            assert lonely["offset_s"] is None and lonely["reason"]

    def test_each_clip_reports_its_loop_residual_in_the_api_and_on_the_run_page(self) -> None:
        self.client.force_login(self.owner)
        for names, loops in ((("a", "b_late", "c_early"), 1), (("a", "b_late"), 0)):
            project, run = self.synced_run(*names)
            results = self.call("GET", reverse("api-run-results", args=[run.pk])).json()
            html = self.client.get(reverse("run-detail", args=[run.pk])).content.decode()
            for o in results["offsets"]:
                stored = run.offsets.get(video_id=o["video_id"])
                assert o["loops_closed"] == stored.loops_closed == loops, o
                assert o["loop_residual_s"] == stored.loop_residual_s
                row = html.split(f'data-video-name="{o["video_name"]}"')[1].split("</tr>")[0]
                cell = row.split('class="num loop-residual"')[1].split("</td>")[0]
                if loops:  # one triangle: a->b + b->c against a->c, well within a frame
                    assert 0 <= o["loop_residual_s"] < 1 / 30, o
                    assert cell == f' title="1 loop checked">{o["loop_residual_s"]:.4f}', cell
                else:  # two clips close no loop
                    assert o["loop_residual_s"] is None and cell == ">—", cell

    def test_another_user_or_anonymous_cannot_see_or_start_runs(self) -> None:
        project = self.project_with("a", "b_late")
        run = services.sync_run_start(project=project, method="audio")
        for method, url in (
            ("GET", reverse("api-run-list", args=[project.pk])),
            ("POST", reverse("api-run-list", args=[project.pk])),
            ("GET", reverse("api-run-detail", args=[run.pk])),
            ("GET", reverse("api-run-results", args=[run.pk])),
        ):
            with self.subTest(method=method, url=url):
                self.assert_error(self.call(method, url, {}, key="outsider"), 404, "not_found")
                self.assert_error(self.call(method, url, {}, key=None), 401, "not_authenticated")
        assert project.runs.count() == 1

    @override_settings(
        REST_FRAMEWORK={
            **__import__("django.conf").conf.settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"uploads": "1/hour", "runs": "2/hour", "renders": "1/hour"},
        }
    )
    def test_run_starts_and_uploads_are_throttled(self) -> None:
        project = services.project_create(owner=self.owner, name="Gig")
        url = reverse("api-run-list", args=[project.pk])
        for _ in range(2):
            self.assert_error(self.call("POST", url, {}), 400, "need_two_videos")
        response = self.call("POST", url, {})
        body = self.assert_error(response, 429, "throttled")
        assert int(response["Retry-After"]) == body["extra"]["retry_after_s"] > 0
        assert self.call("GET", url).status_code == 200  # reading is never throttled
        upload = reverse("api-video-list", args=[project.pk])
        self.assert_error(self.call("POST", upload, {}, multipart=True), 400, "no_file")
        self.assert_error(self.call("POST", upload, {}, multipart=True), 429, "throttled")
        # Per user: another caller still has its own budget.
        self.assert_error(
            self.call("POST", upload, {}, key="outsider", multipart=True), 404, "not_found"
        )
