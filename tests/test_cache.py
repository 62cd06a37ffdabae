"""The cache file: plain values only, diagnostics restored as they were, stale entries dropped."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

from ownership_lint.cache import Changes, ProjectCache, cache_file, entry, pack, unpack
from ownership_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location

FIXABLE = Diagnostic(
    code="OWN201",
    name="missing-owner-check",
    message="Route does not check the user",
    filename="/old/place/routes.py",
    location=Location(11, 5),
    end_location=Location(11, 21),
    fix=Fix(Applicability.UNSAFE, "Insert a check", (Edit("    if x:\n", Location(12, 1), Location(12, 1)),)),
    fix_title="Insert a check",
    noqa_row=11,
    extra_noqa_rows=(10, 11),
    url="https://example.invalid/OWN201.md",
)
SYNTAX_ERROR = Diagnostic(
    code=None,
    name="invalid-syntax",
    message="SyntaxError: invalid syntax",
    filename="/old/place/broken.py",
    location=Location(1, 7),
    end_location=Location(1, 8),
)


def test_a_diagnostic_survives_packing_under_the_file_s_current_name() -> None:
    for diagnostic in (FIXABLE, SYNTAX_ERROR):
        restored = unpack(pack(diagnostic), "/new/place/file.py")
        assert restored.filename == "/new/place/file.py"
        assert restored == Diagnostic(**{**vars(diagnostic), "filename": "/new/place/file.py"})
        assert restored.extra_noqa_rows == diagnostic.extra_noqa_rows


def test_the_file_holds_plain_values_only(tmp_path: Path) -> None:
    path = cache_file(str(tmp_path / ".ownership_lint_cache"), "0.0.0", "key")
    cache = ProjectCache(path)
    cache.files = {"routes.py": (1, 2, "digest", 4), "models.py": (1, 2, "other", 0)}
    cache.entries = {"routes.py": entry("digest", 0b01, 4, (FIXABLE,))}
    cache.order = ("models.py", "routes.py")
    cache.save()

    class Refuse(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> object:
            raise AssertionError(f"the cache names {module}.{name}")

    with open(path, "rb") as handle:
        Refuse(handle).load()
    loaded = ProjectCache.load(path)
    assert loaded.files == cache.files
    assert loaded.entries == cache.entries
    assert loaded.order == cache.order
    assert (tmp_path / ".ownership_lint_cache" / "CACHEDIR.TAG").exists()


@dataclass
class _Foreign:
    value: int


def test_a_pickle_naming_a_class_is_not_loaded(tmp_path: Path) -> None:
    """An older format or a foreign file: ignored, and none of its classes is imported."""
    path = tmp_path / "cache.pickle"
    path.write_bytes(pickle.dumps({"format": 3, "files": {"a.py": _Foreign(1)}, "entries": {}, "order": ()}))
    loaded = ProjectCache.load(str(path))
    assert (loaded.files, loaded.entries) == ({}, {})


ORDER = ("main.py", "models.py", "other.py", "routes.py")  # bit 1 is models.py


def _cache_of_four_files() -> ProjectCache:
    cache = ProjectCache("unused")
    cache.files = {
        "models.py": (1, 1, "m1", 0),
        "routes.py": (1, 1, "r1", 0b0100),
        "main.py": (1, 1, "a1", 0b0001),
        "other.py": (1, 1, "o1", 0),
    }
    cache.entries = {
        "routes.py": entry("r1", 0b0010, 0, ()),  # consulted models.py
        "main.py": entry("a1", 0, 0b0001, ()),  # relied on a scan for NEEDLES[0]
        "other.py": entry("o1", 0, 0, ()),
        "models.py": entry("m1", 0, 0, ()),
    }
    cache.order = ORDER
    return cache


def test_keep_valid_drops_exactly_the_entries_a_change_makes_stale() -> None:
    cache = _cache_of_four_files()
    states = {**cache.files, "models.py": (2, 1, "m2", 0b0001)}
    changes = cache.changes(states, ORDER)
    assert changes == Changes(frozenset({"models.py"}), 0b0010, 0b0001)
    cache.keep_valid(states, ORDER, changes)
    assert set(cache.entries) == {"other.py"}
    assert cache.files == states


def test_a_file_added_or_a_new_order_makes_every_entry_stale() -> None:
    cache = _cache_of_four_files()
    added = {**cache.files, "new.py": (1, 1, "n1", 0)}
    assert cache.changes(added, (*ORDER, "new.py")) == Changes(frozenset(added), -1, -1)
    reordered = ("models.py", "main.py", "other.py", "routes.py")
    assert cache.changes(dict(cache.files), reordered).bits == -1
    assert cache.reusable("other.py", cache.changes(dict(cache.files), reordered)) is None
    unchanged = cache.changes(dict(cache.files), ORDER)
    assert unchanged == Changes() and cache.reusable("other.py", unchanged) is not None
