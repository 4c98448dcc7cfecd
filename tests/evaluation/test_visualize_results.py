"""visualize_results draws every chart from the hand-made results.json; plotting helpers."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from evaluation import compute_metrics, plotting
from evaluation import visualize_results as vr
from tests.evaluation import fixtures


def _assert_charts(plots_dir):
    for name, size in vr.PLOTS.items():
        path = plots_dir / name
        assert path.stat().st_size > 5_000, name  # axes, text and data, not a blank image
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.size == size, name
            colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
            assert colours is None or len(colours) > 20, name


def test_it_writes_every_chart_at_its_size_from_results_alone(tmp_path, capsys):
    root = fixtures.write_results(tmp_path)
    assert vr.main(["--preset", fixtures.PRESET, "--out", str(tmp_path)]) == 0
    _assert_charts(root / "plots")
    assert capsys.readouterr().out.count("wrote ") == len(vr.PLOTS)


def test_it_uses_metrics_json_when_present(tmp_path):
    root = fixtures.write_results(tmp_path)
    compute_metrics.main(["--preset", fixtures.PRESET, "--out", str(tmp_path)])
    metrics = json.loads((root / "metrics.json").read_text())
    paths = vr.write_plots(fixtures.results(), metrics, root / "plots")
    assert [p.name for p in paths] == list(vr.PLOTS)
    _assert_charts(root / "plots")


def test_the_error_cdf_levels_off_below_100_percent_for_failures(tmp_path):
    rows = vr.clip_rows(fixtures.results()["runs"])
    path = vr.plot_error_cdf(rows, ["audio", "visual"], tmp_path / "error_cdf.png")
    with Image.open(path) as image:
        rgb = image.convert("RGB")
        top_row = {"#{:02x}{:02x}{:02x}".format(*rgb.getpixel((x, 71))) for x in range(300, 950)}
    # visual synced all 4 syncable clips and reaches the 100 % line; audio synced 3 of 4
    assert plotting.PALETTE["visual"] in top_row
    assert plotting.PALETTE["audio"] not in top_row


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (-20, 20, [-20, -10, 0, 10, 20]),
        (-0.6, 2.6, [0, 1, 2]),
        (3, 7, [3, 4, 5, 6, 7]),
        (0.01, 0.05, [0.01, 0.02, 0.03, 0.04, 0.05]),
    ],
)
def test_linear_ticks_are_round_and_cover_the_range(lo, hi, expected):
    assert plotting.linear_ticks(lo, hi) == pytest.approx(expected)


def test_log_ticks_are_the_powers_of_ten_inside():
    assert plotting.log_ticks(0.005, 1000) == pytest.approx([0.01, 0.1, 1, 10, 100, 1000])


@pytest.mark.parametrize(("lo", "hi"), [(1, 1), (2, 1)])
def test_linear_ticks_reject_empty_ranges(lo, hi):
    with pytest.raises(ValueError, match="empty axis range"):
        plotting.linear_ticks(lo, hi)


def test_log_ticks_reject_non_positive_ranges():
    with pytest.raises(ValueError, match=r"log axis needs 0 < lo < hi, got \[0, 10\]"):
        plotting.log_ticks(0, 10)


@pytest.mark.parametrize(
    ("value", "label"), [(0, "0"), (0.01, "0.01"), (2.5, "2.5"), (100.0, "100"), (1e5, "1e+05")]
)
def test_tick_labels_are_short(value, label):
    assert plotting.tick_label(value) == label
