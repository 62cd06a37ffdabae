"""Which files to check: ruff's rules for exclude patterns, .gitignore and explicit paths.

Discovery runs on every invocation, cached or not, so the walk works on plain strings with
``os.scandir``: exclude patterns are matched by a set lookup (plain names such as ``.venv``)
and one combined regular expression, each directory's .gitignore files are gathered once on
the way down, and each directory's project root is noted from the entries already listed.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .settings import PROJECT_MARKERS, Settings

if TYPE_CHECKING:
    import pathspec

PYTHON_SUFFIXES: tuple[str, ...] = (".py", ".pyi")
# A pattern that can only mean "a file or directory of this name, at any depth".
_PLAIN_NAME = re.compile(r"[\w.@%+=,~-]*[\w@%+=,~-][\w.@%+=,~-]*")
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


class DiscoveryError(Exception):
    """A path given on the command line does not exist."""


@dataclass(frozen=True)
class Discovered:
    files: tuple[Path, ...]
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()  # directories that could not be read: their files went unchecked


@dataclass(frozen=True)
class Found:
    """What ``discover`` found, as strings, with the project roots the walk saw."""

    files: list[str]  # in path order (``path_order``), deduplicated, absolute and resolved
    warnings: list[str]
    errors: list[str]
    # Each walked directory's nearest directory with a project marker, itself included;
    # None when there is none up to the filesystem root.
    roots: dict[str, str | None]


def path_order(name: str) -> str:
    """Sort key that orders path strings as ``Path`` objects compare, part by part: the
    parts joined by a character below any a file name can hold."""
    return os.path.normcase(name).replace(os.sep, "\0")


@lru_cache(maxsize=512)
def _compile(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    import pathspec

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


class _Excludes:
    """Exclude patterns with gitignore semantics, decided without pathspec's per-pattern loop.

    Plain names match a path with a part of that name; the other patterns are joined into
    one regular expression. With a negation (``!keep.py``) the order of the patterns
    matters, and the whole list goes through pathspec.
    """

    def __init__(self, patterns: Sequence[str]) -> None:
        self.names = frozenset(p for p in patterns if _PLAIN_NAME.fullmatch(p))
        self.regex: re.Pattern[str] | None = None
        self.spec: pathspec.GitIgnoreSpec | None = None
        others = tuple(p for p in patterns if p not in self.names)
        if others:
            self.regex = _combined(_compile(others))
            if self.regex is None:
                self.names, self.spec = frozenset(), _compile(tuple(patterns))

    def match(self, rel: str) -> bool:
        """Whether the path ``rel`` (relative, ``/``-separated, ``/``-terminated for a
        directory) is excluded."""
        if self.spec is not None:
            return self.spec.match_file(rel)
        if self.names and not self.names.isdisjoint(rel.split("/")):
            return True
        return self.regex is not None and self.regex.search(rel) is not None

    def match_entry(self, rel: str, name: str) -> bool:
        """``match`` for an entry of a walked directory: its parents did not match."""
        if self.spec is not None:
            return self.spec.match_file(rel)
        return name in self.names or (self.regex is not None and self.regex.search(rel) is not None)


def _combined(spec: pathspec.GitIgnoreSpec) -> re.Pattern[str] | None:
    """One expression matching where any pattern of ``spec`` matches; None when a pattern
    negates or is not a regular expression (the order of the patterns then matters)."""
    parts, flags = [], set()
    for pattern in spec.patterns:
        if pattern.include is None:
            continue  # a comment or a blank line
        regex = getattr(pattern, "regex", None)
        if not pattern.include or not isinstance(regex, re.Pattern) or not isinstance(regex.pattern, str):
            return None
        parts.append(f"(?:{_NAMED_GROUP.sub('(?:', regex.pattern)})")
        flags.add(regex.flags)
    if not parts:
        return re.compile(r"(?!)")
    if len(flags) > 1:
        return None
    try:
        return re.compile("|".join(parts), flags.pop())
    except re.error:
        return None


def _load_gitignore(path: str) -> pathspec.GitIgnoreSpec | None:
    import pathspec

    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError:
        return pathspec.GitIgnoreSpec.from_lines(line for line in lines if _valid_line(line))


def _valid_line(line: str) -> bool:
    import pathspec

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


def _exists(path: str) -> bool:
    return os.path.exists(path)


def _git_top(root: str) -> str:
    directory = root
    while True:
        if _exists(os.path.join(directory, ".git")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return root
        directory = parent


def marked_directory(directory: str) -> str | None:
    """The nearest of ``directory`` and its parents holding a project marker, else None."""
    while True:
        if any(_exists(os.path.join(directory, marker)) for marker in PROJECT_MARKERS):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def is_within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(_prefix(directory))


def _prefix(directory: str) -> str:
    return directory if directory.endswith(os.sep) else directory + os.sep


def _relative_string(path: str, base: str, is_dir: bool) -> str:
    if path == base:
        return "."
    prefix = _prefix(base)
    rel = path[len(prefix) :] if path.startswith(prefix) else os.path.relpath(path, base)
    rel = rel.replace(os.sep, "/")
    return rel + "/" if is_dir else rel


@dataclass(frozen=True)
class _Scope:
    """Paths are matched relative to ``base``; .gitignore files apply from ``top`` down."""

    base: str
    top: str


# The .gitignore files that apply in a directory, nearest first: (their directory, spec).
_Ignores = tuple[tuple[str, "pathspec.GitIgnoreSpec"], ...]


class _Walker:
    def __init__(self, settings: Settings, root: str) -> None:
        self.settings = settings
        self.root = root
        self.exclude = _Excludes(settings.all_excludes)
        self.git_top = _git_top(root)
        self.gitignores: dict[str, pathspec.GitIgnoreSpec | None] = {}
        self.roots: dict[str, str | None] = {}
        self.warnings: list[str] = []
        self.errors: list[str] = []

    # Single paths (explicit arguments)

    def excluded(self, path: str, is_dir: bool, base: str) -> bool:
        rel = _relative_string(path, base, is_dir)
        return rel != "." and self.exclude.match(rel)

    def _gitignored(self, path: str, is_dir: bool, top: str) -> bool:
        if not self.settings.respect_gitignore:
            return False
        for directory, spec in self._ignores_above(path, top):
            verdict = _verdict(spec, _relative_string(path, directory, is_dir))
            if verdict is not None:
                return verdict
        return False

    def _ignores_above(self, path: str, top: str) -> _Ignores:
        """The .gitignore files of the directories from ``path``'s parent up to ``top``."""
        found = []
        directory = os.path.dirname(path)
        while True:
            spec = self._gitignore(directory)
            if spec is not None:
                found.append((directory, spec))
            if directory == top or len(directory) <= len(top):
                return tuple(found)
            parent = os.path.dirname(directory)
            if parent == directory:
                return tuple(found)
            directory = parent

    def _gitignore(self, directory: str) -> pathspec.GitIgnoreSpec | None:
        if directory not in self.gitignores:
            candidate = os.path.join(directory, ".gitignore")
            self.gitignores[directory] = _load_gitignore(candidate) if os.path.isfile(candidate) else None
        return self.gitignores[directory]

    def hidden(self, path: str, is_dir: bool, scope: _Scope) -> bool:
        return self.excluded(path, is_dir, scope.base) or self._gitignored(path, is_dir, scope.top)

    def scope_for(self, directory: str) -> _Scope | None:
        if not is_within(directory, self.root):
            return _Scope(directory, directory)
        if self.settings.force_exclude and self.excluded(directory, True, self.root):
            return None
        scope = _Scope(self.root, self.git_top)
        if self.hidden(directory, True, scope):
            return _Scope(directory, directory)
        return scope

    def explicit_file(self, path: str) -> bool:
        if not self.settings.force_exclude:
            return True
        base = self.root if is_within(path, self.root) else os.path.dirname(path)
        return not self.excluded(path, False, base)

    # The walk

    def walk(self, top: str, scope: _Scope) -> Iterator[str]:
        """The files under ``top``; each directory is listed once, and what applies to its
        entries (its root-relative path, .gitignore files, project root) is handed down."""
        pending = [self._start(top, scope)]
        while pending:
            directory, rel, ignores, marked = pending.pop()
            entries = self._entries(directory)
            if entries is None:
                continue
            if _has_marker(entries):
                marked = directory
            self.roots[directory] = marked
            ignores = self._with_own_gitignore(directory, entries, ignores)
            subdirectories = []
            for entry in entries:
                name = entry.name
                if entry.is_dir(follow_symlinks=False):
                    child = rel + name + "/"
                    if not self._hidden_entry(entry.path, child, name, True, ignores):
                        subdirectories.append((entry.path, child, ignores, marked))
                elif name.endswith(PYTHON_SUFFIXES):
                    found = self._walked_file(entry, rel + name, ignores)
                    if found is not None:
                        yield found
            pending.extend(reversed(subdirectories))

    def _start(self, top: str, scope: _Scope) -> tuple[str, str, _Ignores, str | None]:
        rel = _relative_string(top, scope.base, True)
        ignores: _Ignores = ()
        if self.settings.respect_gitignore and top != scope.top:
            ignores = self._ignores_above(top, scope.top)
        return top, "" if rel == "." else rel, ignores, marked_directory(os.path.dirname(top))

    def _entries(self, directory: str) -> list[os.DirEntry] | None:
        try:
            return sorted(os.scandir(directory), key=_name)
        except OSError as error:
            self.errors.append(f"{directory}: cannot read the directory: {error.strerror or error}")
            return None

    def _with_own_gitignore(self, directory: str, entries: list[os.DirEntry], ignores: _Ignores) -> _Ignores:
        if not self.settings.respect_gitignore:
            return ignores
        if not any(entry.name == ".gitignore" and entry.is_file() for entry in entries):
            return ignores
        spec = self._gitignore(directory)
        return ignores if spec is None else ((directory, spec), *ignores)

    def _hidden_entry(self, path: str, rel: str, name: str, is_dir: bool, ignores: _Ignores) -> bool:
        if self.exclude.match_entry(rel, name):
            return True
        for directory, spec in ignores:
            verdict = _verdict(spec, _relative_string(path, directory, is_dir))
            if verdict is not None:
                return verdict
        return False

    def _walked_file(self, entry: os.DirEntry, rel: str, ignores: _Ignores) -> str | None:
        if self._hidden_entry(entry.path, rel, entry.name, False, ignores):
            return None
        if entry.is_symlink():
            if not os.path.exists(entry.path):
                self.warnings.append(f"{entry.path}: {_dangling(entry.path)}")
                return None
            return os.path.realpath(entry.path)
        return entry.path


