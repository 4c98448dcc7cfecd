"""Editor timelines from the run page: links per format, every clip at its effective offset."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects import services, timelines
from projects.models import SyncRun
from syncengine.editors import FORMATS
from syncengine.editors.readback import compare, read
from tests.projects.base import BaseTestCase


@pytest.fixture(autouse=True)
def _clips(request, clips) -> None:
    if request.cls is not None:
        request.cls.clips = clips


class RunTimelineViewTests(BaseTestCase):
    def synced_run(self, *names: str) -> SyncRun:
        return self.run_synced(self.project_with(*names))

    def test_the_export_panel_links_every_format_and_each_file_reads_back(self) -> None:
        run = self.synced_run("a", "b_late", "c_early", "unrelated")
        b = run.offsets.get(video__original_name="b_late.mov")
        services.offset_adjust(offset=b, manual_offset_s=b.offset_s + 1 / 30)  # a frame later
        self.client.force_login(self.owner)
        page = self.client.get(reverse("run-detail", args=[run.pk]))
        for fmt in FORMATS:
            self.assertContains(
                page, reverse("run-timeline", args=[run.pk, fmt]) + "?media=original"
            )
        self.assertNotContains(page, "?media=synced")  # no finished export yet
        clips = timelines.run_timeline_clips(run)
        for fmt in FORMATS:
            with self.subTest(fmt=fmt):
                response = self.client.get(reverse("run-timeline", args=[run.pk, fmt]))
                assert response.status_code == 200
                assert compare(clips, fmt, response.content) == []
        response = self.client.get(reverse("run-timeline", args=[run.pk, "xml"]))
        assert response["Content-Type"] == "application/xml; charset=utf-8"
        assert f'filename="Wedding_run{run.pk}_synced.xml"' in response["Content-Disposition"]
        rows = {r.name: r for r in read(response.content, "xml") if r.kind == "video"}
        effective = {o.video.original_name: o.effective_offset_s for o in run.offsets.all()}
        first_s = min(v for k, v in effective.items() if k != "unrelated.mp4")
        # The sequence is the reference's 30 fps; b_late one frame later than its estimate.
        for name in ("a.mp4", "b_late.mov", "c_early.mkv"):
            assert round(rows[name].start_s * 30) == round((effective[name] - first_s) * 30)
        assert rows["c_early.mkv"].rate == 25 and not rows["unrelated.mp4"].enabled

    def test_synced_links_appear_with_an_export_and_without_one_the_page_says_why(self) -> None:
        run = self.synced_run("a", "b_late")
        self.client.force_login(self.owner)
        url = reverse("run-timeline", args=[run.pk, "fcpxml"]) + "?media=synced"
        response = self.client.get(url, follow=True)
        self.assertContains(response, "make the synced files first")
        with self.captureOnCommitCallbacks(execute=True):
            services.render_start(run=run, reencode=False)
        page = self.client.get(reverse("run-detail", args=[run.pk]))
        self.assertContains(page, url.replace("&", "&amp;"), count=1)
        response = self.client.get(url)
        assert response.status_code == 200 and b"a_synced.mp4" in response.content

    def test_unknown_formats_and_other_users_get_404(self) -> None:
        run = self.synced_run("a", "b_late")
        self.client.force_login(self.owner)
        assert self.client.get(reverse("run-timeline", args=[run.pk, "prproj"])).status_code == 404
        self.client.force_login(self.outsider)
        for fmt in FORMATS:
            assert self.client.get(reverse("run-timeline", args=[run.pk, fmt])).status_code == 404
