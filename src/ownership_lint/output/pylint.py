"""ruff's ``pylint`` format: ``path:row: [CODE] message``."""

from __future__ import annotations

from collections.abc import Sequence

from ownership_lint.diagnostics import Diagnostic
from ownership_lint.output import (
    SYNTAX_ERROR_NAME,
    RenderContext,
    display_path,
    sorted_diagnostics,
)


def render(diagnostics: Sequence[Diagnostic], ctx: RenderContext) -> str:
    return "".join(
        f"{display_path(diag.filename, ctx.cwd)}:{diag.location.row}: "
        f"[{diag.code or SYNTAX_ERROR_NAME}] {diag.message}\n"
        for diag in sorted_diagnostics(diagnostics)
    )
