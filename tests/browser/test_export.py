"""The export panel in a real browser: make verified synced files, download them and the ZIP.

Two real clips (a: the reference; b_late: +1.25 s, .mov) are synced through the services; the
owner logs in, starts an export from the run page (django-q2 runs it synchronously, inside
the request), and downloads one file, the ZIP and an editor timeline as a user would.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.browser.conftest import PASSWORD
from tests.browser.test_portal import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _shot, log_in

pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing: apt-get install -y chromium"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture()
def run_id(synced_run) -> int:  # noqa: ANN001
    return synced_run(("a", "b_late"))


def test_the_owner_exports_and_downloads_the_synced_files(live_server, run_id, tmp_path) -> None:
    from playwright.sync_api import expect, sync_playwright

    base = live_server.url
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(accept_downloads=True).new_page()
            page.set_default_timeout(TIMEOUT_MS)
            log_in(page, base, "alice", PASSWORD)
            page.goto(f"{base}/runs/{run_id}/")

            page.select_option("#id_mode", "union")
            page.get_by_role("button", name="Make synced files").click()
            page.wait_for_url(f"{base}/runs/{run_id}/#export")
            # Said where the user acted (the export panel), not at the top of the page.
            expect(page.locator("#export-messages")).to_contain_text("Making the synced files")
            render = page.locator("#export .render").first
            # The render ran inside the request (Q sync mode); on a queue, export.js polls it.
            expect(render.locator(".render-badge")).to_have_text("Done", timeout=TIMEOUT_MS)
            expect(render.locator(".render-verified")).to_contain_text("verified")
            rows = render.locator("table.render-outputs tbody tr")
            expect(rows).to_have_count(2)
            _shot(page, "export_panel")

            with page.expect_download() as info:
                rows.nth(1).get_by_role("link", name="Download").click()
            one = tmp_path / info.value.suggested_filename
            info.value.save_as(one)
            assert one.name == "b_late_synced.mov" and one.stat().st_size > 10_000

            with page.expect_download() as info:
                render.get_by_role("link", name="Download all (ZIP)").click()
            archive = tmp_path / info.value.suggested_filename
            info.value.save_as(archive)
            assert archive.name.endswith("_synced.zip")
            with zipfile.ZipFile(archive) as zf:
                assert sorted(zf.namelist()) == ["a_synced.mp4", "b_late_synced.mov"]
                assert zf.testzip() is None
                assert zf.read("b_late_synced.mov") == one.read_bytes()

            timelines = page.locator("#editor-timelines")
            with page.expect_download() as info:
                timelines.locator("[data-media=original]").get_by_role(
                    "link", name="FCPXML multicam"
                ).click()
            assert info.value.suggested_filename == f"Concert_run{run_id}_synced.fcpxml"
            with page.expect_download() as info:  # linked to the export's files
                timelines.locator("[data-media=synced]").get_by_role("link", name="AAF").click()
            assert info.value.suggested_filename == f"Concert_run{run_id}_synced_files.aaf"

            # Saving a nudge in the player flags the finished export as out of date at once.
            stale = render.locator(".render-stale")
            expect(stale).to_be_hidden()
            tile = page.locator(".player-tile[data-video-name='b_late.mov']")
            tile.get_by_role("button", name="+1 frame").click()
            tile.get_by_role("button", name="Save adjustment").click()
            expect(tile.locator(".tile-message")).to_have_text("Saved.", timeout=TIMEOUT_MS)
            expect(stale).to_be_visible(timeout=TIMEOUT_MS)  # export.js read the render again
        finally:
            browser.close()
