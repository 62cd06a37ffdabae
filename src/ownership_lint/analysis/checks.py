"""Owner checks: ``if <identity> != user_id: raise ...`` and the forms equivalent to it."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from .values import value_class
from .walk import walk

Operand = Callable[[ast.expr], bool]
_CONVERSIONS = frozenset({"str", "int", "UUID", "uuid.UUID"})


@value_class
class OwnerCheck:
    statement: ast.If
    rejects: bool
    position: int  # index of the enclosing top-level statement of the function body
    branch: tuple[ast.stmt, ...] = ()  # the statements that run on a mismatch


def unwrap_conversion(expr: ast.expr) -> ast.expr:
    """``str(x)``/``UUID(x)``/``int(x)`` compare like ``x``."""
    while (
        isinstance(expr, ast.Call)
        and len(expr.args) == 1
        and not expr.keywords
        and ast.unparse(expr.func) in _CONVERSIONS
    ):
        expr = expr.args[0]
    return expr


def root_name(expr: ast.expr) -> str | None:
    """``a`` for ``a``, ``a.b.c``, ``a["k"]``, ``str(a.b)``."""
    expr = unwrap_conversion(expr)
    while isinstance(expr, (ast.Attribute, ast.Subscript)):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def _pairs(left: Operand, right: Operand, a: ast.expr, b: ast.expr) -> bool:
    return (left(a) and right(b)) or (left(b) and right(a))


def is_mismatch_test(test: ast.expr, left: Operand, right: Operand) -> bool:
    """True when ``test`` holds when the two operands differ (possibly among other terms)."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        if isinstance(test.ops[0], (ast.NotEq, ast.IsNot)):
            return _pairs(left, right, test.left, test.comparators[0])
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return is_match_test(test.operand, left, right)
    if isinstance(test, ast.BoolOp):
        return any(is_mismatch_test(value, left, right) for value in test.values)
    return False


def is_match_test(test: ast.expr, left: Operand, right: Operand) -> bool:
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        if isinstance(test.ops[0], (ast.Eq, ast.Is)):
            return _pairs(left, right, test.left, test.comparators[0])
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return is_mismatch_test(test.operand, left, right)
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(is_match_test(value, left, right) for value in test.values)
    return False


def stops_request(body: list[ast.stmt]) -> bool:
    """The branch ends the request: it raises (returning an error value is not enough)."""
    return any(isinstance(node, ast.Raise) for statement in body for node in walk(statement))


def find_owner_checks(
    body: list[ast.stmt], left: Operand, right: Operand
) -> list[OwnerCheck]:
    found = []
    for position, statement in enumerate(body):
        for node in _walk_statements(statement):
            if not isinstance(node, ast.If):
                continue
            if is_mismatch_test(node.test, left, right):
                found.append(OwnerCheck(node, stops_request(node.body), position, tuple(node.body)))
            elif is_match_test(node.test, left, right) and node.orelse:
                found.append(
                    OwnerCheck(node, stops_request(node.orelse), position, tuple(node.orelse))
                )
    return found


def _walk_statements(statement: ast.stmt) -> Iterator[ast.stmt]:
    """The statement and the statements nested in it, not entering nested functions."""
    yield statement
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return
    for name in ("body", "orelse", "finalbody", "handlers"):
        for child in getattr(statement, name, []) or []:
            if isinstance(child, ast.ExceptHandler):
                for inner in child.body:
                    yield from _walk_statements(inner)
            elif isinstance(child, ast.stmt):
                yield from _walk_statements(child)


def name_is(name: str) -> Operand:
    return lambda expr: isinstance(unwrap_conversion(expr), ast.Name) and (
        unwrap_conversion(expr).id == name  # type: ignore[attr-defined]
    )


def rooted_at(names: frozenset[str]) -> Operand:
    return lambda expr: root_name(expr) in names


def tests_missing(test: ast.expr, name: str) -> bool:
    """``x is None``, ``x == None``, ``not x``, possibly among ``or`` terms."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        return any(tests_missing(value, name) for value in test.values)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return isinstance(test.operand, ast.Name) and test.operand.id == name
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Is, ast.Eq)):
        sides = (test.left, test.comparators[0])
        return any(isinstance(s, ast.Name) and s.id == name for s in sides) and any(
            isinstance(s, ast.Constant) and s.value is None for s in sides
        )
    return False
