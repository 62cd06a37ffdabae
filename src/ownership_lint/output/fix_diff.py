"""The fix diff of ruff's ``full`` format (``RenderContext.show_fix_diff``): the fix applied to
the lines around it, the changed words emphasised, as ruff 0.17 prints it under a diagnostic."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ownership_lint.diagnostics import Edit, Fix
from ownership_lint.output import paint
from ownership_lint.output.full import EMPHASIS, LINE_NO, PLAIN, LineIndex, Style

DELETION: Style = ("31",)
DELETION_SIGN: Style = ("1", "31")
INSERTION: Style = ("32",)
INSERTION_SIGN: Style = ("1", "32")

FIX_CONTEXT = 1
DIFF_WINDOW = 3
MERGE_WINDOW = 2
_WORD = re.compile(r"\s+|\S+")
_NONPRINTING = {"\x07": "␇", "\x08": "␈", "\x1b": "␛", "\x7f": "␡"}


@dataclass(frozen=True)
class _Change:
    tag: str
    number: int | None
    segments: tuple[tuple[bool, str], ...]


def render_fix_diff(fix: Fix, source: str, *, color: bool = False) -> str:
    """The fix applied to the lines around it, as ruff prints it under ``help:``."""
    src = LineIndex(source)
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


def _apply_edits(src: LineIndex, edits: Sequence[Edit], low: int, high: int) -> str | None:
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
