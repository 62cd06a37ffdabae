"""The output formats against text produced by ruff 0.17.6 for the same diagnostics.

Every snapshot under ``tests/snapshots/output/`` is what ``ruff check`` printed for the
sources below (written to ``/project/app/``), with ruff's own F401/E711/... diagnostics rebuilt
here by hand with the same rows, columns, messages and fixes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from snapshot import assert_snapshot

from ownership_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location
from ownership_lint.output import FORMATS, RenderContext, display_path, is_fixable, render
from ownership_lint.output.fix_diff import render_fix_diff
from ownership_lint.output.statistics import render_statistics, statistics
from ownership_lint.output.summary import summary_lines

ROOT = Path("/project")
APP = ROOT / "app"
A_PY = str(APP / "a.py")
BAD_PY = str(APP / "bad.py")
MULTI_PY = str(APP / "multi.py")
LONG_PY = str(APP / "long.py")
TABS_PY = str(APP / "tabs.py")
ERA_PY = str(APP / "era.py")
TC_PY = str(APP / "tc.py")
INIT_PY = str(APP / "__init__.py")

NUMBERS = "[" + ", ".join(str(n) for n in range(80)) + "]"
SOURCES = {
    A_PY: "import os\nimport sys\n\n\ndef f(x):\n    if x == None:\n        return 1\n    return 2\n",
    BAD_PY: "import os\n\ndef f(:\n    pass\n",
    MULTI_PY: "def f(a=[\n    1,\n]):\n    pass\n\n\ng = lambda: (\n    1\n)\n",
    LONG_PY: f"import os\n    \n  \nx = 1   \ny = {NUMBERS} == None\n    \nz = 2\n",
    TABS_PY: 'def f(x):\n\tif x == None:\n\t\treturn 1\n\ty = "日本é";  z = x == None\n\tw = "\t" if x == None else 1\n',
    ERA_PY: "x = 1\n# y = 2\nz = 3\n",
    TC_PY: (
        "from __future__ import annotations\n\nimport pathlib\nfrom typing import TYPE_CHECKING\n\n"
        "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n\nif TYPE_CHECKING:\n    import os\n\n\n"
        "def f(p: pathlib.Path, q: os.PathLike) -> None:\n    pass\n"
    ),
    INIT_PY: "import sys\n",
}


def edit(content: str, start: tuple[int, int], end: tuple[int, int]) -> Edit:
    return Edit(content, Location(*start), Location(*end))


def fix(applicability: Applicability, message: str, *edits: Edit) -> Fix:
    return Fix(applicability, message, edits)


def rule(
    code: str,
    name: str,
    message: str,
    path: str,
    start: tuple[int, int],
    end: tuple[int, int],
    fix: Fix | None = None,
    title: str | None = None,
) -> Diagnostic:
    return Diagnostic(
        code=code,
        name=name,
        message=message,
        filename=path,
        location=Location(*start),
        end_location=Location(*end),
        fix=fix,
        fix_title=title or (fix.message if fix else None),
        noqa_row=start[0],
        url=f"https://docs.astral.sh/ruff/rules/{name}",
    )


def syntax_error(
    message: str, path: str, start: tuple[int, int], end: tuple[int, int]
) -> Diagnostic:
    return Diagnostic(None, "invalid-syntax", message, path, Location(*start), Location(*end))


SAFE, UNSAFE, DISPLAY_ONLY = Applicability.SAFE, Applicability.UNSAFE, Applicability.DISPLAY_ONLY
NONE_MESSAGE = "Comparison to `None` should be `cond is None`"
NONE_TITLE = "Replace with `cond is None`"


def unused_import(path: str, module: str, row: int, fixable: bool = True) -> Diagnostic:
    title = f"Remove unused import: `{module}`"
    removal = fix(SAFE, title, edit("", (row, 1), (row + 1, 1))) if fixable else None
    return rule(
        "F401",
        "unused-import",
        f"`{module}` imported but unused",
        path,
        (row, 8),
        (row, 8 + len(module)),
        removal,
        title,
    )


def none_comparison(path: str, row: int, column: int, replace_from: int, fixed: str) -> Diagnostic:
    end = (row, column + 4)
    replacement = fix(UNSAFE, NONE_TITLE, edit(fixed, (row, replace_from), end))
    return rule("E711", "none-comparison", NONE_MESSAGE, path, (row, column), end, replacement)


def a_py() -> list[Diagnostic]:
    return [
        unused_import(A_PY, "os", 1),
        unused_import(A_PY, "sys", 2),
        none_comparison(A_PY, 6, 13, 8, "x is None"),
    ]


def bad_py() -> list[Diagnostic]:
    return [
        syntax_error(
            "Expected a parameter or the end of the parameter list", BAD_PY, (3, 7), (3, 8)
        ),
        syntax_error("Expected `)`, found newline", BAD_PY, (3, 8), (4, 1)),
    ]


def multi_py() -> list[Diagnostic]:
    default = fix(
        UNSAFE, "Replace with `None`; initialize within function", edit("None", (1, 9), (3, 2))
    )
    as_def = fix(
        UNSAFE, "Rewrite `g` as a `def`", edit("def g():\n    return (\n    1\n)", (7, 1), (9, 2))
    )
    return [
        rule(
            "B006",
            "mutable-argument-default",
            "Do not use mutable data structures for argument defaults",
            MULTI_PY,
            (1, 9),
            (3, 2),
            default,
        ),
        rule(
            "E731",
            "lambda-assignment",
            "Do not assign a `lambda` expression, use a `def`",
            MULTI_PY,
            (7, 1),
            (9, 2),
            as_def,
        ),
    ]


def long_py() -> list[Diagnostic]:
    return [none_comparison(LONG_PY, 5, 319, 5, f"{NUMBERS} is None")]


def tabs_py() -> list[Diagnostic]:
    return [
        none_comparison(TABS_PY, 2, 10, 5, "x is None"),
        none_comparison(TABS_PY, 4, 23, 18, "x is None"),
        none_comparison(TABS_PY, 5, 18, 13, "x is None"),
    ]


def era_py() -> list[Diagnostic]:
    removal = fix(DISPLAY_ONLY, "Remove commented-out code", edit("", (2, 1), (3, 1)))
    return [
        rule(
            "ERA001",
            "commented-out-code",
            "Found commented-out code",
            ERA_PY,
            (2, 1),
            (2, 8),
            removal,
        )
    ]


def tc_py() -> list[Diagnostic]:
    move = fix(
        UNSAFE,
        "Move into type-checking block",
        edit("", (3, 1), (4, 1)),
        edit("from typing import TYPE_CHECKING", (4, 1), (4, 33)),
        edit("    import pathlib\n", (13, 1), (13, 1)),
    )
    message = "Move standard library import `pathlib` into a type-checking block"
    return [
        rule("TC003", "typing-only-standard-library-import", message, TC_PY, (3, 8), (3, 15), move)
    ]


def without_fixes(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    return [replace(diag, fix=None) for diag in diagnostics]


def context(**options: object) -> RenderContext:
    return RenderContext(**{"sources": SOURCES, "cwd": ROOT, **options})


@dataclass(frozen=True)
class Case:
    snapshot: str
    format: str
    diagnostics: Callable[[], list[Diagnostic]]
    options: dict[str, object] = field(default_factory=dict)


CASES = [
    Case("concise_fixable_and_hidden_unsafe.txt", "concise", a_py),
    Case("concise_unsafe_fixes_enabled.txt", "concise", a_py, {"unsafe_fixes": True}),
    Case("concise_syntax_errors.txt", "concise", bad_py),
    Case("concise_color.txt", "concise", lambda: a_py() + bad_py(), {"color": True}),
    Case("concise_path_outside_cwd.txt", "concise", a_py, {"cwd": ROOT / "other"}),
    Case("full_fix_diffs.txt", "full", a_py, {"show_fix_diff": True}),
    Case("full_fix_diffs_color.txt", "full", a_py, {"show_fix_diff": True, "color": True}),
    Case("full_unfixable_help_only.txt", "full", lambda: without_fixes(a_py())),
    Case("full_syntax_errors.txt", "full", bad_py),
    Case("full_multiline_ranges.txt", "full", multi_py, {"show_fix_diff": True}),
    Case(
        "full_multiline_ranges_color.txt", "full", multi_py, {"show_fix_diff": True, "color": True}
    ),
    Case("full_long_line_cut.txt", "full", long_py, {"show_fix_diff": True}),
    Case("full_tabs_and_wide_chars.txt", "full", tabs_py, {"show_fix_diff": True}),
    Case("full_display_only_fix.txt", "full", era_py, {"show_fix_diff": True}),
    Case("full_separated_diff_hunks.txt", "full", tc_py, {"show_fix_diff": True}),
    Case("json_diagnostics.txt", "json", a_py),
    Case("json_syntax_errors.txt", "json", bad_py),
    Case("json_empty.txt", "json", list),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.snapshot.removesuffix(".txt"))
def test_format_matches_ruff(case: Case) -> None:
    diagnostics = list(reversed(case.diagnostics()))
    assert_snapshot(
        f"output/{case.snapshot}", render(case.format, diagnostics, context(**case.options))
    )


def test_registry_lists_the_formats() -> None:
    assert {"concise", "full", "json"} <= set(FORMATS)


def test_unknown_format_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown output format"):
        render("yaml", [], context())


def test_diagnostics_are_sorted_by_file_row_column_code() -> None:
    first, second = (
        rule("OWN201", "x", "m", A_PY, (2, 1), (2, 2)),
        rule("OWN101", "x", "m", A_PY, (2, 1), (2, 2)),
    )
    other_file = rule("OWN101", "x", "m", BAD_PY, (1, 1), (1, 2))
    text = render("concise", [other_file, first, second], context())
    assert text.splitlines() == [
        "app/a.py:2:1: OWN101 m",
        "app/a.py:2:1: OWN201 m",
        "app/bad.py:1:1: OWN101 m",
    ]


def test_full_without_fix_diff_is_ruffs_excerpt_with_the_fix_marker() -> None:
    expected = (Path(__file__).parent / "snapshots/output/full_unfixable_help_only.txt").read_text()
    expected = expected.replace("F401 `", "F401 [*] `")
    assert render("full", a_py(), context()) == expected


def test_full_without_source_prints_the_location_only() -> None:
    text = render("full", a_py()[:1], RenderContext(sources={}, cwd=ROOT))
    assert (
        text
        == "F401 [*] `os` imported but unused\n--> app/a.py:1:8\nhelp: Remove unused import: `os`\n\n"
    )


def test_fix_diff_of_a_fix_without_edits_is_empty() -> None:
    assert render_fix_diff(fix(SAFE, "nothing"), SOURCES[A_PY]) == ""


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("/project/app/a.py", "app/a.py"),
        ("/project/a.py", "a.py"),
        ("/elsewhere/a.py", "/elsewhere/a.py"),
        ("/projectile/a.py", "/projectile/a.py"),
    ],
    ids=[
        "under-cwd-is-relative",
        "directly-in-cwd",
        "outside-cwd-stays-absolute",
        "sibling-prefix-is-not-under-cwd",
    ],
)
def test_display_path(filename: str, expected: str) -> None:
    assert display_path(filename, ROOT) == expected


@pytest.mark.parametrize(
    ("applicability", "unsafe_fixes", "expected"),
    [
        (SAFE, False, True),
        (UNSAFE, False, False),
        (UNSAFE, True, True),
        (DISPLAY_ONLY, True, False),
        (None, True, False),
    ],
    ids=["safe", "unsafe-hidden", "unsafe-enabled", "display-only-never", "no-fix"],
)
def test_is_fixable(
    applicability: Applicability | None, unsafe_fixes: bool, expected: bool
) -> None:
    diag = rule(
        "OWN201", "x", "m", A_PY, (1, 1), (1, 2), fix(applicability, "t") if applicability else None
    )
    assert is_fixable(diag, unsafe_fixes) is expected


# -- --statistics ------------------------------------------------------------------------------


def a_and_bad_py() -> list[Diagnostic]:
    return a_py() + bad_py()


def partially_fixable() -> list[Diagnostic]:
    return [*a_py()[:2], unused_import(INIT_PY, "sys", 1, fixable=False)]


def check_summary(diagnostics: Sequence[Diagnostic], ctx: RenderContext) -> str:
    return summary_lines(
        remaining=diagnostics,
        fixed={},
        mode="check",
        unsafe_fixes=ctx.unsafe_fixes,
        show_fixes=False,
        cwd=ROOT,
        names={},
        color=ctx.color,
    )


STATISTICS_CASES = [
    ("statistics.txt", a_and_bad_py, {}),
    ("statistics_color.txt", a_and_bad_py, {"color": True}),
    ("statistics_unsafe_fixes_enabled.txt", a_and_bad_py, {"unsafe_fixes": True}),
    ("statistics_partially_fixable.txt", partially_fixable, {}),
]


@pytest.mark.parametrize(
    ("snapshot", "diagnostics", "options"),
    [pytest.param(*case, id=case[0].removesuffix(".txt")) for case in STATISTICS_CASES],
)
def test_statistics_then_summary_match_ruff(
    snapshot: str, diagnostics: Callable, options: dict
) -> None:
    ctx = context(**options)
    diags = diagnostics()
    assert_snapshot(f"output/{snapshot}", render_statistics(diags, ctx) + check_summary(diags, ctx))


def test_statistics_json_matches_ruff() -> None:
    assert_snapshot(
        "output/statistics.json", render_statistics(a_and_bad_py(), context(), json_output=True)
    )


def test_statistics_of_nothing_print_nothing() -> None:
    assert render_statistics([], context()) == ""
    assert render_statistics([], context(), json_output=True) == ""


def test_statistics_ties_are_ordered_by_rule_name() -> None:
    diags = [
        rule(code, name, "m", A_PY, (1, 1), (1, 2))
        for code, name in [
            ("B018", "useless-expression"),
            ("E741", "ambiguous-variable-name"),
            ("F401", "unused-import"),
        ]
    ]
    assert [stat.code for stat in statistics(diags, unsafe_fixes=False)] == ["E741", "F401", "B018"]


# -- summary lines -----------------------------------------------------------------------------

NAMES = {"F401": "unused-import", "E711": "none-comparison"}


def diags_with(safe: int = 0, unsafe: int = 0, plain: int = 0) -> list[Diagnostic]:
    """``safe`` safe-fixable, ``unsafe`` unsafe-fixable and ``plain`` unfixable diagnostics."""
    made = [unused_import(A_PY, "os", 1) for _ in range(safe)]
    made += [none_comparison(A_PY, 6, 13, 8, "x is None") for _ in range(unsafe)]
    made += [replace(unused_import(A_PY, "os", 1), fix=None) for _ in range(plain)]
    return made


SUMMARY_CASES = {
    "check: nothing found says all checks passed": (
        dict(remaining=[], mode="check"),
        "All checks passed!\n",
    ),
    "check: one error is singular": (
        dict(remaining=diags_with(plain=1), mode="check"),
        "Found 1 error.\n",
    ),
    "check: safe fixes are counted": (
        dict(remaining=diags_with(safe=1), mode="check"),
        "Found 1 error.\n[*] 1 fixable with `--fix`.\n",
    ),
    "check: hidden unsafe fix is hinted after the fixable count": (
        dict(remaining=diags_with(safe=2, unsafe=1), mode="check"),
        "Found 3 errors.\n[*] 2 fixable with `--fix` (1 unsafe fix available with `--fix --unsafe-fixes`).\n",
    ),
    "check: hidden unsafe fixes are plural": (
        dict(remaining=diags_with(safe=3, unsafe=2, plain=1), mode="check"),
        "Found 6 errors.\n[*] 3 fixable with `--fix` (2 unsafe fixes available with `--fix --unsafe-fixes`).\n",
    ),
    "check: only hidden unsafe fixes get their own line": (
        dict(remaining=diags_with(unsafe=1), mode="check"),
        "Found 1 error.\n1 unsafe fix available with `--fix --unsafe-fixes`.\n",
    ),
    "check: with --unsafe-fixes unsafe fixes count as fixable": (
        dict(remaining=diags_with(unsafe=1), mode="check", unsafe_fixes=True),
        "Found 1 error.\n[*] 1 fixable with `--fix`.\n",
    ),
    "check: --show-fixes without fixes adds nothing": (
        dict(remaining=diags_with(safe=1), mode="check", show_fixes=True),
        "Found 1 error.\n[*] 1 fixable with `--fix`.\n",
    ),
    "fix: fixed and remaining are totalled": (
        dict(remaining=diags_with(unsafe=1), fixed={A_PY: {"F401": 2}}, mode="fix"),
        "Found 3 errors (2 fixed, 1 remaining).\n1 unsafe fix available with `--fix --unsafe-fixes`.\n",
    ),
    "fix: everything fixed": (
        dict(remaining=[], fixed={A_PY: {"F401": 1}}, mode="fix"),
        "Found 1 error (1 fixed, 0 remaining).\n",
    ),
    "fix: nothing fixed reads like check": (
        dict(remaining=diags_with(plain=1), mode="fix"),
        "Found 1 error.\n",
    ),
    "fix: nothing at all": (dict(remaining=[], mode="fix"), "All checks passed!\n"),
    "fix-only: fixed with unsafe fixes left": (
        dict(remaining=diags_with(unsafe=2, plain=1), fixed={A_PY: {"F401": 3}}, mode="fix-only"),
        "Fixed 3 errors (2 additional fixes available with `--unsafe-fixes`).\n",
    ),
    "fix-only: nothing fixed but an unsafe fix available": (
        dict(remaining=diags_with(unsafe=1), mode="fix-only"),
        "No errors fixed (1 fix available with `--unsafe-fixes`).\n",
    ),
    "fix-only: one fixed": (
        dict(remaining=[], fixed={A_PY: {"F401": 1}}, mode="fix-only"),
        "Fixed 1 error.\n",
    ),
    "fix-only: nothing to do prints nothing": (
        dict(remaining=diags_with(plain=1), mode="fix-only"),
        "",
    ),
    "fix-only: with --unsafe-fixes no hint": (
        dict(
            remaining=diags_with(plain=1),
            fixed={A_PY: {"F401": 3, "E711": 2}},
            mode="fix-only",
            unsafe_fixes=True,
        ),
        "Fixed 5 errors.\n",
    ),
    "diff: would fix with unsafe fixes left": (
        dict(remaining=diags_with(unsafe=2, plain=1), fixed={A_PY: {"F401": 3}}, mode="diff"),
        "Would fix 3 errors (2 additional fixes available with `--unsafe-fixes`).\n",
    ),
    "diff: nothing would be fixed but an unsafe fix available": (
        dict(remaining=diags_with(unsafe=1), mode="diff"),
        "No errors would be fixed (1 fix available with `--unsafe-fixes`).\n",
    ),
    "diff: one would be fixed": (
        dict(remaining=[], fixed={A_PY: {"F401": 1}}, mode="diff"),
        "Would fix 1 error.\n",
    ),
    "diff: nothing to do prints nothing": (dict(remaining=[], mode="diff"), ""),
    "fix --show-fixes: lists fixes per file before the total": (
        dict(
            remaining=diags_with(unsafe=2, plain=1),
            fixed={BAD_PY: {"F401": 1}, A_PY: {"F401": 2}, str(APP / "d.py"): {"F401": 1}},
            mode="fix",
            show_fixes=True,
        ),
        "\nFixed 4 errors:\n- app/a.py:\n    2 × F401 (unused-import)\n- app/bad.py:\n    1 × F401 (unused-import)\n"
        "- app/d.py:\n    1 × F401 (unused-import)\n\nFound 7 errors (4 fixed, 3 remaining).\n"
        "2 unsafe fixes available with `--fix --unsafe-fixes`.\n",
    ),
    "fix --show-fixes: counts are right-aligned, ties ordered by rule name": (
        dict(
            remaining=[],
            fixed={str(APP / "m.py"): {"F401": 12}, str(APP / "n.py"): {"F401": 1, "E711": 1}},
            mode="fix",
            show_fixes=True,
            unsafe_fixes=True,
        ),
        "\nFixed 14 errors:\n- app/m.py:\n    12 × F401 (unused-import)\n- app/n.py:\n"
        "     1 × E711 (none-comparison)\n     1 × F401 (unused-import)\n\nFound 14 errors (14 fixed, 0 remaining).\n",
    ),
    "fix-only --show-fixes: lists fixes then the fixed count": (
        dict(
            remaining=diags_with(unsafe=2),
            fixed={A_PY: {"F401": 2}, BAD_PY: {"F401": 1}},
            mode="fix-only",
            show_fixes=True,
        ),
        "\nFixed 3 errors:\n- app/a.py:\n    2 × F401 (unused-import)\n- app/bad.py:\n    1 × F401 (unused-import)\n"
        "\nFixed 3 errors (2 additional fixes available with `--unsafe-fixes`).\n",
    ),
    "colour: all checks passed is bold green": (
        dict(remaining=[], mode="check", color=True),
        "\x1b[1;32mAll checks passed!\x1b[0m\n",
    ),
    "colour: the fixable marker star is cyan": (
        dict(remaining=diags_with(safe=13, unsafe=1), mode="check", color=True),
        "Found 14 errors.\n[\x1b[36m*\x1b[0m] 13 fixable with `--fix` (1 unsafe fix available with `--fix --unsafe-fixes`).\n",
    ),
    "colour: the fix listing is styled like ruff's": (
        dict(
            remaining=diags_with(unsafe=1),
            fixed={str(APP / "m.py"): {"F401": 12}, str(APP / "n.py"): {"F401": 1}},
            mode="fix-only",
            show_fixes=True,
            color=True,
        ),
        "\n\x1b[1;32mFixed 13 errors:\x1b[0m\n\x1b[36m-\x1b[0m \x1b[1mapp/m.py\x1b[0m\x1b[36m:\x1b[0m\n"
        "    12 × \x1b[1;31mF401\x1b[0m (unused-import)\n\x1b[36m-\x1b[0m \x1b[1mapp/n.py\x1b[0m\x1b[36m:\x1b[0m\n"
        "     1 × \x1b[1;31mF401\x1b[0m (unused-import)\n\nFixed 13 errors (1 additional fix available with `--unsafe-fixes`).\n",
    ),
}


@pytest.mark.parametrize(
    ("arguments", "expected"), SUMMARY_CASES.values(), ids=SUMMARY_CASES.keys()
)
def test_summary_lines(arguments: dict, expected: str) -> None:
    defaults = dict(fixed={}, unsafe_fixes=False, show_fixes=False, cwd=ROOT, names=NAMES)
    assert summary_lines(**{**defaults, **arguments}) == expected


# -- the snapshot helper -----------------------------------------------------------------------


def test_snapshot_missing_fails_without_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SNAPSHOT_UPDATE", raising=False)
    with pytest.raises(pytest.fail.Exception, match="does not exist"):
        assert_snapshot("new.txt", "text", root=tmp_path)


def test_snapshot_difference_fails_with_a_readable_diff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SNAPSHOT_UPDATE", raising=False)
    (tmp_path / "old.txt").write_text("same\n\x1b[1mold\x1b[0m\n")
    with pytest.raises(
        pytest.fail.Exception, match=r"(?s)-\\x1b\[1mold.*\+new  <no newline at end>"
    ):
        assert_snapshot("old.txt", "same\nnew", root=tmp_path)


def test_snapshot_update_writes_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNAPSHOT_UPDATE", "1")
    assert_snapshot("sub/new.txt", "a\r\nb", root=tmp_path)
    assert (tmp_path / "sub/new.txt").read_bytes() == b"a\r\nb"


WIDTH_SAMPLES = ["", "plain ascii", "\ttab\tand  spaces", "caf\u00e9", "wide \u4e2d\u6587 chars", "e\u0301", "\u200dzero",
                 "soft\u00adhyphen", "ctrl\x07\x1b", "x" * 200, "\t" * 3 + "deep"]


@pytest.mark.parametrize("text", WIDTH_SAMPLES)
def test_display_width_shortcuts_match_the_per_character_rules(text: str) -> None:
    from ownership_lint.output import full

    normalized = full._normalize(text)
    assert normalized == "".join(full._REPLACEMENTS.get(char, char) for char in text)
    for sample in (text, normalized):
        assert full._width(sample) == sum(full._char_width(char) for char in sample)
    for left, right in ((0, 5), (3, 9), (0, 0), (7, 4), (150, 160), (0, 140)):
        assert full._visible(normalized, left, right) == _visible_per_character(full, normalized, left, right)


def _visible_per_character(full, text: str, left: int, right: int) -> tuple[str, int]:
    skipped, index = 0, 0
    while index < len(text) and skipped < left:
        skipped += full._char_width(text[index])
        index += 1
    taken, chars = 0, []
    for char in text[index:]:
        taken += full._char_width(char)
        if taken > right - left:
            break
        chars.append(char)
    return "".join(chars), skipped
