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


def _touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", encoding="utf-8")


def _roots_by_lookup(linter_root: Path | None, start: Path, names: list[str]) -> dict[str, str]:
    """Each file's project root, asked of a linter that has not walked the tree."""
    settings = resolve_settings(start)
    fresh = Linter(settings, linter_root, RunOptions(use_cache=False))
    return {name: fresh.root_of(name) for name in names}


def test_roots_seen_by_the_walk_are_those_a_lookup_finds(tmp_path: Path):
    """The walk notes each directory's nearest marker; grouping files by it must give the
    projects the upward lookup gives, markers of every kind and depth included."""
    tree = tmp_path / "tree"
    _touch(
        tree,
        "top.py",
        "loose/a.py",
        "svc/pyproject.toml",
        "svc/app/main.py",
        "svc/app/deep/er/x.py",
        "svc/nested/setup.cfg",
        "svc/nested/pkg/y.py",
        "lib/setup.py",
        "lib/lib/z.py",
        "repo/.git",  # a worktree's .git is a file
        "repo/src/w.py",
    )
    (tree / "dangling").mkdir()
    (tree / "dangling" / "pyproject.toml").symlink_to(tree / "missing.toml")  # not a marker
    _touch(tree, "dangling/d.py")
    (tree / "link.py").symlink_to(tree / "svc" / "app" / "main.py")

    for with_marker_above in (False, True):
        if with_marker_above:
            (tmp_path / "pyproject.toml").write_text("")
        settings = resolve_settings(tree)
        linter = Linter(settings, None, RunOptions(use_cache=False))
        linter.run([tree])
        names = linter._walked[1]
        walked = {name: linter.root_of(name) for name in names}
        assert walked == _roots_by_lookup(None, tree, names)
        assert walked[str(tree.resolve() / "svc" / "nested" / "pkg" / "y.py")] == str(tree.resolve() / "svc" / "nested")
        assert walked[str(tree.resolve() / "repo" / "src" / "w.py")] == str(tree.resolve() / "repo")


def test_a_walk_from_inside_a_project_finds_the_root_above_it(tmp_path: Path):
    _touch(tmp_path, "pyproject.toml", "app/api/routes.py", "app/models.py")
    settings = resolve_settings(tmp_path / "app" / "api")
    linter = Linter(settings, None, RunOptions(use_cache=False))
    linter.run([tmp_path / "app" / "api"])
    (name,) = linter._walked[1]
    assert linter.root_of(name) == str(tmp_path.resolve())
    root = tmp_path.resolve()
    assert linter.project_for(Path(name)).names == [str(root / "app/api/routes.py"), str(root / "app/models.py")]


def test_a_relative_project_root_is_the_same_project(tmp_path: Path, monkeypatch, capsys):
    """``--project-root .`` names the directory itself: modules resolve as with its full path."""
    from ownership_lint.cli import main

    app = tmp_path / "app"
    shutil.copytree(FIXTURES / "newer_syntax_app", app)
    monkeypatch.chdir(app)
    reports = []
    for root in (".", str(app)):
        main(["check", "--no-cache", "--output-format", "concise", "--project-root", root, "."])
        reports.append(capsys.readouterr().out)
    assert reports[0] == reports[1]
    assert "OWN302" in reports[0]
