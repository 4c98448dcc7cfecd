"""Services on a real database with real clips: upload, preview, sync runs, failures."""

from __future__ import annotations

import io

import pytest
from django.test import override_settings
from django_q.models import Task

from projects import errors, selectors, services
from projects.models import SyncRun, Video
from projects.services import ServiceError
from tests.projects.base import BaseTestCase


@pytest.fixture(autouse=True)
def _clips(request, clips) -> None:
    request.cls.clips = clips


@pytest.mark.usefixtures("_clips")
class ServiceTests(BaseTestCase):
    def test_it_adds_probes_and_previews_videos(self) -> None:
        project = self.project_with("a", "b_late")
        a, b = project.videos.all()
        assert (a.position, b.position) == (0, 1)
        assert b.original_name == "b_late.mov" and b.sample_rate_hz == 44100 and b.has_audio
        assert b.fps == pytest.approx(30000 / 1001, rel=1e-4)
        assert a.status == Video.Status.READY and a.proxy.name.endswith(".mp4") and a.poster

    def test_it_rejects_a_corrupt_upload_and_keeps_the_rest(self) -> None:
        project = self.project_with("a")
        with pytest.raises(ServiceError, match="'notes.mp4' is not a video or audio file"):
            services.video_add(project=project, upload=self.upload(self.clips["not_media"]))
        assert [v.original_name for v in project.videos.all()] == ["a.mp4"]

    @override_settings(UPLOAD_MAX_BYTES=1000)
    def test_it_rejects_a_file_over_the_size_limit(self) -> None:
        project = services.project_create(owner=self.owner, name="Big")
        with pytest.raises(ServiceError, match="larger than the 1000 bytes limit") as info:
            services.video_add(project=project, upload=self.upload(self.clips["a"]))
        assert info.value.code == "upload_too_large" and not project.videos.exists()

    def test_a_sync_run_stores_offsets_and_confidence(self) -> None:
        project = self.project_with("a", "b_late", "c_early")
        with self.captureOnCommitCallbacks(execute=True):
            run = services.sync_run_start(project=project, method="audio", max_offset_s=20.0)
        run.refresh_from_db()
        assert run.status == SyncRun.Status.DONE and run.progress == 1.0, run.error_message
        offsets = {o.video.original_name: o for o in selectors.offsets_for_run(run=run)}
        assert offsets["a.mp4"].is_reference and offsets["a.mp4"].offset_s == 0.0
        assert offsets["b_late.mov"].offset_s == pytest.approx(1.25, abs=0.001)
        assert offsets["c_early.mkv"].offset_s == pytest.approx(-2.4, abs=0.001)
        assert offsets["c_early.mkv"].band == "excellent"
        assert run.elapsed_s > 0 and run.peak_memory_mb > 0

    def test_a_run_with_an_unusable_clip_fails_with_the_engines_message(self) -> None:
        project = self.project_with("a", "noaudio")
        with self.captureOnCommitCallbacks(execute=True):
            run = services.sync_run_start(project=project, method="audio")
        run.refresh_from_db()
        assert run.status == SyncRun.Status.FAILED and run.error_code == "no_audio_stream"
        assert "'noaudio.mp4' has no audio track" in run.error_message
        assert errors.ENGINE_HINTS["no_audio_stream"] in run.error_message

    def test_a_redelivered_task_does_nothing(self) -> None:
        project = self.project_with("a", "b_late")
        with self.captureOnCommitCallbacks(execute=True):
            run = services.sync_run_start(project=project, method="audio")
        services.sync_run_execute(run_id=run.pk)  # second delivery
        assert run.offsets.count() == 2

    def test_the_hook_fails_a_run_whose_worker_died(self) -> None:
        project = self.project_with("a", "b_late")
        run = services.sync_run_start(project=project)  # not executed: no on_commit run
        SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.RUNNING)
        from projects.tasks import sync_run_done_hook

        sync_run_done_hook(Task(name="x", func="f", args=(run.pk,), success=False))
        run.refresh_from_db()
        assert run.status == SyncRun.Status.FAILED and run.error_message == errors.WORKER_LOST

    def test_it_refuses_a_second_active_run_and_a_project_with_one_video(self) -> None:
        project = self.project_with("a")
        with pytest.raises(ServiceError, match=errors.NEED_TWO_VIDEOS):
            services.sync_run_start(project=project)
        project = self.project_with("a", "b_late")
        services.sync_run_start(project=project)
        with pytest.raises(ServiceError, match="already running"):
            services.sync_run_start(project=project)

    def test_cancel_stops_a_queued_run(self) -> None:
        project = self.project_with("a", "b_late")
        run = services.sync_run_start(project=project)
        assert services.job_cancel(job=run)
        services.sync_run_execute(run_id=run.pk)
        run.refresh_from_db()
        assert run.status == SyncRun.Status.CANCELLED and not run.offsets.exists()

    def test_a_manual_adjustment_keeps_the_estimate(self) -> None:
        project = self.project_with("a", "b_late")
        with self.captureOnCommitCallbacks(execute=True):
            run = services.sync_run_start(project=project, method="audio")
        offset = run.offsets.get(video__original_name="b_late.mov")
        services.offset_adjust(offset=offset, manual_offset_s=1.3)
        offset.refresh_from_db()
        assert offset.manual_offset_s == 1.3 and offset.offset_s == pytest.approx(1.25, abs=1e-3)
        assert offset.effective_offset_s == 1.3

    def test_other_users_get_404(self) -> None:
        from django.http import Http404

        project = self.project_with("a", "b_late")
        with pytest.raises(Http404):
            selectors.project_get_for_user(user=self.outsider, project_id=project.pk)
        assert list(selectors.project_list_for_user(user=self.outsider)) == []
        assert selectors.project_get_for_user(user=self.owner, project_id=project.pk) == project


@pytest.mark.usefixtures("_clips")
class SweeperTests(BaseTestCase):
    def test_runs_whose_worker_vanished_are_failed_and_fresh_ones_kept(self) -> None:
        from datetime import timedelta

        from django.conf import settings
        from django.core.management import call_command
        from django.utils import timezone

        project = services.project_create(owner=self.owner, name="Sweep")
        with self.captureOnCommitCallbacks(execute=True):
            for name in ("a", "b_late"):
                services.video_add(project=project, upload=self.upload(self.clips[name]))
        old = timezone.now() - timedelta(seconds=settings.Q_CLUSTER["retry"] + 3600)
        killed = SyncRun.objects.create(
            project=project, status=SyncRun.Status.RUNNING, started_at=old
        )
        other = services.project_create(owner=self.owner, name="Busy")
        fresh = SyncRun.objects.create(
            project=other, status=SyncRun.Status.RUNNING, started_at=timezone.now()
        )
        out = io.StringIO()
        call_command("sweep_runs", stdout=out)
        assert "1 stale run(s) and 0 stale render(s) marked failed" in out.getvalue()
        killed.refresh_from_db()
        fresh.refresh_from_db()
        assert killed.status == SyncRun.Status.FAILED and killed.error_code == "worker_lost"
        assert killed.error_message == errors.WORKER_STOPPED_SYNC.format(seconds=60)
        assert fresh.status == SyncRun.Status.RUNNING

    def test_the_sweeper_is_scheduled(self) -> None:
        from django_q.models import Schedule

        schedule = Schedule.objects.get(name="syncsite-sweep-stale-runs")
        assert schedule.func == "projects.tasks.sweep_stale_runs_task" and schedule.minutes == 1
