"""The run page on real runs of real clips: the outcome line, the labels, where messages go,
and the sync check sheet (page, download, API), each only for the run's owner."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image

from projects import services
from projects.models import Render, SyncRun, VideoOffset
from projects.services.check_sheets import check_sheet_path
from projects.views import present
from syncengine.check_sheet import CAPTION_PX
from tests.projects.base import BaseTestCase


@pytest.fixture()
def _clips(request, clips) -> None:
    request.cls.clips = clips


def _text(html: str) -> str:
    """The page's text, tags dropped and spaces collapsed, to assert on what a user reads."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</section>", start)]


@pytest.mark.usefixtures("_clips")
class RunPageTests(BaseTestCase):
    def page(self, run: SyncRun) -> str:
        self.client.force_login(self.owner)
        response = self.client.get(reverse("run-detail", args=[run.pk]))
        assert response.status_code == 200
        return response.content.decode()

    def offset(self, run: SyncRun, name: str) -> VideoOffset:
        return run.offsets.get(video__original_name=name)

    def test_a_run_that_placed_some_says_how_many_and_what_to_do(self) -> None:
        run = self.run_synced(self.project_with("a", "b_late", "unrelated"))
        html = self.page(run)
        text = _text(html)
        assert "2 of 3 clips placed; 1 needs you." in text
        assert "Place it by hand in the player below, or run again with 'Picture only'." in text
        assert "outcome-warn" in html and "Done: partly placed" in text

    def test_a_run_that_placed_none_is_not_a_green_done(self) -> None:
        run = self.run_synced(self.project_with("a", "unrelated"))
        html = self.page(run)
        badge = re.search(r'<span id="run-status-badge" class="([^"]+)">([^<]+)</span>', html)
        assert badge is not None
        assert "outcome-bad" in badge.group(1) and badge.group(2) == "Done: nothing placed"
        assert "None of the 1 other clip could be placed against the reference." in _text(html)

    def test_a_run_that_placed_all_says_so(self) -> None:
        run = self.run_synced(self.project_with("a", "b_late", "c_early"))
        text = _text(self.page(run))
        assert "All 3 clips placed." in text and "then export below" in text

    def test_the_reference_row_says_reference_not_a_poor_confidence(self) -> None:
        run = self.run_synced(self.project_with("a", "b_late"))
        html = self.page(run)
        row = re.search(
            r'<tr class="offset-row[^"]*"[^>]*data-video-name="a.mp4">.*?</tr>', html, re.S
        )
        assert row is not None
        assert 'class="band band-reference"' in row.group(0)
        assert "band-poor" not in row.group(0) and ">0.00<" not in row.group(0)

    def test_the_legend_and_the_labels_follow_the_engines_bands(self) -> None:
        run = self.run_synced(self.project_with("a", "b_late"))
        # A confidence just under the "good" edge: rounded to nearest it would read 0.50.
        VideoOffset.objects.filter(run=run, video__original_name="b_late.mov").update(
            confidence=0.4996
        )
        html = self.page(run)
        legend = html[
            html.index('id="sign-convention"') : html.index("</p>", html.index("sign-convention"))
        ]
        for band in present.band_legend():
            assert band["text"] in unescape(legend)
        row = re.search(r'data-video-name="b_late.mov">.*?</tr>', html, re.S)
        assert row is not None
        assert ">0.49<" in row.group(0) and 'class="band band-fair">fair<' in row.group(0)

    def test_a_clip_without_estimate_says_so_and_placing_it_by_hand_clears_the_warning(
        self,
    ) -> None:
        run = self.run_synced(self.project_with("a", "b_late", "unrelated"))
        html = self.page(run)
        row = re.search(r'data-video-name="unrelated.mp4">.*?</tr>', html, re.S)
        assert row is not None and "no estimate" in row.group(0) and "+0.000" not in row.group(0)
        assert present.WARN_NOT_SYNCED in html
        services.offset_adjust(offset=self.offset(run, "unrelated.mp4"), manual_offset_s=1.5)
        html = self.page(run)
        assert present.WARN_NOT_SYNCED not in html
        text = _text(html)
        assert "Placed by hand at +1.500 s" in text
        assert "All 3 clips placed." in text  # the outcome counts it as placed now

    def test_export_messages_appear_beside_the_export_form(self) -> None:
        run = self.run_synced(self.project_with("a", "b_late"))
        self.client.force_login(self.owner)
        url = reverse("render-start", args=[run.pk])
        response = self.client.post(url, {"mode": "sideways", "reencode": "1"}, follow=True)
        html = response.content.decode()
        message = "Choose a timeline and a quality for the synced files."
        assert html.count(message) == 1
        export = _section(html, "export")
        assert message in export[export.index('id="export-messages"') :]
        top = html[: html.index('id="run-progress"')]
        assert message not in top
        # Other pages' messages still show at the top.
        response = self.client.post(reverse("run-cancel", args=[run.pk]), follow=True)
        html = response.content.decode()
        top = html[: html.index('id="run-progress"')]
        assert "This sync had already finished; nothing to cancel." in top

    def test_an_export_with_nothing_measured_is_not_checked_not_verified(self) -> None:
        run = self.run_synced(self.project_with("a", "b_late"))
        Render.objects.create(run=run, status=Render.Status.DONE, verified=True)  # no residual
        checked = Render.objects.create(
            run=run,
            status=Render.Status.DONE,
            verified=True,
            max_residual_s=0.001,
            tolerance_s=0.02,
        )
        export = _section(self.page(run), "export")
        assert export.count("render-not-checked") == 1 and ">not checked<" in export
        assert export.count("render-verified") == 1
        assert f'id="render-{checked.pk}"' in export


