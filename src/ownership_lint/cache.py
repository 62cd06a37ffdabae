"""The on-disk cache: a file's diagnostics, keyed by its content and by what its analysis read.

One pickle per project root, tool version and settings under ``.ownership_lint_cache/``
(``CACHEDIR.TAG`` and a ``.gitignore`` inside, like ruff's). An entry holds the content hash
of the file, the hashes of every project module its analysis consulted (routers, models,
dependencies in other files) and the project-wide byte scans it relied on; it is reused only
while all of those are unchanged, so an edit to a model or a router prefix in one file
re-checks the files whose diagnostics depend on it. Writes are atomic; an unreadable or
corrupt cache is ignored.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostic

_FORMAT = 1
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by ownership-lint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True)
class FileState:
    mtime_ns: int
    size: int
    digest: str
    needles: int  # the project.NEEDLES bit mask of the content


@dataclass(frozen=True)
class Entry:
    digest: str
    depends_on: frozenset[str]  # relative paths of the modules the analysis consulted
    needles: int  # byte scans the analysis relied on
    diagnostics: tuple[Diagnostic, ...]


@dataclass
class ProjectCache:
    path: Path
    files: dict[str, FileState] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> ProjectCache:
        try:
            with path.open("rb") as handle:
                data = pickle.load(handle)
            if data.get("format") == _FORMAT:
                return cls(path, data["files"], data["entries"])
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, KeyError, TypeError, ValueError, ImportError, IndexError):
            pass
        return cls(path)

    def save(self) -> None:
        try:
            _ensure_cache_dir(self.path.parents[1])
            self.path.parent.mkdir(parents=True, exist_ok=True)
            data = {"format": _FORMAT, "files": self.files, "entries": self.entries}
            handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(data, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, self.path)
        except OSError:
            pass  # a read-only tree still gets its diagnostics, only slower next time

    def reusable(self, relative: str, changed: frozenset[str], changed_needles: int) -> Entry | None:
        """The entry for ``relative`` when nothing it depends on changed."""
        entry = self.entries.get(relative)
        if entry is None or relative in changed:
            return None
        if entry.depends_on & changed or entry.needles & changed_needles:
            return None
        state = self.files.get(relative)
        return entry if state is not None and state.digest == entry.digest else None


def cache_file(cache_dir: Path, version: str, key: str) -> Path:
    return cache_dir / version / f"{key}.pickle"


def settings_key(*parts: object) -> str:
    return content_hash(repr(parts).encode("utf-8"))


def _ensure_cache_dir(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    tag = directory / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_text(CACHEDIR_TAG, encoding="utf-8")
    ignore = directory / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Automatically created by ownership-lint.\n*\n", encoding="utf-8")
