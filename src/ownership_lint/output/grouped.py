"""ruff's ``grouped`` format: a heading per file, then ``row:col CODE message`` lines, aligned."""

from __future__ import annotations

from collections.abc import Sequence

from ownership_lint.diagnostics import Diagnostic
from ownership_lint.output import RenderContext, display_path, group_by_file, paint
from ownership_lint.output.concise import CYAN, body

UNDERLINE = "4"


def render(diagnostics: Sequence[Diagnostic], ctx: RenderContext) -> str:
    parts: list[str] = []
    for filename, group in group_by_file(diagnostics).items():
        row_width = max(len(str(diag.location.row)) for diag in group)
        column_width = max(len(str(diag.location.column)) for diag in group)
        parts.append(paint(display_path(filename, ctx.cwd), UNDERLINE, enabled=ctx.color) + ":\n")
        sep = paint(":", CYAN, enabled=ctx.color)
        for diag in group:
            row, column = str(diag.location.row), str(diag.location.column)
            parts.append(
                f"  {' ' * (row_width - len(row))}{row}{sep}{column}"
                f"{' ' * (column_width - len(column))} {body(diag, ctx)}\n"
            )
        parts.append("\n")
    return "".join(parts)
