"""visualize_results draws every chart (matplotlib, via syncengine.plots) from results.json."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from evaluation import compute_metrics
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


def _topmost_row(rgb: Image.Image, colour: str) -> int | None:
    """The highest pixel row (smallest y) where ``colour`` appears exactly, or None."""
    target = tuple(int(colour[k : k + 2], 16) for k in (1, 3, 5))
    pixels = np.asarray(rgb)
    rows = np.nonzero(np.all(pixels == target, axis=-1).any(axis=1))[0]
    return int(rows[0]) if rows.size else None


def test_the_error_cdf_levels_off_below_100_percent_for_failures(tmp_path):
    rows = vr.clip_rows(fixtures.results()["runs"])
    path = vr.plot_error_cdf(rows, ["audio", "visual"], tmp_path / "error_cdf.png")
    with Image.open(path) as image:
        rgb = image.convert("RGB")
    # visual synced all 4 syncable clips and reaches the 100 % line; audio synced 3 of 4 and stops
    # at 75 %, lower on the image (the legend, with both colours, sits at the lower right)
    visual, audio = _topmost_row(rgb, vr.PALETTE["visual"]), _topmost_row(rgb, vr.PALETTE["audio"])
    assert visual is not None and audio is not None
    assert audio - visual > 0.1 * rgb.height  # 25 % of an axis ~75 % of the image high


def test_the_peers_and_methods_have_one_colour_each():
    assert len(set(vr.PALETTE.values())) == len(vr.PALETTE)
    assert {"audio", "visual", "auto", "syncstart", "other"} <= set(vr.PALETTE)
