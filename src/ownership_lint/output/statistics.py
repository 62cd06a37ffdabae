"""``--statistics``: one row per rule (count, code, fixability, name), like ruff's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

from ownership_lint.diagnostics import Diagnostic
from ownership_lint.output import (
    SYNTAX_ERROR_NAME,
    RenderContext,
    is_fixable,
    paint_joined,
)
from ownership_lint.output.json_format import dumps

BOLD = "1"
RED = "31"
CYAN = "36"


@dataclass(frozen=True)
class Statistic:
    code: str | None
    name: str
    count: int
    fixable_count: int

    @property
    def fixable(self) -> bool:
        return 0 < self.fixable_count == self.count

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "count": self.count,
            "fixable": self.fixable,
            "fixable_count": self.fixable_count,
        }


def render_statistics(
    diagnostics: Sequence[Diagnostic], ctx: RenderContext, *, json_output: bool = False
) -> str:
    """The rows as text, or ruff's JSON list; "" when there is nothing to count (as ruff)."""
    stats = statistics(diagnostics, unsafe_fixes=ctx.unsafe_fixes)
    if not stats:
        return ""
    if json_output:
        return dumps([stat.to_json() for stat in stats]) + "\n"
    return statistics_text(stats, color=ctx.color)


def statistics(diagnostics: Sequence[Diagnostic], *, unsafe_fixes: bool) -> list[Statistic]:
    """Diagnostics grouped by code, most frequent first, ties by rule name."""
    grouped = groupby(sorted(diagnostics, key=_code_key), key=_code_key)
    stats = [_statistic(list(group), unsafe_fixes) for _, group in grouped]
    return sorted(stats, key=lambda stat: (-stat.count, stat.name))


def statistics_text(stats: Sequence[Statistic], *, color: bool = False) -> str:
    count_width = len(str(max(stat.count for stat in stats)))
    code_width = max(len(stat.code or "") for stat in stats)
    marks = any(stat.fixable_count for stat in stats)
    return "".join(_row(stat, count_width, code_width, marks, color) + "\n" for stat in stats)


def _row(stat: Statistic, count_width: int, code_width: int, marks: bool, color: bool) -> str:
    count = paint_joined(f"{stat.count:>{count_width}}", BOLD, enabled=color)
    code = stat.code or ""
    code_cell = paint_joined(code, BOLD, RED, enabled=color) + " " * (code_width - len(code))
    mark = _mark(stat, color) if marks else ""
    return f"{count}\t{code_cell}\t{mark}{stat.name}"


def _mark(stat: Statistic, color: bool) -> str:
    if stat.fixable:
        return f"[{paint_joined('*', CYAN, enabled=color)}] "
    if stat.fixable_count:
        return f"[{paint_joined('-', CYAN, enabled=color)}] "
    return "[ ] "


def _statistic(group: list[Diagnostic], unsafe_fixes: bool) -> Statistic:
    first = group[0]
    return Statistic(
        code=first.code,
        name=SYNTAX_ERROR_NAME if first.code is None else first.name,
        count=len(group),
        fixable_count=sum(is_fixable(diag, unsafe_fixes) for diag in group),
    )


def _code_key(diag: Diagnostic) -> tuple[bool, str]:
    return (diag.code is not None, diag.code or "")
