"""ruff's ``full`` format: header, source excerpt with carets, fix title, optional fix diff
(``fix_diff``).

The excerpt follows ruff 0.17 (annotate-snippets): two lines of context either side with blank
edge lines dropped, tabs shown as four spaces, wide characters counted twice, multi-line ranges
drawn with ``/``, ``|`` and ``|_^``, lines wider than the 140-column window cut with ``…``.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, groupby

from ownership_lint.diagnostics import Applicability, Diagnostic, Fix, Location
from ownership_lint.output import (
    SYNTAX_ERROR_NAME,
    RenderContext,
    display_path,
    is_fixable,
    paint,
    sorted_diagnostics,
)
from ownership_lint.source import split_lines

Style = tuple[str, ...]

PLAIN: Style = ()
LINE_NO: Style = ("1", "94")
PRIMARY: Style = ("1", "91")
HELP: Style = ("1", "96")
NOTE: Style = ("1", "33")
EMPHASIS: Style = ("1",)

CONTEXT_LINES = 2
TERM_WIDTH = 140
ELLIPSIS = "…"
APPLICABILITY_NOTES = {
    Applicability.UNSAFE: "This is an unsafe fix and may change runtime behavior",
    Applicability.DISPLAY_ONLY: (
        "This suggestion may be incorrect or produce invalid syntax. "
        "It requires manual review and cannot be applied automatically"
    ),
}
_REPLACEMENTS = {
    **{chr(code): chr(0x2400 + code) for code in range(0x20) if code != 0x09},
    "\t": "    ",
    "\x7f": "␡",
    "\u200d": "",
    **{chr(code): "�" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))},
}
_REPLACEMENT_TABLE = str.maketrans(_REPLACEMENTS)


def render(diagnostics: Sequence[Diagnostic], ctx: RenderContext) -> str:
    return "".join(render_diagnostic(diag, ctx) for diag in sorted_diagnostics(diagnostics))


def render_diagnostic(diag: Diagnostic, ctx: RenderContext) -> str:
    source = ctx.sources.get(diag.filename)
    lines = [_header(diag, ctx), *_excerpt(diag, source, ctx)]
    if diag.fix_title:
        lines.append(_titled("help", HELP, diag.fix_title, ctx.color))
    return "".join(line + "\n" for line in lines) + _fix_section(diag, source, ctx) + "\n"


def _fix_section(diag: Diagnostic, source: str | None, ctx: RenderContext) -> str:
    if not ctx.show_fix_diff or diag.fix is None or source is None:
        return ""
    # Only this option shows fix diffs: their module is loaded for it alone.
    from ownership_lint.output.fix_diff import render_fix_diff

    diff = render_fix_diff(diag.fix, source, color=ctx.color)
    return diff + _applicability_note(diag.fix, ctx.color)


def _header(diag: Diagnostic, ctx: RenderContext) -> str:
    message = paint(" " + diag.message, *EMPHASIS, enabled=ctx.color)
    if diag.code is None:
        return paint(SYNTAX_ERROR_NAME + ":", *PRIMARY, enabled=ctx.color) + message
    code = paint(diag.code, *PRIMARY, enabled=ctx.color)
    if is_fixable(diag, ctx.unsafe_fixes):
        code += f" [{paint('*', *HELP, enabled=ctx.color)}]"
    return code + message


def _titled(label: str, style: Style, text: str, color: bool) -> str:
    return paint(label, *style, enabled=color) + paint(": " + text, *EMPHASIS, enabled=color)


def _applicability_note(fix: Fix, color: bool) -> str:
    note = APPLICABILITY_NOTES.get(fix.applicability)
    return _titled("note", NOTE, note, color) + "\n" if note else ""


# -- source model -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    number: int
    text: str
    start: int
    end: int
    eol: int

    @property
    def stop(self) -> int:
        return self.end + self.eol


class LineIndex:
    """Lines and offsets like ruff's line index (a final empty line after a trailing newline)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _Lines(text)
        self.starts = self.lines.starts if not self.lines or self.lines[-1].eol else self.lines.starts[:-1]

    @property
    def row_count(self) -> int:
        return len(self.starts)

    def offset(self, location: Location) -> int:
        if location.row > len(self.lines):
            return len(self.text)
        line = self.lines[max(location.row, 1) - 1]
        return min(line.start + max(location.column - 1, 0), line.stop)

    def row_of(self, offset: int) -> int:
        return max(bisect_right(self.starts, offset), 1)

    def row_text(self, row: int) -> str:
        return self.lines[row - 1].text if 1 <= row <= len(self.lines) else ""

    def row_start(self, row: int) -> int:
        return self.starts[row - 1]

    def row_stop(self, row: int) -> int:
        return self.lines[row - 1].stop if row <= len(self.lines) else len(self.text)


