"""The synchronized player's data on the run page and its offset-adjust endpoint.

Real clips (a is the reference, b_late starts 1.25 s later at 29.97 fps, c_early 2.4 s
earlier at 25 fps) synced on a real database; owner, another user and anonymous.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from projects import errors, services
from projects.models import Project, SyncRun, VideoOffset
from projects.views import http, runs
from tests.projects.base import BaseTestCase


@pytest.fixture()
def _clips(request, clips) -> None:
    request.cls.clips = clips


@pytest.mark.usefixtures("_clips")
class PlayerTests(BaseTestCase):
    def _synced_run(self, *names: str) -> tuple[Project, SyncRun]:
        project = self.project_with(*(names or ("a", "b_late", "c_early")), name="Concert")
        run = self.run_synced(project)
        self.client.force_login(self.owner)
        return project, run

    def _offset(self, run: SyncRun, name: str) -> VideoOffset:
        return run.offsets.select_related("video").get(video__original_name=name)

    def _adjust(self, run: SyncRun, offset: VideoOffset, body, *, client=None, as_json=True):
        url = reverse("run-offset-adjust", args=[run.pk, offset.video_id])
        client = client or self.client
        if as_json:
            return client.post(url, json.dumps(body), content_type="application/json")
        return client.post(url, body)

    def _player_data(self, page) -> dict:
        marker = '<script id="player-data" type="application/json">'
        html = page.content.decode()
        assert marker in html, "the run page embeds the player data"
        return json.loads(html.split(marker, 1)[1].split("</script>", 1)[0])

    def test_the_run_page_holds_every_videos_player_data_for_the_owner(self) -> None:
        project, run = self._synced_run()
        page = self.client.get(reverse("run-detail", args=[run.pk]))
        self.assertContains(page, 'id="sync-player"')
        self.assertContains(page, "js/player.js")
        data = self._player_data(page)
        videos = {v["name"]: v for v in data["videos"]}
        assert list(videos) == ["a.mp4", "b_late.mov", "c_early.mkv"]
        assert data["reference_fps"] == pytest.approx(30.0)
        assert data["finished"] is True
        for name, clip, fps in (
            ("a.mp4", "a", 30.0),
            ("b_late.mov", "b_late", 30000 / 1001),
            ("c_early.mkv", "c_early", 25.0),
        ):
            video = videos[name]
            assert video["ready"] and video["synced"]
            assert video["proxy_url"] == reverse("video-media", args=[video["video_id"], "proxy"])
            assert video["poster_url"] == reverse("video-media", args=[video["video_id"], "poster"])
            assert video["fps"] == pytest.approx(fps, abs=0.01)
            assert video["duration_s"] == pytest.approx(12.0 if clip == "a" else 10.0, abs=0.1)
            assert video["offset_s"] == pytest.approx(self.clips.truth_s(clip), abs=0.005)
            assert video["effective_offset_s"] == video["offset_s"]
            assert video["manual_offset_s"] is None
            assert video["is_reference"] is (clip == "a")
            assert self.client.get(video["proxy_url"], HTTP_RANGE="bytes=0-99").status_code == 206
        results = self.client.get(reverse("run-results", args=[run.pk])).json()
        assert results["player"] == data

    def test_a_video_whose_preview_is_not_ready_gets_no_player_tile(self) -> None:
        project, run = self._synced_run("a", "b_late")
        project.videos.filter(original_name="b_late.mov").update(status="processing")
        data = self._player_data(self.client.get(reverse("run-detail", args=[run.pk])))
        late = next(v for v in data["videos"] if v["name"] == "b_late.mov")
        assert late["ready"] is False and late["proxy_url"] == ""
        assert late["preview_label"] == "Preparing preview"

    def test_the_owner_saves_a_manual_offset_and_the_estimate_stays_on_record(self) -> None:
        project, run = self._synced_run()
        late = self._offset(run, "b_late.mov")
        estimate_s = late.offset_s
        nudged_s = estimate_s + 1 / (30000 / 1001)
        response = self._adjust(run, late, {"manual_offset_s": nudged_s})
        assert response.status_code == 200, response.content
        video = response.json()["video"]
        assert video["manual_offset_s"] == pytest.approx(nudged_s)
        assert video["effective_offset_s"] == pytest.approx(nudged_s)
        assert video["offset_s"] == estimate_s
        late.refresh_from_db()
        assert late.offset_s == estimate_s and late.manual_offset_s == pytest.approx(nudged_s)
        assert late.manual_updated_at is not None

        page = self.client.get(reverse("run-detail", args=[run.pk]))
        self.assertContains(page, f"manual {nudged_s:+.3f}")
        self.assertContains(page, f"{estimate_s:+.3f}")
        shown = next(v for v in self._player_data(page)["videos"] if v["name"] == "b_late.mov")
        assert shown["effective_offset_s"] == pytest.approx(nudged_s)
        assert shown["offset_s"] == estimate_s

    def test_a_form_post_with_an_empty_value_clears_the_adjustment(self) -> None:
        project, run = self._synced_run("a", "b_late")
        late = self._offset(run, "b_late.mov")
        assert self._adjust(run, late, {"manual_offset_s": "1.3"}, as_json=False).status_code == 200
        late.refresh_from_db()
        assert late.manual_offset_s == pytest.approx(1.3)
        response = self._adjust(run, late, {"manual_offset_s": ""}, as_json=False)
        assert response.status_code == 200
        assert response.json()["video"]["manual_offset_s"] is None
        late.refresh_from_db()
        assert late.manual_offset_s is None and late.manual_updated_at is None
        assert late.effective_offset_s == late.offset_s
        self.assertNotContains(self.client.get(reverse("run-detail", args=[run.pk])), "manual +")

    def test_a_json_null_clears_the_adjustment(self) -> None:
        project, run = self._synced_run("a", "b_late")
        late = self._offset(run, "b_late.mov")
        self._adjust(run, late, {"manual_offset_s": 1.2})
        assert self._adjust(run, late, {"manual_offset_s": None}).status_code == 200
        late.refresh_from_db()
        assert late.manual_offset_s is None

    def test_bad_values_are_refused_with_a_message_and_nothing_changes(self) -> None:
        project, run = self._synced_run("a", "b_late")
        late = self._offset(run, "b_late.mov")
        cases = [
            ({"manual_offset_s": "soon"}, True, "not_a_number", "'soon'"),
            ({"manual_offset_s": "nan"}, False, "not_a_number", "finite"),
            ({"manual_offset_s": "inf"}, False, "not_a_number", "finite"),
            ({"manual_offset_s": True}, True, "not_a_number", "finite number"),
            ({"manual_offset_s": [1.0]}, True, "not_a_number", "finite number"),
            ({"manual_offset_s": 86400.5}, True, "out_of_range", "86400.5 s is outside"),
            ({"manual_offset_s": "-1e9"}, False, "out_of_range", "24 hours"),
            ({"offset_s": 1.0}, True, "missing_value", runs.ADJUST_MISSING),
            ({}, False, "missing_value", runs.ADJUST_MISSING),
        ]
        for body, as_json, code, text in cases:
            response = self._adjust(run, late, body, as_json=as_json)
            assert response.status_code == 400, (body, response.content)
            payload = response.json()
            assert payload["ok"] is False and payload["code"] == code, (body, payload)
            assert text in payload["message"], (body, payload)
        url = reverse("run-offset-adjust", args=[run.pk, late.video_id])
        broken = self.client.post(url, "{not json", content_type="application/json")
        assert broken.status_code == 400 and broken.json()["code"] == "missing_value"
        late.refresh_from_db()
        assert late.manual_offset_s is None

    def test_the_reference_cannot_be_adjusted(self) -> None:
        project, run = self._synced_run("a", "b_late")
        reference = self._offset(run, "a.mp4")
        response = self._adjust(run, reference, {"manual_offset_s": 0.5})
        assert response.status_code == 400
        assert response.json() == {
            "ok": False,
            "message": errors.REFERENCE_OFFSET_FIXED,
            "code": "reference_offset_fixed",
        }
        reference.refresh_from_db()
        assert reference.manual_offset_s is None

    def test_another_users_run_or_a_video_outside_the_run_is_not_found(self) -> None:
        project, run = self._synced_run("a", "b_late")
        late = self._offset(run, "b_late.mov")
        other = Client()
        other.force_login(self.outsider)
        response = self._adjust(run, late, {"manual_offset_s": 2.0}, client=other)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        stranger = services.project_create(owner=self.outsider, name="Theirs")
        with self.captureOnCommitCallbacks(execute=True):
            theirs = services.video_add(project=stranger, upload=self.upload(self.clips["a"]))
        url = reverse("run-offset-adjust", args=[run.pk, theirs.pk])
        response = self.client.post(url, {"manual_offset_s": "1"})
        assert response.status_code == 404
        late.refresh_from_db()
        assert late.manual_offset_s is None

    def test_an_anonymous_caller_gets_401_json(self) -> None:
        project, run = self._synced_run("a", "b_late")
        late = self._offset(run, "b_late.mov")
        response = self._adjust(run, late, {"manual_offset_s": 2.0}, client=Client())
        assert response.status_code == 401 and response.json()["code"] == "not_authenticated"

    def test_the_endpoint_needs_the_csrf_token_and_a_post(self) -> None:
        project, run = self._synced_run("a", "b_late")
        late = self._offset(run, "b_late.mov")
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(self.owner)
        response = self._adjust(run, late, {"manual_offset_s": 2.0}, client=strict)
        # A script gets JSON it can show; a plain form post gets Django's page.
        assert response.status_code == 403
        assert response.json() == {"ok": False, "message": http.CSRF_FAILED, "code": "csrf_failed"}
        form = self._adjust(run, late, {"manual_offset_s": 2.0}, client=strict, as_json=False)
        assert form.status_code == 403 and form["Content-Type"].startswith("text/html")
        url = reverse("run-offset-adjust", args=[run.pk, late.video_id])
        assert self.client.get(url).status_code == 405
        late.refresh_from_db()
        assert late.manual_offset_s is None
