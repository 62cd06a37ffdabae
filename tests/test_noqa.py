"""``# noqa`` parsing with ruff's grammar, and ``add_noqa`` on its own (no subprocess).

The cases mirror ruff's noqa lexer tests; ``test_ruff_interop.py`` compares ``--add-noqa``
with the real ruff.
"""

from __future__ import annotations

import pytest

from ownership_lint.diagnostics import Diagnostic, Location
from ownership_lint.noqa import NoqaError, add_noqa, lex_inline_noqa, parse_noqa


@pytest.mark.parametrize(
    ("comment", "codes"),
    [
        pytest.param("# noqa", None, id="blanket"),
        pytest.param("# NOQA", None, id="blanket, upper case"),
        pytest.param("#noqa", None, id="blanket, no space"),
        pytest.param("# noqa # comment", None, id="blanket then comment"),
        pytest.param("# noqa because", None, id="blanket then text"),
        pytest.param("# noqa: OWN201", ("OWN201",), id="one code"),
        pytest.param("# noqa:OWN201,OWN301", ("OWN201", "OWN301"), id="comma, no spaces"),
        pytest.param("# noqa: OWN201 OWN301", ("OWN201", "OWN301"), id="space separated"),
        pytest.param("# noqa : OWN201", ("OWN201",), id="space before the colon"),
        pytest.param("# noqa:   OWN201", ("OWN201",), id="spaces after the colon"),
        pytest.param("# noqa: OWN201,,OWN301", ("OWN201", "OWN301"), id="empty item"),
        pytest.param("# noqa: OWN201OWN301", ("OWN201", "OWN301"), id="joined codes"),
        pytest.param("# noqa: OWN201 we need this", ("OWN201",), id="trailing text"),
        pytest.param("# noqa: OWN201#comment", ("OWN201",), id="trailing comment"),
        pytest.param("# type: ignore  # noqa: OWN201", ("OWN201",), id="after another comment"),
        pytest.param("# noqa: E501, OWN201", ("E501", "OWN201"), id="shared with ruff"),
    ],
)
def test_directive(comment: str, codes: tuple[str, ...] | None) -> None:
    directive = lex_inline_noqa(comment)
    assert directive is not None and directive.codes == codes


@pytest.mark.parametrize(
    "comment",
    ["# noqa:", "# noqa: foo", "# noqa;OWN201", "#noqaOWN201", "# noqa: OWN201abc", "# noqa: OWN"],
)
def test_invalid_directive(comment: str) -> None:
    with pytest.raises(NoqaError):
        lex_inline_noqa(comment)


@pytest.mark.parametrize("comment", ["# just a comment", "# ruff: noqa: E501 on a code line", "# no qa"])
def test_no_directive(comment: str) -> None:
    assert lex_inline_noqa(comment) is None


def test_a_valid_directive_after_an_invalid_one_counts() -> None:
    assert lex_inline_noqa("# noqa:  # noqa: OWN201").codes == ("OWN201",)


def test_parse_noqa_rows_and_file_level() -> None:
    text = (
        "# ownership-lint: noqa: OWN301\n"
        "a = 1  # noqa: OWN201\n"
        "b = 2  # noqa\n"
        "c = 3  # noqa:\n"
        's = "# noqa: OWN101"\n'
    )
    found = parse_noqa(text)
    assert found.file_codes == {"OWN301"} and not found.file_blanket
    assert found.lines == {2: frozenset({"OWN201"}), 3: None}


def diagnostic(code: str, row: int) -> Diagnostic:
    return Diagnostic(code, "x", "m", "f.py", Location(row, 1), Location(row, 2), noqa_row=row)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("x = 1\n", "x = 1  # noqa: OWN201\n"),
        ("x = 1   \n", "x = 1  # noqa: OWN201\n"),
        ("x = 1  # noqa: E501\n", "x = 1  # noqa: E501, OWN201\n"),
        ("x = 1  # noqa: W291, E501\n", "x = 1  # noqa: E501, OWN201, W291\n"),
        ("x = 1  # noqa: E501  # why\n", "x = 1  # noqa: E501, OWN201\n"),
        ("x = 1  # type: ignore\n", "x = 1  # type: ignore  # noqa: OWN201\n"),
        ("x = 1  # noqa\n", "x = 1  # noqa\n"),
        ("x = 1  # noqa: OWN201\n", "x = 1  # noqa: OWN201\n"),
        ("x = 1", "x = 1  # noqa: OWN201\n"),
    ],
)
def test_add_noqa_line(line: str, expected: str) -> None:
    text, count = add_noqa(line, [diagnostic("OWN201", 1)])
    assert text == expected
    assert count == (0 if expected == line else 1)


def test_add_noqa_two_codes_on_one_line_count_once() -> None:
    text, count = add_noqa("x = 1\r\ny = 2\n", [diagnostic("OWN301", 2), diagnostic("OWN201", 2)])
    assert (text, count) == ("x = 1\r\ny = 2  # noqa: OWN201, OWN301\r\n", 1)
