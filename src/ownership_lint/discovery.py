"""Which files to check: ruff's rules for exclude patterns, .gitignore and explicit paths."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pathspec

from .settings import Settings

PYTHON_SUFFIXES: tuple[str, ...] = (".py", ".pyi")


class DiscoveryError(Exception):
    """A path given on the command line does not exist."""


@dataclass(frozen=True)
class Discovered:
    files: tuple[Path, ...]
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()  # directories that could not be read: their files went unchecked


@lru_cache(maxsize=512)
def _compile(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def matches_any(path_rel: str, patterns: Iterable[str]) -> bool:
    """Whether a root-relative path matches one of ruff-style per-file-ignores globs.

    Gitignore semantics: ``tests/**`` and ``routes/admin.py`` are anchored at the root, a
    pattern without a slash (``*.pyi``) matches the basename at any depth; ``!pattern``
    matches every path the pattern does not.
    """
    path_rel = path_rel.replace(os.sep, "/").removeprefix("./")
    for pattern in patterns:
        negated = pattern.startswith("!")
        if _compile((pattern.removeprefix("!"),)).match_file(path_rel) != negated:
            return True
    return False


def _load_gitignore(path: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError:
        return pathspec.GitIgnoreSpec.from_lines(line for line in lines if _valid_line(line))


def _valid_line(line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except ValueError:
        return False
    return True


def _verdict(spec: pathspec.GitIgnoreSpec, rel: str) -> bool | None:
    """True ignored, False re-included by a ``!`` pattern, None when no pattern decides."""
    if hasattr(spec, "check_file"):
        return spec.check_file(rel).include
    return True if spec.match_file(rel) else None


def _git_top(root: Path) -> Path:
    for directory in (root, *root.parents):
        if (directory / ".git").exists():
            return directory
    return root


@dataclass(frozen=True)
class _Scope:
    """Paths are matched relative to ``base``; .gitignore files apply from ``top`` down."""

    base: Path
    top: Path


class _Walker:
    """Walks directories with ``os.scandir`` and plain strings: discovery runs on every
    invocation, cached or not, so it must cost little more than listing the tree."""

    def __init__(self, settings: Settings, root: Path) -> None:
        self.settings = settings
        self.root = root
        self.exclude = pathspec.GitIgnoreSpec.from_lines(settings.all_excludes)
        self.git_top = _git_top(root)
        self.gitignores: dict[str, pathspec.GitIgnoreSpec | None] = {}
        self.warnings: list[str] = []
        self.errors: list[str] = []

    def excluded(self, path: Path, is_dir: bool, base: Path) -> bool:
        return self._excluded(str(path), is_dir, str(base))

    def _excluded(self, path: str, is_dir: bool, base: str) -> bool:
        rel = _relative_string(path, base, is_dir)
        return rel != "." and self.exclude.match_file(rel)

    def _gitignored(self, path: str, is_dir: bool, top: str) -> bool:
        if not self.settings.respect_gitignore:
            return False
        directory = os.path.dirname(path)
        while True:
            spec = self._gitignore(directory)
            if spec is not None:
                verdict = _verdict(spec, _relative_string(path, directory, is_dir))
                if verdict is not None:
                    return verdict
            if directory == top or len(directory) <= len(top):
                return False
            parent = os.path.dirname(directory)
            if parent == directory:
                return False
            directory = parent

    def _gitignore(self, directory: str) -> pathspec.GitIgnoreSpec | None:
        if directory not in self.gitignores:
            candidate = os.path.join(directory, ".gitignore")
            self.gitignores[directory] = (
                _load_gitignore(Path(candidate)) if os.path.isfile(candidate) else None
            )
        return self.gitignores[directory]

    def hidden(self, path: Path, is_dir: bool, scope: _Scope) -> bool:
        return self._hidden(str(path), is_dir, str(scope.base), str(scope.top))

    def _hidden(self, path: str, is_dir: bool, base: str, top: str) -> bool:
        return self._excluded(path, is_dir, base) or self._gitignored(path, is_dir, top)

    def scope_for(self, directory: Path) -> _Scope | None:
        if not directory.is_relative_to(self.root):
            return _Scope(directory, directory)
        if self.settings.force_exclude and self.excluded(directory, True, self.root):
            return None
        scope = _Scope(self.root, self.git_top)
        if self.hidden(directory, True, scope):
            return _Scope(directory, directory)
        return scope

    def explicit_file(self, path: Path) -> bool:
        if not self.settings.force_exclude:
            return True
        base = self.root if path.is_relative_to(self.root) else path.parent
        return not self.excluded(path, False, base)

    def walk(self, top: Path, scope: _Scope) -> Iterator[Path]:
        base, git_top = str(scope.base), str(scope.top)
        pending = [str(top)]
        while pending:
            directory = pending.pop()
            try:
                entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
            except OSError as error:
                self.errors.append(f"{directory}: cannot read the directory: {error.strerror or error}")
                continue
            subdirectories = []
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if not self._hidden(entry.path, True, base, git_top):
                        subdirectories.append(entry.path)
                elif entry.name.endswith(PYTHON_SUFFIXES):
                    found = self._walked_file(entry, base, git_top)
                    if found is not None:
                        yield found
            pending.extend(reversed(subdirectories))

    def _walked_file(self, entry: os.DirEntry, base: str, top: str) -> Path | None:
        if self._hidden(entry.path, False, base, top):
            return None
        if entry.is_symlink():
            if not os.path.exists(entry.path):
                self.warnings.append(f"{entry.path}: {_dangling(entry.path)}")
                return None
            return Path(os.path.realpath(entry.path))
        return Path(entry.path)


def _dangling(path: str | Path) -> str:
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "symbolic link loop"
    return "broken symbolic link"


def _relative_string(path: str, base: str, is_dir: bool) -> str:
    if path == base:
        return "."
    prefix = base if base.endswith(os.sep) else base + os.sep
    rel = path[len(prefix) :] if path.startswith(prefix) else os.path.relpath(path, base)
    rel = rel.replace(os.sep, "/")
    return rel + "/" if is_dir else rel


def _explicit(walker: _Walker, given: Path) -> Iterator[Path]:
    if not os.path.lexists(given):
        raise DiscoveryError(f"{given}: No such file or directory")
    if not given.exists():
        walker.warnings.append(f"{given}: {_dangling(given)}")
        return
    path = given.resolve()
    if path.is_dir():
        scope = walker.scope_for(path)
        if scope is not None:
            yield from walker.walk(path, scope)
    elif walker.explicit_file(path):
        yield path


def discover_files(paths: Sequence[Path], settings: Settings, *, root: Path) -> Discovered:
    """Python files to check under ``paths`` (files given explicitly are always checked,
    unless ``force_exclude``); sorted, deduplicated, absolute and resolved."""
    walker = _Walker(settings, root.resolve())
    found = {file for given in paths for file in _explicit(walker, Path(given))}
    return Discovered(tuple(sorted(found)), tuple(walker.warnings), tuple(walker.errors))


def project_files(root: Path, settings: Settings) -> list[Path]:
    """Every Python file of the project, for the cross-file index."""
    return list(discover_files([root], settings, root=root).files)


def is_force_excluded(path: Path, settings: Settings, root: Path) -> bool:
    """Whether ``--force-exclude`` keeps ``path`` (which need not exist) from being checked,
    as it would when the path is given on the command line (``--stdin-filename``)."""
    return not _Walker(settings, root.resolve()).explicit_file(path)
