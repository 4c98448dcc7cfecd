"""Clips keyed by video id through sync and render: same names, hostile names, real clips."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from projects import services
from projects.models import Project, Render, SyncRun, Video
from tests.projects.base import BaseTestCase

FRAME_S = 1 / 25  # one frame of the slowest camera (c_early)
OFFSET_TOL_S = 0.01

#: Issue 13's hostile names, each on a real clip of the shared world (clip -> upload name).
HOSTILE = {
    "a": "映像" * 100 + ".mp4",  # 600 bytes of CJK before the extension
    "b_late": "🎬" * 100 + ".mov",  # 404 bytes with the extension
    "c_early": "x" * 251 + ".mkv",  # 255 characters
    "static": 'it\'s "quoted".mp4',
    "chain2": "line\nbreak.mp4",
    "partial": "-y.mp4",  # an ffmpeg option, if it were passed as an argument
    "chain3": "../../etc/passwd.mp4",
}


@pytest.fixture(autouse=True)
def _clips(request, clips) -> None:
    if request.cls is not None:
        request.cls.clips = clips


class ClipKeyTests(BaseTestCase):
    def project_named(self, names: dict[str, str]) -> Project:
        """A project holding each clip uploaded under the given name, in that order."""
        project = services.project_create(owner=self.owner, name="Names")
        with self.captureOnCommitCallbacks(execute=True):
            for clip, name in names.items():
                services.video_add(project=project, upload=self.upload(self.clips[clip], name))
        return project

    def rendered(self, run: SyncRun) -> Render:
        with self.captureOnCommitCallbacks(execute=True):
            render = services.render_start(run=run)
        render.refresh_from_db()
        assert render.status == Render.Status.DONE, render.error_message
        return render

    def assert_offsets_by_id(self, run: SyncRun, clip_of: dict[int, str]) -> None:
        """Each row's estimate is its own clip's true offset: results mapped back by id."""
        rows = list(run.offsets.all())
        assert sorted(o.video_id for o in rows) == sorted(clip_of)
        for o in rows:
            assert o.synced, (clip_of[o.video_id], o.notes)
            truth = self.clips.truth_s(clip_of[o.video_id])
            assert o.offset_s == pytest.approx(truth, abs=OFFSET_TOL_S), clip_of[o.video_id]

    def test_two_uploads_with_the_same_name_sync_and_render_to_distinct_files(self) -> None:
        project = self.project_named({"a": "clip.mp4"})
        with self.captureOnCommitCallbacks(execute=True):
            services.video_add(
                project=project, upload=self.upload(self.clips["chain2"], "clip.mp4")
            )
        first, second = project.videos.all()
        assert first.original_name == second.original_name == "clip.mp4"
        run = self.run_synced(project)
        self.assert_offsets_by_id(run, {first.pk: "a", second.pk: "chain2"})
        render = self.rendered(run)
        assert render.verified and render.max_residual_s <= FRAME_S
        outputs = {o.video_id: Path(o.file.name).name for o in render.outputs.all()}
        assert outputs == {first.pk: "clip_synced.mp4", second.pk: "clip (2)_synced.mp4"}
        for o in render.outputs.all():
            assert Path(o.file.path).is_file()
        # The second output lies 7 s later on the timeline, as its own clip does.
        leads = {o.video_id: o.lead_s for o in render.outputs.all()}
        assert leads[second.pk] - leads[first.pk] == pytest.approx(7.0, abs=OFFSET_TOL_S)

    def test_an_engine_error_names_the_clip_as_the_user_did_not_as_stored(self) -> None:
        name = "映像" * 100 + ".mp4"  # stored under a name cut to 100 bytes
        project = self.project_named({"a": "a.mp4", "noaudio": name})
        stored = Path(project.videos.get(original_name=name).file.name).name
        assert stored != name
        with self.captureOnCommitCallbacks(execute=True):
            run = services.sync_run_start(project=project, method="audio")
        run.refresh_from_db()
        assert run.status == SyncRun.Status.FAILED and run.error_code == "no_audio_stream"
        assert f"'{name}' has no audio track" in run.error_message
        assert stored not in run.error_message and self.media_root not in run.error_message

    def test_each_hostile_file_name_goes_through_sync_and_render(self) -> None:
        """Issue 13: such names gave HTTP 500, or every later sync or render of the project
        failed. Each name is kept whole for display; files get bounded safe names."""
        assert len(HOSTILE["a"].removesuffix(".mp4").encode()) == 600
        assert len(HOSTILE["b_late"].encode()) == 404 and len(HOSTILE["c_early"]) == 255
        project = self.project_named(HOSTILE)
        videos = list(project.videos.all())
        clip_of = {v.pk: clip for v, clip in zip(videos, HOSTILE, strict=True)}
        shown = {clip_of[v.pk]: v.original_name for v in videos}
        expected = {clip: Path(name).name for clip, name in HOSTILE.items()}  # no folders
        assert shown == {clip: unicodedata.normalize("NFC", n) for clip, n in expected.items()}
        for video in videos:
            assert _is_safe(Path(video.file.name).name), video.file.name
        run = self.run_synced(project)
        self.assert_offsets_by_id(run, clip_of)
        render = self.rendered(run)
        assert render.verified and render.max_residual_s <= FRAME_S, render.notes
        outputs = list(render.outputs.all())
        assert sorted(o.video_id for o in outputs) == sorted(clip_of)
        names = [Path(o.file.name).name for o in outputs]
        assert len(set(names)) == len(names)
        for o, name in zip(outputs, names, strict=True):
            assert _is_safe(name) and name.endswith(("_synced.mp4", "_synced.mov", "_synced.mkv"))
            assert Path(o.file.path).is_file()
        by_clip = {clip_of[o.video_id]: name for o, name in zip(outputs, names, strict=True)}
        assert by_clip["static"] == 'it\'s "quoted"_synced.mp4'
        assert by_clip["chain2"] == "line_break_synced.mp4"
        assert by_clip["partial"] == "-y_synced.mp4"
        assert by_clip["chain3"] == "passwd_synced.mp4"
        assert by_clip["a"].startswith("映像") and by_clip["b_late"].startswith("🎬")
        assert Video.objects.get(pk=videos[0].pk).original_name == HOSTILE["a"]  # kept whole


def _is_safe(name: str) -> bool:
    """A bare file name that fits a file system: no separators or control characters."""
    return (
        0 < len(name.encode()) <= 255
        and not any(c in name for c in "/\\")
        and not any(unicodedata.category(c) == "Cc" for c in name)
    )
