"""The changes a rule can ask for, as data.

Functions are addressed by name and the line of their name (``ast``'s ``lineno`` of the
``def``); other nodes by their ``Span`` in the file being fixed (see ``span_of``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..source import Locator


@dataclass(frozen=True)
class FunctionRef:
    name: str
    line: int


@dataclass(frozen=True, order=True)
class Span:
    """A node's range: 1-based lines, 0-based columns counted in characters (libcst's)."""

    line: int
    column: int
    end_line: int
    end_column: int


def span_of(locator: Locator, node: ast.AST) -> Span:
    start, end = locator.start(node), locator.end(node)
    return Span(start.row, start.column - 1, end.row, end.column - 1)


@dataclass(frozen=True)
class AddParameter:
    """Add ``name[: annotation][ = default]`` where Python allows it."""

    function: FunctionRef
    name: str
    annotation: str | None = None
    default: str | None = None


@dataclass(frozen=True)
class InsertStatements:
    """Insert ``code`` (statements, 4-space indented) as the first statements after the docstring."""

    function: FunctionRef
    code: str


@dataclass(frozen=True)
class AddImport:
    """``from module import name`` (or ``import module`` when ``name`` is None)."""

    module: str
    name: str | None = None


@dataclass(frozen=True)
class ReplaceExpression:
    """Replace the expression at ``span`` with ``code``."""

    span: Span
    code: str


@dataclass(frozen=True)
class AppendMethodCall:
    """Turn the expression at ``span`` into ``<expression>.method(arguments)``."""

    span: Span
    method: str
    arguments: str


@dataclass(frozen=True)
class AddKeywordArgument:
    """Add ``name=value`` to the call at ``span`` (nothing when it already has ``name``)."""

    span: Span
    name: str
    value: str


@dataclass(frozen=True)
class ReplaceStatement:
    """Replace the statement starting at ``span`` with ``code`` (statements, unindented)."""

    span: Span
    code: str


@dataclass(frozen=True)
class InsertStatementsAfter:
    """Insert ``code`` (statements, unindented) after the statement starting at ``span``."""

    span: Span
    code: str


@dataclass(frozen=True)
class InsertStatementsBefore:
    """Insert ``code`` (statements, unindented) before the statement starting at ``span``."""

    span: Span
    code: str


FunctionAction = AddParameter | InsertStatements
ExpressionAction = ReplaceExpression | AppendMethodCall | AddKeywordArgument
StatementAction = ReplaceStatement | InsertStatementsAfter | InsertStatementsBefore
FixAction = FunctionAction | ExpressionAction | StatementAction | AddImport
