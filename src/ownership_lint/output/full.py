"""ruff's ``full`` format: header, source excerpt with carets, fix title, optional fix diff.

The excerpt follows ruff 0.17 (annotate-snippets): two lines of context either side with blank
edge lines dropped, tabs shown as four spaces, wide characters counted twice, multi-line ranges
drawn with ``/``, ``|`` and ``|_^``, lines wider than the 140-column window cut with ``…``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from ownership_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location
from ownership_lint.output import (
    SYNTAX_ERROR_NAME,
    RenderContext,
    display_path,
    is_fixable,
    paint,
    sorted_diagnostics,
)

Style = tuple[str, ...]

PLAIN: Style = ()
LINE_NO: Style = ("1", "94")
PRIMARY: Style = ("1", "91")
HELP: Style = ("1", "96")
NOTE: Style = ("1", "33")
EMPHASIS: Style = ("1",)
DELETION: Style = ("31",)
DELETION_SIGN: Style = ("1", "31")
INSERTION: Style = ("32",)
INSERTION_SIGN: Style = ("1", "32")

CONTEXT_LINES = 2
TERM_WIDTH = 140
ELLIPSIS = "…"
FIX_CONTEXT = 1
DIFF_WINDOW = 3
MERGE_WINDOW = 2
APPLICABILITY_NOTES = {
    Applicability.UNSAFE: "This is an unsafe fix and may change runtime behavior",
    Applicability.DISPLAY_ONLY: (
        "This suggestion may be incorrect or produce invalid syntax. "
        "It requires manual review and cannot be applied automatically"
    ),
}
_TERMINATOR = re.compile(r"\r\n|\r|\n")
_WORD = re.compile(r"\s+|\S+")
_REPLACEMENTS = {
    **{chr(code): chr(0x2400 + code) for code in range(0x20) if code != 0x09},
    "\t": "    ",
    "\x7f": "␡",
    "\u200d": "",
    **{chr(code): "�" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))},
}
_NONPRINTING = {"\x07": "␇", "\x08": "␈", "\x1b": "␛", "\x7f": "␡"}


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


class _Source:
    """Lines and offsets like ruff's line index (a final empty line after a trailing newline)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _split_lines(text)
        self.starts = [line.start for line in self.lines]
        if not self.lines or self.lines[-1].eol:
            self.starts.append(len(text))

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


def _split_lines(text: str) -> list[_Line]:
    lines, start = [], 0
    for match in _TERMINATOR.finditer(text):
        end = match.start()
        lines.append(_Line(len(lines) + 1, text[start:end], start, end, match.end() - end))
        start = match.end()
    if start < len(text):
        lines.append(_Line(len(lines) + 1, text[start:], start, len(text), 0))
    return lines


def _char_width(char: str) -> int:
    if char == "\t":
        return 4
    if unicodedata.east_asian_width(char) in "WF":
        return 2
    if char != "\u00ad" and unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 1


def _width(text: str) -> int:
    return sum(_char_width(char) for char in text)


def _normalize(text: str) -> str:
    return "".join(_REPLACEMENTS.get(char, char) for char in text)


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
    src = _Source(source)
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


def _snippet_lines(src: _Source, start: int, end: int) -> list[_Line]:
    first, last = src.row_of(start), src.row_of(end)
    if src.text[start:end].endswith(("\n", "\r")):
        last = max(last - 1, first)
    first, last = _context_before(src, first), _context_after(src, last)
    lines = [line for line in src.lines if first <= line.number <= last]
    return lines or [_Line(first, "", len(src.text), len(src.text), 0)]


def _context_before(src: _Source, row: int) -> int:
    line = max(row - CONTEXT_LINES, 1)
    while line < row and not src.row_text(line).strip():
        line += 1
    return line