@lru_cache(maxsize=8)
def _source(text: str) -> LineIndex:
    """The line index of a file's text, built once for all of its diagnostics."""
    return LineIndex(text)


class _Lines(Sequence[_Line]):
    """The lines of a text (ended by ``\r\n``, ``\r`` or ``\n``), each made a ``_Line``
    only when asked for: a diagnostic shows a handful of its file's lines."""

    def __init__(self, text: str) -> None:
        self._raw = split_lines(text)
        self.starts = [0, *accumulate(map(len, self._raw))]  # and the end of the text

    def __len__(self) -> int:
        return len(self._raw)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._raw)))]
        raw = self._raw[index]
        number = index + 1 if index >= 0 else len(self._raw) + index + 1
        text = raw.rstrip("\r\n")  # one line ends in one terminator
        start = self.starts[number - 1]
        return _Line(number, text, start, start + len(text), len(raw) - len(text))


def _char_width(char: str) -> int:
    if char == "\t":
        return 4
    if unicodedata.east_asian_width(char) in "WF":
        return 2
    if char != "\u00ad" and unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 1


def _width(text: str) -> int:
    if text.isascii():  # every ASCII character is one column wide, but a tab
        return len(text) + 3 * text.count("\t")
    return sum(_char_width(char) for char in text)


def _normalize(text: str) -> str:
    return text.translate(_REPLACEMENT_TABLE)


# -- excerpt --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mark:
    """Underlined display columns of a line: ``single``, ``start``, ``end`` or ``line``."""

    kind: str
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class _Annotation:
    marks: dict[int, _Mark]
    row: int
    column: int

    @property
    def multiline(self) -> bool:
        return any(mark.kind != "single" for mark in self.marks.values())


def _excerpt(diag: Diagnostic, source: str | None, ctx: RenderContext) -> list[str]:
    path = display_path(diag.filename, ctx.cwd)
    if source is None:
        arrow = paint("--> ", *LINE_NO, enabled=ctx.color)
        return [f"{arrow}{path}:{diag.location.row}:{diag.location.column}"]
    src = _source(source)
    start = src.offset(diag.location)
    end = max(src.offset(diag.end_location), start)
    lines = _snippet_lines(src, start, end)
    annotation = _annotate(lines, start, end)
    width = len(str(lines[-1].number))
    arrow = " " * width + paint("--> ", *LINE_NO, enabled=ctx.color)
    return [
        f"{arrow}{path}:{annotation.row}:{annotation.column}",
        " " * (width + 1) + paint("|", *LINE_NO, enabled=ctx.color),
        *_draw_snippet(lines, annotation, width).render(ctx.color),
    ]


def _snippet_lines(src: LineIndex, start: int, end: int) -> list[_Line]:
    first, last = src.row_of(start), src.row_of(end)
    if src.text[start:end].endswith(("\n", "\r")):
        last = max(last - 1, first)
    first, last = _context_before(src, first), _context_after(src, last)
    lines = src.lines[first - 1 : last]  # line n is lines[n - 1]
    return lines or [_Line(first, "", len(src.text), len(src.text), 0)]


def _context_before(src: LineIndex, row: int) -> int:
    line = max(row - CONTEXT_LINES, 1)
    while line < row and not src.row_text(line).strip():
        line += 1
    return line


def _context_after(src: LineIndex, row: int) -> int:
    line = min(row + CONTEXT_LINES, src.row_count)
    while line > row and not src.row_text(line).strip():
        line -= 1
    return line


