"""Camera tiles in a real browser (Debian's chromium) against a live server.

A shoot of three devices, made at test time from one seeded world: "Wide" (two chapters back
to back: wide_1, the reference, for 8 s, then wide_2 from +8.0 s), "Close" (a camera that
stopped for 3 s: close_1 at +1.0 s for 5 s, close_2 at +9.0 s for 5 s) and a sound recorder (a
24-bit WAV from -1.0 s). After a sync by sound the Close tile plays close_1, shows "camera off"
with the camera's name in the gap, then plays close_2, each seeked to the timeline's time minus
its own offset; the Wide tile preloads its next chapter and plays on into it; the recorder is a
waveform lane with a playhead and its own sound.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mediasynth.clips import CameraSpec, write_clips
from syncengine.media import ffmpeg_executable
from tests.browser.test_portal import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _shot, log_in

PASSWORD = "a-long-pass-phrase"
SMALL = {"width": 160, "height": 120}
SPECS = (
    CameraSpec("wide_1", 0.0, 8.0, **SMALL),
    CameraSpec("wide_2", 8.0, 8.0, **SMALL),
    CameraSpec("close_1", 1.0, 5.0, fps=25.0, **SMALL),
    CameraSpec("close_2", 9.0, 5.0, fps=25.0, **SMALL),
    CameraSpec("rec", -1.0, 17.0, channels=2, **SMALL),  # its sound becomes the recorder's WAV
)
SETTLED = """() => [...document.querySelectorAll('#player-grid :is(video, audio):not([hidden])')]
    .every(m => !m.seeking && m.readyState >= 2)"""
TILES = """() => Object.fromEntries([...document.querySelectorAll('#player-grid .player-tile')]
    .map(tile => {
        const m = tile.querySelector('video:not([hidden]), audio:not([hidden])');
        const standby = tile.querySelector('video[hidden], audio[hidden]');
        const overlay = tile.querySelector('.player-overlay');
        const playhead = tile.querySelector('.lane-playhead');
        return [tile.dataset.cameraName, {
            src: m.currentSrc || m.src, t: m.currentTime, paused: m.paused, muted: m.muted,
            state: tile.dataset.state, clip: tile.dataset.videoName, lane: !!playhead,
            element: m.tagName.toLowerCase(),
            overlay: overlay.hidden ? null : overlay.innerText,
            drawn: Number(tile.dataset.drawnColumns || 0),
            playhead: playhead ? parseFloat(playhead.style.left) : null,
            standby: standby ? {src: standby.currentSrc || standby.src,
                                ready: standby.readyState, t: standby.currentTime} : null,
            swaps: Number(tile.dataset.swaps || 0), bands: Number(tile.dataset.bands || 0),
        }];
    }))"""

pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing: apt-get install -y chromium"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def shoot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("shoot")
    paths = write_clips(SPECS, folder, seed=7)
    recorder = folder / "recorder.wav"
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-v", "error", "-i", str(paths.pop("rec")), "-vn"]
        + ["-c:a", "pcm_s24le", "-y", str(recorder)],
        check=True,
        timeout=60,
    )
    paths["recorder"] = recorder
    return paths


@pytest.fixture()
def shoot_run(shoot, settings, tmp_path, django_user_model):
    """The shoot uploaded, close_1 and close_2 put on one camera "Close", synced by sound."""
    from projects import services
    from projects.models import Camera, SyncRun

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    owner = django_user_model.objects.create_user("alice", "alice@example.org", PASSWORD)
    project = services.project_create(owner=owner, name="Shoot")
    videos = {}
    for name in ("wide_1", "wide_2", "close_1", "close_2", "recorder"):
        path = shoot[name]
        upload = SimpleUploadedFile(path.name, path.read_bytes())
        videos[name] = services.video_add(project=project, upload=upload)
    wide = Camera.objects.create(project=project, name="Wide", position=0, grouped_by="user")
    close = Camera.objects.create(project=project, name="Close", position=1, grouped_by="user")
    recorder = Camera.objects.create(project=project, name="Recorder", position=2)
    for name, camera in (
        ("wide_1", wide),
        ("wide_2", wide),
        ("close_1", close),
        ("close_2", close),
        ("recorder", recorder),
    ):
        videos[name].refresh_from_db()
        videos[name].camera = camera
        videos[name].save(update_fields=["camera"])
    assert all(v.status == "ready" for v in project.videos.all())
    assert not project.videos.get(original_name="recorder.wav").has_video
    run = services.sync_run_start(project=project, method="audio", max_offset_s=20)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.DONE, run.error_message
    offsets = {
        o.video.original_name: {"offset_s": o.effective_offset_s, "video_id": o.video_id}
        for o in run.offsets.select_related("video")
    }
    assert all(o["offset_s"] is not None for o in offsets.values()), offsets
    return run.pk, offsets  # read now: the ORM refuses to run inside Playwright's loop


@pytest.fixture()
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"],
        )
        try:
            yield launched
        finally:
            for i, context in enumerate(launched.contexts):
                for j, open_page in enumerate(context.pages):
                    _shot(open_page, f"camera_tiles_end_{i}_{j}")
            launched.close()


def _seek(page, T: float) -> dict[str, dict]:
    page.fill("#player-seek", repr(T))
    page.wait_for_function(SETTLED)
    return page.evaluate(TILES)


def _proxy(offsets: dict, name: str) -> str:
    return f"/api/v1/videos/{offsets[name]['video_id']}/proxy/"


def test_a_camera_tile_switches_clips_shows_its_gaps_and_a_recorder_is_a_waveform_lane(
    live_server, shoot_run, browser
) -> None:
    from playwright.sync_api import expect

    run_id, offsets = shoot_run
    close_1 = offsets["close_1.mp4"]["offset_s"]
    close_2 = offsets["close_2.mp4"]["offset_s"]
    recorder = offsets["recorder.wav"]["offset_s"]
    wide_2 = offsets["wide_2.mp4"]["offset_s"]
    assert wide_2 == pytest.approx(8.0, abs=0.02)
    assert close_1 == pytest.approx(1.0, abs=0.02) and close_2 == pytest.approx(9.0, abs=0.02)
    assert recorder == pytest.approx(-1.0, abs=0.02)

    page = browser.new_context(viewport={"width": 1280, "height": 1100}).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    log_in(page, live_server.url, "alice", PASSWORD)
    page.goto(f"{live_server.url}/runs/{run_id}/")
    page.wait_for_selector("#sync-player[data-state=paused]")
    page.wait_for_function(SETTLED)
    tiles = page.evaluate(TILES)
    assert set(tiles) == {"Wide", "Close", "Recorder"}, tiles  # one tile per camera
    close = page.locator("#player-grid .player-tile[data-camera-name='Close']")
    expect(close.locator(".tile-clip")).to_have_count(2)

    # In clip 1: its proxy, at the timeline's time minus its offset.
    shown = _seek(page, 3.0)["Close"]
    assert shown["state"] == "active" and shown["clip"] == "close_1.mp4", shown
    assert shown["src"].endswith(_proxy(offsets, "close_1.mp4")), shown
    assert shown["t"] == pytest.approx(3.0 - close_1, abs=1e-3), shown
    assert shown["overlay"] is None
    expect(close.locator("video:not([hidden])")).to_have_css("opacity", "1")

    # In the gap: the camera is off, black with its name (its next clip waits at its start).
    shown = _seek(page, 7.5)["Close"]
    assert shown["state"] == "off", shown
    assert "Close" in shown["overlay"] and "camera off" in shown["overlay"], shown
    assert shown["paused"], shown
    expect(close.locator(".player-overlay")).to_be_visible()
    expect(close.locator("video:not([hidden])")).to_have_css(
        "opacity", "0"
    )  # black: the picture is hidden
    _shot(page, "camera_tiles_gap")

    # In clip 2: the other proxy, at its own local time; and back into clip 1 again.
    shown = _seek(page, 11.0)["Close"]
    assert shown["state"] == "active" and shown["clip"] == "close_2.mp4", shown
    assert shown["src"].endswith(_proxy(offsets, "close_2.mp4")), shown
    assert shown["t"] == pytest.approx(11.0 - close_2, abs=1e-3), shown
    shown = _seek(page, 4.0)["Close"]
    assert shown["clip"] == "close_1.mp4" and shown["src"].endswith(_proxy(offsets, "close_1.mp4"))
    assert shown["t"] == pytest.approx(4.0 - close_1, abs=1e-3), shown

    # The recorder: a lane (an audio element, no picture) with its peaks drawn, a playhead at
    # the seek bar's place along the whole timeline, and its sound when chosen.
    seek_min = float(page.get_attribute("#player-seek", "min"))
    seek_max = float(page.get_attribute("#player-seek", "max"))
    assert seek_min == pytest.approx(recorder, abs=0.01)
    for T in (0.0, 10.0):
        lane = _seek(page, T)["Recorder"]
        assert lane["lane"] and lane["element"] == "audio", lane
        assert lane["drawn"] > 100, lane  # columns of the canvas with sound drawn
        assert lane["bands"] == 2, lane  # the stereo recorder: a band per channel
        assert lane["src"].endswith(_proxy(offsets, "recorder.wav")), lane
        assert lane["t"] == pytest.approx(T - recorder, abs=1e-3), lane
        where = 100 * (T - seek_min) / (seek_max - seek_min)
        assert lane["playhead"] == pytest.approx(where, abs=0.05), lane
    lane_tile = page.locator("#player-grid .player-lane[data-camera-name='Recorder']")
    assert lane_tile.locator("canvas.lane-canvas").count() == 1
    assert page.evaluate(TILES)["Wide"]["muted"] is False  # the reference's sound first
    lane_tile.locator(".tile-sound input").check()
    tiles = page.evaluate(TILES)
    assert tiles["Recorder"]["muted"] is False and tiles["Wide"]["muted"] is True, tiles
    assert tiles["Close"]["muted"] is True
    _shot(page, "camera_tiles_lane")

    # Playing through the gap and the chapter boundary, without a seek by hand: Close goes off,
    # then plays clip 2; Wide has its next chapter loaded (standby, at its start) and swaps to it.
    tiles = _seek(page, 5.6)
    assert tiles["Wide"]["clip"] == "wide_1.mp4", tiles["Wide"]
    swaps = tiles["Wide"]["swaps"]
    assert tiles["Wide"]["standby"]["src"].endswith(_proxy(offsets, "wide_2.mp4")), tiles["Wide"]
    page.wait_for_function(
        """() => { const s = document.querySelector("[data-camera-name='Wide'] video[hidden]");
                   return s.readyState >= 2 && !s.seeking && s.currentTime === 0; }"""
    )
    page.click("#player-play")
    page.wait_for_function(
        "() => document.querySelector(\"[data-camera-name='Close']\").dataset.state === 'off'"
    )
    page.wait_for_function(
        """() => [['Close', 'close_2.mp4'], ['Wide', 'wide_2.mp4']].every(([camera, clip]) => {
                   const t = document.querySelector(`[data-camera-name='${camera}']`);
                   return t.dataset.state === 'active' && t.dataset.videoName === clip
                       && !t.querySelector('video:not([hidden])').paused; })"""
    )
    page.click("#player-play")  # pause
    page.wait_for_selector("#sync-player[data-state=paused]")
    page.wait_for_function(SETTLED)
    T = page.evaluate("() => window.syncsitePlayer.time()")
    tiles = page.evaluate(TILES)
    shown = tiles["Close"]
    assert shown["src"].endswith(_proxy(offsets, "close_2.mp4"))
    assert shown["t"] == pytest.approx(T - close_2, abs=1e-3), (T, shown)
    shown = tiles["Wide"]
    assert shown["src"].endswith(_proxy(offsets, "wide_2.mp4")) and shown["swaps"] == swaps + 1, (
        shown
    )
    assert shown["standby"]["src"].endswith(_proxy(offsets, "wide_1.mp4")), shown  # swapped
    assert shown["t"] == pytest.approx(T - wide_2, abs=1e-3), (T, shown)
