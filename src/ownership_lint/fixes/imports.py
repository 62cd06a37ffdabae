"""Adding imports the way a person would: into an existing ``from x import ...`` when there is
one (keeping its order when it is sorted), else as a new statement after the last import."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import libcst as cst

from .actions import AddImport


def ensure_imports(module: cst.Module, imports: Sequence[AddImport]) -> cst.Module:
    for action in dict.fromkeys(imports):
        module = _ensure(module, action)
    return module


def _ensure(module: cst.Module, action: AddImport) -> cst.Module:
    body = list(module.body)
    for index, statement in enumerate(body):
        found = _import_in(statement, action)
        if found is True:
            return module
        if isinstance(found, cst.ImportFrom):
            body[index] = _replace_small(statement, found, _with_name(found, action.name or ""))
            return module.with_changes(body=body)
    new = _new_statement(action, module)
    position = _after_last_import(body)
    if position < len(body) and position > 0 and not body[position].leading_lines:
        body[position] = body[position].with_changes(leading_lines=[cst.EmptyLine(indent=False)])
    body.insert(position, new)
    return module.with_changes(body=body)


def _import_in(statement: cst.CSTNode, action: AddImport) -> bool | cst.ImportFrom | None:
    """True when ``statement`` already provides the import, the ImportFrom to extend, or None."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return None
    for small in statement.body:
        if action.name is None and isinstance(small, cst.Import):
            if any(_dotted(alias.name) == action.module and alias.asname is None for alias in small.names):
                return True
        if action.name is not None and isinstance(small, cst.ImportFrom):
            if small.relative or small.module is None or _dotted(small.module) != action.module:
                continue
            if isinstance(small.names, cst.ImportStar):
                continue
            if any(_dotted(a.name) == action.name and a.asname is None for a in small.names):
                return True
            return small
    return None


def _replace_small(statement: cst.SimpleStatementLine, old: cst.ImportFrom, new: cst.ImportFrom) -> cst.SimpleStatementLine:
    return statement.with_changes(body=[new if small is old else small for small in statement.body])


def _with_name(node: cst.ImportFrom, name: str) -> cst.ImportFrom:
    aliases = list(node.names)  # type: ignore[arg-type]
    names = [_dotted(alias.name) for alias in aliases]
    keys = [_sort_key(n) for n in names]
    index = bisect.bisect(keys, _sort_key(name)) if keys == sorted(keys) else len(aliases)
    separator = _separator(aliases, node)
    new = cst.ImportAlias(name=cst.Name(name))
    if index < len(aliases):
        aliases.insert(index, new.with_changes(comma=separator))
    else:
        last = aliases[-1]
        aliases[-1] = last.with_changes(comma=separator)
        aliases.append(new.with_changes(comma=last.comma))
    return node.with_changes(names=aliases)


def _separator(aliases: list[cst.ImportAlias], node: cst.ImportFrom) -> cst.Comma:
    for alias in aliases[:-1]:
        if isinstance(alias.comma, cst.Comma):
            return alias.comma
    if node.lpar is not None and isinstance(node.lpar.whitespace_after, cst.ParenthesizedWhitespace):
        return cst.Comma(whitespace_after=node.lpar.whitespace_after)
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _sort_key(name: str) -> tuple[int, str]:
    """isort's ``order-by-type``: CONSTANTS, then Classes, then functions."""
    if name.isupper() and len(name) > 1:
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    return kind, name.lower()


def _new_statement(action: AddImport, module: cst.Module) -> cst.SimpleStatementLine:
    code = f"import {action.module}" if action.name is None else f"from {action.module} import {action.name}"
    config = cst.PartialParserConfig(default_newline=module.default_newline)
    statement = cst.parse_module(code + "\n", config=config).body[0]
    assert isinstance(statement, cst.SimpleStatementLine)
    return statement


def _after_last_import(body: list[cst.BaseStatement]) -> int:
    """Index after the module's leading docstring and import block."""
    position = 0
    for index, statement in enumerate(body):
        if _is_import(statement) or (index == 0 and _is_docstring(statement)):
            position = index + 1
        elif position and not _is_import(statement):
            break
    return position


def _is_import(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
    )


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""
