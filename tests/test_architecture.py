"""Layout rules: dependencies point one way (engine <- mediasynth <- evaluation; engine <- portal).

Each rule reads the import statements of the source files (every ``import`` in the file, inside
functions too), so a lazy import counts like one at the top.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "syncengine"
PORTAL = ROOT / "projects"
MEDIASYNTH = ROOT / "mediasynth"


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, dotted in full (``from a.b import c`` gives a.b and a.b.c)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _sources(*folders: Path) -> list[Path]:
    return sorted(
        p for folder in folders for p in folder.rglob("*.py") if "migrations" not in p.parts
    )


def _offenders(paths: Iterable[Path], *forbidden: str) -> list[str]:
    """``file: module`` for each import of a forbidden package (or a module inside it)."""
    return sorted(
        f"{p.relative_to(ROOT)}: {name}"
        for p in paths
        for name in _imports(p)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


def test_the_source_trees_exist() -> None:
    """The rules below read these folders: an empty glob would pass them all."""
    for folder in (ENGINE, PORTAL, MEDIASYNTH, PORTAL / "services"):
        assert len(_sources(folder)) >= 2, folder


def test_engine_imports_no_django_portal_or_evaluation() -> None:
    forbidden = ("django", "rest_framework", "django_q", "projects", "syncsite", "evaluation")
    assert _offenders(_sources(ENGINE), *forbidden) == []


def test_portal_imports_no_evaluation() -> None:
    assert _offenders(_sources(PORTAL, ROOT / "syncsite"), "evaluation") == []


def test_mediasynth_imports_no_django_portal_or_evaluation() -> None:
    forbidden = ("django", "rest_framework", "django_q", "projects", "syncsite", "evaluation")
    assert _offenders(_sources(MEDIASYNTH), *forbidden) == []


def test_services_and_selectors_import_no_api_views_or_tasks() -> None:
    """Views, the API and tasks call services, never the reverse (no import circles).

    One exception: ``projects.api.models`` holds the API token model of the ``api`` app (its own
    migrations); it is a model, not the HTTP layer.
    """
    paths = [*_sources(PORTAL / "services"), PORTAL / "selectors.py"]
    found = _offenders(paths, "projects.api", "projects.views", "projects.tasks")
    assert [f for f in found if not f.endswith(("projects.api.models", "models.ApiToken"))] == []


def test_only_the_queue_module_imports_django_q() -> None:
    users = sorted({p.split(":")[0] for p in _offenders(_sources(PORTAL), "django_q")})
    assert users == ["projects/queue.py"]


def test_only_media_module_starts_subprocesses() -> None:
    users = sorted(p.name for p in ENGINE.glob("*.py") if "subprocess" in _imports(p))
    assert users == ["media.py"]
