"""Which files form one project: the nearest marker upward, else the run's root."""

from __future__ import annotations

import shutil
from pathlib import Path

from ownership_lint.api import resolve_settings
from ownership_lint.engine import Linter, RunOptions

FIXTURES = Path(__file__).parent / "fixtures"


def diagnostics(root: Path, start: Path) -> list[tuple[str, int, str | None]]:
    settings = resolve_settings(start)
    result = Linter(settings, None, RunOptions(use_cache=False)).run([start])
    return sorted(
        (Path(d.filename).relative_to(root).as_posix(), d.location.row, d.code) for d in result.diagnostics
    )


def test_a_tree_without_markers_is_one_project(tmp_path: Path):
    with_marker = tmp_path / "with"
    without = tmp_path / "without"
    shutil.copytree(FIXTURES / "token_scoped_app", with_marker)
    shutil.copytree(FIXTURES / "token_scoped_app", without)
    (without / "pyproject.toml").unlink()
    expected = diagnostics(with_marker, with_marker)
    assert any(code and code.startswith("OWN3") for _, _, code in expected)
    assert diagnostics(without, without) == expected


def test_sibling_projects_resolve_their_own_modules(tmp_path: Path):
    for name in ("first", "second"):
        shutil.copytree(FIXTURES / "token_scoped_app", tmp_path / name)
    (tmp_path / "second" / "pyproject.toml").unlink()
    (tmp_path / "pyproject.toml").write_text("")
    found = diagnostics(tmp_path, tmp_path)
    first = [(path.removeprefix("first/"), row, code) for path, row, code in found if path.startswith("first/")]
    second = [(path.removeprefix("second/"), row, code) for path, row, code in found if path.startswith("second/")]
    assert first and first == second