def _context_after(src: _Source, row: int) -> int:
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
    """Rows of styled cells, one character each (annotate-snippets' ``StyledBuffer``)."""

    def __init__(self) -> None:
        self.rows: list[list[tuple[str, Style]]] = []

    def putc(self, row: int, col: int, char: str, style: Style = PLAIN) -> None:
        while len(self.rows) <= row:
            self.rows.append([])
        cells = self.rows[row]
        cells.extend([(" ", PLAIN)] * (col + 1 - len(cells)))
        cells[col] = (char, style)

    def puts(self, row: int, col: int, text: str, style: Style = PLAIN) -> None:
        for index, char in enumerate(text):
            self.putc(row, col + index, char, style)

    def render(self, color: bool) -> list[str]:
        return [_render_cells(cells, color) for cells in self.rows]


def _render_cells(cells: list[tuple[str, Style]], color: bool) -> str:
    runs: list[tuple[Style, str]] = []
    for char, style in cells:
        if runs and runs[-1][0] == style:
            runs[-1] = (style, runs[-1][1] + char)
        else:
            runs.append((style, char))
    return "".join(paint(text, *style, enabled=color) for style, text in runs)


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


# -- fix diff -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Change:
    tag: str
    number: int | None
    segments: tuple[tuple[bool, str], ...]


def render_fix_diff(fix: Fix, source: str, *, color: bool = False) -> str:
    """The fix applied to the lines around it, as ruff prints it under ``help:``."""
    src = _Source(source)
    edits = sorted(fix.edits, key=lambda edit: (edit.location, edit.end_location))
    if not edits:
        return ""
    first = max(src.row_of(src.offset(edits[0].location)) - DIFF_WINDOW, 1)
    last = min(src.row_of(src.offset(edits[-1].end_location)) + DIFF_WINDOW, src.row_count)
    low, high = src.row_start(first), src.row_stop(last)
    fixed = _apply_edits(src, edits, low, high)
    if fixed is None:
        return ""
    return _format_diff(_split_keep(source[low:high]), _split_keep(fixed), first - 1, color)


def _apply_edits(src: _Source, edits: Sequence[Edit], low: int, high: int) -> str | None:
    parts, cursor, applied = [], low, 0
    for edit in edits:
        start, end = src.offset(edit.location), src.offset(edit.end_location)
        if low <= start and end <= high:
            parts += [src.text[cursor:start], edit.content]
            cursor, applied = end, applied + 1
    return "".join(parts) + src.text[cursor:high] if applied else None


