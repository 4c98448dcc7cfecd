"""The run page shows drift per clip: the ppm in the offsets table and, for a clip whose drift
was measured, a plot of the offset measured along the overlap beside the fitted line.

A real sync of two recorder WAVs made at test time from one seeded world: "fast" runs
300 ppm fast (mediasynth resamples it) over a 30 s overlap.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from mediasynth.clips import CameraSpec, write_clips
from projects.models import Video, VideoOffset
from projects.views.present import drift_plot
from syncengine.media import ffmpeg_executable
from tests.projects.base import BaseTestCase

TINY = {"width": 64, "height": 48, "fps": 10.0}
SPECS = (
    CameraSpec("steady", 0.0, 32.0, **TINY),
    CameraSpec("fast", 0.5, 30.0, drift_ppm=300.0, **TINY),
)


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("drift")
    made = write_clips(SPECS, folder, seed=11)
    paths = {}
    for name, path in made.items():
        wav = folder / f"{name}.wav"
        subprocess.run(
            [ffmpeg_executable(), "-nostdin", "-v", "error", "-i", str(path), "-vn"]
            + ["-c:a", "pcm_s16le", "-y", str(wav)],
            check=True,
            timeout=60,
        )
        paths[name] = wav
    return paths


@pytest.fixture()
def _recordings(request, recordings) -> None:
    request.cls.recordings = recordings


@pytest.mark.usefixtures("_recordings")
class DriftPlotTests(BaseTestCase):
    recordings: dict[str, Path]

    def test_a_drifting_clip_gets_its_ppm_and_a_plot_of_the_measured_offsets(self) -> None:
        from projects import services

        project = services.project_create(owner=self.owner, name="Long take")
        with self.captureOnCommitCallbacks(execute=True):
            for name in ("steady", "fast"):
                services.video_add(project=project, upload=self.upload(self.recordings[name]))
        run = self.run_synced(project)
        fast = run.offsets.get(video__original_name="fast.wav")
        # Measured over a 30 s overlap (the estimator's accuracy is the engine tests' subject).
        assert fast.drift_ppm == pytest.approx(300.0, abs=100.0), fast.drift_ppm
        assert len(fast.drift_points) >= 3, fast.drift_points

        self.client.force_login(self.owner)
        html = self.client.get(reverse("run-detail", args=[run.pk])).content.decode()
        row = re.search(
            rf'<tr class="offset-row[^"]*" data-video-id="{fast.video_id}".*?</tr>', html, re.S
        )
        assert row is not None and f"{fast.drift_ppm:+.1f}" in row.group(0)
        figures = re.findall(r'<figure class="drift-plot".*?</figure>', html, re.S)
        assert len(figures) == 1, figures  # the fast clip's; the reference has none
        figure = figures[0]
        assert 'data-video-name="fast.wav"' in figure
        assert figure.count('class="drift-point"') == len(fast.drift_points)
        assert figure.count('class="drift-fit"') == 1
        # The line spans the windows: the measured ppm over the time between the first and last.
        plot = drift_plot(fast)
        times = [t for t, _ in fast.drift_points]
        expected_ms = fast.drift_ppm * 1e-3 * (max(times) - min(times))
        assert plot is not None and plot.drift_ms == pytest.approx(expected_ms, rel=0.01)
        assert f"{fast.drift_ppm:+.1f} ppm" in plot.title

    def test_the_plot_puts_points_on_the_fitted_line_where_they_agree_and_hides_without_points(
        self,
    ) -> None:
        video = Video(original_name="take.wav")  # unsaved: the plot reads the row only
        o = VideoOffset(video=video, offset_s=2.0, drift_ppm=200.0, drift_points=[])
        assert drift_plot(o) is None  # no points: no plot
        o.drift_points = [[10.0, 2.0]]
        assert drift_plot(o) is None  # one point is no line
        d = 200e-6
        o.drift_points = [[t, (2.0 + d * t) / (1 + d)] for t in (5.0, 15.0, 25.0)]
        plot = drift_plot(o)
        assert plot is not None
        (x0, y0), (x1, y1) = plot.fit
        for x, y in plot.points:  # exactly on the line: the dot sits on it
            assert y == pytest.approx(y0 + (y1 - y0) * (x - x0) / (x1 - x0), abs=0.02)
        assert plot.drift_ms == pytest.approx(20 * d * 1000 / (1 + d), abs=1e-6)
        assert y1 < y0  # a later offset is drawn higher (y grows downwards)
        o.drift_ppm = None
        assert drift_plot(o) is None  # drift not measured: nothing to fit
