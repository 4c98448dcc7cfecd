"""Editor timelines over the API: every format read back and held against the run's offsets."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse

from projects import services, timelines
from projects.models import SyncRun
from syncengine.editors import FORMATS, UNPLACED_TRACK
from syncengine.editors.readback import compare, read
from tests.api.base import ApiTestCase


def _url(run: SyncRun, fmt: str, media: str | None = None) -> str:
    url = reverse("api-run-timeline", args=[run.pk, fmt])
    return url if media is None else f"{url}?media={media}"


@pytest.mark.usefixtures("_clips")
class TimelineApiTests(ApiTestCase):
    def test_every_format_places_every_clip_at_its_effective_offset(self) -> None:
        _, run = self.synced_run("a", "b_late", "c_early", "unrelated")
        b = run.offsets.get(video__original_name="b_late.mov")
        services.offset_adjust(offset=b, manual_offset_s=b.offset_s + 1 / 30)  # a frame later
        clips = timelines.run_timeline_clips(run)
        assert [c.offset_s is None for c in clips] == [False, False, False, True]
        assert next(c for c in clips if c.name == "b_late.mov").marker == "Placed by hand"
        for fmt in FORMATS:
            with self.subTest(fmt=fmt):
                response = self.call("GET", _url(run, fmt))
                assert response.status_code == 200, response.content[:300]
                assert response["Content-Type"] == FORMATS[fmt].content_type
                ext = "edl.zip" if fmt == "edl" else FORMATS[fmt].extension.lstrip(".")
                disposition = response["Content-Disposition"]
                assert f'filename="Wedding_run{run.pk}_synced.{ext}"' in disposition
                assert compare(clips, fmt, response.content) == []
        # Each clip at its own rate: a at 30, b_late at 29.97, c_early at 25 (the old bug).
        rows = read(self.call("GET", _url(run, "xml")).content, "xml")
        rates = {r.name: round(r.rate, 3) for r in rows if r.enabled}
        assert rates == {"a.mp4": 30, "b_late.mov": 29.97, "c_early.mkv": 25}
        lost = [r for r in rows if r.name == "unrelated.mp4"]
        assert lost and not any(r.enabled for r in lost)

    def test_synced_media_link_the_newest_exports_files(self) -> None:
        _, run = self.synced_run("a", "b_late")
        self.assert_error(self.call("GET", _url(run, "otio", "synced")), 409, "render_not_ready")
        with self.captureOnCommitCallbacks(execute=True):
            services.render_start(run=run, reencode=False)
        response = self.call("GET", _url(run, "otio", "synced"))
        assert response.status_code == 200, response.content[:300]
        assert f"Wedding_run{run.pk}_synced_files.otio" in response["Content-Disposition"]
        rows = read(response.content, "otio")
        media = {r.media for r in rows}
        assert media == {"a_synced.mp4", "b_late_synced.mov"}
        assert {round(r.start_s, 6) for r in rows} == {0.0}  # the synced files start together
        assert (
            compare(timelines.run_timeline_clips(run, media="synced"), "otio", response.content)
            == []
        )

    def test_an_edl_zip_has_an_edl_per_camera_and_lists_the_unplaced(self) -> None:
        _, run = self.synced_run("a", "unrelated")
        response = self.call("GET", _url(run, "edl"))
        assert response.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        camera = run.offsets.get(video__original_name="a.mp4").video.camera.name  # its track
        assert sorted(archive.namelist()) == [f"01_{camera.replace(' ', '_')}.edl", "unplaced.txt"]
        assert archive.read("unplaced.txt") == b"unrelated.mp4\n"
        rows = read(self.call("GET", _url(run, "otio")).content, "otio")
        assert [r.track for r in rows if r.name == "unrelated.mp4"] == [UNPLACED_TRACK] * 2

    def test_bad_formats_media_other_users_and_anonymous_are_refused(self) -> None:
        _, run = self.synced_run("a", "b_late")
        self.assert_error(self.call("GET", _url(run, "prproj")), 404, "not_found")
        body = self.assert_error(self.call("GET", _url(run, "xml", "proxies")), 400, "invalid")
        assert "media" in body["extra"]["fields"]
        for fmt in ("xml", "otio"):
            self.assert_error(self.call("GET", _url(run, fmt), key="outsider"), 404, "not_found")
            self.assert_error(self.call("GET", _url(run, fmt), key=None), 401, "not_authenticated")

    def test_a_run_that_placed_nothing_says_so(self) -> None:
        _, run = self.synced_run("a", "b_late")
        run.offsets.update(synced=False, manual_offset_s=None)
        body = self.assert_error(self.call("GET", _url(run, "otio")), 400, "invalid")
        assert body["message"] == timelines.NOTHING_PLACED

    def test_the_schema_lists_the_formats_as_an_enum(self) -> None:
        schema = self.call("GET", reverse("api-schema") + "?format=json").json()
        operation = schema["paths"]["/api/v1/runs/{run_id}/timeline/{fmt}/"]["get"]
        params = {p["name"]: p for p in operation["parameters"]}
        assert sorted(params["fmt"]["schema"]["enum"]) == sorted(FORMATS)
        assert params["media"]["schema"]["enum"] == ["original", "synced"]
        assert set(operation["responses"]["200"]["content"]) == {
            f.content_type for f in FORMATS.values()
        }
