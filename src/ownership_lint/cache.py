"""The on-disk cache: a file's diagnostics, keyed by its content and by what its analysis read.

One pickle per project root, tool version and settings under ``.ownership_lint_cache/``
(``CACHEDIR.TAG`` and a ``.gitignore`` inside, like ruff's). An entry holds the content hash
of the file, the relative paths of every project module its analysis consulted (routers,
models, dependencies in other files) and the project-wide byte scans it relied on; it is
reused only while all of those are unchanged, so an edit to a model or a router prefix in one
file re-checks the files whose diagnostics depend on it. A run that sees a file change keeps
only the entries that change leaves valid, so a run over a few files cannot hide the change
from the next run over the others. Writes are atomic; an unreadable or corrupt cache is
ignored.

Every run of the tool loads the caches of the projects it checks, so they hold plain values
(tuples, strings, numbers), which unpickle several times faster than objects; a pickle that
names any class is refused.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field

from .diagnostics import Applicability, Diagnostic, Edit, Fix, Location

_FORMAT = 2
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by ownership-lint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)

# (mtime_ns, size, content hash, the project.NEEDLES bit mask of the content)
FileState = tuple[int, int, str, int]
# (content hash, relative paths of the modules the analysis consulted, the byte scans it
# relied on, the diagnostics as ``pack`` makes them)
Entry = tuple[str, frozenset[str], int, tuple[tuple, ...]]


try:  # hashlib's own blake2b, without hashlib's loading of OpenSSL (milliseconds a run)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b


def content_hash(data: bytes) -> str:
    return blake2b(data, digest_size=16).hexdigest()


@dataclass
class ProjectCache:
    path: str
    files: dict[str, FileState] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str) -> ProjectCache:
        try:
            with open(path, "rb") as handle:
                data = _PlainUnpickler(handle).load()
            if data.get("format") == _FORMAT:
                return cls(path, data["files"], data["entries"])
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, KeyError, TypeError, ValueError, ImportError, IndexError):
            pass
        return cls(path)

    def save(self) -> None:
        import tempfile

        directory = os.path.dirname(self.path)
        try:
            _ensure_cache_dir(os.path.dirname(directory))
            os.makedirs(directory, exist_ok=True)
            data = {"format": _FORMAT, "files": self.files, "entries": _shared_names(self.files, self.entries)}
            handle, temp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
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
        digest, depends_on, needles, _ = entry
        if (changed and not depends_on.isdisjoint(changed)) or needles & changed_needles:
            return None
        state = self.files.get(relative)
        return entry if state is not None and state[2] == digest else None

    def keep_valid(self, states: dict[str, FileState], changed: frozenset[str], changed_needles: int) -> None:
        """Drop the entries that the changes from ``files`` to ``states`` make stale; then
        ``states`` are the files' states."""
        self.entries = {
            relative: entry
            for relative, entry in self.entries.items()
            if relative in states and self.reusable(relative, changed, changed_needles) is not None
        }
        self.files = states


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        raise pickle.UnpicklingError(f"not a cache of this format: it names {module}.{name}")


def _shared_names(files: dict[str, FileState], entries: dict[str, Entry]) -> dict[str, Entry]:
    """``entries`` with each relative path the same string object as in ``files``: pickle
    then writes each path once, and the dependencies of an entry cost a reference each."""
    names = {name: name for name in files}
    return {
        names.get(relative, relative): (digest, frozenset(names.get(m, m) for m in depends_on), needles, diagnostics)
        for relative, (digest, depends_on, needles, diagnostics) in entries.items()
    }


def entry(digest: str, depends_on: frozenset[str], needles: int, diagnostics: tuple[Diagnostic, ...]) -> Entry:
    return digest, depends_on, needles, tuple(map(pack, diagnostics))


def pack(diagnostic: Diagnostic) -> tuple:
    """The diagnostic as plain values; the file name is not kept (the entry's file has it)."""
    d = diagnostic
    fix = None
    if d.fix is not None:
        edits = tuple((e.content, *_point(e.location), *_point(e.end_location)) for e in d.fix.edits)
        fix = (d.fix.applicability.value, d.fix.message, edits)
    return (
        d.code, d.name, d.message, *_point(d.location), *_point(d.end_location), fix, d.fix_title,
        d.noqa_row, d.extra_noqa_rows, d.url,
    )


def unpack(packed: tuple, filename: str) -> Diagnostic:
    code, name, message, row, column, end_row, end_column, fix, fix_title, noqa_row, extra, url = packed
    return Diagnostic(
        code=code,
        name=name,
        message=message,
        filename=filename,
        location=Location(row, column),
        end_location=Location(end_row, end_column),
        fix=_unpack_fix(fix) if fix is not None else None,
        fix_title=fix_title,
        noqa_row=noqa_row,
        extra_noqa_rows=extra,
        url=url,
    )


def _unpack_fix(packed: tuple) -> Fix:
    applicability, message, edits = packed
    return Fix(
        Applicability(applicability),
        message,
        tuple(Edit(content, Location(r, c), Location(end_r, end_c)) for content, r, c, end_r, end_c in edits),
    )


def _point(location: Location) -> tuple[int, int]:
    return location.row, location.column


def cache_file(cache_dir: str, version: str, key: str) -> str:
    return os.path.join(cache_dir, version, f"{key}-{_FORMAT}.pickle")


def settings_key(*parts: object) -> str:
    return content_hash(repr(parts).encode("utf-8"))


def _ensure_cache_dir(directory: str) -> None:
    os.makedirs(directory, exist_ok=True)
    tag = os.path.join(directory, "CACHEDIR.TAG")
    if not os.path.exists(tag):
        with open(tag, "w", encoding="utf-8") as handle:
            handle.write(CACHEDIR_TAG)
    ignore = os.path.join(directory, ".gitignore")
    if not os.path.exists(ignore):
        with open(ignore, "w", encoding="utf-8") as handle:
            handle.write("# Automatically created by ownership-lint.\n*\n")
