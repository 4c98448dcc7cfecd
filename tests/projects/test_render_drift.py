"""Portal renders correct the drift the run measured: the row's drift_ppm reaches the engine."""

from __future__ import annotations

import pytest

from projects import services
from projects.models import Render, RenderOutput
from tests.projects.base import BaseTestCase


@pytest.fixture(autouse=True)
def _clips(request, clips) -> None:
    if request.cls is not None:
        request.cls.clips = clips


class RenderDriftTests(BaseTestCase):
    def test_a_rows_drift_is_corrected_in_the_render_and_said_in_its_notes(self) -> None:
        run = self.run_synced(self.project_with("a", "b_late"))
        b = run.offsets.get(video__original_name="b_late.mov")
        # As if the run had measured b's clock 400 ppm fast: 4 ms over its 10 s, so its sound
        # is resampled (more than 0.5 ms) and its picture kept (less than half a frame).
        type(b).objects.filter(pk=b.pk).update(drift_ppm=400.0)
        with self.captureOnCommitCallbacks(execute=True):
            render = services.render_start(run=run)
        render.refresh_from_db()
        assert render.status == Render.Status.DONE, render.error_message
        assert any(
            "'b_late.mov' drifts +400.0 ppm" in n
            and "its sound is resampled" in n
            and "picture" not in n
            for n in render.notes
        ), render.notes
        assert not any("'a.mp4' drifts" in n for n in render.notes)
        assert RenderOutput.objects.filter(render=render).count() == 2
