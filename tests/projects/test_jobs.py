"""The job lifecycle (projects.services.jobs) and its sweeper, on the real database.

What a killed worker leaves is reproduced by the row it leaves: a RUNNING job whose heartbeat
stopped. The real kill (SIGKILL of a worker process mid-run and mid-render) is in
``test_worker_kill``.
"""

from __future__ import annotations

import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import TransactionTestCase
from django.utils import timezone
from django_q.models import Schedule, Task

from projects import errors, services
from projects.models import Render, SyncRun, Video
from projects.services.jobs import heartbeat_lost_s, job_heartbeat
from projects.services.renders import render_folder
from tests.projects.base import BaseTestCase


@pytest.fixture()
def _clips(request, clips) -> None:  # noqa: ANN001
    request.cls.clips = clips


LOST_S = 60  # the documented default threshold (JOB_HEARTBEAT_LOST_S)


def _ago(seconds: float) -> timezone.datetime:
    return timezone.now() - timedelta(seconds=seconds)


@pytest.mark.usefixtures("_clips")
class SweeperTests(BaseTestCase):
    def test_the_default_threshold_is_a_minute(self) -> None:
        assert heartbeat_lost_s() == LOST_S

    def test_a_run_whose_heartbeat_stopped_is_failed_and_a_beating_one_kept(self) -> None:
        lost_project = services.project_create(owner=self.owner, name="Lost")
        busy_project = services.project_create(owner=self.owner, name="Busy")
        lost = SyncRun.objects.create(
            project=lost_project,
            status=SyncRun.Status.RUNNING,
            started_at=_ago(3600),
            heartbeat_at=_ago(LOST_S + 1),
        )
        beating = SyncRun.objects.create(
            project=busy_project,
            status=SyncRun.Status.RUNNING,
            started_at=_ago(3600),  # an hour old, but alive
            heartbeat_at=_ago(LOST_S - 20),
        )
        assert services.stale_sweep().runs == 1
        lost.refresh_from_db()
        beating.refresh_from_db()
        assert lost.status == SyncRun.Status.FAILED and lost.error_code == "worker_lost"
        assert lost.error_message == errors.WORKER_STOPPED_SYNC.format(seconds=LOST_S)
        assert lost.error_message.startswith("Sync failed: the worker stopped while syncing")
        assert lost.error_message.endswith("start it again.") and lost.finished_at is not None
        assert beating.status == SyncRun.Status.RUNNING

    def test_a_lost_render_is_failed_with_a_render_message_and_its_partial_files_removed(
        self,
    ) -> None:
        project = services.project_create(owner=self.owner, name="Export")
        run = SyncRun.objects.create(project=project, status=SyncRun.Status.DONE)
        render = Render.objects.create(
            run=run, status=Render.Status.RUNNING, heartbeat_at=_ago(LOST_S + 5)
        )
        folder = render_folder(render)
        folder.mkdir(parents=True)
        (folder / "a_synced.mp4").write_bytes(b"\0" * 4096)  # what ffmpeg had written so far
        out = io_call("sweep_runs")
        assert "0 stale run(s) and 1 stale render(s) marked failed" in out
        render.refresh_from_db()
        assert render.status == Render.Status.FAILED and render.error_code == "worker_lost"
        assert render.error_message == errors.WORKER_STOPPED_RENDER.format(seconds=LOST_S)
        assert (
            render.error_message.startswith("Render failed:") and "Sync" not in render.error_message
        )
        assert not folder.exists()

    def test_the_sweep_removes_files_a_dead_workers_ffmpeg_left_after_the_render_failed(
        self,
    ) -> None:
        project = services.project_create(owner=self.owner, name="Leftovers")
        run = SyncRun.objects.create(project=project, status=SyncRun.Status.DONE)
        failed = Render.objects.create(run=run, status=Render.Status.FAILED)
        done = Render.objects.create(run=run, status=Render.Status.DONE)
        # Ids repeat after each test's rollback: clear what earlier tests of the class left there.
        shutil.rmtree(Path(self.media_root, "projects", str(project.pk)), ignore_errors=True)
        for render in (failed, done):
            folder = render_folder(render) / ".rendering-x"
            folder.mkdir(parents=True)
            (folder / "a_synced.mp4").write_bytes(b"\0" * 1024)
        services.stale_sweep()
        assert not render_folder(failed).exists()
        assert (render_folder(done) / ".rendering-x" / "a_synced.mp4").is_file()

    def test_a_new_run_is_accepted_at_once_in_a_project_whose_run_lost_its_worker(self) -> None:
        project = self.project_with("a", "b_late")
        lost = SyncRun.objects.create(
            project=project, status=SyncRun.Status.RUNNING, heartbeat_at=_ago(LOST_S + 1)
        )
        run = services.sync_run_start(project=project)  # no sweep ran: the start sweeps it
        lost.refresh_from_db()
        assert lost.status == SyncRun.Status.FAILED and run.status == SyncRun.Status.QUEUED
        alive = run
        SyncRun.objects.filter(pk=alive.pk).update(
            status=SyncRun.Status.RUNNING, heartbeat_at=timezone.now()
        )
        with pytest.raises(services.ServiceError, match="already running"):
            services.sync_run_start(project=project)

    def test_a_queued_job_is_failed_only_after_the_broker_retry_period(self) -> None:
        from django.conf import settings

        project = services.project_create(owner=self.owner, name="Queued")
        queued = SyncRun.objects.create(project=project)
        assert services.stale_sweep().runs == 0
        later = timezone.now() + timedelta(seconds=settings.Q_CLUSTER["retry"] + 61)
        assert services.stale_sweep(now=later).runs == 1
        queued.refresh_from_db()
        assert queued.status == SyncRun.Status.FAILED and queued.error_message == errors.WORKER_LOST

    def test_a_preview_whose_worker_died_is_failed_with_what_to_do(self) -> None:
        project = self.project_with("a", "b_late")
        dead, waiting = project.videos.all()
        Video.objects.filter(pk=dead.pk).update(
            status=Video.Status.PROCESSING, heartbeat_at=_ago(LOST_S + 1)
        )
        Video.objects.filter(pk=waiting.pk).update(status=Video.Status.PROCESSING)  # queued
        assert services.stale_sweep().previews == 1
        dead.refresh_from_db()
        waiting.refresh_from_db()
        assert dead.status == Video.Status.FAILED
        assert dead.error_message == errors.WORKER_STOPPED_PREVIEW.format(seconds=LOST_S)
        assert "upload it again" in dead.error_message
        assert waiting.status == Video.Status.PROCESSING

    def test_the_preview_hook_fails_a_preview_whose_task_died(self) -> None:
        from projects.tasks import video_preview_done_hook

        video = self.project_with("a").videos.get()
        Video.objects.filter(pk=video.pk).update(status=Video.Status.PROCESSING)
        video_preview_done_hook(Task(name="x", func="f", args=(video.pk,), success=False))
        video.refresh_from_db()
        assert video.status == Video.Status.FAILED
        assert video.error_message == errors.PREVIEW_WORKER_LOST

    def test_a_render_that_fails_unexpectedly_says_render_failed(self) -> None:
        run = self.run_synced(self.project_with("a", "b_late"))
        render = services.render_start(run=run)  # queued; executed below
        folder = render_folder(render)
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.write_bytes(b"")  # a file where the output folder must go: not a disk error
        services.render_execute(render_id=render.pk)
        render.refresh_from_db()
        assert render.status == Render.Status.FAILED and render.error_code == "internal"
        assert render.error_message == errors.RENDER_GENERIC_FAILURE
        assert render.error_message.startswith("Render failed")

    def test_a_worker_start_sweeps_and_schedules_one_more_sweep_after_the_threshold(self) -> None:
        project = services.project_create(owner=self.owner, name="Left")
        left = SyncRun.objects.create(
            project=project, status=SyncRun.Status.RUNNING, heartbeat_at=_ago(3600)
        )
        before = timezone.now()
        services.sweep_after_worker_start()
        left.refresh_from_db()
        assert left.status == SyncRun.Status.FAILED
        once = Schedule.objects.get(func="projects.tasks.sweep_stale_runs_task", schedule_type="O")
        assert once.next_run >= before + timedelta(seconds=LOST_S)
        services.sweep_after_worker_start()  # a second worker moves it, never adds another
        assert Schedule.objects.filter(schedule_type="O").count() == 1

    def test_the_minutely_sweep_is_scheduled(self) -> None:
        schedule = Schedule.objects.get(name="syncsite-sweep-stale-runs")
        assert schedule.func == "projects.tasks.sweep_stale_runs_task"
        assert (schedule.schedule_type, schedule.minutes) == ("I", 1)


def io_call(command: str) -> str:
    import io

    out = io.StringIO()
    call_command(command, stdout=out)
    return out.getvalue()


class HeartbeatTests(TransactionTestCase):
    """The timer thread writes with its own connection, so the rows must be committed."""

    def test_the_timer_renews_the_heartbeat_while_the_block_runs_and_stops_after(self) -> None:
        from django.contrib.auth import get_user_model

        owner = get_user_model().objects.create_user("beat")
        project = services.project_create(owner=owner, name="Beat")
        run = SyncRun.objects.create(
            project=project, status=SyncRun.Status.RUNNING, heartbeat_at=_ago(3600)
        )
        with job_heartbeat(SyncRun, pk=run.pk, every_s=0.05):
            first = SyncRun.objects.get(pk=run.pk).heartbeat_at
            assert first > _ago(60)  # beat at entry
            deadline = time.monotonic() + 60
            while SyncRun.objects.get(pk=run.pk).heartbeat_at == first:
                assert time.monotonic() < deadline, "the timer never beat"
                time.sleep(0.02)
        last = SyncRun.objects.get(pk=run.pk).heartbeat_at  # the thread is joined: no more beats
        assert SyncRun.objects.get(pk=run.pk).heartbeat_at == last
