"""Whether a fix changed the module only where its actions point.

Each top-level statement of the original module is either *addressed* by the fix (one of its
actions points inside the statement's lines, decorators included) or not. Outside the
addressed statements the fixed module must mean the same: every statement that is not
addressed and not an import is still there, in the same order and with the same ``ast``
(``ast.dump`` without positions, so formatting and line numbers do not count). An addressed
statement stays one statement whose content is the fix's business, except that a statement
action aimed at the top-level statement itself (replace it, insert before or after it) may
turn it into any number of statements. The fix may add the imports it asks for and must keep
every import binding the module had.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from .actions import AddImport, FixAction, InsertStatementsAfter, InsertStatementsBefore, ReplaceStatement

_IMPORTS = (ast.Import, ast.ImportFrom)
_STATEMENT_ACTIONS = (ReplaceStatement, InsertStatementsAfter, InsertStatementsBefore)
# Pattern items besides an ast.dump: one statement of any content, or any run of statements.
_ONE, _ANY = object(), object()


def change_outside(original: ast.Module, fixed: ast.Module, actions: Sequence[FixAction]) -> str | None:
    """What the fix changed outside the statements its actions address, or None."""
    before, after = _bindings(original), _bindings(fixed)
    if before - after:
        return f"it would remove the import of `{sorted(before - after)[0][-2]}`"
    unasked = after - before - _requested(actions)
    if unasked:
        return f"it would add an import of `{sorted(unasked)[0][-2]}` it does not ask for"
    lines = _target_lines(actions)
    starts = {(a.span.line, a.span.column) for a in actions if isinstance(a, _STATEMENT_ACTIONS)}
    pattern = [
        _pattern_item(statement, lines, starts)
        for statement in original.body
        if not isinstance(statement, _IMPORTS)
    ]
    subject = [ast.dump(s) for s in fixed.body if not isinstance(s, _IMPORTS)]
    if not _matches(pattern, subject):
        return "it would change code outside the statements it fixes"
    return None


def _pattern_item(statement: ast.stmt, lines: list[tuple[int, int]], starts: set[tuple[int, int]]) -> object:
    if (statement.lineno, statement.col_offset) in starts:
        return _ANY
    return _ONE if _addressed(statement, lines) else ast.dump(statement)


def _bindings(module: ast.Module) -> set[tuple]:
    found = set()
    for statement in module.body:
        if isinstance(statement, ast.Import):
            found.update(("import", alias.name, alias.asname or "") for alias in statement.names)
        elif isinstance(statement, ast.ImportFrom):
            base = "." * statement.level + (statement.module or "")
            found.update(("from", base, alias.name, alias.asname or "") for alias in statement.names)
    return found


def _requested(actions: Sequence[FixAction]) -> set[tuple]:
    return {
        ("import", a.module, "") if a.name is None else ("from", a.module, a.name, "")
        for a in actions
        if isinstance(a, AddImport)
    }


def _target_lines(actions: Sequence[FixAction]) -> list[tuple[int, int]]:
    lines = []
    for action in actions:
        span = getattr(action, "span", None)
        if span is not None:
            lines.append((span.line, span.end_line))
        function = getattr(action, "function", None)
        if function is not None:
            lines.append((function.line, function.line))
    return lines


def _addressed(statement: ast.stmt, lines: list[tuple[int, int]]) -> bool:
    decorators = getattr(statement, "decorator_list", None) or []
    first = min([statement.lineno, *(d.lineno for d in decorators)])
    last = statement.end_lineno or statement.lineno
    return any(start <= last and first <= end for start, end in lines)


def _matches(pattern: list[object], subject: list[str]) -> bool:
    """Whether ``subject`` is ``pattern``: a dump matches itself, ``_ONE`` any one statement,
    ``_ANY`` any run of statements (a glob over lists)."""
    reachable = [True] + [False] * len(subject)  # pattern so far matches subject[:j]
    for item in pattern:
        if item is _ANY:
            for j in range(1, len(subject) + 1):
                reachable[j] = reachable[j] or reachable[j - 1]
        else:
            reachable = [False] + [
                reachable[j - 1] and (item is _ONE or subject[j - 1] == item) for j in range(1, len(subject) + 1)
            ]
    return reachable[-1]
