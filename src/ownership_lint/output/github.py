"""ruff's ``github`` format: GitHub Actions workflow commands (``::error ...::``).

The location properties carry ``col``/``endColumn`` only for a single-line range, as ruff 0.17
writes them; the message repeats ``path:row:col: CODE message`` and adds the fix title after
an escaped newline (``%0A  help: ...``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ownership_lint.diagnostics import Diagnostic
from ownership_lint.output import (
    PROGRAM,
    SYNTAX_ERROR_NAME,
    RenderContext,
    display_path,
    sorted_diagnostics,
)


def render(diagnostics: Sequence[Diagnostic], ctx: RenderContext) -> str:
    return "".join(render_line(diag, ctx) + "\n" for diag in sorted_diagnostics(diagnostics))


def render_line(diag: Diagnostic, ctx: RenderContext) -> str:
    start, end = diag.location, diag.end_location
    code = diag.code or SYNTAX_ERROR_NAME
    if start.row == end.row:
        position = f"line={start.row},col={start.column},endLine={end.row},endColumn={end.column}"
    else:
        position = f"line={start.row},endLine={end.row}"
    label = diag.code if diag.code is not None else f"{SYNTAX_ERROR_NAME}:"
    body = (
        f"{display_path(diag.filename, ctx.cwd)}:{start.row}:{start.column}: {label} {diag.message}"
    )
    if diag.fix_title:
        body += f"%0A  help: {diag.fix_title}"
    return f"::error title={PROGRAM} ({code}),file={diag.filename},{position}::{body}"
