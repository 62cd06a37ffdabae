"""ruff's ``json`` format: a pretty-printed array, keys sorted, no trailing newline."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ownership_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location
from ownership_lint.output import SYNTAX_ERROR_NAME, RenderContext, sorted_diagnostics

APPLICABILITY = {
    Applicability.SAFE: "safe",
    Applicability.UNSAFE: "unsafe",
    Applicability.DISPLAY_ONLY: "displayonly",
}


def render(diagnostics: Sequence[Diagnostic], ctx: RenderContext) -> str:
    return dumps([diagnostic_to_json(diag) for diag in sorted_diagnostics(diagnostics)])


def dumps(value: Any) -> str:
    """serde_json's pretty printer: two-space indent, non-ASCII kept as is."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def diagnostic_to_json(diag: Diagnostic) -> dict[str, Any]:
    syntax_error = diag.code is None
    return {
        "cell": None,
        "code": diag.code,
        "end_location": location_to_json(diag.end_location),
        "filename": diag.filename,
        "fix": fix_to_json(diag.fix),
        "location": location_to_json(diag.location),
        "message": diag.message,
        "name": SYNTAX_ERROR_NAME if syntax_error else diag.name,
        "noqa_row": None if syntax_error else diag.noqa_row,
        "severity": "error",
        "url": None if syntax_error else diag.url,
    }


def fix_to_json(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "applicability": APPLICABILITY[fix.applicability],
        "edits": [edit_to_json(edit) for edit in fix.edits],
        "message": fix.message,
    }


def edit_to_json(edit: Edit) -> dict[str, Any]:
    return {
        "content": edit.content,
        "end_location": location_to_json(edit.end_location),
        "location": location_to_json(edit.location),
    }


def location_to_json(location: Location) -> dict[str, int]:
    return {"column": location.column, "row": location.row}
