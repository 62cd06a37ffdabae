"""ruff's ``concise`` format: one ``path:row:col: CODE [*] message`` line per diagnostic."""

from __future__ import annotations

from collections.abc import Sequence

from ownership_lint.diagnostics import Diagnostic
from ownership_lint.output import (
    SYNTAX_ERROR_NAME,
    RenderContext,
    display_path,
    is_fixable,
    paint,
    sorted_diagnostics,
)

BOLD = "1"
RED = "31"
CYAN = "36"


def render(diagnostics: Sequence[Diagnostic], ctx: RenderContext) -> str:
    return "".join(render_line(diag, ctx) + "\n" for diag in sorted_diagnostics(diagnostics))


def render_line(diag: Diagnostic, ctx: RenderContext) -> str:
    return f"{_position(diag, ctx)} {body(diag, ctx)}"


def _position(diag: Diagnostic, ctx: RenderContext) -> str:
    sep = paint(":", CYAN, enabled=ctx.color)
    path = paint(display_path(diag.filename, ctx.cwd), BOLD, enabled=ctx.color)
    return f"{path}{sep}{diag.location.row}{sep}{diag.location.column}{sep}"


def body(diag: Diagnostic, ctx: RenderContext) -> str:
    """``CODE [*] message`` (``invalid-syntax: message`` for a syntax error)."""
    if diag.code is None:
        return f"{paint(SYNTAX_ERROR_NAME, BOLD, RED, enabled=ctx.color)}: {diag.message}"
    code = paint(diag.code, BOLD, RED, enabled=ctx.color)
    if is_fixable(diag, ctx.unsafe_fixes):
        return f"{code} [{paint('*', CYAN, enabled=ctx.color)}] {diag.message}"
    return f"{code} {diag.message}"
