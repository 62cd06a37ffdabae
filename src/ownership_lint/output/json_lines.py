"""ruff's ``json-lines`` format: one compact JSON object per line, the ``json`` format's fields."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ownership_lint.diagnostics import Diagnostic
from ownership_lint.output import RenderContext, sorted_diagnostics
from ownership_lint.output.json_format import diagnostic_to_json


def render(diagnostics: Sequence[Diagnostic], ctx: RenderContext) -> str:
    return "".join(
        json.dumps(diagnostic_to_json(diag), ensure_ascii=False, separators=(",", ":")) + "\n"
        for diag in sorted_diagnostics(diagnostics)
    )
