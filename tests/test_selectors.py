from __future__ import annotations

import pytest

from ownership_lint.selectors import codes_ignored_for_file, is_known_selector, resolve_enabled, resolve_fixable

CODES = ("OWN101", "OWN201", "OWN202", "OWN301", "OWN302", "OWN501", "OWN901")

CASES = [
    (["OWN"], [], [], [], set(CODES)),
    (["ALL"], [], [], [], set(CODES)),
    (["OWN2"], [], [], [], {"OWN201", "OWN202"}),
    (["OWN201"], [], [], [], {"OWN201"}),
    ([], [], [], [], set()),
    ([], ["OWN1"], [], [], {"OWN101"}),
    (["OWN1"], ["OWN5"], [], [], {"OWN101", "OWN501"}),
    (["OWN"], [], ["OWN2"], [], set(CODES) - {"OWN201", "OWN202"}),
    (["OWN"], [], [], ["OWN3"], set(CODES) - {"OWN301", "OWN302"}),
    (["OWN201"], [], ["OWN2"], [], {"OWN201"}),
    (["OWN2"], [], ["OWN201"], [], {"OWN202"}),
    (["OWN2"], [], ["OWN2"], [], set()),
    (["OWN201"], [], ["OWN201"], [], set()),
    (["ALL"], [], ["ALL"], [], set()),
    (["OWN"], [], ["ALL"], [], set(CODES)),
    (["ALL"], [], ["OWN"], [], set()),
    (["OWN"], ["OWN301"], ["OWN3"], [], set(CODES) - {"OWN302"}),
    (["OWN9"], [], [], [], {"OWN901"}),
    (["X"], [], [], [], set()),
]


@pytest.mark.parametrize(
    ("select", "extend_select", "ignore", "extend_ignore", "expected"),
    CASES,
    ids=[
        "linter-prefix-selects-all-its-codes",
        "ALL-selects-everything",
        "group-prefix",
        "single-code",
        "nothing-selected-nothing-enabled",
        "extend-select-alone",
        "extend-select-adds",
        "ignore-group",
        "extend-ignore-group",
        "specific-select-beats-broader-ignore",
        "specific-ignore-beats-broader-select",
        "tie-on-prefix-ignore-wins",
        "tie-on-code-ignore-wins",
        "tie-on-ALL-ignore-wins",
        "linter-select-beats-ALL-ignore",
        "linter-ignore-beats-ALL-select",
        "extend-select-code-beats-group-ignore",
        "plugin-codes-by-prefix",
        "unmatched-prefix-selects-nothing",
    ],
)
def test_resolve_enabled(
    select: list[str], extend_select: list[str], ignore: list[str], extend_ignore: list[str], expected: set[str]
) -> None:
    assert resolve_enabled(CODES, select, extend_select, ignore, extend_ignore) == frozenset(expected)


def test_resolve_enabled_returns_a_frozenset_of_known_codes_only() -> None:
    result = resolve_enabled(iter(CODES), ["ALL"], [], [], [])
    assert isinstance(result, frozenset) and result == frozenset(CODES)


def test_resolve_fixable_uses_the_same_rules() -> None:
    assert resolve_fixable(CODES, ["ALL"], ["OWN3"]) == frozenset(CODES) - {"OWN301", "OWN302"}
    assert resolve_fixable(CODES, ["OWN301"], ["OWN3"]) == frozenset({"OWN301"})


@pytest.mark.parametrize(
    ("selector", "known"),
    [("ALL", True), ("OWN", True), ("OWN2", True), ("OWN201", True), ("O", True), ("OWN203", False),
     ("OWN2011", False), ("own", False), ("", False), ("E501", False)],
)
def test_is_known_selector(selector: str, known: bool) -> None:
    assert is_known_selector(selector, CODES) is known


IGNORES = (("tests/**", ("OWN2",)), ("*.pyi", ("ALL",)), ("routes/admin.py", ("OWN101", "OWN3")))


@pytest.mark.parametrize(
    ("path", "ignored", "kept"),
    [
        ("tests/test_api.py", {"OWN201", "OWN202"}, {"OWN101", "OWN301"}),
        ("stubs/api.pyi", set(CODES), set()),
        ("routes/admin.py", {"OWN101", "OWN301", "OWN302"}, {"OWN201"}),
        ("app/routes/admin.py", set(), set(CODES)),
        ("app/main.py", set(), set(CODES)),
    ],
    ids=["directory-glob", "suffix-glob-any-depth", "anchored-file", "anchored-file-elsewhere", "no-match"],
)
def test_codes_ignored_for_file(path: str, ignored: set[str], kept: set[str]) -> None:
    is_ignored = codes_ignored_for_file(path, IGNORES)
    assert {code for code in CODES if is_ignored(code)} == ignored
    assert not any(is_ignored(code) for code in kept)


def test_codes_ignored_for_file_combines_every_matching_pattern() -> None:
    is_ignored = codes_ignored_for_file("tests/api.py", [("tests/*", ["OWN1"]), ("*.py", ["OWN5"]), ("other/*", ["OWN2"])])
    assert [c for c in CODES if is_ignored(c)] == ["OWN101", "OWN501"]
