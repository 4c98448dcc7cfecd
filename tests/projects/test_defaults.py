"""One default search range everywhere: the engine's, the whole overlap.

Without a maximum offset the command line, the portal's run form and the API all start the
engine with ``max_lag_s=None``, and it finds a camera that started 24 s after the reference
(beyond the 20 s the form and the command line used to search). A maximum offset still narrows
the search.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
from pathlib import Path

import pytest
from django.urls import reverse

from mediasynth.clips import CameraSpec, write_clips
from projects.forms import SyncRunForm
from projects.models import SyncRun
from syncengine.cli import EXIT_OK, main
from syncengine.sync import DEFAULT_MAX_LAG_S, estimate_offsets
from tests.api.base import ApiTestCase
from tests.conftest import SEED, SMALL

FAR_S = 24.0  # the late camera's true offset: outside a 20 s search, inside the overlap
FAR_CAMERAS = (CameraSpec("far_ref", 0.0, 30.0, **SMALL), CameraSpec("far", FAR_S, 6.0, **SMALL))


@pytest.fixture(scope="module")
def far_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_clips(FAR_CAMERAS, tmp_path_factory.mktemp("far"), seed=SEED)


@pytest.fixture()
def _far(request, far_clips) -> None:
    request.cls.clips = far_clips


def _cli_sync(*args: str) -> tuple[int, dict]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["sync", *args, "--method", "audio", "--json", "--quiet"])
    return code, json.loads(out.getvalue())


@pytest.mark.usefixtures("_far")
class DefaultMaxOffsetTests(ApiTestCase):
    def _far_offset(self, run: SyncRun) -> float | None:
        run.refresh_from_db()
        assert run.status == SyncRun.Status.DONE, run.error_message
        return run.offsets.get(video__original_name="far.mp4").offset_s

    def test_cli_form_and_api_all_default_to_the_engines_whole_overlap(self) -> None:
        engine_default = inspect.signature(estimate_offsets).parameters["max_lag_s"].default
        assert DEFAULT_MAX_LAG_S is None and engine_default is DEFAULT_MAX_LAG_S
        paths = (str(self.clips["far_ref"]), str(self.clips["far"]))

        # Command line without --max-offset.
        code, payload = _cli_sync(*paths)
        assert code == EXIT_OK and payload["max_offset_s"] is None
        assert payload["offsets"]["far.mp4"] == pytest.approx(FAR_S, abs=0.002)

        # The portal's form, submitted as it is shown (its initial values).
        project = self.project_with("far_ref", "far", name="Portal")
        form = SyncRunForm(project=project)
        assert form["max_offset_s"].value() is None
        self.client.force_login(self.owner)
        page = self.client.get(reverse("project-detail", args=[project.pk]))
        field = page.content.decode().split('name="max_offset_s"')[1].split(">")[0]
        assert "value=" not in field and 'placeholder="whole overlap"' in field
        self.assertContains(page, "Empty (the default): search the whole overlap.")
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(
                reverse("run-start", args=[project.pk]),
                {
                    "method": "audio",
                    "reference": form["reference"].value(),
                    "max_offset_s": "",
                },
            )
        run = project.runs.get()
        assert run.max_offset_s is None
        assert self._far_offset(run) == pytest.approx(FAR_S, abs=0.002)
        self.assertContains(
            self.client.get(reverse("run-detail", args=[run.pk])),
            "<dt>Maximum offset</dt><dd>whole overlap</dd>",
        )

        # The API, max_offset_s omitted.
        project = self.project_with("far_ref", "far", name="API")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.call(
                "POST", reverse("api-run-list", args=[project.pk]), {"method": "audio"}
            )
        assert response.status_code == 201, response.content
        assert response.json()["max_offset_s"] is None
        run = project.runs.get()
        assert run.max_offset_s is None
        assert self._far_offset(run) == pytest.approx(FAR_S, abs=0.002)

    def test_a_maximum_offset_still_narrows_the_search(self) -> None:
        paths = (str(self.clips["far_ref"]), str(self.clips["far"]))
        _, payload = _cli_sync(*paths, "--max-offset", "20")
        offset = payload["offsets"]["far.mp4"]
        assert payload["max_offset_s"] == 20.0
        assert offset is None or offset <= 20.0 + 0.01  # 24 s lies outside the search

        project = self.project_with("far_ref", "far")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.call(
                "POST",
                reverse("api-run-list", args=[project.pk]),
                {"method": "audio", "max_offset_s": 20},
            )
        assert response.json()["max_offset_s"] == 20.0
        offset = self._far_offset(project.runs.get())
        assert offset is None or offset <= 20.0 + 0.01  # 24 s lies outside the search
