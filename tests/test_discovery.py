from __future__ import annotations

import os
from pathlib import Path

import pytest

from ownership_lint.discovery import Discovered, DiscoveryError, discover_files, matches_any, project_files
from ownership_lint.settings import Settings


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", encoding="utf-8")


def rel(result: Discovered, root: Path) -> list[str]:
    return [p.relative_to(root.resolve()).as_posix() for p in result.files]


def discover(root: Path, *paths: str, **settings: object) -> Discovered:
    return discover_files([root / p for p in paths or ["."]], Settings(**settings), root=root)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    return tmp_path


class TestExpansion:
    def test_directories_expand_to_sorted_python_and_stub_files(self, root: Path) -> None:
        touch(root, "b.py", "a/z.pyi", "a/y.py", "notes.txt", "a/data.json", "a/pyc.pyc")
        result = discover(root)
        assert rel(result, root) == ["a/y.py", "a/z.pyi", "b.py"]
        assert result.warnings == ()
        assert all(p.is_absolute() for p in result.files)

    def test_files_given_twice_are_listed_once(self, root: Path) -> None:
        touch(root, "a/x.py")
        assert rel(discover(root, "a", "a/x.py", "a/../a/x.py"), root) == ["a/x.py"]

    def test_relative_paths_resolve_against_the_working_directory(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        touch(root, "src/app.py")
        monkeypatch.chdir(root / "src")
        result = discover_files([Path("app.py"), Path(".")], Settings(), root=root)
        assert result.files == ((root / "src" / "app.py").resolve(),)

    def test_explicit_file_without_python_suffix_is_checked(self, root: Path) -> None:
        touch(root, "bin/manage")
        assert rel(discover(root, "bin/manage"), root) == ["bin/manage"]

    def test_project_files_lists_the_whole_project(self, root: Path) -> None:
        touch(root, "app/main.py", "app/models.py", ".venv/lib/x.py", "tests/fixtures/bad.py")
        files = project_files(root, Settings(extend_exclude=("tests/fixtures/",)))
        assert [p.relative_to(root).as_posix() for p in files] == ["app/main.py", "app/models.py"]


class TestExclude:
    @pytest.mark.parametrize(
        "path",
        [".venv/lib/x.py", "build/x.py", "pkg/build/x.py", "web/node_modules/m/x.py", "a/.git/hooks/h.py",
         "venv/x.py", "lib/site-packages/x.py", ".ownership_lint_cache/x.py", "dist/x.py"],
    )
    def test_default_excludes_at_any_depth(self, root: Path, path: str) -> None:
        touch(root, path, "keep.py")
        assert rel(discover(root), root) == ["keep.py"]

    def test_extend_exclude_anchored_pattern(self, root: Path) -> None:
        touch(root, "tests/fixtures/a.py", "other/tests/fixtures/b.py", "tests/test_x.py")
        result = discover(root, extend_exclude=("tests/fixtures/",))
        assert rel(result, root) == ["other/tests/fixtures/b.py", "tests/test_x.py"]

    def test_file_glob_and_negation(self, root: Path) -> None:
        touch(root, "a/gen_x.py", "a/gen_keep.py", "a/real.py")
        result = discover(root, extend_exclude=("gen_*.py", "!gen_keep.py"))
        assert rel(result, root) == ["a/gen_keep.py", "a/real.py"]

    def test_exclude_replaces_the_defaults(self, root: Path) -> None:
        touch(root, ".venv/x.py", "gen/y.py", "z.py")
        assert rel(discover(root, exclude=("gen",)), root) == [".venv/x.py", "z.py"]

    def test_patterns_are_relative_to_the_project_root(self, root: Path) -> None:
        touch(root, "svc/api/x.py", "api/y.py")
        assert rel(discover(root, "svc", extend_exclude=("/api",)), root) == ["svc/api/x.py"]


class TestExplicitPaths:
    def test_explicit_file_in_excluded_directory_is_checked(self, root: Path) -> None:
        touch(root, "build/gen.py")
        assert rel(discover(root, "build/gen.py"), root) == ["build/gen.py"]

    def test_force_exclude_skips_explicit_excluded_file(self, root: Path) -> None:
        touch(root, "build/gen.py", "app.py")
        assert rel(discover(root, "build/gen.py", "app.py", force_exclude=True), root) == ["app.py"]

    def test_explicit_excluded_directory_is_walked(self, root: Path) -> None:
        touch(root, "tests/fixtures/a.py", "tests/fixtures/build/b.py")
        result = discover(root, "tests/fixtures", extend_exclude=("tests/fixtures/",))
        assert rel(result, root) == ["tests/fixtures/a.py"]

    def test_force_exclude_skips_explicit_excluded_directory(self, root: Path) -> None:
        touch(root, "tests/fixtures/a.py")
        assert discover(root, "tests/fixtures", extend_exclude=("tests/fixtures/",), force_exclude=True).files == ()

    def test_explicit_gitignored_file_is_checked(self, root: Path) -> None:
        touch(root, "gen/x.py")
        (root / ".gitignore").write_text("gen/\n", encoding="utf-8")
        assert rel(discover(root, "gen/x.py", force_exclude=True), root) == ["gen/x.py"]

    def test_directory_outside_the_root(self, tmp_path: Path) -> None:
        project = tmp_path / "project"
        other = tmp_path / "build"
        touch(project, "pyproject.toml")
        touch(other, "a.py", "node_modules/b.py")
        result = discover_files([other], Settings(), root=project)
        assert [p.relative_to(tmp_path).as_posix() for p in result.files] == ["build/a.py"]

    def test_missing_path_is_an_error(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(root)
        with pytest.raises(DiscoveryError) as info:
            discover_files([Path("nope/x.py")], Settings(), root=root)
        assert str(info.value) == "nope/x.py: No such file or directory"


class TestGitignore:
    def test_root_gitignore(self, root: Path) -> None:
        touch(root, "gen/x.py", "secret_local.py", "app.py")
        (root / ".gitignore").write_text("# generated\ngen/\n*_local.py\n", encoding="utf-8")
        assert rel(discover(root), root) == ["app.py"]

    def test_nested_gitignore_is_relative_to_its_directory(self, root: Path) -> None:
        touch(root, "pkg/out/x.py", "out/y.py", "pkg/z.py")
        (root / "pkg" / ".gitignore").write_text("/out\n", encoding="utf-8")
        assert rel(discover(root), root) == ["out/y.py", "pkg/z.py"]

    def test_nested_negation_overrides_the_root(self, root: Path) -> None:
        touch(root, "a/keep.py", "a/drop.py")
        (root / ".gitignore").write_text("*.py\n", encoding="utf-8")
        (root / "a" / ".gitignore").write_text("!keep.py\n", encoding="utf-8")
        assert rel(discover(root), root) == ["a/keep.py"]

    def test_gitignore_of_the_repository_above_the_root(self, tmp_path: Path) -> None:
        (tmp_path / ".git").mkdir()
        (tmp_path / ".gitignore").write_text("migrations/\n", encoding="utf-8")
        project = tmp_path / "backend"
        touch(project, "pyproject.toml", "migrations/m.py", "app.py")
        assert rel(discover(project), project) == ["app.py"]

    def test_respect_gitignore_false(self, root: Path) -> None:
        touch(root, "gen/x.py")
        (root / ".gitignore").write_text("gen/\n", encoding="utf-8")
        assert rel(discover(root, respect_gitignore=False), root) == ["gen/x.py"]

    def test_walking_a_subdirectory_still_uses_the_root_gitignore(self, root: Path) -> None:
        touch(root, "src/gen/x.py", "src/ok.py")
        (root / ".gitignore").write_text("gen/\n", encoding="utf-8")
        assert rel(discover(root, "src"), root) == ["src/ok.py"]


class TestSymlinksAndErrors:
    def test_symlink_loop_terminates(self, root: Path) -> None:
        touch(root, "a/x.py")
        (root / "a" / "loop").symlink_to(root / "a", target_is_directory=True)
        assert rel(discover(root), root) == ["a/x.py"]

    def test_explicit_symlinked_file_is_checked(self, root: Path) -> None:
        touch(root, "real/x.py")
        (root / "link.py").symlink_to(root / "real" / "x.py")
        assert rel(discover(root, "link.py"), root) == ["real/x.py"]

    def test_broken_symlink_in_directory_is_a_warning(self, root: Path) -> None:
        touch(root, "ok.py")
        (root / "gone.py").symlink_to(root / "missing.py")
        result = discover(root)
        assert rel(result, root) == ["ok.py"]
        assert result.warnings == (f"{root.resolve() / 'gone.py'}: broken symbolic link",)

    def test_explicit_broken_symlink_is_a_warning(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(root)
        Path("gone.py").symlink_to("missing.py")
        result = discover_files([Path("gone.py")], Settings(), root=root)
        assert result == Discovered((), ("gone.py: broken symbolic link",))

    def test_explicit_symlink_loop_is_a_warning(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(root)
        Path("a.py").symlink_to("b.py")
        Path("b.py").symlink_to("a.py")
        assert discover_files([Path("a.py")], Settings(), root=root).warnings == ("a.py: symbolic link loop",)

    def test_unreadable_directory_is_an_error(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        touch(root, "ok.py", "locked/x.py")
        locked = str((root / "locked").resolve())
        real_scandir = os.scandir

        def scandir(path: str) -> object:
            if os.fspath(path) == locked:
                raise PermissionError(13, "Permission denied", path)
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
        result = discover(root)
        assert rel(result, root) == ["ok.py"]
        assert result.errors == (f"{locked}: cannot read the directory: Permission denied",)

    @pytest.mark.skipif(os.geteuid() == 0, reason="root reads every directory")
    def test_unreadable_directory_on_disk(self, root: Path) -> None:
        touch(root, "ok.py", "locked/x.py")
        (root / "locked").chmod(0)
        try:
            result = discover(root)
        finally:
            (root / "locked").chmod(0o755)
        assert rel(result, root) == ["ok.py"]
        assert result.errors == (f"{(root / 'locked').resolve()}: cannot read the directory: Permission denied",)


MATCHES = [
    ("tests/test_x.py", ["tests/**"], True),
    ("tests/unit/test_x.py", ["tests/**"], True),
    ("app/tests/test_x.py", ["tests/**"], False),
    ("stubs/x.pyi", ["*.pyi"], True),
    ("x.py", ["*.pyi"], False),
    ("routes/admin.py", ["routes/admin.py"], True),
    ("api/routes/admin.py", ["routes/admin.py"], False),
    ("api/routes/admin.py", ["admin.py"], True),
    ("app/main.py", ["!app/**"], False),
    ("lib/main.py", ["!app/**"], True),
    ("./tests/a.py", ["tests/*.py"], True),
    ("app/x.py", [], False),
    ("app/x.py", ["nope", "app/*"], True),
]


@pytest.mark.parametrize(
    ("path", "patterns", "expected"), MATCHES, ids=[f"{p}~{','.join(g) or 'none'}" for p, g, _ in MATCHES]
)
def test_matches_any(path: str, patterns: list[str], expected: bool) -> None:
    assert matches_any(path, patterns) is expected


PATTERN_SETS = [
    ("build", ".venv", "node_modules", "dist"),
    ("tests/fixtures/", "*.pyi", "/api", "gen_*.py", "a/**/b"),
    ("build", "docs/_build/", "# a comment", "", "weird name", "x[ab].py"),
    ("gen_*.py", "!gen_keep.py", "build"),  # a negation: the order matters
    ("*.py", "!keep.py", "!/top/"),
]
RELATIVE_PATHS = [
    "build/", "build/x.py", "pkg/build/", "pkg/build/x.py", "builder/x.py", "x/build.py", ".venv/",
    "tests/fixtures/", "tests/fixtures/a.py", "other/tests/fixtures/", "api/", "svc/api/", "stub.pyi",
    "a/b", "a/x/y/b", "a/x/b/", "gen_x.py", "gen_keep.py", "sub/gen_keep.py", "keep.py", "top/",
    "docs/_build/", "weird name/", "xa.py", "xc.py", "dist/",
]


@pytest.mark.parametrize("patterns", PATTERN_SETS, ids=lambda patterns: ",".join(patterns))
def test_excludes_match_as_pathspec_does(patterns: tuple[str, ...]) -> None:
    import pathspec

    from ownership_lint.discovery import _Excludes

    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    excludes = _Excludes(patterns)
    for rel in RELATIVE_PATHS:
        assert excludes.match(rel) == spec.match_file(rel), rel
        parents = rel.rstrip("/").split("/")[:-1]
        if not any(spec.match_file("/".join(parents[: i + 1]) + "/") for i in range(len(parents))):
            name = rel.rstrip("/").rsplit("/", 1)[-1]
            assert excludes.match_entry(rel, name) == spec.match_file(rel), rel


def test_path_order_is_the_order_of_paths() -> None:
    from ownership_lint.discovery import path_order

    names = ["/a/b", "/a-b/c", "/a/b.py", "/a.py", "/a/b/c", "/ab", "/a", "/a/é", "/a/Z", "/a/z", "/a/b c", "/a/b!"]
    assert sorted(names, key=path_order) == [str(path) for path in sorted(map(Path, names))]


def test_the_walk_notes_each_directory_s_project_root(root: Path) -> None:
    from ownership_lint.discovery import discover

    touch(root, "app/main.py", "svc/setup.cfg", "svc/lib/x.py", "build/skipped.py")
    found = discover([root], Settings(), root=root)
    top = str(root.resolve())
    assert found.roots == {
        top: top,
        f"{top}/app": top,
        f"{top}/svc": f"{top}/svc",
        f"{top}/svc/lib": f"{top}/svc",
    }
