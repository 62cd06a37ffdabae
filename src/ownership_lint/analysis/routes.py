"""Routers, their prefixes and dependencies across ``include_router`` chains, and routes."""

from __future__ import annotations

import ast
import re
from dataclasses import field

from .dependencies import Dependencies, Dependency, keyword_argument
from .names import ROUTE_METHODS, ROUTER_CLASSES
from .project import FunctionSymbol, Module, ModuleSymbol, ProjectIndex, ValueSymbol
from .values import value_class
from .walk import walk

Function = ast.FunctionDef | ast.AsyncFunctionDef
_PATH_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?}")
_MAX_MOUNTS = 16


def path_parameters(path: str) -> frozenset[str]:
    return frozenset(_PATH_PARAM.findall(path))


@value_class
class Mount:
    """One place a route is served: its full path and the router-level dependencies."""

    path: str
    dependencies: tuple[Dependency, ...] = ()


@value_class
class Route:
    module: Module
    node: Function
    registration: ast.expr  # the decorator or ``add_api_route`` call
    methods: tuple[str, ...]
    mounts: tuple[Mount, ...]
    route_dependencies: tuple[Dependency, ...] = field(default=())

    @property
    def function(self) -> FunctionSymbol:
        return FunctionSymbol(self.module, self.node)

    @property
    def full_paths(self) -> tuple[str, ...]:
        return tuple(mount.path for mount in self.mounts)

    def describe(self) -> str:
        return f"{'|'.join(self.methods)} {self.mounts[0].path}"


@value_class
class _Inclusion:
    parent: ValueSymbol | None
    prefix: str
    dependencies: tuple[Dependency, ...]


class Routers:
    """Where each router is mounted; built once per run from the files that include routers."""

    def __init__(self, index: ProjectIndex, dependencies: Dependencies) -> None:
        self.index = index
        self.dependencies = dependencies
        self._inclusions: dict[object, list[_Inclusion]] | None = None
        self._registrations: dict[object, list[tuple[ValueSymbol, ast.Call]]] | None = None
        self._mount_cache: dict[object, tuple[tuple[Mount, ...], int]] = {}
        self._scan_cache: dict[object, tuple[bool, int]] = {}

    def router_of(self, module: Module, expr: ast.expr) -> ValueSymbol | None:
        symbol = self.index.resolve(module, expr)
        if isinstance(symbol, ValueSymbol) and isinstance(symbol.value, ast.Call):
            if self.index.qualname(symbol.module, symbol.value.func) in ROUTER_CLASSES:
                return symbol
        return None

    def _scan(self) -> None:
        """Who includes which router: replayed as a consulted fact by every route lookup."""
        self.index.memo(self._scan_cache, "scan", self._scan_all)

    def _scan_all(self) -> bool:
        self._inclusions, self._registrations = {}, {}
        for module in self.index.modules_mentioning(b"include_router"):
            self._scan_inclusions(module)
        for module in self.index.modules_mentioning(b"add_api_route"):
            self._scan_registrations(module)
        return True

    def _scan_inclusions(self, module: Module) -> None:
        assert self._inclusions is not None
        for call in _method_calls(module.tree, "include_router"):
            if not call.args:
                continue
            child = self.router_of(module, call.args[0])
            if child is None:
                continue
            receiver = call.func.value  # type: ignore[attr-defined]
            inclusion = _Inclusion(
                parent=self.router_of(module, receiver),
                prefix=_string(keyword_argument(call, "prefix")),
                dependencies=tuple(
                    self.dependencies.of_list(module, keyword_argument(call, "dependencies"))
                ),
            )
            self._inclusions.setdefault(_key(child), []).append(inclusion)

    def _scan_registrations(self, module: Module) -> None:
        assert self._registrations is not None
        for call in _method_calls(module.tree, "add_api_route"):
            router = self.router_of(module, call.func.value)  # type: ignore[attr-defined]
            endpoint = call.args[1] if len(call.args) > 1 else keyword_argument(call, "endpoint")
            if router is None or endpoint is None:
                continue
            function = self.index.resolve(module, endpoint)
            if isinstance(function, FunctionSymbol):
                key = (id(function.module), id(function.node))
                self._registrations.setdefault(key, []).append((router, call))

    def mounts(self, router: ValueSymbol, seen: frozenset = frozenset()) -> tuple[Mount, ...]:
        return self.index.memo(
            self._mount_cache, _key(router), lambda: self._mounts(router, seen), default=()
        )

    def _mounts(self, router: ValueSymbol, seen: frozenset) -> tuple[Mount, ...]:
        key = _key(router)
        self._scan()
        assert self._inclusions is not None
        call = router.value
        assert isinstance(call, ast.Call)
        own = Mount(
            _string(keyword_argument(call, "prefix")),
            tuple(self.dependencies.of_list(router.module, keyword_argument(call, "dependencies"))),
        )
        mounts: list[Mount] = []
        for inclusion in self._inclusions.get(key, []):
            if inclusion.parent is None or _key(inclusion.parent) in seen:
                parents = (Mount(""),)
            else:
                parents = self.mounts(inclusion.parent, seen | {key})
            for parent in parents:
                mounts.append(
                    Mount(
                        parent.path + inclusion.prefix + own.path,
                        parent.dependencies + inclusion.dependencies + own.dependencies,
                    )
                )
        return tuple(mounts[:_MAX_MOUNTS]) or (own,)

    def routes(self, module: Module) -> list[Route]:
        self._scan()
        found = []
        for node in module.structure.functions:
            found.extend(self._routes_of_function(module, node))
        return found

    def _routes_of_function(self, module: Module, node: Function) -> list[Route]:
        found = []
        for decorator in node.decorator_list:
            if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
                continue
            if decorator.func.attr not in ROUTE_METHODS:
                continue
            router = self.router_of(module, decorator.func.value)
            if router is not None:
                found.append(self._route(module, node, router, decorator, decorator.func.attr))
        assert self._registrations is not None
        for router, call in self._registrations.get((id(module), id(node)), []):
            found.append(self._route(router.module, node, router, call, "api_route", module))
        return found

    def _route(
        self,
        declared_in: Module,
        node: Function,
        router: ValueSymbol,
        call: ast.Call,
        method: str,
        function_module: Module | None = None,
    ) -> Route:
        path = _string(call.args[0] if call.args else keyword_argument(call, "path"))
        methods = _methods(call, method)
        mounts = tuple(
            Mount(mount.path + path, mount.dependencies) for mount in self.mounts(router)
        )
        dependencies = self.dependencies.of_list(
            declared_in, keyword_argument(call, "dependencies")
        )
        return Route(
            module=function_module or declared_in,
            node=node,
            registration=call,
            methods=methods,
            mounts=mounts,
            route_dependencies=tuple(dependencies),
        )


def _methods(call: ast.Call, method: str) -> tuple[str, ...]:
    if method != "api_route":
        return (method.upper(),)
    listed = keyword_argument(call, "methods")
    if isinstance(listed, (ast.List, ast.Tuple, ast.Set)):
        names = [_string(element).upper() for element in listed.elts]
        return tuple(name for name in names if name) or ("GET",)
    return ("GET",)


def _method_calls(tree: ast.AST, method: str) -> list[ast.Call]:
    return [
        node
        for node in walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == method
    ]


def _string(expr: ast.expr | None) -> str:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "{…}" for part in expr.values
        )
    return ""


def _key(router: ValueSymbol | ModuleSymbol) -> object:
    return (id(router.module), getattr(router, "name", None))
