"""``# noqa`` comments: line-level, file-level, and ``--add-noqa``.

Line-level directives are read with ruff's grammar (a port of its ``NoqaLexer``), so that a
comment means the same to ruff, to flake8 and to us: ``# noqa`` and ``# NOQA`` are blanket,
``# noqa: A1, B2``, ``# noqa:A1,B2``, ``# noqa: A1 B2`` and ``# noqa : A1`` list codes, text
after the codes is a comment, ``# noqa:`` without codes and ``#noqaA1`` are invalid (they
suppress nothing), and a directive may follow another comment (``# type: ignore  # noqa: A1``).
The one difference: after an invalid directive we look for a valid one in the same comment.
``--add-noqa`` writes exactly what ``ruff check --add-noqa`` writes.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field

from .diagnostics import Diagnostic
from .source import split_lines

_FILE = re.compile(
    r"#\s*(?:ownership-lint|flake8)\s*:\s*(?i:noqa)(?::\s?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?"
)
_CODE = re.compile(r"[A-Z]+[0-9]+")
_LINE_END = re.compile(r"\r\n|\r|\n")
ALL_CODES = None


class NoqaError(ValueError):
    """An invalid ``# noqa`` comment (ruff warns and ignores it)."""


@dataclass(frozen=True)
class Directive:
    """A line-level directive: offsets in its line, and its codes (None for a blanket one)."""

    start: int  # the ``#`` that opens the directive
    end: int  # after ``noqa`` (blanket) or after the last code
    codes: tuple[str, ...] | None


@dataclass
class NoqaMap:
    """Per row: None for a blanket ``# noqa``, else the codes listed."""

    lines: dict[int, frozenset[str] | None] = field(default_factory=dict)
    file_blanket: bool = False
    file_codes: frozenset[str] = frozenset()
    directives: dict[int, Directive] = field(default_factory=dict)

    def suppresses(self, diagnostic: Diagnostic) -> bool:
        code = diagnostic.code
        if code is None:
            return False
        if self.file_blanket or code in self.file_codes:
            return True
        rows = (diagnostic.noqa_row, *diagnostic.extra_noqa_rows)
        for row in rows:
            if row in self.lines:
                codes = self.lines[row]
                if codes is None or code in codes:
                    return True
        return False


