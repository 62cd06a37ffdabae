"""``raise HTTPException(...)``: which exception object a raise throws and with which status.

Shared by the status-code rules (OWN402, OWN505). Names are resolved semantically: a local
``HTTPException`` that is not FastAPI's or Starlette's is not one, ``status.HTTP_403_FORBIDDEN``
counts only when ``status`` is ``fastapi.status``/``starlette.status``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from .names import HTTP_EXCEPTION, STATUS_MODULES
from .project import Module, ProjectIndex, ValueSymbol
from .statements import own_statements
from .values import value_class
from .walk import child_nodes

Function = ast.FunctionDef | ast.AsyncFunctionDef
_STATUS_NAME = re.compile(r"HTTP_(\d{3})_")
_HTTP_STATUS = "http.HTTPStatus"


@value_class
class RaisedException:
    """The ``HTTPException(...)`` call a raise throws, and the module that writes it.

    ``via`` is the name raised when the exception is bound once and raised by name
    (``credentials_exception = HTTPException(...)``; ``raise credentials_exception``).
    """

    call: ast.Call
    module: Module
    via: str | None = None

    @property
    def status_node(self) -> ast.expr | None:
        return status_argument(self.call)


def status_argument(call: ast.Call) -> ast.expr | None:
    """``HTTPException(403)`` or ``HTTPException(status_code=403)``: the status expression."""
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    for keyword in call.keywords:
        if keyword.arg == "status_code":
            return keyword.value
    return None


def has_headers(call: ast.Call) -> bool:
    """The call passes ``headers`` (or might, through ``**kwargs``/``*args``)."""
    if len(call.args) >= 3 or any(isinstance(a, ast.Starred) for a in call.args):
        return True
    return any(k.arg in (None, "headers") for k in call.keywords)


def is_http_exception_call(index: ProjectIndex, module: Module, expr: ast.expr) -> bool:
    return isinstance(expr, ast.Call) and index.qualname(module, expr.func) in HTTP_EXCEPTION


def raised_http_exception(
    index: ProjectIndex, module: Module, function: Function | None, raise_node: ast.Raise
) -> RaisedException | None:
    """What ``raise_node`` throws when it is an ``HTTPException``: inline, or bound to a name
    once in the function or at module level."""
    exc = raise_node.exc
    if exc is None:
        return None
    if is_http_exception_call(index, module, exc):
        return RaisedException(exc, module)  # type: ignore[arg-type]
    if isinstance(exc, ast.Name):
        bound = _bound_once(function, exc.id) if function is not None else None
        if bound is not None:
            if is_http_exception_call(index, module, bound):
                return RaisedException(bound, module, exc.id)  # type: ignore[arg-type]
            return None
        symbol = index.resolve(module, exc)
        if isinstance(symbol, ValueSymbol) and is_http_exception_call(index, symbol.module, symbol.value):
            return RaisedException(symbol.value, symbol.module, exc.id)  # type: ignore[arg-type]
    return None


def _bound_once(function: Function, name: str) -> ast.expr | None:
    values = list(assigned_values(function, name))
    return values[0] if len(values) == 1 else None


def assigned_values(function: Function, name: str) -> Iterator[ast.expr]:
    """Values assigned to the plain name ``name`` in the function (not nested functions)."""
    for node in own_statements(function.body):  # assignments are statements
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            yield node.value
        elif (
            isinstance(node, ast.AnnAssign)
            and node.value is not None
            and isinstance(node.target, ast.Name)
            and node.target.id == name
        ):
            yield node.value


def own_nodes(function: ast.AST) -> Iterator[ast.AST]:
    """Every node of a function's body, not entering nested functions, lambdas or classes."""
    for statement in getattr(function, "body", []):
        yield from walk_local(statement)


def walk_local(root: ast.AST) -> Iterator[ast.AST]:
    """``root`` and its descendants, not entering nested functions, lambdas or classes."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPES):
            continue
        stack.extend(reversed(child_nodes(node)))


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def status_value(index: ProjectIndex, module: Module, expr: ast.expr | None) -> int | None:
    """``403``, ``status.HTTP_403_FORBIDDEN``, ``HTTPStatus.FORBIDDEN`` -> 403; else None."""
    if expr is None:
        return None
    if isinstance(expr, ast.Constant) and type(expr.value) is int:
        return expr.value
    if isinstance(expr, ast.Attribute):
        base = index.qualname(module, expr.value)
        if base in STATUS_MODULES:
            match = _STATUS_NAME.match(expr.attr)
            return int(match.group(1)) if match else None
        if base == _HTTP_STATUS:
            return _http_status(expr.attr)
    return None


def is_http_status_member(index: ProjectIndex, module: Module, expr: ast.expr) -> bool:
    return isinstance(expr, ast.Attribute) and index.qualname(module, expr.value) == _HTTP_STATUS


def _http_status(name: str) -> int | None:
    from http import HTTPStatus

    member = HTTPStatus.__members__.get(name)
    return int(member) if member is not None else None


def raises_in(body: list[ast.stmt]) -> Iterator[ast.Raise]:
    """The raise statements of a block, not entering nested functions."""
    for node in own_statements(body):
        if isinstance(node, ast.Raise):
            yield node
