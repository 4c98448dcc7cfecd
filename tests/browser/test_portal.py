"""The portal in a real browser (Debian's chromium through Playwright) against a live server.

Sign up, create a project, upload three clips with known offsets, sync, watch the progress bar
finish, read each offset and confidence off the page; a second user cannot open the project.
Set ``SYNCSITE_SCREENSHOTS=<folder>`` to keep screenshots of the pages.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Uploads (with their previews) and the sync itself run inside requests (Q sync mode): on a
# loaded machine they take far longer than Playwright's 5 s default for expect(). Every wait
# for the server's work names this timeout; it is what a machine may take, not what it should.
TIMEOUT_MS = int(os.environ.get("SYNCSITE_BROWSER_TIMEOUT_MS", "120000"))
TOLERANCE_S = 0.005

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing: apt-get install -y chromium"
)


def _shot(page, name: str) -> None:
    folder = os.environ.get("SYNCSITE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/")


def _sign_up(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/signup/")
    page.fill("#id_username", username)
    page.fill("#id_password1", "a-long-pass-phrase")
    page.fill("#id_password2", "a-long-pass-phrase")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{base_url}/")


@pytest.mark.django_db(transaction=True)
def test_a_user_syncs_three_clips_and_another_user_cannot_see_them(
    live_server, clips, settings, tmp_path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    settings.MEDIA_ROOT = str(tmp_path / "media")
    base = live_server.url
    truth = {
        "a.mp4": 0.0,
        "b_late.mov": clips.truth_s("b_late"),
        "c_early.mkv": clips.truth_s("c_early"),
    }
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.set_default_timeout(TIMEOUT_MS)
            _sign_up(page, base, "alice")
            expect(page.locator(".messages")).to_contain_text("Welcome, alice!")

            page.get_by_role("link", name="Create your first project").click()
            page.fill("#id_name", "Concert")
            page.get_by_role("button", name="Create project").click()
            page.wait_for_url(re.compile(r"/projects/\d+/$"))
            project_url = page.url

            page.set_input_files("#upload-input", [clips["a"], clips["b_late"], clips["c_early"]])
            items = page.locator("#upload-list li")
            expect(items).to_have_count(3)
            # Each upload goes through the API and is probed there, one after another.
            expect(page.locator("#upload-list li[data-state=done]")).to_have_count(
                3, timeout=TIMEOUT_MS
            )
            expect(page.locator("#upload-list li[data-state=error]")).to_have_count(0)
            for i in range(3):
                expect(items.nth(i).locator("[role=progressbar]")).to_have_attribute(
                    "aria-valuenow", "100"
                )
                # The API's answer: the video's preview status, e.g. "Added (preparing preview)".
                expect(items.nth(i).locator(".upload-status")).to_have_text(
                    re.compile(r"^Added \((preparing preview|ready)\)$")
                )
            expect(page.locator("#video-rows tr[data-video-id]")).to_have_count(
                3, timeout=TIMEOUT_MS
            )
            expect(page.locator("#id_reference option")).to_have_count(3)
            expect(page.locator("#id_reference")).to_have_value(
                page.locator("#id_reference option").first.get_attribute("value")
            )
            assert page.locator("#id_reference option").first.inner_text() == "a.mp4"
            _shot(page, "project_page")

            page.select_option("#id_method", "audio")
            expect(page.locator("#id_max_offset_s")).to_have_value("")  # the whole overlap
            page.get_by_role("button", name="Start sync").click()
            page.wait_for_url(re.compile(r"/runs/\d+/$"))
            expect(page.locator("#run-progressbar")).to_have_attribute(
                "aria-valuenow", "100", timeout=TIMEOUT_MS
            )
            expect(page.locator("#run-status-badge")).to_have_text("Done", timeout=TIMEOUT_MS)
            expect(page.locator("tr.offset-row")).to_have_count(3)
            for name, true_s in truth.items():
                row = page.locator(f"tr.offset-row[data-video-name='{name}']")
                offset_s = float(row.locator("td.offset").inner_text().replace("−", "-"))
                assert abs(offset_s - true_s) <= TOLERANCE_S, (name, offset_s, true_s)
                if name == "a.mp4":  # the reference defines the timeline: it is not rated
                    expect(row.locator(".band")).to_have_text("reference")
                    continue
                confidence = float(row.locator(".confidence").inner_text())
                assert 0.8 <= confidence <= 1.0, (name, confidence)
                expect(row.locator(".band")).to_have_text("excellent")
            expect(page.locator("#run-outcome")).to_contain_text("All 3 clips placed.")
            expect(page.locator("#sign-convention")).to_contain_text("Positive: it started later")
            _shot(page, "run_page")

            other = browser.new_context().new_page()
            other.set_default_timeout(TIMEOUT_MS)
            _sign_up(other, base, "mallory")
            run_id = page.url.rstrip("/").rsplit("/", 1)[1]
            for url in (project_url, page.url, f"{base}/api/v1/runs/{run_id}/"):
                response = other.goto(url)
                assert response is not None and response.status == 404, url
            expect(other.locator("body")).not_to_contain_text("Concert")
        except Exception:
            for i, context in enumerate(browser.contexts):
                for j, open_page in enumerate(context.pages):
                    _shot(open_page, f"failure_{i}_{j}")
            raise
        finally:
            browser.close()
