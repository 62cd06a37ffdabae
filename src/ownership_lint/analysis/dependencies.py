"""FastAPI dependencies: what ``Depends``/``Security``/``Annotated`` point at, transitively,
and which of them authenticate the request."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from .names import ANNOTATED, DEPENDENCY_MARKERS, JWT_DECODE, SECURITY_SCHEMES
from .project import (
    ClassSymbol,
    External,
    FunctionSymbol,
    Module,
    ProjectIndex,
    Symbol,
    ValueSymbol,
)
from .values import value_class
from .walk import walk

Function = ast.FunctionDef | ast.AsyncFunctionDef


@value_class
class Dependency:
    """One ``Depends(target)``; ``param`` is the parameter it fills, if any."""

    target: Symbol | None
    module: Module
    param: ast.arg | None = None
    annotation: ast.expr | None = None  # the declared type (``T`` of ``Annotated[T, ...]``)
    annotation_module: Module | None = None
    alias: ValueSymbol | None = None  # the ``Annotated`` alias it came through
    expr: ast.expr | None = None  # the ``f`` of ``Depends(f)`` as written

    @property
    def name(self) -> str:
        """The dependency's short name, resolved or as written."""
        qualname = getattr(self.target, "qualname", None)
        if qualname:
            return qualname.rsplit(".", 1)[-1]
        return ast.unparse(self.expr).rsplit(".", 1)[-1] if self.expr is not None else ""


def function_parameters(node: Function) -> list[tuple[ast.arg, ast.expr | None]]:
    """Every parameter with its default (None when it has none)."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    padding: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    pairs = list(zip(positional, [*padding, *args.defaults]))
    pairs += list(zip(args.kwonlyargs, args.kw_defaults))
    return pairs


class Dependencies:
    """Resolves dependency declarations and answers "does this authenticate?"."""

    def __init__(self, index: ProjectIndex, auth_names: tuple[str, ...]) -> None:
        self.index = index
        self.auth_names = auth_names
        self._auth_cache: dict[object, bool] = {}
        self._parameters_cache: dict[object, tuple[tuple[Dependency, ...], int]] = {}

    # Declarations

    def marker_target(self, module: Module, call: ast.expr) -> tuple[bool, Symbol | None]:
        """(is a Depends/Security call, the resolved dependency)."""
        if not isinstance(call, ast.Call):
            return False, None
        if self.index.qualname(module, call.func) not in DEPENDENCY_MARKERS:
            return False, None
        target_expr = dependency_expr(call)
        if target_expr is None:
            return True, None
        return True, self.index.resolve(module, target_expr)

    def of_parameter(
        self, module: Module, param: ast.arg, default: ast.expr | None
    ) -> Dependency | None:
        if default is not None:
            is_marker, target = self.marker_target(module, default)
            if is_marker:
                if target is None and param.annotation is not None:
                    target = self.index.resolve(module, param.annotation)
                return Dependency(
                    target, module, param, param.annotation, module, expr=dependency_expr(default)
                )
        if param.annotation is not None:
            return self._from_annotation(module, param, param.annotation)
        return None

    def _from_annotation(
        self, module: Module, param: ast.arg, annotation: ast.expr, depth: int = 0
    ) -> Dependency | None:
        if depth > 5:
            return None
        if isinstance(annotation, ast.Subscript):
            if self.index.qualname(module, annotation.value) not in ANNOTATED:
                return None
            elements = _subscript_elements(annotation)
            for extra in elements[1:]:
                is_marker, target = self.marker_target(module, extra)
                if is_marker:
                    if target is None:
                        target = self.index.resolve(module, elements[0])
                    return Dependency(
                        target, module, param, elements[0], module, expr=dependency_expr(extra)
                    )
            return None
        symbol = self.index.resolve(module, annotation)
        if isinstance(symbol, ValueSymbol) and isinstance(symbol.value, ast.Subscript):
            found = self._from_annotation(symbol.module, param, symbol.value, depth + 1)
            if found is not None:
                return Dependency(
                    found.target, found.module, param, found.annotation, found.annotation_module,
                    alias=found.alias or symbol, expr=found.expr,
                )
        return None

    def of_function(self, function: FunctionSymbol) -> list[Dependency]:
        """The function's parameter dependencies; computed once per function (every route's
        closure asks again for the shared ones, such as ``get_current_user``'s)."""
        key = ("parameter dependencies", id(function.module), id(function.node))
        return list(self.index.memo(self._parameters_cache, key, lambda: self._of_function(function), ()))

    def _of_function(self, function: FunctionSymbol) -> tuple[Dependency, ...]:
        found = []
        for param, default in function_parameters(function.node):
            dependency = self.of_parameter(function.module, param, default)
            if dependency is not None:
                found.append(dependency)
        return tuple(found)

    def of_list(self, module: Module, expr: ast.expr | None) -> list[Dependency]:
        """``dependencies=[Depends(a), Security(b)]``."""
        if not isinstance(expr, (ast.List, ast.Tuple)):
            return []
        found = []
        for element in expr.elts:
            is_marker, target = self.marker_target(module, element)
            if is_marker:
                found.append(Dependency(target, module, expr=dependency_expr(element)))
        return found

    def children(self, target: Symbol | None) -> list[Dependency]:
        """The sub-dependencies FastAPI runs for ``target``."""
        function = self.callable_function(target)
        return self.of_function(function) if function is not None else []

    def closure(self, roots: list[Dependency]) -> list[Dependency]:
        """``roots`` and everything they depend on, each target once."""
        seen: set[object] = set()
        ordered: list[Dependency] = []
        stack = list(reversed(roots))
        while stack:
            dependency = stack.pop()
            key = symbol_key(dependency.target)
            if key is not None and key in seen:
                continue
            if key is not None:
                seen.add(key)
            ordered.append(dependency)
            stack.extend(reversed(self.children(dependency.target)))
        return ordered

    # Authentication

    def is_auth(self, target: Symbol | None) -> bool:
        key = symbol_key(target)
        if key is None:
            return False
        return self.index.memo(
            self._auth_cache, key, lambda: self._compute_is_auth(target), default=False
        )

    def _compute_is_auth(self, target: Symbol | None) -> bool:
        if self._is_configured(target):
            return True
        function = self.callable_function(target)
        if function is not None and self._decodes_token(function):
            return True
        children = self.children(target)
        if any(self.is_auth(child.target) for child in children):
            return True
        uses_scheme = any(self.is_security_scheme(child.target) for child in children)
        if not uses_scheme:
            return False
        # A class dependency yields its instance; a function or __call__ must return a value.
        return isinstance(target, ClassSymbol) or (
            function is not None and _returns_value(function.node)
        )

    def callable_function(self, target: Symbol | None) -> FunctionSymbol | None:
        """The function FastAPI calls for ``target``: itself, ``__init__`` or ``__call__``."""
        if isinstance(target, FunctionSymbol):
            return target
        if isinstance(target, ClassSymbol):
            return _method(target, "__init__")
        if isinstance(target, ValueSymbol) and isinstance(target.value, ast.Call):
            instance_of = self.index.resolve(target.module, target.value.func)
            if isinstance(instance_of, ClassSymbol):
                return _method(instance_of, "__call__")
        return None

    def _is_configured(self, target: Symbol | None) -> bool:
        if target is None:
            return False
        qualname = getattr(target, "qualname", "")
        short = qualname.rsplit(".", 1)[-1]
        for name in self.auth_names:
            if "." in name:
                if qualname == name or qualname.endswith("." + name):
                    return True
            elif short == name:
                return True
        return False

    def _decodes_token(self, function: FunctionSymbol) -> bool:
        text = function.module.text
        if "decode" not in text and "verify" not in text:  # JWT_DECODE's names, aliased or not
            return False
        return any(
            self.index.qualname(function.module, call.func) in JWT_DECODE
            for call in function.module.structure.calls_in(function.node)
        )

    def is_security_scheme(self, target: Symbol | None) -> bool:
        if isinstance(target, ValueSymbol) and isinstance(target.value, ast.Call):
            return self.index.qualname(target.module, target.value.func) in SECURITY_SCHEMES
        return False


