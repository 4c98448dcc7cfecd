"""Exports on a real database with real clips: render, verify, download one file or the ZIP."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse
from django_q.models import Task

import syncengine
from projects import errors, selectors, services
from projects.models import Render, RenderOutput, SyncRun
from projects.services import ServiceError
from projects.services.renders import render_folder
from tests.projects.base import BaseTestCase

FRAME_S = 1 / 25  # one frame of the slowest camera (c_early)
CLIPS = ("a", "b_late", "c_early")


@pytest.fixture(autouse=True)
def _clips(request, clips) -> None:
    if request.cls is not None:
        request.cls.clips = clips


class RenderCase(BaseTestCase):
    def synced_run(self, *names: str, owner=None) -> SyncRun:
        return self.run_synced(self.project_with(*(names or CLIPS), owner=owner))

    def rendered(self, run: SyncRun, **options) -> Render:
        with self.captureOnCommitCallbacks(execute=True):
            render = services.render_start(run=run, **options)
        render.refresh_from_db()
        return render


class RenderServiceTests(RenderCase):
    def test_outputs_share_one_duration_and_measure_within_a_frame_again(self) -> None:
        run = self.synced_run()
        render = self.rendered(run)
        assert render.status == Render.Status.DONE and render.progress == 1.0, render.error_message
        assert render.verified and render.max_residual_s <= FRAME_S
        outputs = list(render.outputs.select_related("video"))
        names = sorted(Path(o.file.name).name for o in outputs)
        assert names == ["a_synced.mp4", "b_late_synced.mov", "c_early_synced.mkv"]
        durations = [o.duration_s for o in outputs]
        assert max(durations) - min(durations) <= FRAME_S, durations
        # Union timeline: from c_early's start (-2.4 s) to a's end (12 s).
        assert render.timeline_duration_s == pytest.approx(14.4, abs=0.01)
        # Measured independently of the render's own check: sync the outputs again.
        again = syncengine.estimate_offsets(
            [o.file.path for o in outputs], method="audio", max_lag_s=2.0
        )
        for v in again.videos:
            assert v.synced and abs(v.offset_s) <= FRAME_S, (v.filename, v.offset_s)
        assert Path(render_folder(render)).is_dir()

    def test_a_manual_adjustment_is_rendered_and_verified_as_placed(self) -> None:
        run = self.synced_run("a", "b_late")
        b = run.offsets.get(video__original_name="b_late.mov")
        services.offset_adjust(offset=b, manual_offset_s=b.offset_s + 0.1)
        render = self.rendered(run)
        assert render.status == Render.Status.DONE and render.verified, render.error_message
        output = render.outputs.get(video=b.video)
        assert output.lead_s == pytest.approx(b.offset_s + 0.1, abs=1e-6)
        assert abs(output.residual_s) <= FRAME_S
        assert render.placed_offsets[str(b.video_id)] == pytest.approx(b.offset_s + 0.1)
        b.refresh_from_db()
        assert b.offset_s == pytest.approx(1.25, abs=0.002)  # the estimate stays on record

    def test_it_refuses_a_run_that_has_not_finished(self) -> None:
        run = self.synced_run("a", "b_late")
        SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.FAILED)
        run.refresh_from_db()
        with pytest.raises(ServiceError, match="finished sync") as info:
            services.render_start(run=run)
        assert info.value.code == "run_not_done" and not Render.objects.exists()

    def test_it_refuses_when_fewer_than_two_videos_have_an_offset(self) -> None:
        run = self.synced_run("a", "unrelated")
        with pytest.raises(ServiceError) as info:
            services.render_start(run=run)
        assert info.value.message == errors.RENDER_NEED_TWO and not Render.objects.exists()

    def test_a_video_placed_by_hand_counts_even_if_the_engine_could_not_sync_it(self) -> None:
        run = self.synced_run("a", "unrelated")
        other = run.offsets.get(is_reference=False)
        assert not other.synced
        services.offset_adjust(offset=other, manual_offset_s=0.5)
        render = self.rendered(run)
        assert render.status == Render.Status.DONE and render.verified, render.error_message
        assert any("placed by hand" in n for n in render.notes)
        assert render.outputs.get(video=other.video).residual_s is None

    def test_it_refuses_a_second_render_while_one_is_active_and_a_bad_mode(self) -> None:
        run = self.synced_run("a", "b_late")
        Render.objects.create(run=run, status=Render.Status.RUNNING)
        with pytest.raises(ServiceError, match="already being made"):
            services.render_start(run=run)
        with pytest.raises(ServiceError, match="Choose a timeline") as info:
            services.render_start(run=run, mode="sideways")
        assert info.value.code == "bad_mode"

    def test_a_source_gone_from_disk_fails_the_render_with_a_message(self) -> None:
        run = self.synced_run("a", "b_late")
        Path(run.offsets.get(is_reference=False).video.file.path).unlink()
        render = self.rendered(run)
        assert render.status == Render.Status.FAILED
        assert render.error_code == "unreadable_media" and "b_late.mov" in render.error_message
        assert not render.outputs.exists() and not Path(render_folder(render)).exists()
        # The run and its offsets are untouched.
        assert run.offsets.count() == 2

    def test_a_wrong_estimate_fails_verification_and_nothing_is_offered(self) -> None:
        run = self.synced_run("a", "b_late")
        b = run.offsets.get(is_reference=False)
        # As if the engine had been 200 ms off: the render puts b where the sound is not.
        type(b).objects.filter(pk=b.pk).update(offset_s=b.offset_s + 0.2)
        render = self.rendered(run)
        assert render.status == Render.Status.FAILED and render.error_code == "render_not_verified"
        assert "'b_late_synced.mov' is off by" in render.error_message
        assert render.error_message.endswith(errors.RENDER_NOT_KEPT)
        assert not render.outputs.exists() and not Path(render_folder(render)).exists()

    def test_the_hook_and_the_sweeper_fail_a_render_whose_worker_died(self) -> None:
        from projects.tasks import render_done_hook

        run = self.synced_run("a", "b_late")
        render = Render.objects.create(run=run, status=Render.Status.RUNNING)
        render_done_hook(Task(name="x", func="f", args=(render.pk,), success=False))
        render.refresh_from_db()
        assert render.status == Render.Status.FAILED
        assert render.error_message == errors.RENDER_WORKER_LOST  # a render says "render"
        from datetime import timedelta

        from django.utils import timezone

        stale = Render.objects.create(run=run, status=Render.Status.QUEUED)
        later = timezone.now() + timedelta(days=2)
        assert services.stale_sweep(now=later).renders == 1
        stale.refresh_from_db()
        assert stale.status == Render.Status.FAILED and stale.error_code == "worker_lost"

    def test_deleting_a_render_removes_its_files_and_keeps_the_run(self) -> None:
        run = self.synced_run("a", "b_late")
        render = self.rendered(run)
        folder = Path(render_folder(render))
        assert folder.is_dir()
        services.render_delete(render=render)
        assert not folder.exists() and not Render.objects.exists() and run.offsets.count() == 2

    def test_a_disk_full_message_from_ffmpeg_becomes_the_disk_full_text(self) -> None:
        from projects.services.renders import _render_message

        # ffmpeg's own words on a full disk (tests/engine/test_render.py makes one for real).
        exc = syncengine.RenderError(
            "rendering 'a.mp4' failed: ffmpeg failed: [out#0/mp4 @ 0x55] Error closing file: "
            "No space left on device"
        )
        assert _render_message(exc) == errors.RENDER_DISK_FULL


class ExportViewTests(RenderCase):
    def test_the_run_page_lists_the_files_and_the_zip_holds_exactly_them(self) -> None:
        run = self.synced_run()
        render = self.rendered(run)
        # Something else in the render folder must never end up in the ZIP.
        Path(render_folder(render), "notes.txt").write_text("not a synced file")
        self.client.force_login(self.owner)
        page = self.client.get(reverse("run-detail", args=[run.pk]))
        self.assertContains(page, "Download all (ZIP)")
        self.assertContains(page, "c_early_synced.mkv")
        self.assertContains(page, "verified")
        response = self.client.get(reverse("render-zip", args=[render.pk]))
        assert response.status_code == 200 and response.streaming
        assert response["Content-Type"] == "application/zip"
        assert "Wedding_run" in response["Content-Disposition"]
        data = b"".join(response.streaming_content)
        outputs = {Path(o.file.name).name: Path(o.file.path) for o in render.outputs.all()}
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            assert zf.testzip() is None
            assert sorted(zf.namelist()) == sorted(outputs)
            for name, path in outputs.items():
                assert zf.read(name) == path.read_bytes()

    def test_one_file_downloads_whole_or_by_range(self) -> None:
        run = self.synced_run("a", "b_late")
        render = self.rendered(run)
        output = render.outputs.get(video__original_name="a.mp4")
        url = reverse("render-file", args=[render.pk, output.pk])
        self.client.force_login(self.owner)
        whole = self.client.get(url)
        body = b"".join(whole.streaming_content)
        assert whole.status_code == 200 and body == Path(output.file.path).read_bytes()
        assert whole["Content-Disposition"] == 'attachment; filename="a_synced.mp4"'
        part = self.client.get(url, HTTP_RANGE="bytes=100-199")
        assert part.status_code == 206 and part["Content-Range"].startswith("bytes 100-199/")
        assert b"".join(part.streaming_content) == body[100:200]

    def test_starting_an_export_from_the_page_makes_verified_files(self) -> None:
        run = self.synced_run("a", "b_late")
        self.client.force_login(self.owner)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("render-start", args=[run.pk]), {"mode": "reference", "reencode": "1"}
            )
        self.assertRedirects(response, reverse("run-detail", args=[run.pk]) + "#export")
        render = run.renders.get()
        status = self.client.get(reverse("api-render-detail", args=[render.pk])).json()
        assert status["status"] == "done" and status["verified"] and status["mode"] == "reference"
        assert [o["name"] for o in status["outputs"]] == ["a_synced.mp4", "b_late_synced.mov"]
        assert status["timeline_start_s"] == 0.0 and not status["out_of_date"]

    def test_a_later_adjustment_marks_the_export_out_of_date(self) -> None:
        run = self.synced_run("a", "b_late")
        render = self.rendered(run)
        self.client.force_login(self.owner)
        page = self.client.get(reverse("run-detail", args=[run.pk])).content.decode()
        assert '<p class="warning render-stale" hidden>' in page  # up to date: notice hidden
        b = run.offsets.get(is_reference=False)
        services.offset_adjust(offset=b, manual_offset_s=b.offset_s + 0.04)
        status = self.client.get(reverse("api-render-detail", args=[render.pk])).json()
        assert status["out_of_date"]
        page = self.client.get(reverse("run-detail", args=[run.pk])).content.decode()
        assert '<p class="warning render-stale">⚠ The offsets changed after these files' in page

    def test_downloads_of_an_unfinished_export_say_it_is_not_ready(self) -> None:
        run = self.synced_run("a", "b_late")
        render = Render.objects.create(run=run, status=Render.Status.RUNNING)
        output = RenderOutput.objects.create(render=render, video=run.reference, file="x.mp4")
        self.client.force_login(self.owner)
        for url in (
            reverse("render-zip", args=[render.pk]),
            reverse("render-file", args=[render.pk, output.pk]),
        ):
            response = self.client.get(url)
            assert response.status_code == 409 and errors.RENDER_NOT_READY in response.text

    def test_a_file_missing_on_disk_is_reported_not_streamed_broken(self) -> None:
        run = self.synced_run("a", "b_late")
        render = self.rendered(run)
        output = render.outputs.first()
        Path(output.file.path).unlink()
        self.client.force_login(self.owner)
        response = self.client.get(reverse("render-zip", args=[render.pk]))
        assert response.status_code == 409 and "missing on the server" in response.text

    def test_a_refused_export_shows_the_reason(self) -> None:
        run = self.synced_run("a", "b_late")
        Render.objects.create(run=run, status=Render.Status.QUEUED)
        self.client.force_login(self.owner)
        response = self.client.post(
            reverse("render-start", args=[run.pk]), {"mode": "union", "reencode": "1"}, follow=True
        )
        self.assertContains(response, errors.RENDER_ALREADY_ACTIVE)
        bad = self.client.post(reverse("render-start", args=[run.pk]), {"mode": "x"}, follow=True)
        self.assertContains(bad, "Choose a timeline and a quality")
        assert run.renders.count() == 1

    def test_another_user_and_anonymous_get_nothing(self) -> None:
        run = self.synced_run("a", "b_late")
        render = self.rendered(run)
        output = render.outputs.first()
        gets = [
            reverse("api-render-detail", args=[render.pk]),
            reverse("render-zip", args=[render.pk]),
            reverse("render-file", args=[render.pk, output.pk]),
        ]
        posts = [reverse("render-start", args=[run.pk]), reverse("render-delete", args=[render.pk])]
        self.client.force_login(self.outsider)
        for url in gets:
            assert self.client.get(url).status_code == 404, url
        for url in posts:
            assert self.client.post(url, {"mode": "union", "reencode": "1"}).status_code == 404
        assert Render.objects.count() == 1 and render.outputs.count() == 2
        self.client.logout()
        assert self.client.get(gets[0]).status_code == 401
        for url in gets[1:] + posts:
            response = self.client.post(url) if url in posts else self.client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert selectors.render_list_for_run(run=run).count() == 1


@override_settings(UPLOAD_MAX_BYTES=10 * 1024**3)
class LargeZipTests(RenderCase):
    def test_a_zip_far_larger_than_its_buffers_streams_with_flat_memory(self) -> None:
        import tracemalloc

        run = self.synced_run("a", "b_late")
        render = Render.objects.create(run=run, status=Render.Status.DONE, verified=True)
        folder = Path(render_folder(render))
        folder.mkdir(parents=True)
        size = 200 * 1024**2
        for k, offset in enumerate(run.offsets.all()):
            path = folder / f"big{k}_synced.mp4"
            with path.open("wb") as fh:  # sparse: reads as zeros, costs no disk
                fh.truncate(size)
            RenderOutput.objects.create(
                render=render, video=offset.video, file=str(path.relative_to(self.media_root))
            )
        self.client.force_login(self.owner)
        response = self.client.get(reverse("render-zip", args=[render.pk]))
        tracemalloc.start()
        total, tail = 0, b""
        for chunk in response.streaming_content:
            total += len(chunk)
            tail = (tail + chunk)[-65536:]
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"streamed {total / 1e6:.0f} MB; peak Python allocations {peak / 1e6:.2f} MB")
        assert total > 2 * size  # 400 MB went through
        assert peak < 8 * 1024**2, f"peak {peak / 1024**2:.1f} MB while streaming"
        # The end of central directory record names both entries.
        eocd = tail[tail.rindex(b"PK\x05\x06") :]
        assert int.from_bytes(eocd[10:12], "little") == 2


class RenderCancelTests(RenderCase):
    def test_a_queued_render_is_cancelled_and_its_task_then_does_nothing(self) -> None:
        run = self.synced_run("a", "b_late")
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            render = services.render_start(run=run)
        assert services.job_cancel(job=render)
        for callback in callbacks:  # the queued task arrives after the cancel
            callback()
        render.refresh_from_db()
        assert render.status == Render.Status.CANCELLED
        assert render.error_message == errors.CANCELLED and not render.outputs.exists()
        assert not Path(render_folder(render)).exists()
        assert not services.job_cancel(job=render)  # already finished

    def test_the_page_cancels_an_active_export_and_says_when_it_had_finished(self) -> None:
        run = self.synced_run("a", "b_late")
        active = Render.objects.create(run=run, status=Render.Status.RUNNING)
        self.client.force_login(self.owner)
        page = self.client.get(reverse("run-detail", args=[run.pk]))
        self.assertContains(page, "Cancel export")
        response = self.client.post(reverse("render-cancel", args=[active.pk]), follow=True)
        self.assertContains(response, "Export cancelled")
        active.refresh_from_db()
        assert active.status == Render.Status.CANCELLED
        again = self.client.post(reverse("render-cancel", args=[active.pk]), follow=True)
        self.assertContains(again, errors.RENDER_ALREADY_FINISHED)
        self.client.force_login(self.outsider)
        assert self.client.post(reverse("render-cancel", args=[active.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_running_render_stops_when_cancelled_and_leaves_no_files(clips, settings, tmp_path):
    """A real render in a worker thread, cancelled from another connection while it encodes.

    Runs in the PostgreSQL phase: the test suite's in-memory SQLite shares one cache between
    threads, where a read in one thread locks a table against a write in the other ("database
    table is locked"); the product's SQLite is a WAL file, where that does not happen.
    """
    import threading
    import time

    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("two threads writing and reading need a server database (PostgreSQL phase)")

    settings.MEDIA_ROOT = str(tmp_path / "media")
    owner = get_user_model().objects.create_user("alice", password="pw")
    project = services.project_create(owner=owner, name="Long")
    for name in ("a", "b_late", "c_early"):
        services.video_add(
            project=project, upload=SimpleUploadedFile(clips[name].name, clips[name].read_bytes())
        )
    run = services.sync_run_start(project=project, method="audio")  # Q sync: runs at once
    run.refresh_from_db()
    render = Render.objects.create(
        run=run, placed_offsets=selectors.placed_offsets_for_run(run=run)
    )

    failures: list[BaseException] = []

    def work() -> None:
        try:
            services.render_execute(render_id=render.pk)
        except BaseException as exc:  # surfaced below, not lost in the thread
            failures.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        render.refresh_from_db()
        if failures or (render.status == Render.Status.RUNNING and render.progress > 0):
            break
        time.sleep(0.05)
    assert not failures, failures
    seen_progress = render.progress
    assert services.job_cancel(job=render)
    worker.join(timeout=120)
    assert not worker.is_alive()
    render.refresh_from_db()
    assert 0 < seen_progress < 1, seen_progress  # cancelled while it was encoding
    assert render.status == Render.Status.CANCELLED and not render.outputs.exists()
    assert not Path(render_folder(render)).exists()
