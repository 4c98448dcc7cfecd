"""Debug plots: PNG files of sane size, and a run stores their paths (or survives their failure)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from projects import plots, services
from projects.models import SyncRun
from syncengine import SyncResult, VideoOffset
from syncengine.types import PairEstimate
from tests.projects.base import BaseTestCase


def _video(name: str, offset_s: float | None, confidence: float, **kwargs: object) -> VideoOffset:
    band = "poor" if offset_s is None else "excellent" if confidence >= 0.8 else "fair"
    return VideoOffset(
        filename=name,
        path=f"/clips/{name}",
        offset_s=offset_s,
        confidence=confidence,
        band=band,
        synced=offset_s is not None,
        duration_s=10.0,
        **kwargs,
    )  # type: ignore[arg-type]


def _curve(lag_s: float) -> tuple[np.ndarray, np.ndarray]:
    lags_s = np.linspace(-20.0, 20.0, 2000, dtype=np.float32)
    values = np.random.default_rng(1).random(2000).astype(np.float32) * 0.2
    values[np.argmin(np.abs(lags_s - lag_s))] = 1.0
    return lags_s, values


def _motion(duration_s: float) -> tuple[np.ndarray, np.ndarray]:
    times_s = np.arange(0.0, duration_s, 0.01, dtype=np.float32)
    return times_s, (np.sin(times_s * 3.0) ** 8).astype(np.float32)


# Four clips: c is measured by sound only, d could not be placed at all.
RESULT = SyncResult(
    method="auto",
    reference="a.mp4",
    max_lag_s=20.0,
    videos=(
        _video("a.mp4", 0.0, 1.0, is_reference=True),
        _video("b.mov", 1.25, 0.97),
        _video("c.mkv", -2.4, 0.35),
        _video("d.mp4", None, 0.05),
    ),
    pairs=(
        PairEstimate(0, 1, 1.25, 0.99, "audio", 120.0, 100.0, 8.7, curve=_curve(1.25)),
        PairEstimate(0, 2, -2.4, 0.4, "audio", 9.0, 1.5, 7.6, curve=_curve(-2.4)),
        PairEstimate(1, 2, -3.65, 0.38, "audio", 8.0, 0.0, 6.3),  # no curve: not drawn
        PairEstimate(0, 1, 1.26, 0.9, "visual", 30.0, 12.0, 8.7, curve=_curve(1.26)),
    ),
    motion=(_motion(10.0), _motion(10.0), None, _motion(10.0)),
)
NAMES = ["a.mp4", "b.mov", "c.mkv", "d with a rather long phone file name 2024-05-01 12.00.mp4"]


def _assert_sane_png(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert 400 <= image.width <= 5000 and 200 <= image.height <= 3000, image.size
        colours = image.convert("RGB").getcolors(maxcolors=image.width * image.height)
        assert len(colours) > 20  # a drawing, not a blank canvas


def test_it_writes_every_plot_as_a_sane_png(tmp_path: Path) -> None:
    written = plots.run_plots_write(RESULT, names=NAMES, out_dir=tmp_path / "run")
    assert [p.name for p in written] == list(plots.PLOT_FILES)
    for path in written:
        _assert_sane_png(path)


def test_it_draws_a_result_without_pairs(tmp_path: Path) -> None:
    lonely = SyncResult(
        method="audio",
        reference="a.mp4",
        max_lag_s=None,
        videos=(RESULT.videos[0], RESULT.videos[3]),
    )
    written = plots.run_plots_write(lonely, names=["a.mp4", "d.mp4"], out_dir=tmp_path)
    assert [p.name for p in written] == list(plots.PLOT_FILES[:2])
    for path in written:
        _assert_sane_png(path)


def test_it_draws_only_the_most_confident_curves(tmp_path: Path) -> None:
    many = [
        PairEstimate(i, j, 0.5, (i + j) / 40, m, curve=_curve(0.5))
        for i in range(6)
        for j in range(i + 1, 6)
        for m in ("audio", "visual")
    ]
    path = plots.correlation_curves_png(
        many, names=[f"v{k}.mp4" for k in range(6)], path=tmp_path / "curves.png"
    )
    _assert_sane_png(path)


def test_it_rejects_names_that_do_not_match_the_videos(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="3 names for 4 videos"):
        plots.run_plots_write(RESULT, names=NAMES[:3], out_dir=tmp_path)


@pytest.fixture(autouse=True)
def _clips(request, clips) -> None:
    if request.cls is not None:
        request.cls.clips = clips


@pytest.mark.usefixtures("_clips")
class RunPlotTests(BaseTestCase):
    def _project(self):
        project = services.project_create(owner=self.owner, name="Plots")
        # Ids repeat after each test's rollback: drop a blocker file another test left behind.
        shutil.rmtree(Path(self.media_root, f"projects/{project.pk}"), ignore_errors=True)
        for name in ("a", "b_late"):
            services.video_add(project=project, upload=self.upload(self.clips[name]))
        return project

    def test_a_finished_run_stores_its_plot_paths(self) -> None:
        project = self._project()
        with self.captureOnCommitCallbacks(execute=True):
            run = services.sync_run_start(project=project, method="auto")
        run.refresh_from_db()
        assert run.status == SyncRun.Status.DONE, run.error_message
        folder = f"projects/{project.pk}/runs/{run.pk}"
        assert run.plots == [f"{folder}/{name}" for name in plots.PLOT_FILES]
        for relative in run.plots:
            _assert_sane_png(Path(self.media_root, relative))

    def test_an_audio_run_has_curves_but_no_motion_plot(self) -> None:
        project = self._project()
        with self.captureOnCommitCallbacks(execute=True):
            run = services.sync_run_start(project=project, method="audio")
        run.refresh_from_db()
        assert run.status == SyncRun.Status.DONE, run.error_message
        assert [Path(p).name for p in run.plots] == list(plots.PLOT_FILES[:4])
        for relative in run.plots:
            _assert_sane_png(Path(self.media_root, relative))

    def test_a_plot_failure_is_logged_and_the_run_still_succeeds(self) -> None:
        project = self._project()
        with (
            self.assertLogs("projects.services.runs", "ERROR") as logs,
            self.captureOnCommitCallbacks(execute=True),
        ):
            run = services.sync_run_start(project=project, method="audio")
            # A file where the run's plot folder should go: the plots cannot be written.
            blocker = Path(self.media_root, f"projects/{project.pk}/runs/{run.pk}")
            shutil.rmtree(blocker, ignore_errors=True)  # ids repeat after each test's rollback
            blocker.parent.mkdir(parents=True, exist_ok=True)
            blocker.write_text("not a folder")
        run.refresh_from_db()
        assert run.status == SyncRun.Status.DONE and run.offsets.count() == 2
        assert run.plots == []
        assert f"run {run.pk}: debug plots failed" in logs.output[0]
