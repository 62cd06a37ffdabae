"""Fixes as data (actions) and the libcst pass that applies them."""

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
    span_of,
)
from .apply import FixError, apply_actions, apply_edits, text_edits

__all__ = [
    "AddImport",
    "AddKeywordArgument",
    "AddParameter",
    "AppendMethodCall",
    "FixAction",
    "FixError",
    "FunctionRef",
    "InsertStatements",
    "InsertStatementsAfter",
    "InsertStatementsBefore",
    "ReplaceExpression",
    "ReplaceStatement",
    "Span",
    "apply_actions",
    "apply_edits",
    "span_of",
    "text_edits",
]
