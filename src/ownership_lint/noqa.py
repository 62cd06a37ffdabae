"""``# noqa`` comments: line-level, file-level, and ``--add-noqa``."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field

from .diagnostics import Diagnostic

# ruff's grammar: ``# noqa``, ``# noqa: A1``, ``# noqa:A1,B2`` and ``# noqa: A1 B2``.
_LINE = re.compile(
    r"#\s*(?i:noqa)(?::\s?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?"
)
_FILE = re.compile(
    r"#\s*(?:ownership-lint|flake8)\s*:\s*(?i:noqa)(?::\s?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?"
)
_CODE = re.compile(r"[A-Z]+[0-9]+")
ALL_CODES = None


@dataclass
class NoqaMap:
    """Per row: None for a blanket ``# noqa``, else the codes listed."""

    lines: dict[int, frozenset[str] | None] = field(default_factory=dict)
    file_blanket: bool = False
    file_codes: frozenset[str] = frozenset()

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


def comments(text: str) -> Iterable[tuple[int, str]]:
    """(row, comment text) of every comment; falls back to a line scan on tokenize errors."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                yield token.start[0], token.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        for row, line in enumerate(text.splitlines(), start=1):
            if "#" in line:
                yield row, line[line.index("#") :]


def parse_noqa(text: str) -> NoqaMap:
    result = NoqaMap()
    if "noqa" not in text.lower():
        return result
    for row, comment in comments(text):
        file_match = _FILE.match(comment)
        if file_match:
            codes = file_match.group("codes")
            if codes is None:
                result.file_blanket = True
            else:
                result.file_codes |= frozenset(_CODE.findall(codes))
            continue
        match = _LINE.search(comment)
        if match:
            codes = match.group("codes")
            result.lines[row] = None if codes is None else frozenset(_CODE.findall(codes))
    return result


def add_noqa(text: str, diagnostics: Iterable[Diagnostic]) -> tuple[str, int]:
    """Add (or merge into) ``# noqa: CODE`` on each reported line; returns (text, lines changed)."""
    wanted: dict[int, list[str]] = {}
    for diagnostic in diagnostics:
        if diagnostic.code is not None and diagnostic.noqa_row is not None:
            wanted.setdefault(diagnostic.noqa_row, []).append(diagnostic.code)
    existing = parse_noqa(text)
    lines = text.splitlines(keepends=True)
    changed = 0
    for row, codes in sorted(wanted.items()):
        if row > len(lines) or (row in existing.lines and existing.lines[row] is None):
            continue
        present = existing.lines.get(row) or frozenset()
        new_codes = [code for code in dict.fromkeys(codes) if code not in present]
        if not new_codes:
            continue
        lines[row - 1] = _with_codes(lines[row - 1], new_codes)
        changed += 1
    return "".join(lines), changed


def _with_codes(line: str, codes: list[str]) -> str:
    body = line.rstrip("\r\n")
    ending = line[len(body) :]
    match = _LINE.search(body)
    if match and match.group("codes"):
        merged = [*_CODE.findall(match.group("codes")), *codes]
        replacement = "# noqa: " + ", ".join(merged)
        return body[: match.start()] + replacement + body[match.end() :] + ending
    return f"{body.rstrip()}  # noqa: {', '.join(codes)}{ending}"