def _annotate(lines: list[_Line], start: int, end: int) -> _Annotation:
    first = next((line for line in lines if line.start <= start < line.stop), lines[-1])
    row, column = first.number, _header_column(first, start)
    begin = _display_column(first, start)
    if end <= first.end + max(first.eol, 1):
        finish = _display_column(first, end)
        return _Annotation(
            {first.number: _Mark("single", begin, max(finish, begin + 1))}, row, column
        )
    marks = {first.number: _Mark("start", begin, begin + 1)}
    for line in lines[first.number - lines[0].number + 1 :]:
        if end <= line.end + max(line.eol, 1):
            caret = _end_caret(line, end)
            marks[line.number] = _Mark("end", caret, caret + 1)
            break
        marks[line.number] = _Mark("line")
    return _Annotation(marks, row, column)


def _header_column(line: _Line, offset: int) -> int:
    shift = offset - line.start
    return len(line.text[: min(shift, len(line.text))]) + 1 + (shift > len(line.text))


def _display_column(line: _Line, offset: int) -> int:
    return _width(line.text[: max(min(offset - line.start, len(line.text)), 0)])


def _end_caret(line: _Line, end: int) -> int:
    caret = max(_display_column(line, end) - 1, 0)
    past_end = end > line.end or (end == line.end + 1 and line.eol == 0)
    return caret + 1 if past_end else caret


class _Buffer:
    """Rows of styled cells, one character each (annotate-snippets' ``StyledBuffer``): per
    row, its characters and their styles, in two lists written a slice at a time."""

    def __init__(self) -> None:
        self.rows: list[tuple[list[str], list[Style]]] = []

    def putc(self, row: int, col: int, char: str, style: Style = PLAIN) -> None:
        self.puts(row, col, char, style)

    def puts(self, row: int, col: int, text: str, style: Style = PLAIN) -> None:
        if not text:
            return
        while len(self.rows) <= row:
            self.rows.append(([], []))
        chars, styles = self.rows[row]
        end = col + len(text)
        if len(chars) < end:
            chars.extend(" " * (end - len(chars)))
            styles.extend([PLAIN] * (end - len(styles)))
        chars[col:end] = text
        styles[col:end] = [style] * len(text)

    def render(self, color: bool) -> list[str]:
        return [_render_cells(chars, styles, color) for chars, styles in self.rows]


def _render_cells(chars: list[str], styles: list[Style], color: bool) -> str:
    if not color:
        return "".join(chars)
    runs, start = [], 0
    for style, cells in groupby(styles):
        width = sum(1 for _ in cells)
        runs.append(paint("".join(chars[start : start + width]), *style, enabled=color))
        start += width
    return "".join(runs)


