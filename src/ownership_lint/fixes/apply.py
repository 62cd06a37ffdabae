"""Apply fix actions to source text in one libcst pass and express the result as edits."""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ..diagnostics import Edit, Location
from .actions import AddImport, AddParameter, FixAction, FunctionRef, InsertStatements
from .imports import ensure_imports
from .parameters import insert_parameter


class FixError(Exception):
    """The fix could not be applied (the message says why)."""


def apply_actions(text: str, actions: Sequence[FixAction]) -> str:
    try:
        module = cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError) as error:
        raise FixError(f"libcst cannot parse the file: {error}") from None
    by_function: dict[FunctionRef, list[FixAction]] = defaultdict(list)
    imports: list[AddImport] = []
    for action in actions:
        if isinstance(action, AddImport):
            imports.append(action)
        else:
            by_function[action.function].append(action)
    if by_function:
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        editor = _FunctionEditor(by_function, module)
        module = wrapper.visit(editor)
        missing = set(by_function) - editor.applied
        if missing:
            names = ", ".join(f"{ref.name} (line {ref.line})" for ref in sorted(missing, key=str))
            raise FixError(f"function not found: {names}")
    if imports:
        module = ensure_imports(module, imports)
    return module.code


class _FunctionEditor(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, actions: dict[FunctionRef, list[FixAction]], module: cst.Module) -> None:
        super().__init__()
        self.actions = actions
        self.module = module
        self.applied: set[FunctionRef] = set()
        self._stack: list[FunctionRef | None] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        line = self.get_metadata(PositionProvider, node.name).start.line
        ref = FunctionRef(node.name.value, line)
        self._stack.append(ref if ref in self.actions else None)

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        ref = self._stack.pop()
        if ref is None:
            return updated
        self.applied.add(ref)
        for action in self.actions[ref]:
            if isinstance(action, AddParameter):
                updated = insert_parameter(updated, action)
        inserts = [a for a in self.actions[ref] if isinstance(a, InsertStatements)]
        if inserts:
            updated = _insert_at_body_start(updated, inserts, self.module)
        return updated


def _insert_at_body_start(
    function: cst.FunctionDef, inserts: list[InsertStatements], module: cst.Module
) -> cst.FunctionDef:
    body = function.body
    if not isinstance(body, cst.IndentedBlock):
        body = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=list(body.body))])
    statements = list(body.body)
    position = 1 if statements and _is_docstring(statements[0]) else 0
    new: list[cst.BaseStatement] = []
    for insert in inserts:
        new.extend(_parse_statements(insert.code, module))
    if position < len(statements):
        following = statements[position]
        lines = list(following.leading_lines)
        if not lines or lines[0].comment is not None:
            lines.insert(0, cst.EmptyLine(indent=False))
            statements[position] = following.with_changes(leading_lines=lines)
    statements[position:position] = new
    return function.with_changes(body=body.with_changes(body=statements))


def _parse_statements(code: str, module: cst.Module) -> list[cst.BaseStatement]:
    config = cst.PartialParserConfig(default_newline=module.default_newline)
    parsed = cst.parse_module(code, config=config)
    return list(parsed.body)


def _is_docstring(statement: cst.BaseStatement) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    expr = statement.body[0]
    return isinstance(expr, cst.Expr) and isinstance(
        expr.value, (cst.SimpleString, cst.ConcatenatedString)
    )


def text_edits(old: str, new: str) -> tuple[Edit, ...]:
    """The changed line ranges between two texts, as ruff-style edits (1-based)."""
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    edits = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        edits.append(
            Edit(
                content="".join(new_lines[j1:j2]),
                location=Location(i1 + 1, 1),
                end_location=Location(i2 + 1, 1),
            )
        )
    return tuple(edits)


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping line edits (as produced by ``text_edits``)."""
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: e.location, reverse=True):
        start, end = edit.location.row - 1, edit.end_location.row - 1
        lines[start:end] = edit.content.splitlines(keepends=True)
    return "".join(lines)
