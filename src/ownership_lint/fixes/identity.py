"""Planning the identity parameter a fix adds: which auth dependency, which type, which imports.

The project's own convention wins: a sibling route's identity parameter is copied as written;
then an ``Annotated`` alias of the auth dependency; then ``Depends(<auth dependency>)`` typed
with the dependency's return annotation.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass

from ..analysis.context import ModuleContext, RouteModel
from ..analysis.dependencies import function_parameters
from ..analysis.names import ANNOTATED, DEPENDS, SCALAR_IDENTITY_TYPES
from ..analysis.project import (
    ClassSymbol,
    External,
    FunctionSymbol,
    Module,
    ValueSymbol,
)
from .actions import AddImport, AddParameter, FixAction, FunctionRef

IDENTITY_PARAM = "current_user"


@dataclass(frozen=True)
class IdentityPlan:
    param: str
    value: str
    is_object: bool
    type_qualname: str | None
    actions: tuple[FixAction, ...]


def function_ref(route: RouteModel) -> FunctionRef:
    return FunctionRef(route.node.name, route.node.lineno)


def plan_identity(ctx: ModuleContext, route: RouteModel) -> IdentityPlan | None:
    name = _free_name(route)
    return _copy_sibling(ctx, route, name) or _from_auth_function(ctx, route, name)


def _free_name(route: RouteModel) -> str:
    name = IDENTITY_PARAM
    while name in route.parameters:
        name += "_"
    return name


def _copy_sibling(ctx: ModuleContext, route: RouteModel, name: str) -> IdentityPlan | None:
    """Reuse the identity parameter most routes of this module already declare."""
    written: Counter[tuple[str | None, str | None]] = Counter()
    sample: dict[tuple[str | None, str | None], RouteModel] = {}
    for sibling in ctx.routes:
        identity = sibling.identity
        if identity is None or sibling is route:
            continue
        arg, default = sibling.parameters[identity.param]
        key = (
            ast.unparse(arg.annotation) if arg.annotation is not None else None,
            ast.unparse(default) if default is not None else None,
        )
        written[key] += 1
        sample.setdefault(key, sibling)
    if not written:
        return None
    (annotation, default), _ = written.most_common(1)[0]
    sibling_identity = sample[(annotation, default)].identity
    assert sibling_identity is not None
    add = AddParameter(function_ref(route), name, annotation, default)
    value = f"{name}.{ctx.settings.user_id_attribute}" if sibling_identity.is_object else name
    return IdentityPlan(name, value, sibling_identity.is_object, None, (add,))


def _from_auth_function(ctx: ModuleContext, route: RouteModel, name: str) -> IdentityPlan | None:
    auth = _auth_function(ctx)
    if auth is None:
        return None
    alias = _alias_for(ctx, auth)
    if alias is not None:
        return _plan_with_alias(ctx, route, name, alias)
    imports: list[FixAction] = []
    auth_name = _local_or_import(ctx, auth.module, auth.node.name, imports)
    depends = ctx.local_name_for(DEPENDS) or _import(imports, "fastapi", "Depends")
    annotation, qualname = _return_annotation(ctx, auth, imports)
    is_object = annotation is not None and qualname not in SCALAR_IDENTITY_TYPES
    add = AddParameter(function_ref(route), name, annotation or "str", f"{depends}({auth_name})")
    value = f"{name}.{ctx.settings.user_id_attribute}" if is_object else name
    return IdentityPlan(name, value, is_object, qualname or "builtins.str", (add, *imports))


def _plan_with_alias(
    ctx: ModuleContext, route: RouteModel, name: str, alias: ValueSymbol
) -> IdentityPlan:
    imports: list[FixAction] = []
    alias_name = _local_or_import(ctx, alias.module, alias.name, imports)
    add = AddParameter(function_ref(route), name, alias_name, None)
    inner = _annotated_type(ctx, alias)
    qualname = getattr(ctx.index.resolve(alias.module, inner), "qualname", None) if inner else None
    is_object = qualname not in SCALAR_IDENTITY_TYPES
    value = f"{name}.{ctx.settings.user_id_attribute}" if is_object else name
    return IdentityPlan(name, value, is_object, qualname, (add, *imports))


def _auth_function(ctx: ModuleContext) -> FunctionSymbol | None:
    configured = ctx.settings.auth_import
    if configured:
        symbol = ctx.index.resolve_qualified(configured)
        return symbol if isinstance(symbol, FunctionSymbol) else None
    for name in ctx.settings.auth_dependencies:
        if "." in name:
            symbol = ctx.index.resolve_qualified(name)
            if isinstance(symbol, FunctionSymbol):
                return symbol
            continue
        local = ctx.index.resolve_name(ctx.module, name)
        if isinstance(local, FunctionSymbol):
            return local
        found = ctx.index.find_functions(name)
        if found:
            return found[0]
    return None


def _alias_for(ctx: ModuleContext, auth: FunctionSymbol) -> ValueSymbol | None:
    """A module-level ``X = Annotated[T, Depends(auth)]`` in a module the route can import."""
    candidates = [ctx.module, auth.module]
    for target in ctx.module.imports.values():
        symbol = ctx.index.resolve_qualified(target)
        module = getattr(symbol, "module", None)
        if isinstance(module, Module):
            candidates.append(module)
    for module in dict.fromkeys(candidates):
        for alias_name, value in module.assignments.items():
            if _is_alias_of(ctx, module, value, auth):
                return ValueSymbol(module, alias_name, value)
    return None


def _is_alias_of(ctx: ModuleContext, module: Module, value: ast.expr, auth: FunctionSymbol) -> bool:
    if not isinstance(value, ast.Subscript):
        return False
    if ctx.index.qualname(module, value.value) not in ANNOTATED:
        return False
    elements = value.slice.elts if isinstance(value.slice, ast.Tuple) else [value.slice]
    for extra in elements[1:]:
        is_marker, target = ctx.analysis.dependencies.marker_target(module, extra)
        if is_marker and isinstance(target, FunctionSymbol) and target.node is auth.node:
            return True
    return False


def _annotated_type(ctx: ModuleContext, alias: ValueSymbol) -> ast.expr | None:
    value = alias.value
    assert isinstance(value, ast.Subscript)
    return value.slice.elts[0] if isinstance(value.slice, ast.Tuple) else None


def _return_annotation(
    ctx: ModuleContext, auth: FunctionSymbol, imports: list[FixAction]
) -> tuple[str | None, str | None]:
    returns = auth.node.returns
    if returns is None:
        return None, None
    for node in ast.walk(returns):
        if isinstance(node, ast.Name):
            symbol = ctx.index.resolve_name(auth.module, node.id)
            if not _importable(ctx, symbol, node.id, imports):
                return None, None
    qualname = getattr(ctx.index.resolve(auth.module, returns), "qualname", None)
    return ast.unparse(returns), qualname


def _importable(ctx: ModuleContext, symbol: object, name: str, imports: list[FixAction]) -> bool:
    """Make ``name`` available in the route's module; False when that is not possible."""
    local = ctx.index.resolve_name(ctx.module, name)
    if local is not None and local == symbol:
        return True
    if local is not None:
        return False  # the name means something else here
    if isinstance(symbol, External):
        module, _, attribute = symbol.qualname.rpartition(".")
        if module == "builtins":
            return True
        if module:
            imports.append(AddImport(module, attribute))
            return True
        return False
    if isinstance(symbol, (ClassSymbol, FunctionSymbol, ValueSymbol)):
        imports.append(AddImport(symbol.module.name, name))
        return True
    return False


def _local_or_import(ctx: ModuleContext, module: Module, name: str, imports: list[FixAction]) -> str:
    """The route module's name for ``module.name``, importing it when it has none."""
    if module is ctx.module:
        return name
    wanted = ctx.index.resolve_name(module, name)
    for local, target in ctx.module.imports.items():
        if ctx.index.resolve_qualified(target) == wanted:
            return local
    imports.append(AddImport(module.name, name))
    return name


def _import(imports: list[FixAction], module: str, name: str) -> str:
    imports.append(AddImport(module, name))
    return name


def parameter_type_qualname(ctx: ModuleContext, route: RouteModel, name: str) -> str | None:
    """The resolved annotation of a route parameter (``builtins.str`` when it has none)."""
    for arg, _default in function_parameters(route.node):
        if arg.arg == name:
            if arg.annotation is None:
                return "builtins.str"
            return getattr(ctx.index.resolve(ctx.module, arg.annotation), "qualname", None)
    return None
