"""ruff's ``junit`` format: one test suite per file, one failed test case per diagnostic.

The XML is written the way ruff's ``quick-junit`` serialiser writes it: four-space indent,
attributes in a fixed order, the five XML entities escaped in attributes and text.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ownership_lint.diagnostics import Diagnostic
from ownership_lint.output import (
    PROGRAM,
    SYNTAX_ERROR_NAME,
    RenderContext,
    group_by_file,
)

PACKAGE = f"org.{PROGRAM}"
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}


def escape(text: str) -> str:
    return "".join(_ENTITIES.get(char, char) for char in text)


def render(diagnostics: Sequence[Diagnostic], ctx: RenderContext) -> str:
    total = len(diagnostics)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="{PROGRAM}" tests="{max(total, 1)}" skipped="0" '
        f'failures="{total}" errors="0">',
    ]
    if not diagnostics:
        lines += [
            f'    <testsuite name="{PROGRAM}" tests="1" skipped="0" errors="0" failures="0" '
            f'package="{PACKAGE}">',
            f'        <testcase name="No errors found" classname="{PROGRAM}"/>',
            "    </testsuite>",
        ]
    for filename, group in group_by_file(diagnostics).items():
        lines.append(
            f'    <testsuite name="{escape(filename)}" tests="{len(group)}" skipped="0" errors="0" '
            f'failures="{len(group)}" package="{PACKAGE}">'
        )
        classname = escape(_classname(filename))
        for diag in group:
            lines += _testcase(diag, classname)
        lines.append("    </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"


def _testcase(diag: Diagnostic, classname: str) -> list[str]:
    row, column = diag.location.row, diag.location.column
    message = escape(diag.message)
    return [
        f'        <testcase name="{PACKAGE}.{escape(diag.code or SYNTAX_ERROR_NAME)}" '
        f'classname="{classname}" line="{row}" column="{column}">',
        "            <properties>",
        '                <property name="severity" value="error"/>',
        "            </properties>",
        f'            <failure message="{message}">line {row}, col {column}, {message}</failure>',
        "        </testcase>",
    ]


def _classname(filename: str) -> str:
    """The path without its extension, as ruff's ``parent.join(file_stem)``."""
    parent, name = os.path.split(filename)
    stem = name if name.startswith(".") and name.count(".") == 1 else name.rsplit(".", 1)[0] if "." in name else name
    return os.path.join(parent, stem) if parent else stem