def _name(entry: os.DirEntry) -> str:
    return entry.name


def _has_marker(entries: list[os.DirEntry]) -> bool:
    return any(
        entry.name in PROJECT_MARKERS and (not entry.is_symlink() or os.path.exists(entry.path))
        for entry in entries
    )


def _dangling(path: str | Path) -> str:
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "symbolic link loop"
    return "broken symbolic link"


def _explicit(walker: _Walker, given: Path) -> Iterator[str]:
    if not os.path.lexists(given):
        raise DiscoveryError(f"{given}: No such file or directory")
    if not os.path.exists(given):
        walker.warnings.append(f"{given}: {_dangling(given)}")
        return
    path = os.path.realpath(given)
    if os.path.isdir(path):
        scope = walker.scope_for(path)
        if scope is not None:
            yield from walker.walk(path, scope)
    elif walker.explicit_file(path):
        yield path


def discover(paths: Sequence[Path], settings: Settings, *, root: Path) -> Found:
    """Python files to check under ``paths`` (files given explicitly are always checked,
    unless ``force_exclude``)."""
    walker = _Walker(settings, os.path.realpath(root))
    found = {file for given in paths for file in _explicit(walker, Path(given))}
    return Found(sorted(found, key=path_order), walker.warnings, walker.errors, walker.roots)


def discover_files(paths: Sequence[Path], settings: Settings, *, root: Path) -> Discovered:
    """``discover``, as paths: sorted, deduplicated, absolute and resolved."""
    found = discover(paths, settings, root=root)
    return Discovered(tuple(map(Path, found.files)), tuple(found.warnings), tuple(found.errors))


def project_file_names(root: str, settings: Settings) -> list[str]:
    """Every Python file of the project, for the cross-file index, in path order."""
    return discover([Path(root)], settings, root=Path(root)).files


def project_files(root: Path, settings: Settings) -> list[Path]:
    return [Path(name) for name in project_file_names(str(root), settings)]


def is_force_excluded(path: Path, settings: Settings, root: Path) -> bool:
    """Whether ``--force-exclude`` keeps ``path`` (which need not exist) from being checked,
    as it would when the path is given on the command line (``--stdin-filename``)."""
    return not _Walker(settings, os.path.realpath(root)).explicit_file(os.fspath(path))
