"""Layout a user sees, in a real browser: a long reference name stays in its cell on the run
page, the check sheet shows, and keyboard focus on the (visually hidden) file picker is drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import PASSWORD
from tests.browser.test_portal import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _shot, log_in

LONG_NAME = "GX010045_wedding_ceremony_main_camera_on_the_balcony_left_side_4k.mp4"

pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing: apt-get install -y chromium"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture()
def run_id(synced_run) -> int:  # noqa: ANN001
    return synced_run(("a", "b_late"), shown={"a": LONG_NAME})


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_the_run_page_keeps_names_in_their_cells_and_focus_is_visible(live_server, run_id) -> None:
    from playwright.sync_api import expect, sync_playwright

    base = live_server.url
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 900, "height": 900}).new_page()
            page.set_default_timeout(TIMEOUT_MS)
            log_in(page, base, "alice", PASSWORD)
            page.goto(f"{base}/runs/{run_id}/")
            facts = page.locator("#run-progress .facts > div")
            reference = facts.filter(has_text="Reference").locator("dd")
            expect(reference).to_have_text(LONG_NAME)
            ref_box = reference.bounding_box()
            # The whole name is inside its box (no text running out over the next fact).
            assert reference.evaluate("d => d.scrollWidth <= d.clientWidth + 1")
            for label in ("Method", "Maximum offset", "Took"):
                other = facts.filter(has_text=label)
                assert not _overlap(ref_box, other.bounding_box()), label
            # The name wraps inside its own cell: it is no wider than the cell.
            cell = facts.filter(has_text="Reference").bounding_box()
            assert ref_box["x"] + ref_box["width"] <= cell["x"] + cell["width"] + 0.5
            expect(page.locator("#run-outcome")).to_contain_text("All 2 clips placed.")
            sheet = page.locator("#check-sheet img.check-sheet")
            expect(sheet).to_be_visible()
            sheet.scroll_into_view_if_needed()
            page.wait_for_function(
                "() => { const i = document.querySelector('#check-sheet img');"
                " return i && i.complete && i.naturalWidth > 0; }"
            )
            assert sheet.evaluate("i => i.naturalWidth") == 2 * 320
            _shot(page, "run_page_layout")

            page.locator(".crumbs a", has_text="Concert").click()
            page.wait_for_selector("#upload-input", state="attached")
            for _ in range(60):  # Tab to the file picker as a keyboard user would
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement && document.activeElement.id") == (
                    "upload-input"
                ):
                    break
            else:
                raise AssertionError("Tab never reached the file picker")
            outline = page.locator(".file-label").evaluate(
                "l => { const s = getComputedStyle(l); return [s.outlineStyle, s.outlineWidth]; }"
            )
            assert outline[0] != "none" and float(outline[1].removesuffix("px")) >= 2, outline
        finally:
            browser.close()
