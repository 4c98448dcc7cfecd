"""Layout rules that keep the engine reusable outside Django."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "syncengine"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_engine_never_imports_django() -> None:
    offenders = [p.name for p in ENGINE.glob("*.py") if "django" in _imports(p)]
    assert offenders == []


def test_only_media_module_starts_subprocesses() -> None:
    users = sorted(p.name for p in ENGINE.glob("*.py") if "subprocess" in _imports(p))
    assert users == ["media.py"]
