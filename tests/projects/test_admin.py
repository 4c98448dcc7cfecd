"""The staff admin: every page renders, results are read-only, actions go through the services."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from projects import services
from projects.models import Project, Render, RenderOutput, SyncRun, Video, VideoOffset
from tests.projects.base import BaseTestCase

MODELS = (Project, Video, SyncRun, VideoOffset, Render, RenderOutput)


def _url(model: type, view: str, *args: object) -> str:
    return reverse(f"admin:projects_{model._meta.model_name}_{view}", args=args)


@pytest.fixture(autouse=True)
def _clips(request, clips) -> None:
    request.cls.clips = clips


@pytest.mark.usefixtures("_clips")
class AdminTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.staff = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
        self.client.force_login(self.staff)
        self.project = services.project_create(owner=self.owner, name="Wedding")
        for name in ("a", "b_late"):  # previews are not made: their tasks are never run here
            services.video_add(project=self.project, upload=self.upload(self.clips[name]))

    def _finished_run(self) -> SyncRun:
        with self.captureOnCommitCallbacks(execute=True):
            run = services.sync_run_start(project=self.project, method="audio", max_offset_s=5.0)
        run.refresh_from_db()
        assert run.status == SyncRun.Status.DONE, run.error_message
        return run

    def _render_of(self, run: SyncRun) -> Render:
        with self.captureOnCommitCallbacks(execute=True):
            render = services.render_start(run=run)
        render.refresh_from_db()
        assert render.status == Render.Status.DONE, render.error_message
        return render

    def test_every_changelist_renders_with_search_and_filters(self) -> None:
        self._render_of(self._finished_run())
        for model in MODELS:
            for query in ("", "?q=wedding", "?o=-1"):
                response = self.client.get(_url(model, "changelist") + query)
                assert response.status_code == 200, (model, query)
        page = self.client.get(_url(SyncRun, "changelist") + "?status__exact=done")
        self.assertContains(page, "alice")  # the owner column
        self.assertContains(page, "100%")  # progress
        self.assertContains(self.client.get(_url(Project, "changelist")), "Wedding")

    def test_every_change_page_renders(self) -> None:
        run = self._finished_run()
        render = self._render_of(run)
        objects = (
            self.project,
            self.project.videos.first(),
            run,
            run.offsets.first(),
            render,
            render.outputs.first(),
        )
        for obj in objects:
            response = self.client.get(_url(type(obj), "change", obj.pk))
            assert response.status_code == 200, type(obj)

    def test_a_run_shows_its_offsets_read_only(self) -> None:
        run = self._finished_run()
        offset = run.offsets.get(video__original_name="b_late.mov")
        page = self.client.get(_url(SyncRun, "change", run.pk))
        self.assertContains(page, "b_late.mov")
        self.assertContains(page, f"<p>{offset.offset_s}</p>", html=True)  # shown as text
        self.assertNotContains(page, 'name="offsets-1-offset_s"')  # not an input
        self.assertNotContains(page, 'name="_save"')  # a view-only page
        assert self.client.get(_url(SyncRun, "add")).status_code == 403

    def test_the_rerun_action_queues_a_run_with_the_same_settings(self) -> None:
        run = self._finished_run()
        with self.captureOnCommitCallbacks(execute=False) as queued:
            data = {"action": "rerun", "_selected_action": [run.pk]}
            response = self.client.post(_url(SyncRun, "changelist"), data)
        assert response.status_code == 302 and len(queued) == 1
        new = self.project.runs.exclude(pk=run.pk).get()
        assert (new.status, new.method, new.max_offset_s) == ("queued", "audio", 5.0)
        assert new.reference_id == run.reference_id

    def test_the_rerun_action_warns_when_a_run_is_already_active(self) -> None:
        run = self._finished_run()
        active = services.sync_run_start(project=self.project, method="audio")
        response = self.client.post(
            _url(SyncRun, "changelist"),
            {"action": "rerun", "_selected_action": [run.pk]},
            follow=True,
        )
        self.assertContains(response, f"Run {run.pk}: ")
        assert list(self.project.runs.filter(status="queued")) == [active]

    def test_the_cancel_action_cancels_active_runs_only(self) -> None:
        done = self._finished_run()
        queued = services.sync_run_start(project=self.project, method="audio")
        response = self.client.post(
            _url(SyncRun, "changelist"),
            {"action": "cancel", "_selected_action": [queued.pk, done.pk]},
            follow=True,
        )
        self.assertContains(response, "1 run(s) cancelled.")
        self.assertContains(response, "1 run(s) were already finished.")
        queued.refresh_from_db()
        done.refresh_from_db()
        assert (queued.status, done.status) == ("cancelled", "done")

    def test_a_project_is_renamed_through_the_service(self) -> None:
        ids = list(self.project.videos.values_list("pk", flat=True))
        data = {
            "name": "  Wedding (edited)  ",
            "notes": "two cameras",
            "videos-TOTAL_FORMS": len(ids),
            "videos-INITIAL_FORMS": len(ids),
            "videos-MIN_NUM_FORMS": 0,
            "videos-MAX_NUM_FORMS": 1000,
        }
        for k, pk in enumerate(ids):
            data |= {f"videos-{k}-id": pk, f"videos-{k}-project": self.project.pk}
        response = self.client.post(_url(Project, "change", self.project.pk), data)
        assert response.status_code == 302, response.content[-2000:]
        self.project.refresh_from_db()
        assert (self.project.name, self.project.notes) == ("Wedding (edited)", "two cameras")
        assert self.project.videos.count() == 2 and self.project.owner == self.owner

    def test_a_manual_offset_edit_keeps_the_estimate(self) -> None:
        offset = self._finished_run().offsets.get(video__original_name="b_late.mov")
        response = self.client.post(
            _url(VideoOffset, "change", offset.pk), {"manual_offset_s": "1.3"}
        )
        assert response.status_code == 302
        estimate_s = offset.offset_s
        offset.refresh_from_db()
        assert offset.manual_offset_s == 1.3 and offset.manual_updated_at is not None
        assert offset.offset_s == estimate_s

    def test_deleting_a_video_removes_its_file(self) -> None:
        video = self.project.videos.get(original_name="b_late.mov")
        path = Path(video.file.path)
        assert path.exists()
        response = self.client.post(_url(Video, "delete", video.pk), {"post": "yes"})
        assert response.status_code == 302
        assert not Video.objects.filter(pk=video.pk).exists() and not path.exists()

    def test_deleting_a_render_removes_its_files_through_the_service(self) -> None:
        render = self._render_of(self._finished_run())
        paths = [Path(o.file.path) for o in render.outputs.all()]
        assert len(paths) == 2 and all(p.exists() for p in paths)
        response = self.client.post(_url(Render, "delete", render.pk), {"post": "yes"})
        assert response.status_code == 302
        assert not Render.objects.exists() and not any(p.exists() for p in paths)

    def test_the_cancel_action_cancels_active_renders_only(self) -> None:
        run = self._finished_run()
        done = self._render_of(run)
        active = Render.objects.create(run=run, status=Render.Status.QUEUED)
        response = self.client.post(
            _url(Render, "changelist"),
            {
                "action": "cancel",
                "_selected_action": [active.pk, done.pk],
            },
            follow=True,
        )
        self.assertContains(response, "1 render(s) cancelled.")
        active.refresh_from_db()
        done.refresh_from_db()
        assert active.status == Render.Status.CANCELLED and done.status == Render.Status.DONE

    def test_a_non_staff_user_is_sent_to_the_admin_login(self) -> None:
        run = self._finished_run()
        self.client.force_login(self.owner)
        for url in (
            reverse("admin:index"),
            _url(SyncRun, "changelist"),
            _url(SyncRun, "change", run.pk),
        ):
            response = self.client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("admin:login")), url
        self.client.logout()
        response = self.client.get(_url(Project, "changelist"))
        assert response["Location"].startswith(reverse("admin:login"))
