"""Apply fix actions to source text in one libcst pass and express the result as edits."""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ..diagnostics import Edit, Location
from ..source import fits_libcst, split_lines
from .actions import (
    AddImport,
    AddKeywordArgument,
    AddParameter,
    AppendMethodCall,
    FixAction,
    FunctionRef,
    InsertStatements,
    InsertStatementsAfter,
    InsertStatementsBefore,
    ReplaceExpression,
    ReplaceStatement,
    Span,
)
from .imports import ensure_imports
from .parameters import insert_parameter

_EXPRESSION_ACTIONS = (ReplaceExpression, AppendMethodCall, AddKeywordArgument)
_STATEMENT_ACTIONS = (ReplaceStatement, InsertStatementsAfter, InsertStatementsBefore)


class FixError(Exception):
    """The fix could not be applied (the message says why)."""


def apply_actions(text: str, actions: Sequence[FixAction]) -> str:
    if not fits_libcst(text):
        raise FixError("the code is nested too deeply to fix")
    try:
        return _apply(text, actions)
    except RecursionError:
        raise FixError("the code is nested too deeply to fix") from None
    except FixError:
        raise
    except Exception as error:  # noqa: BLE001 - libcst's internals must not take the run down
        raise FixError(f"libcst failed: {_describe(error)}") from None


def _describe(error: Exception) -> str:
    try:
        return f"{type(error).__name__}: {error}".splitlines()[0]
    except Exception:  # noqa: BLE001 - str() of a node deeper than the recursion limit
        return type(error).__name__


def _apply(text: str, actions: Sequence[FixAction]) -> str:
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        raise FixError(f"libcst cannot parse the file: {_describe(error)}") from None
    suffix = _lost_suffix(text, module)
    return _edit(module, actions) + suffix


def _lost_suffix(text: str, module: cst.Module) -> str:
    """The end of ``text`` that libcst does not reproduce (a final lone ``\\r``: libcst 1.x
    drops it), to put back; any other difference would lose bytes, so the fix is refused."""
    code = module.code
    if code == text:
        return ""
    if text.startswith(code) and not text[len(code) :].strip():
        return text[len(code) :]
    raise FixError("libcst does not reproduce the file exactly")


def _edit(module: cst.Module, actions: Sequence[FixAction]) -> str:
    actions = list(dict.fromkeys(actions))
    imports = [a for a in actions if isinstance(a, AddImport)]
    edits = [a for a in actions if not isinstance(a, AddImport)]
    if edits:
        editor = _Editor(edits, module)
        module = MetadataWrapper(module, unsafe_skip_copy=True).visit(editor)
        if editor.pending:
            raise FixError(f"fix target not found: {sorted(map(str, editor.pending))[0]}")
    if imports:
        module = ensure_imports(module, imports)
    return module.code


