"""One owner per constant: the portal, the CLI and evaluation use the engine's tuples."""

from __future__ import annotations

import pytest

from evaluation import compute_metrics
from projects.api.renders import RenderStartApi
from projects.forms import RenderForm
from projects.models import Render
from projects.views import present
from syncengine import calibration, cli, confidence, constants, sync, timeline


def test_render_modes_are_the_engines_everywhere() -> None:
    assert [value for value, _ in RenderForm().fields["mode"].choices] == list(
        constants.RENDER_MODES
    )
    assert RenderForm().fields["mode"].initial == constants.RENDER_MODES[0]
    serializer = RenderStartApi.InputSerializer()
    assert list(serializer.fields["mode"].choices) == list(constants.RENDER_MODES)
    assert serializer.fields["mode"].default == constants.RENDER_MODES[0]
    assert timeline.MODES == constants.RENDER_MODES
    assert tuple(Render.Mode.values) == constants.RENDER_MODES
    field = Render._meta.get_field("mode")
    assert [value for value, _ in field.choices] == list(constants.RENDER_MODES)
    assert field.default == constants.RENDER_MODES[0]
    render = cli._parser()._subparsers._group_actions[0].choices["render"]
    mode = next(a for a in render._actions if a.dest == "mode")
    assert tuple(mode.choices) == constants.RENDER_MODES and mode.default == "union"


def test_the_bands_have_one_owner() -> None:
    assert confidence.band is constants.band
    assert confidence.SYNCED_THRESHOLD == constants.SYNCED_THRESHOLD
    assert calibration.BAND_EDGES == (0.0, 0.2, 0.5, 0.8, 1.0) == constants.BAND_EDGES
    assert [(name, lo) for name, lo, _ in compute_metrics.BANDS] == [
        (name, edge) for edge, name in reversed(constants.CONFIDENCE_BANDS)
    ]
    assert compute_metrics.REFUSED_BELOW == constants.SYNCED_THRESHOLD
    # The run page's legend is built from the engine's bands, in their order.
    assert [b["name"] for b in present.band_legend()] == [n for _, n in constants.CONFIDENCE_BANDS]
    assert [b["text"] for b in present.band_legend()] == [
        "excellent ≥ 0.8",
        "good ≥ 0.5",
        "fair ≥ 0.2",
        "poor < 0.2 (not synced)",
    ]
    assert present.LOW_CONFIDENCE == 0.5  # the edge of "good"


@pytest.mark.parametrize(
    ("value", "shown", "band"),
    [
        (0.5, "0.50", "good"),
        (0.4996, "0.49", "fair"),  # rounded to nearest it would read 0.50 beside "fair"
        (0.8, "0.80", "excellent"),
        (0.79999, "0.79", "good"),
        (0.2, "0.20", "fair"),
        (0.1999, "0.19", "poor"),
        (0.29, "0.29", "fair"),  # 0.29 * 100 is 28.999...: not shown as 0.28
        (1.0, "1.00", "excellent"),
        (0.0, "0.00", "poor"),
    ],
)
def test_a_confidence_shown_is_in_the_band_its_label_names(
    value: float, shown: str, band: str
) -> None:
    assert present.confidence_text(value) == shown
    assert constants.band(value) == band
    assert constants.band(float(shown)) == band  # the number read back has the same band


def test_thresholds_and_defaults_are_the_engines() -> None:
    assert present.DISAGREEMENT_S == constants.AGREEMENT_S == sync.AGREEMENT_S == 0.1
    assert present.PLAYER_DEFAULT_FPS == constants.FALLBACK_FPS
    assert sync.DEFAULT_MAX_LAG_S is constants.DEFAULT_MAX_LAG_S
    assert cli._parser().parse_args(["sync", "x.mp4", "y.mp4"]).max_offset is (
        constants.DEFAULT_MAX_LAG_S
    )