@pytest.mark.usefixtures("_clips")
class CheckSheetTests(BaseTestCase):
    def test_a_run_makes_a_check_sheet_shown_and_downloadable_by_its_owner_only(self) -> None:
        run = self.run_synced(self.project_with("a", "b_late", "c_early"))
        path = check_sheet_path(run)
        with Image.open(path) as image:
            # 3 cameras across, 3 moments down; 160x120 sources in 320-px tiles.
            assert image.format == "PNG"
            assert image.size == (3 * 320, 3 * (240 + CAPTION_PX))
        url = reverse("run-check-sheet", args=[run.pk])
        self.client.force_login(self.owner)
        page = self.client.get(reverse("run-detail", args=[run.pk])).content.decode()
        sheet = _section(page, "check-sheet")
        assert f'<img src="{url}"' in sheet and f'href="{url}?download=1"' in sheet
        response = self.client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == path.read_bytes()
        download = self.client.get(url, {"download": "1"})
        assert (
            download["Content-Disposition"] == f'attachment; filename="run{run.pk}_check_sheet.png"'
        )
        api = self.client.get(reverse("api-run-check-sheet", args=[run.pk]))
        assert api.status_code == 200 and api["Content-Type"] == "image/png"

        self.client.force_login(self.outsider)
        assert self.client.get(url).status_code == 404
        api = self.client.get(reverse("api-run-check-sheet", args=[run.pk]))
        assert api.status_code == 404 and api.json()["code"] == "not_found"
        self.client.logout()
        assert self.client.get(url).status_code == 302  # to the log-in page
        assert self.client.get(reverse("api-run-check-sheet", args=[run.pk])).status_code in (
            401,
            403,
        )

    def test_a_run_with_one_placed_clip_has_none_and_the_page_says_so(self) -> None:
        run = self.run_synced(self.project_with("a", "unrelated"))
        assert not check_sheet_path(run).exists()
        self.client.force_login(self.owner)
        page = self.client.get(reverse("run-detail", args=[run.pk])).content.decode()
        assert "The check sheet is unavailable for this run" in _section(page, "check-sheet")
        assert self.client.get(reverse("run-check-sheet", args=[run.pk])).status_code == 404
        api = self.client.get(reverse("api-run-check-sheet", args=[run.pk]))
        assert api.status_code == 404 and api.json()["code"] == "not_found"

    def test_a_check_sheet_that_cannot_be_made_never_fails_the_run(self) -> None:
        project = self.project_with("a", "b_late")
        with self.captureOnCommitCallbacks(execute=False) as queued:
            run = services.sync_run_start(project=project, method="audio", max_offset_s=20.0)
        # The run's media folder is a file: neither the plots nor the sheet can be written.
        folder = check_sheet_path(run).parent
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.write_text("in the way")
        self.addCleanup(folder.unlink)  # ids repeat between tests: the next run 1 needs it gone
        with self.assertLogs("projects.services.check_sheets", "ERROR") as logs:
            for callback in queued:
                callback()
        run.refresh_from_db()
        assert run.status == SyncRun.Status.DONE and run.offsets.filter(synced=True).count() == 2
        assert "check sheet failed" in logs.output[0]
        self.client.force_login(self.owner)
        page = self.client.get(reverse("run-detail", args=[run.pk])).content.decode()
        assert "The check sheet is unavailable for this run" in page
        assert Path(folder).read_text() == "in the way"