def symbol_key(symbol: Symbol | None) -> object:
    if symbol is None:
        return None
    if isinstance(symbol, External):
        return symbol.qualname
    if isinstance(symbol, ValueSymbol):
        return (id(symbol.module), symbol.name)
    node = getattr(symbol, "node", None)
    return (id(getattr(symbol, "module", None)), id(node))


def dependency_expr(call: ast.expr) -> ast.expr | None:
    """The ``f`` of ``Depends(f)`` / ``Depends(dependency=f)``."""
    if not isinstance(call, ast.Call):
        return None
    return call.args[0] if call.args else _keyword(call, "dependency")


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _subscript_elements(subscript: ast.Subscript) -> list[ast.expr]:
    inner = subscript.slice
    if isinstance(inner, ast.Tuple):
        return list(inner.elts)
    return [inner]


def _method(cls: ClassSymbol, name: str) -> FunctionSymbol | None:
    for statement in cls.node.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == name:
            return FunctionSymbol(cls.module, statement)
    return None


def _returns_value(node: Function) -> bool:
    return any(
        isinstance(child, ast.Return) and child.value is not None
        and not (isinstance(child.value, ast.Constant) and child.value.value is None)
        for child in walk(node)
    )


def keyword_argument(call: ast.Call, name: str) -> ast.expr | None:
    return _keyword(call, name)


def walk_calls(node: ast.AST) -> Iterator[ast.Call]:
    for child in walk(node):
        if isinstance(child, ast.Call):
            yield child