class _Editor(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, actions: list[FixAction], module: cst.Module) -> None:
        super().__init__()
        self.module = module
        self.functions: dict[FunctionRef, list[FixAction]] = defaultdict(list)
        self.expressions: dict[Span, list[FixAction]] = defaultdict(list)
        self.statements: dict[tuple[int, int], list[FixAction]] = defaultdict(list)
        for action in actions:
            if isinstance(action, (AddParameter, InsertStatements)):
                self.functions[action.function].append(action)
            elif isinstance(action, _EXPRESSION_ACTIONS):
                self.expressions[action.span].append(action)
            else:
                span = action.span  # type: ignore[union-attr]
                self.statements[(span.line, span.column)].append(action)
        self.pending: set[object] = {*self.functions, *self.expressions, *self.statements}

    def _range(self, node: cst.CSTNode) -> Span:
        found = self.get_metadata(PositionProvider, node)
        return Span(found.start.line, found.start.column, found.end.line, found.end.column)

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):  # type: ignore[override]
        if isinstance(original, cst.FunctionDef):
            updated = self._edit_function(original, updated)  # type: ignore[arg-type]
        if isinstance(original, cst.BaseExpression) and self.expressions:
            span = self._range(original)
            if span in self.expressions:
                self.pending.discard(span)
                for action in self.expressions[span]:
                    updated = _edit_expression(updated, action)  # type: ignore[arg-type]
        if isinstance(original, (cst.SimpleStatementLine, cst.BaseCompoundStatement)) and self.statements:
            span = self._range(original)
            key = (span.line, span.column)
            if key in self.statements:
                self.pending.discard(key)
                return self._edit_statement(updated, self.statements[key])  # type: ignore[arg-type]
        return updated

    def _edit_function(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        line = self.get_metadata(PositionProvider, original.name).start.line
        ref = FunctionRef(original.name.value, line)
        if ref not in self.functions:
            return updated
        self.pending.discard(ref)
        for action in self.functions[ref]:
            if isinstance(action, AddParameter):
                updated = insert_parameter(updated, action)
        inserts = [a for a in self.functions[ref] if isinstance(a, InsertStatements)]
        if inserts:
            updated = _insert_at_body_start(updated, inserts, self.module)
        return updated

    def _edit_statement(
        self, statement: cst.BaseStatement, actions: list[FixAction]
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        before: list[cst.BaseStatement] = []
        after: list[cst.BaseStatement] = []
        replaced: list[cst.BaseStatement] = [statement]
        for action in actions:
            parsed = _parse_statements(action.code, self.module)  # type: ignore[union-attr]
            if isinstance(action, ReplaceStatement):
                if parsed:
                    parsed[0] = parsed[0].with_changes(leading_lines=statement.leading_lines)
                replaced = parsed
            elif isinstance(action, InsertStatementsBefore):
                before.extend(parsed)
            else:
                after.extend(parsed)
        if before and replaced:
            before[0] = before[0].with_changes(leading_lines=replaced[0].leading_lines)
            replaced[0] = replaced[0].with_changes(leading_lines=())
        return cst.FlattenSentinel([*before, *replaced, *after])


def _edit_expression(node: cst.BaseExpression, action: FixAction) -> cst.BaseExpression:
    if isinstance(action, ReplaceExpression):
        new = cst.parse_expression(action.code)
        return new.with_changes(lpar=node.lpar, rpar=node.rpar) if node.lpar else new
    if isinstance(action, AppendMethodCall):
        call = cst.parse_expression(f"_.{action.method}({action.arguments})")
        assert isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
        return call.with_changes(func=call.func.with_changes(value=node))
    if isinstance(action, AddKeywordArgument) and isinstance(node, cst.Call):
        return _add_keyword(node, action)
    return node


def _add_keyword(call: cst.Call, action: AddKeywordArgument) -> cst.Call:
    if any(arg.keyword is not None and arg.keyword.value == action.name for arg in call.args):
        return call
    args = list(call.args)
    new = cst.Arg(
        keyword=cst.Name(action.name),
        value=cst.parse_expression(action.value),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    separator = next(
        (a.comma for a in args[:-1] if isinstance(a.comma, cst.Comma)),
        cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
    )
    args[-1] = last.with_changes(comma=separator)
    args.append(new.with_changes(comma=last.comma))
    return call.with_changes(args=args)


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
    return list(cst.parse_module(code, config=config).body)


def _is_docstring(statement: cst.BaseStatement) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    expr = statement.body[0]
    return isinstance(expr, cst.Expr) and isinstance(
        expr.value, (cst.SimpleString, cst.ConcatenatedString)
    )


def text_edits(old: str, new: str) -> tuple[Edit, ...]:
    """The changed line ranges between two texts, as ruff-style edits (1-based)."""
    old_lines = split_lines(old)
    new_lines = split_lines(new)
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
    lines = split_lines(text)
    for edit in sorted(edits, key=lambda e: e.location, reverse=True):
        start, end = edit.location.row - 1, edit.end_location.row - 1
        lines[start:end] = split_lines(edit.content)
    return "".join(lines)
