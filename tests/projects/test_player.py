"""The synchronized player's data on the run page, and the offset saves its script makes.

The page embeds the API's own serializer output (``json_script``) and the script saves through
``PATCH /api/v1/runs/{run}/offsets/{video}/`` with the browser's session and CSRF token; these
tests take that same path. Real clips (a is the reference, b_late starts 1.25 s later at
29.97 fps, c_early 2.4 s earlier at 25 fps, noaudio has no sound) synced on a real database.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from projects import selectors
from projects.api.errors import CSRF_FAILED
from projects.api.runs import ADJUST_MISSING, ADJUST_NOT_A_NUMBER, ADJUST_OUT_OF_RANGE
from projects.models import Project, SyncRun, VideoOffset
from projects.views import present
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

    def _adjust(self, run: SyncRun, offset: VideoOffset, body, *, client=None):
        """What the player's script sends: PATCH, JSON, the session's cookie."""
        url = reverse("api-offset-adjust", args=[run.pk, offset.video_id])
        client = client or self.client
        return client.patch(url, json.dumps(body), content_type="application/json")

    def _player_data(self, page) -> dict:
        marker = '<script id="player-data" type="application/json">'
        html = page.content.decode()
        assert marker in html, "the run page embeds the player data"
        return json.loads(html.split(marker, 1)[1].split("</script>", 1)[0])

    def test_the_run_page_embeds_the_apis_answers_for_the_player(self) -> None:
        project, run = self._synced_run()
        page = self.client.get(reverse("run-detail", args=[run.pk]))
        self.assertContains(page, 'id="sync-player"')
        self.assertContains(page, '<script type="module" src="/static/js/player/main.js">')
        data = self._player_data(page)
        # The same shapes the API answers (relative URLs on the page).
        api_run = self.client.get(reverse("api-run-detail", args=[run.pk])).json()
        assert data["run"] == {**api_run, "results_url": reverse("api-run-results", args=[run.pk])}
        results = self.client.get(reverse("api-run-results", args=[run.pk])).json()
        assert data["offsets"] == results["offsets"]
        videos = {v["name"]: v for v in data["videos"]}
        assert list(videos) == ["a.mp4", "b_late.mov", "c_early.mkv"]
        assert data["default_fps"] == present.PLAYER_DEFAULT_FPS
        offsets = {o["video_name"]: o for o in data["offsets"]}
        for name, clip, fps in (
            ("a.mp4", "a", 30.0),
            ("b_late.mov", "b_late", 30000 / 1001),
            ("c_early.mkv", "c_early", 25.0),
        ):
            video, offset = videos[name], offsets[name]
            assert video["status"] == "ready" and offset["synced"] and offset["placed"]
            assert video["proxy_url"] == reverse("api-video-proxy", args=[video["id"]])
            assert video["poster_url"] == reverse("api-video-poster", args=[video["id"]])
            assert video["fps"] == pytest.approx(fps, abs=0.01)
            assert video["duration_s"] == pytest.approx(12.0 if clip == "a" else 10.0, abs=0.1)
            assert offset["offset_s"] == pytest.approx(self.clips.truth_s(clip), abs=0.005)
            assert offset["effective_offset_s"] == offset["offset_s"]
            assert offset["manual_offset_s"] is None
            assert offset["is_reference"] is (clip == "a")
            assert self.client.get(video["proxy_url"], HTTP_RANGE="bytes=0-99").status_code == 206
        assert data["run"]["reference_video_id"] == videos["a.mp4"]["id"]

    def test_a_video_whose_preview_is_not_ready_says_so(self) -> None:
        project, run = self._synced_run("a", "b_late")
        project.videos.filter(original_name="b_late.mov").update(status="processing")
        data = self._player_data(self.client.get(reverse("run-detail", args=[run.pk])))
        late = next(v for v in data["videos"] if v["name"] == "b_late.mov")
        assert late["status"] == "processing" and late["status_label"] == "Preparing preview"

    def test_the_owner_saves_a_manual_offset_and_the_estimate_stays_on_record(self) -> None:
        project, run = self._synced_run()
        late = self._offset(run, "b_late.mov")
        estimate_s = late.offset_s
        nudged_s = estimate_s + 1 / (30000 / 1001)
        response = self._adjust(run, late, {"manual_offset_s": nudged_s})
        assert response.status_code == 200, response.content
        offset = response.json()
        assert offset["manual_offset_s"] == pytest.approx(nudged_s)
        assert offset["effective_offset_s"] == pytest.approx(nudged_s)
        assert offset["offset_s"] == estimate_s
        late.refresh_from_db()
        assert late.offset_s == estimate_s and late.manual_offset_s == pytest.approx(nudged_s)
        assert late.manual_updated_at is not None

        page = self.client.get(reverse("run-detail", args=[run.pk]))
        self.assertContains(page, f"manual {nudged_s:+.3f}")
        self.assertContains(page, f"{estimate_s:+.3f}")
        shown = next(
            o for o in self._player_data(page)["offsets"] if o["video_id"] == late.video_id
        )
        assert shown["effective_offset_s"] == pytest.approx(nudged_s)
        assert shown["offset_s"] == estimate_s

        assert self._adjust(run, late, {"manual_offset_s": None}).status_code == 200
        late.refresh_from_db()
        assert late.manual_offset_s is None and late.manual_updated_at is None
        self.assertNotContains(self.client.get(reverse("run-detail", args=[run.pk])), "manual +")

    def test_bad_values_are_refused_with_a_message_that_says_what_to_send(self) -> None:
        project, run = self._synced_run("a", "b_late")
        late = self._offset(run, "b_late.mov")
        out_of_range = ADJUST_OUT_OF_RANGE.format(limit=86400)
        cases = [
            ({"manual_offset_s": "soon"}, ADJUST_NOT_A_NUMBER),
            ({"manual_offset_s": "nan"}, ADJUST_NOT_A_NUMBER),
            ({"manual_offset_s": "inf"}, ADJUST_NOT_A_NUMBER),
            ({"manual_offset_s": True}, ADJUST_NOT_A_NUMBER),
            ({"manual_offset_s": [1.0]}, ADJUST_NOT_A_NUMBER),
            ({"manual_offset_s": 86400.5}, out_of_range),
            ({"manual_offset_s": "-1e9"}, out_of_range),
            ({"offset_s": 1.0}, ADJUST_MISSING),
            ({}, ADJUST_MISSING),
        ]
        for body, message in cases:
            with self.subTest(body):
                response = self._adjust(run, late, body)
                assert response.status_code == 400, (body, response.content)
                payload = response.json()
                assert payload["code"] == "invalid", payload
                # The player shows the one field's message (static/js/api.js).
                assert payload["extra"]["fields"] == {"manual_offset_s": [message]}, payload
        url = reverse("api-offset-adjust", args=[run.pk, late.video_id])
        broken = self.client.patch(url, "{not json", content_type="application/json")
        assert broken.status_code == 400 and broken.json()["code"] == "parse_error"
        late.refresh_from_db()
        assert late.manual_offset_s is None

    def test_a_clip_placed_by_hand_joins_the_timeline_and_loses_its_warning(self) -> None:
        project, run = self._synced_run("a", "b_late", "noaudio")
        lonely = self._offset(run, "noaudio.mp4")
        assert not lonely.synced and lonely.offset_s is None
        page = self.client.get(reverse("run-detail", args=[run.pk]))
        self.assertContains(page, present.WARN_NOT_SYNCED)
        shown = next(o for o in self._player_data(page)["offsets"] if not o["synced"])
        assert shown["placed"] is False and shown["reason"] and shown["warnings"]
        assert str(lonely.video_id) not in selectors.placed_offsets_for_run(run=run)

        response = self._adjust(run, lonely, {"manual_offset_s": 3.1})
        assert response.status_code == 200, response.content
        offset = response.json()
        assert offset["placed"] is True and offset["effective_offset_s"] == 3.1
        assert present.WARN_NOT_SYNCED not in offset["warnings"]
        assert offset["reason"]  # why the engine could not: still on record
        page = self.client.get(reverse("run-detail", args=[run.pk]))
        self.assertNotContains(page, present.WARN_NOT_SYNCED)
        shown = next(o for o in self._player_data(page)["offsets"] if not o["synced"])
        assert shown["placed"] is True and shown["manual_offset_s"] == 3.1
        # Renders and editor timelines place it too.
        assert selectors.placed_offsets_for_run(run=run)[str(lonely.video_id)] == 3.1

        self._adjust(run, lonely, {"manual_offset_s": None})  # taken off the timeline again
        self.assertContains(
            self.client.get(reverse("run-detail", args=[run.pk])), present.WARN_NOT_SYNCED
        )

    def test_a_save_needs_the_csrf_token_and_answers_with_a_message(self) -> None:
        project, run = self._synced_run("a", "b_late")
        late = self._offset(run, "b_late.mov")
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(self.owner)
        response = self._adjust(run, late, {"manual_offset_s": 2.0}, client=strict)
        assert response.status_code == 403
        assert response.json() == {"message": CSRF_FAILED, "code": "csrf_failed", "extra": {}}
        page = strict.get(reverse("run-detail", args=[run.pk]))  # sets the csrftoken cookie
        token = page.cookies["csrftoken"].value
        url = reverse("api-offset-adjust", args=[run.pk, late.video_id])
        body = json.dumps({"manual_offset_s": 2.0})
        saved = strict.patch(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
        assert saved.status_code == 200 and saved.json()["manual_offset_s"] == 2.0
        assert self.client.get(url).status_code == 405