class _Margin:
    """annotate-snippets' horizontal window for lines wider than the terminal."""

    def __init__(
        self, whitespace: int, span_left: int, span_right: int, column_width: int, max_len: int
    ) -> None:
        self.column_width = column_width
        whitespace, span_left = max(whitespace - 6, 0), max(span_left - 6, 0)
        span_right += 6
        self.left = whitespace - 16 if whitespace > 20 else 0
        self.right = max(max_len, self.left)
        if self.right - self.left > column_width:
            self._fit(whitespace, span_left, span_right)

    def _fit(self, whitespace: int, span_left: int, span_right: int) -> None:
        width = self.column_width
        if whitespace <= span_right and span_right - whitespace <= width:
            self.left = whitespace
        elif span_right - span_left <= width:
            self.left = max(span_left - (width - (span_right - span_left)) // 2, 0)
        else:
            self.left, self.right = span_left, span_right
            return
        self.right = self.left + width

    @property
    def cut_left(self) -> bool:
        return self.left > 0

    def line_left(self, line_len: int) -> int:
        return min(self.left, line_len)

    def line_right(self, line_len: int) -> int:
        if max(line_len - self.left, 0) <= self.column_width:
            return line_len
        return min(line_len, self.right)


def _margin(lines: list[_Line], annotation: _Annotation, code_offset: int) -> _Margin:
    indents = [_leading_width(line.text) for line in lines if line.text.strip()]
    columns = [
        col
        for mark in annotation.marks.values()
        if mark.kind != "line"
        for col in (mark.start, mark.end)
    ]
    return _Margin(
        whitespace=min(indents, default=0),
        span_left=min(columns),
        span_right=max(columns),
        column_width=max(TERM_WIDTH - code_offset, 0),
        max_len=max(_width(line.text) for line in lines),
    )


def _leading_width(text: str) -> int:
    stripped = text.lstrip()
    return sum(4 if char == "\t" else 1 for char in text[: len(text) - len(stripped)])


def _draw_snippet(lines: list[_Line], annotation: _Annotation, width: int) -> _Buffer:
    buffer = _Buffer()
    code_offset = width + 3 + (2 if annotation.multiline else 0)
    margin = _margin(lines, annotation, code_offset)
    inside = False
    for index, line in enumerate(lines):
        row = len(buffer.rows)
        left = _draw_line(buffer, row, line, width, code_offset, margin)
        mark = annotation.marks.get(line.number)
        if mark is None and not inside and index == len(lines) - 1:
            buffer.putc(row + 1, width + 1, "|", LINE_NO)
        elif mark is None or mark.kind == "line":
            if inside:
                buffer.putc(row, width + 3, "|", PRIMARY)
        else:
            inside = _draw_mark(buffer, row, line, mark, width, code_offset - left)
    return buffer


def _draw_mark(
    buffer: _Buffer, row: int, line: _Line, mark: _Mark, width: int, origin: int
) -> bool:
    """Underline ``mark`` below ``row``; returns whether a multi-line range is still open."""
    bar = width + 3
    if mark.kind == "start" and not _normalize(line.text)[: mark.start].strip():
        buffer.putc(row, bar, "/", PRIMARY)
        return True
    buffer.putc(row + 1, width + 1, "|", LINE_NO)
    if mark.kind != "single":
        buffer.putc(row + 1, bar, " " if mark.kind == "start" else "|", PRIMARY)
        buffer.puts(row + 1, bar + 1, "_" * max(origin + mark.start - bar - 1, 0), PRIMARY)
    if mark.kind == "end":
        buffer.putc(row, bar, "|", PRIMARY)
    if origin + mark.start >= 0:
        buffer.puts(row + 1, origin + mark.start, "^" * (mark.end - mark.start), PRIMARY)
    else:
        for col in range(mark.start, mark.end):
            buffer.putc(row + 1, max(origin + col, 0), "^", PRIMARY)
    return mark.kind == "start"


def _draw_line(
    buffer: _Buffer, row: int, line: _Line, width: int, code_offset: int, margin: _Margin
) -> int:
    text = _normalize(line.text)
    line_len = _width(text)
    left, right = margin.line_left(line_len), margin.line_right(line_len)
    code, skipped = _visible(text, left, right)
    left = max(left, skipped)
    lead = _cut_width(code) if margin.cut_left else 0
    taken = _width(code[:lead])
    if margin.cut_left:
        buffer.puts(row, code_offset, ELLIPSIS, LINE_NO)
    buffer.puts(row, code_offset + taken, code[lead:])
    if line_len > right:
        tail = _cut_width(code[::-1])
        buffer.puts(row, code_offset + taken + len(code) - lead - tail, ELLIPSIS, LINE_NO)
    buffer.puts(row, 0, f"{line.number:>{width}}", LINE_NO)
    buffer.putc(row, width + 1, "|", LINE_NO)
    return left


def _visible(text: str, left: int, right: int) -> tuple[str, int]:
    """The characters shown between display columns ``left`` and ``right``; the width skipped."""
    if text.isascii() and "\t" not in text:  # one column per character
        skipped = max(min(left, len(text)), 0)
        return text[skipped : skipped + max(right - left, 0)], skipped
    skipped, index = 0, 0
    while index < len(text) and skipped < left:
        skipped += _char_width(text[index])
        index += 1
    taken, chars = 0, []
    for char in text[index:]:
        taken += _char_width(char)
        if taken > right - left:
            break
        chars.append(char)
    return "".join(chars), skipped


def _cut_width(chars: str) -> int:
    """How many characters the one-column ``…`` replaces at the start of ``chars``."""
    taken = 0
    for count, char in enumerate(chars, start=1):
        taken += _char_width(char)
        if taken >= 1:
            return count
    return 0
