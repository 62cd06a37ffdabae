"""The on-disk cache: a file's diagnostics, keyed by its content and by what its analysis read.

One pickle per project root, tool version and settings under ``.ownership_lint_cache/``
(``CACHEDIR.TAG`` and a ``.gitignore`` inside, like ruff's). An entry holds the content hash
of the file, every project module its analysis consulted (routers, models, dependencies in
other files; a bit each, over the project's files in ``order``) and the project-wide byte
scans it relied on; it is reused only while all of those are unchanged, so an edit to a model
or a router prefix in one file re-checks the files whose diagnostics depend on it. A run that
sees a file change keeps only the entries that change leaves valid, so a run over a few files
cannot hide the change from the next run over the others. Writes are atomic; an unreadable or
corrupt cache is ignored.

Every run of the tool loads the caches of the projects it checks, so they hold plain values
(tuples, strings, numbers), which unpickle several times faster than objects; a pickle that
names any class is refused.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field

from .diagnostics import Applicability, Diagnostic, Edit, Fix, Location

_FORMAT = 3
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by ownership-lint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)

# (mtime_ns, size, content hash, the project.NEEDLES bit mask of the content)
FileState = tuple[int, int, str, int]
# (content hash, the files whose modules the analysis consulted as bits over
# ``ProjectCache.order``, the byte scans it relied on, the diagnostics as ``pack`` makes them)
Entry = tuple[str, int, int, tuple[tuple, ...]]


try:  # hashlib's own blake2b, without hashlib's loading of OpenSSL (milliseconds a run)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b


def content_hash(data: bytes) -> str:
    return blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True)
class Changes:
    """What changed since the cache was written: the files (by relative name, and as bits over
    ``ProjectCache.order``) and the project-wide byte scans whose answer may differ."""

    files: frozenset[str] = frozenset()
    bits: int = 0
    needles: int = 0


@dataclass
class ProjectCache:
    path: str
    files: dict[str, FileState] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)
    order: tuple[str, ...] = ()  # the project's files: bit ``i`` of an entry is ``order[i]``

    @classmethod
    def load(cls, path: str) -> ProjectCache:
        try:
            with open(path, "rb") as handle:
                data = _PlainUnpickler(handle).load()
            if data.get("format") == _FORMAT:
                return cls(path, data["files"], data["entries"], data["order"])
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, KeyError, TypeError, ValueError, ImportError, IndexError):
            pass
        return cls(path)

    def save(self) -> None:
        import tempfile

        directory = os.path.dirname(self.path)
        try:
            _ensure_cache_dir(os.path.dirname(directory))
            os.makedirs(directory, exist_ok=True)
            names = {name: name for name in self.files}  # pickle writes each name once
            data = {
                "format": _FORMAT,
                "files": self.files,
                "entries": {names.get(relative, relative): entry for relative, entry in self.entries.items()},
                "order": tuple(names.get(relative, relative) for relative in self.order),
            }
            handle, temp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(data, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, self.path)
        except OSError:
            pass  # a read-only tree still gets its diagnostics, only slower next time

    def changes(self, states: dict[str, FileState], order: tuple[str, ...]) -> Changes:
        """What changed from ``files`` to ``states`` (the project's files now, in ``order``).

        A file added or removed changes the module table itself: every entry is then stale.
        """
        known = self.files
        if states.keys() != known.keys() or order != self.order:
            return Changes(frozenset(states) | frozenset(known), -1, -1)
        changed = frozenset(relative for relative, state in states.items() if known[relative][2] != state[2])
        bits = needles = 0
        if changed:
            position = {relative: number for number, relative in enumerate(order)}
            for relative in changed:
                bits |= 1 << position[relative]
                needles |= states[relative][3] | known[relative][3]
        return Changes(changed, bits, needles)

    def reusable(self, relative: str, changes: Changes) -> Entry | None:
        """The entry for ``relative`` when nothing it depends on changed."""
        entry = self.entries.get(relative)
        if entry is None or relative in changes.files:
            return None
        digest, depends_on, needles, _ = entry
        if depends_on & changes.bits or needles & changes.needles:
            return None
        state = self.files.get(relative)
        return entry if state is not None and state[2] == digest else None

    def keep_valid(self, states: dict[str, FileState], order: tuple[str, ...], changes: Changes) -> None:
        """Drop the entries that ``changes`` (from ``files`` to ``states``) make stale; then
        ``states`` are the files' states, in ``order``."""
        self.entries = {
            relative: entry
            for relative, entry in self.entries.items()
            if relative in states and self.reusable(relative, changes) is not None
        }
        self.files = states
        self.order = order


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        raise pickle.UnpicklingError(f"not a cache of this format: it names {module}.{name}")


def entry(digest: str, depends_on: int, needles: int, diagnostics: tuple[Diagnostic, ...]) -> Entry:
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