def comments(text: str) -> Iterable[tuple[int, int, str]]:
    """(row, column, comment text) of every comment; a line scan when tokenize fails."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                yield token.start[0], token.start[1], token.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        for row, line in enumerate((line.rstrip("\r\n") for line in split_lines(text)), start=1):
            if "#" in line:
                column = line.index("#")
                yield row, column, line[column:]


def parse_noqa(text: str) -> NoqaMap:
    result = NoqaMap()
    if "noqa" not in text.lower():
        return result
    for row, column, comment in comments(text):
        file_match = _FILE.match(comment)
        if file_match:
            codes = file_match.group("codes")
            if codes is None:
                result.file_blanket = True
            else:
                result.file_codes |= frozenset(_CODE.findall(codes))
            continue
        try:
            directive = lex_inline_noqa(comment)
        except NoqaError:
            continue
        if directive is not None:
            result.directives[row] = Directive(
                column + directive.start, column + directive.end, directive.codes
            )
            result.lines[row] = None if directive.codes is None else frozenset(directive.codes)
    return result


# -- ruff's noqa lexer ---------------------------------------------------------------------


def lex_inline_noqa(comment: str) -> Directive | None:
    """The first valid ``# noqa`` directive in a comment; NoqaError when there are only invalid ones.

    ruff stops at an invalid directive; we go on to a valid one after it, so that the
    ``# noqa:  # noqa: OWN201`` that ``--add-noqa`` writes after an invalid ``# noqa:`` (as
    ruff does) suppresses the diagnostic and a second ``--add-noqa`` adds nothing.
    """
    position = 0
    error: NoqaError | None = None
    while position < len(comment):
        start = comment.find("#", position)
        if start < 0:
            break
        cursor = _skip_whitespace(comment, start + 1)
        if comment[cursor : cursor + 4].lower() != "noqa":
            position = cursor
            continue
        try:
            return _lex_directive(comment, start, cursor + 4)
        except NoqaError as invalid:
            error = error or invalid
            position = cursor + 4
    if error is not None:
        raise error
    return None


def _skip_whitespace(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _lex_directive(comment: str, start: int, cursor: int) -> Directive:
    blanket = Directive(start, cursor, None)
    if cursor >= len(comment) or comment[cursor] == "#":
        return blanket
    char = comment[cursor]
    if char == ":":
        codes, end = _lex_codes(comment, cursor + 1)
    elif char.isspace():
        after = _skip_whitespace(comment, cursor)
        if after < len(comment) and comment[after] == ":":
            codes, end = _lex_codes(comment, after + 1)
        else:
            return blanket
    else:
        raise NoqaError("expected `:` followed by a comma-separated list of codes")
    if not codes:
        raise NoqaError("expected a comma-separated list of codes")
    return Directive(start, end, tuple(codes))


def _lex_codes(text: str, position: int) -> tuple[list[str], int]:
    codes: list[str] = []
    end = position
    missing_delimiter = False
    while position < len(text):
        position = _skip_whitespace(text, position)
        if position >= len(text):
            break
        char = text[position]
        if char == ",":  # an empty item (ruff warns)
            position += 1
            continue
        if not ("A" <= char <= "Z"):  # the first non-code ends the list: a trailing comment
            break
        code_start = position
        while position < len(text) and "A" <= text[position] <= "Z":
            position += 1
        if position >= len(text) or not text[position].isdigit():
            if missing_delimiter:
                raise NoqaError("expected code to consist of uppercase letters followed by digits only")
            break
        while position < len(text) and text[position].isdigit():
            position += 1
        codes.append(text[code_start:position])
        end = position
        if position >= len(text):
            break
        following = text[position]
        if following == ",":
            position += 1
            missing_delimiter = False
        elif following.isspace() or following == "#":
            missing_delimiter = False
        elif "A" <= following <= "Z":
            missing_delimiter = True  # ``A1B2``: joined codes (ruff warns)
        else:
            raise NoqaError("expected code to consist of uppercase letters followed by digits only")
    return codes, end


# -- --add-noqa ----------------------------------------------------------------------------


def add_noqa(text: str, diagnostics: Iterable[Diagnostic]) -> tuple[str, int]:
    """Add (or merge into) ``# noqa: CODE`` on each reported line, as ``ruff --add-noqa``.

    A line without a directive gets ``  # noqa: CODES`` after its trimmed content; a line with
    a code list gets the list rewritten as ``  # noqa: `` and the old and new codes sorted
    (what followed the codes is dropped, as ruff does); a blanket ``# noqa`` is left alone.
    The rewritten line ends with the file's line ending. Returns (text, lines changed).
    """
    wanted: dict[int, set[str]] = {}
    for diagnostic in diagnostics:
        if diagnostic.code is not None and diagnostic.noqa_row is not None:
            wanted.setdefault(diagnostic.noqa_row, set()).add(diagnostic.code)
    if not wanted:
        return text, 0
    existing = parse_noqa(text)
    lines = split_lines(text)
    line_ending = _line_ending(text)
    changed = 0
    for row, codes in sorted(wanted.items()):
        if row > len(lines):
            continue
        directive = existing.directives.get(row)
        if directive is not None and directive.codes is None:
            continue
        body = _LINE_END.sub("", lines[row - 1])
        if directive is None:
            new_codes = sorted(codes)
            prefix = body
        else:
            new_codes = sorted([*(c for c in codes if c not in directive.codes), *directive.codes])
            if len(new_codes) == len(directive.codes):
                continue
            prefix = body[: directive.start]
        lines[row - 1] = f"{prefix.rstrip()}  # noqa: {', '.join(new_codes)}{line_ending}"
        changed += 1
    return "".join(lines), changed


def _line_ending(text: str) -> str:
    """The file's first line ending (``\\n`` when it has none), as ruff detects it."""
    match = _LINE_END.search(text)
    return match.group(0) if match else "\n"
