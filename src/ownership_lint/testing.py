"""Runs the rules' VALID/INVALID examples: one pytest parameter per example.

Each example is written to a temporary project (the example file plus its ``files``), checked
with the real engine, and, for an invalid example, fixed with ``--fix`` semantics.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator
from pathlib import Path

from .diagnostics import Applicability, Diagnostic
from .engine import Linter, RunOptions
from .registry import all_rules
from .rule import Case, Rule
from .settings import Settings
from .source import read_source


def cases(kind: str) -> Iterator[tuple[type[Rule], Case]]:
    for rule in all_rules():
        for case in getattr(rule, kind):
            yield rule, case


def case_id(rule: type[Rule], case: Case) -> str:
    return f"{rule.code} {case.id}"


def write_project(root: Path, case: Case) -> Path:
    for relative, text in {**case.files, case.path: case.source}.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    (root / "pyproject.toml").write_text("[project]\nname = 'example'\n", encoding="utf-8")
    return root / case.path


def check_case(
    root: Path, case: Case, *, fix: bool = False, unsafe_fixes: bool = False
) -> tuple[list[Diagnostic], str]:
    """Diagnostics left in the example file and its text after the run."""
    path = write_project(root, case)
    settings = dataclasses.replace(Settings(project_root=root), **dict(case.settings))
    options = RunOptions(fix=fix, unsafe_fixes=unsafe_fixes, with_edits=True)
    linter = Linter(settings, root, options)
    result = linter.process(read_source(path))
    return result.diagnostics, result.text


def assert_valid(rule: type[Rule], case: Case, root: Path) -> None:
    diagnostics, _ = check_case(root, case)
    reported = [d for d in diagnostics if d.code == rule.code]
    assert not reported, f"{rule.code} reported on a valid example: {reported}"


def assert_invalid(rule: type[Rule], case: Case, root: Path) -> None:
    diagnostics, _ = check_case(root / "check", case)
    reported = [d for d in diagnostics if d.code == rule.code]
    assert reported, f"{rule.code} not reported on an invalid example"
    if case.fixed is None:
        assert all(d.fix is None for d in reported), "a fix is offered where none is expected"
        return
    assert all(d.fix is not None for d in reported), "no fix offered"
    # An example whose fix is unsafe documents the result of ``--fix --unsafe-fixes``.
    unsafe = any(d.fix is not None and d.fix.applicability is Applicability.UNSAFE for d in reported)
    _, fixed = check_case(root / "fix", case, fix=True, unsafe_fixes=unsafe)
    assert fixed == case.fixed, _diff(case.fixed, fixed)
    ast.parse(fixed)
    again = dataclasses.replace(case, source=fixed)
    _, twice = check_case(root / "again", again, fix=True, unsafe_fixes=unsafe)
    assert twice == fixed, "fixing twice changed the file:\n" + _diff(fixed, twice)


def _diff(expected: str, actual: str) -> str:
    import difflib

    return "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True), "expected", "actual"
        )
    )
