"""ruff's ``sarif`` format: a SARIF 2.1.0 log for GitHub code scanning and other viewers.

The shape is ruff 0.17's (keys sorted, two-space indent, no final newline): a run whose driver
lists the rules that have results (``shortDescription``, ``fullDescription``, ``help``,
``helpUri``, ``defaultConfiguration``, ``properties``), results with a physical location and
fixes as ``fixes[].artifactChanges[].replacements``. Our rules also carry the properties
GitHub code scanning reads, ``security-severity`` and ``tags``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ownership_lint.diagnostics import Diagnostic, Edit, Location
from ownership_lint.output import (
    INFORMATION_URI,
    PROGRAM,
    SYNTAX_ERROR_NAME,
    RenderContext,
    RuleInfo,
    rule_info,
    sorted_diagnostics,
)

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# Bytes the ``url`` crate percent-encodes in a file URL's path (besides controls and non-ASCII).
_ENCODED = frozenset(b' "#<>?`{}%\\')


def render(diagnostics: Sequence[Diagnostic], ctx: RenderContext) -> str:
    ordered = sorted_diagnostics(diagnostics)
    rules: dict[str, dict[str, Any]] = {}
    for diag in ordered:
        if diag.code is not None and diag.code not in rules:
            rules[diag.code] = _rule(diag, rule_info(diag.code, ctx))
    from ownership_lint import __version__

    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": PROGRAM,
                        "informationUri": INFORMATION_URI,
                        "rules": [rules[code] for code in sorted(rules)],
                        "version": __version__,
                    }
                },
                "results": [_result(diag) for diag in ordered],
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False, sort_keys=True)


def _rule(diag: Diagnostic, info: RuleInfo | None) -> dict[str, Any]:
    if info is None:  # a code from no registered rule: what the diagnostic itself tells
        rule: dict[str, Any] = {
            "id": diag.code,
            "shortDescription": {"text": diag.message},
            "help": {"text": diag.message},
            "properties": {"id": diag.code, "problem.severity": "error"},
        }
        if diag.url:
            rule["helpUri"] = diag.url
        return rule
    properties: dict[str, Any] = {
        "id": info.code,
        "kind": info.linter,
        "name": info.name,
        "problem.severity": "error",
    }
    if info.security_severity is not None:
        properties["security-severity"] = info.security_severity
    if info.tags:
        properties["tags"] = list(info.tags)
    rule = {
        "id": info.code,
        "shortDescription": {"text": info.summary},
        "help": {"text": info.summary},
        "defaultConfiguration": {"enabled": info.enabled, "level": "error"},
        "properties": properties,
    }
    if info.explanation is not None:
        rule["fullDescription"] = {"text": info.explanation}
    if info.url is not None:
        rule["helpUri"] = info.url
    return rule


def _result(diag: Diagnostic) -> dict[str, Any]:
    uri = file_uri(diag.filename)
    result: dict[str, Any] = {
        "ruleId": diag.code or SYNTAX_ERROR_NAME,
        "level": "error",
        "message": {"text": diag.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": _region(diag.location, diag.end_location),
                }
            }
        ],
    }
    if diag.fix is not None and diag.fix.edits:
        result["fixes"] = [
            {
                "description": {"text": diag.fix_title or diag.fix.message},
                "artifactChanges": [
                    {
                        "artifactLocation": {"uri": uri},
                        "replacements": [_replacement(edit) for edit in diag.fix.edits],
                    }
                ],
            }
        ]
    return result


def _region(start: Location, end: Location) -> dict[str, int]:
    return {
        "startLine": start.row,
        "startColumn": start.column,
        "endLine": end.row,
        "endColumn": end.column,
    }


def _replacement(edit: Edit) -> dict[str, Any]:
    replacement: dict[str, Any] = {"deletedRegion": _region(edit.location, edit.end_location)}
    if edit.content:
        replacement["insertedContent"] = {"text": edit.content}
    return replacement


def file_uri(filename: str) -> str:
    """``file://`` URL of the absolute path, percent-encoded like Rust's ``Url::from_file_path``."""
    path = Path(filename).absolute().as_posix()
    encoded = "".join(
        f"%{byte:02X}" if byte < 0x21 or byte >= 0x7F or byte in _ENCODED else chr(byte)
        for byte in path.encode("utf-8", "surrogateescape")  # the bytes of an undecodable name
    )
    return "file://" + encoded
