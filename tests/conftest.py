"""Shared media fixtures: real clips rendered with ffmpeg at test time, with known offsets.

All clips of one world share seed 7; a camera's true offset against ``a`` is its ``start_s``
(``a`` starts at world time 0). Nothing binary is committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from mediasynth.clips import (
    CameraSpec,
    write_clips,
    write_disguised_concat,
    write_disguised_playlist,
    write_not_media,
    write_truncated,
)

SEED = 7
SMALL = {"width": 160, "height": 120}

CAMERAS = (
    CameraSpec("a", 0.0, 12.0, **SMALL),
    CameraSpec(
        "b_late",
        1.25,
        10.0,
        fps=30000 / 1001,
        sample_rate_hz=44100,
        channels=2,
        container="mov",
        crop=0.8,
        gain_db=-6.0,
        noise_db=-50.0,
        **SMALL,
    ),
    CameraSpec(
        "c_early",
        -2.4,
        10.0,
        fps=25.0,
        lowpass_hz=4000.0,
        reverb=True,
        container="mkv",
        brightness=0.1,
        **SMALL,
    ),
    CameraSpec("unrelated", 0.0, 10.0, audio="unrelated", video="unrelated", **SMALL),
    CameraSpec("noaudio", 3.1, 8.0, audio="none", **SMALL),
    CameraSpec("silent", 2.0, 8.0, audio="silent", **SMALL),
    CameraSpec("static", 1.0, 8.0, video="static", **SMALL),
    CameraSpec("tiny", 1.0, 0.4, **SMALL),
    # A chain: chain3 does not overlap a at all; it is placed through chain2.
    CameraSpec("chain2", 7.0, 10.0, **SMALL),
    CameraSpec("chain3", 14.5, 10.0, fps=60.0, **SMALL),
    # Partial overlap: 3.6 s of this 10 s clip overlap a (36 %).
    CameraSpec("partial", 8.4, 10.0, **SMALL),
)


@dataclass(frozen=True)
class Clips:
    folder: Path
    paths: dict[str, Path]

    def __getitem__(self, name: str) -> Path:
        return self.paths[name]

    def truth_s(self, name: str, reference: str = "a") -> float:
        by_name = {c.name: c for c in CAMERAS}
        return by_name[name].start_s - by_name[reference].start_s


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    folder = tmp_path_factory.mktemp("clips")
    paths = write_clips(CAMERAS, folder, seed=SEED)
    bad = folder / "bad"
    bad.mkdir()
    paths["truncated"] = write_truncated(paths["a"], bad / "truncated.mp4", keep_fraction=0.5)
    paths["not_media"] = write_not_media(bad / "notes.mp4")
    paths["playlist"] = write_disguised_playlist(bad / "playlist.mp4", target=paths["a"])
    paths["concat"] = write_disguised_concat(bad / "concat.mp4", target=paths["a"])
    empty = bad / "empty.mp4"
    empty.write_bytes(b"")
    paths["empty"] = empty
    return Clips(folder=folder, paths=paths)


# The test modules that run a second time on PostgreSQL (scripts/test's PostgreSQL phase,
# ``-m database``): where the database itself decides the outcome (constraints and races,
# row locks, compare-and-set claims, JSON fields, query counts, user scoping, migrations).
# Media-heavy flows (renders, timelines, uploads of many files) behave the same on both and
# run on SQLite only, which keeps the suite within its time.
DATABASE_MODULES = (
    "tests/api/test_races.py",
    "tests/api/test_projects.py",
    "tests/api/test_runs.py",
    "tests/api/test_tokens.py",
    "tests/api/test_videos.py",
    "tests/api/test_errors.py",
    "tests/api/test_cameras",
    "tests/projects/test_jobs.py",
    "tests/projects/test_services.py",
    "tests/projects/test_accounts.py",
    "tests/projects/test_admin.py",
    "tests/projects/test_project_list_queries.py",
    "tests/projects/test_views.py",
    "tests/projects/test_commands.py",
    "tests/projects/test_form_throttles.py",
    "tests/projects/test_scaleout.py",
    "tests/projects/test_cameras",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        where = Path(str(item.path)).relative_to(root).as_posix()
        if where.startswith(DATABASE_MODULES):
            item.add_marker(pytest.mark.database)


@pytest.fixture(scope="session")
def cut_copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Whole and cut-off copies of a 20 s clip, MP4 and MKV (tests.engine.decoder_faults)."""
    from tests.engine.decoder_faults import write_cut_copies

    return write_cut_copies(tmp_path_factory.mktemp("cut"))