def _split_keep(text: str) -> list[str]:
    return [line for line in re.split(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)", text) if line]


def _format_diff(old: list[str], new: list[str], offset: int, color: bool) -> str:
    groups = _grouped_opcodes(old, new)
    largest = groups[-1][-1][4] + offset if groups else 0
    width = len(str(largest)) if largest > 0 else 1
    gutter = (
        paint(" " * width, *LINE_NO, enabled=color)
        + " "
        + paint("|", *LINE_NO, enabled=color)
        + "\n"
    )
    out = [gutter]
    for index, group in enumerate(groups):
        if index:
            out.append("-" * 80 + "\n")
        for opcode in group:
            out += [
                _format_change(change, width, color)
                for change in _changes(opcode, old, new, offset)
            ]
    out.append(gutter)
    return "".join(out)


def _grouped_opcodes(old: list[str], new: list[str]) -> list[list[tuple[str, int, int, int, int]]]:
    """``similar``'s ``grouped_ops(1)`` then ruff's merge of groups at most two lines apart."""
    opcodes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    if not opcodes:
        return []
    opcodes = _trim_edges(opcodes)
    groups, pending = [], []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal" and i2 - i1 > 2 * FIX_CONTEXT + MERGE_WINDOW:
            groups.append([*pending, ("equal", i1, i1 + FIX_CONTEXT, j1, j1 + FIX_CONTEXT)])
            pending = [("equal", i2 - FIX_CONTEXT, i2, j2 - FIX_CONTEXT, j2)]
        else:
            pending.append((tag, i1, i2, j1, j2))
    if any(opcode[0] != "equal" for opcode in pending):
        groups.append(pending)
    return [group for group in groups if any(opcode[0] != "equal" for opcode in group)]


def _trim_edges(
    opcodes: list[tuple[str, int, int, int, int]],
) -> list[tuple[str, int, int, int, int]]:
    opcodes = list(opcodes)
    tag, i1, i2, j1, j2 = opcodes[0]
    if tag == "equal":
        cut = max(i2 - i1 - FIX_CONTEXT, 0)
        opcodes[0] = (tag, i1 + cut, i2, j1 + cut, j2)
    tag, i1, i2, j1, j2 = opcodes[-1]
    if tag == "equal":
        keep = min(i2 - i1, FIX_CONTEXT)
        opcodes[-1] = (tag, i1, i1 + keep, j1, j1 + keep)
    return opcodes


def _changes(
    opcode: tuple[str, int, int, int, int], old: list[str], new: list[str], offset: int
) -> list[_Change]:
    tag, i1, i2, j1, j2 = opcode
    if tag == "equal":
        return [
            _Change("equal", j1 + k + 1 + offset, ((False, old[i1 + k]),)) for k in range(i2 - i1)
        ]
    old_segments, new_segments = _inline_segments(old[i1:i2], new[j1:j2])
    deleted = [_Change("delete", None, segments) for segments in old_segments]
    inserted = [
        _Change("insert", j1 + k + 1 + offset, segments) for k, segments in enumerate(new_segments)
    ]
    return deleted + inserted


def _inline_segments(old: list[str], new: list[str]) -> tuple[list[tuple], list[tuple]]:
    """Per line, runs of (emphasised, text): the words a replacement changes are emphasised."""
    plain = ([((False, line),) for line in old], [((False, line),) for line in new])
    if not old or not new or 2 * min(len(old), len(new)) / (len(old) + len(new)) < 0.5:
        return plain
    old_words, new_words = _words(old), _words(new)
    matcher = difflib.SequenceMatcher(
        None, [word for _, word in old_words], [word for _, word in new_words], autojunk=False
    )
    if matcher.ratio() < 0.5:
        return plain
    old_flags, new_flags = [False] * len(old_words), [False] * len(new_words)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            old_flags[i1:i2] = [True] * (i2 - i1)
            new_flags[j1:j2] = [True] * (j2 - j1)
    return _segments(old, old_words, old_flags), _segments(new, new_words, new_flags)


def _words(lines: list[str]) -> list[tuple[int, str]]:
    return [
        (index, word)
        for index, line in enumerate(lines)
        for word in _WORD.findall(line.rstrip("\r\n"))
    ]


def _segments(lines: list[str], words: list[tuple[int, str]], flags: list[bool]) -> list[tuple]:
    """Each line as runs of equally emphasised words; the line terminator is never emphasised."""
    runs: list[list[tuple[bool, str]]] = [[] for _ in lines]
    for (index, word), flag in zip(words, flags, strict=True):
        _append_run(runs[index], flag, word)
    for index, line in enumerate(lines):
        _append_run(runs[index], False, line[len(line.rstrip("\r\n")) :])
    return [tuple(line_runs) for line_runs in runs]


def _append_run(runs: list[tuple[bool, str]], flag: bool, text: str) -> None:
    if not text:
        return
    if runs and runs[-1][0] == flag:
        runs[-1] = (flag, runs[-1][1] + text)
    else:
        runs.append((flag, text))


def _format_change(change: _Change, width: int, color: bool) -> str:
    sign, sign_style, style = {
        "equal": ("|", LINE_NO, PLAIN),
        "delete": ("-", DELETION_SIGN, DELETION),
        "insert": ("+", INSERTION_SIGN, INSERTION),
    }[change.tag]
    number = " " * width if change.number is None else f"{change.number:<{width}}"
    out = paint(number, *LINE_NO, enabled=color) + " " + paint(sign, *sign_style, enabled=color)
    separated = False
    for emphasised, value in change.segments:
        if not separated and value.rstrip("\r\n"):
            out += " "
            separated = True
        styled = paint(_show_nonprinting(value), *style, enabled=color)
        out += paint(styled, *EMPHASIS, enabled=color) if emphasised else styled
    text = "".join(value for _, value in change.segments)
    return out if text.endswith(("\n", "\r")) else out + "\n"


def _show_nonprinting(text: str) -> str:
    return "".join(_NONPRINTING.get(char, char) for char in text)
