"""Fix plans shared by the data-layer rules (OWN2xx/OWN3xx)."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator

from ..analysis.context import ModuleContext, RouteModel
from ..analysis.ownership import Function, Lookup, Trust
from ..analysis.project import FunctionSymbol
from ..analysis.walk import walk
from ..fixes.actions import (
    FixAction,
    InsertStatementsAfter,
    ReplaceExpression,
    ReplaceStatement,
    span_of,
)
from ..fixes.guards import if_raise, raise_http_exception
from ..rule import FixPlan


def helper_functions(ctx: ModuleContext, markers: tuple[bytes, ...]) -> Iterator[Function]:
    """The module's functions that are not routes (crud, services, scripts) and whose text
    mentions one of ``markers`` (a byte check before any walk)."""
    route_nodes = {id(route.node) for route in ctx.routes}
    return (
        f
        for f in ctx.module.structure.functions
        if id(f) not in route_nodes and _mentions(ctx, f, markers)
    )


def _mentions(ctx: ModuleContext, function: Function, markers: tuple[bytes, ...]) -> bool:
    end = function.end_lineno or function.lineno
    text = "".join(ctx.locator.line(row) for row in range(function.lineno, end + 1))
    data = text.encode("utf-8", "surrogateescape")
    return any(marker in data for marker in markers)


def called_by_routes(ctx: ModuleContext, function: Function) -> bool:
    return ctx.analysis.called_by_routes(FunctionSymbol(ctx.module, function))


def from_request(route: RouteModel, value: ast.expr, position: int) -> bool:
    """The owner value comes from the request: body, query string, headers, another path
    parameter, or a ``user_id`` parameter on a route whose path has no ``{user_id}`` (a query
    parameter then, which no owner check rule looks at)."""
    trust = route.trust(value, position)
    return trust is Trust.UNTRUSTED or (trust is Trust.PATH and not route.user_scoped)


def statement_source(ctx: ModuleContext, statement: ast.stmt) -> str:
    """The statement's lines, dedented, ready to be inserted elsewhere."""
    end = statement.end_lineno or statement.lineno
    lines = [ctx.locator.line(row) for row in range(statement.lineno, end + 1)]
    text = textwrap.dedent("".join(lines))
    return text if text.endswith("\n") else text + "\n"


def model_label(lookup_model_expr: ast.expr) -> str:
    return ast.unparse(lookup_model_expr)


def not_found_detail(model_expr: ast.expr) -> str:
    name = ast.unparse(model_expr).rsplit(".", 1)[-1]
    return f"{name} not found"


def lookup_fix(ctx: ModuleContext, route: RouteModel, lookup: Lookup) -> FixPlan | None:
    """Reject another user's object as not found, right after the lookup."""
    position = route.data.top_level_position(lookup.statement)
    value = route.trusted_value(position)
    if value is None:
        return None
    owner = lookup.model.owner_field
    imports: list[FixAction] = []
    raise_code = raise_http_exception(ctx, 404, not_found_detail(lookup.model_expr), imports)
    if lookup.variable is not None:
        variable = lookup.variable
        mismatch = f"{variable}.{owner} != {value}"
        existing = route.data.not_found_check(lookup)
        if existing is not None:
            test = ast.unparse(existing.test)
            if isinstance(existing.test, (ast.IfExp, ast.NamedExpr, ast.Lambda)) or (
                isinstance(existing.test, ast.BoolOp) and isinstance(existing.test.op, ast.And)
            ):
                test = f"({test})"
            action: FixAction = ReplaceExpression(span_of(ctx.locator, existing.test), f"{test} or {mismatch}")
            return FixPlan(f"Extend the not-found check with `{mismatch}`", (action,))
        code = if_raise(f"{variable} is None or {mismatch}", raise_code)
        action = InsertStatementsAfter(span_of(ctx.locator, lookup.statement), code)
        return FixPlan(f"Insert `if {variable} is None or {mismatch}: raise 404`", (action, *imports))
    statement = lookup.statement
    if isinstance(statement, ast.Return) and statement.value is lookup.call:
        variable = _free_variable(route, ast.unparse(lookup.model_expr).rsplit(".", 1)[-1].lower())
        mismatch = f"{variable}.{owner} != {value}"
        code = (
            f"{variable} = {ast.unparse(lookup.call)}\n"
            + if_raise(f"{variable} is None or {mismatch}", raise_code)
            + f"return {variable}\n"
        )
        action = ReplaceStatement(span_of(ctx.locator, statement), code)
        return FixPlan(f"Check `{mismatch}` before returning the object", (action, *imports))
    return None


def _free_variable(route: RouteModel, name: str) -> str:
    used = {n.id for n in walk(route.node) if isinstance(n, ast.Name)} | set(route.parameters)
    while name in used:
        name = f"{name}_"
    return name
