"""The semantic model rules read: a project-wide analysis and a per-module context."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ..settings import Settings
from ..source import Locator
from .checks import (
    OwnerCheck,
    find_owner_checks,
    name_is,
    root_name,
    rooted_at,
    unwrap_conversion,
)
from .dependencies import Dependencies, Dependency, function_parameters
from .lazy import cached_property
from .models import Models
from .names import HTTP_EXCEPTION, SCALAR_IDENTITY_TYPES, STATUS_MODULES
from .ownership import FunctionData, Trust
from .project import FunctionSymbol, Module, ProjectIndex
from .queries import DataAccess, Queries, is_session_write
from .routes import Route, Routers, path_parameters
from .values import value_class
from .walk import walk


class Analysis:
    """Everything shared by the modules of one run."""

    def __init__(self, index: ProjectIndex, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self.dependencies = Dependencies(index, settings.auth_dependencies)
        self.routers = Routers(index, self.dependencies)
        self.models = Models(index, settings.owner_fields)
        self.queries = Queries(index, self.models)
        self._callees_cache: dict[object, tuple[frozenset, int]] = {}

    def context(self, module: Module, locator: Locator | None = None) -> ModuleContext:
        return ModuleContext(self, module, locator or Locator(module.text))

    @property
    def route_callees(self) -> frozenset[tuple[int, int]]:
        """Project functions that some route calls, directly or up to three calls deep."""
        return self.index.memo(self._callees_cache, "callees", self._route_callees)

    def _route_callees(self) -> frozenset[tuple[int, int]]:
        routes: dict[int, Module] = {}
        for needle in (b"router", b"@app.", b"add_api_route"):
            for module in self.index.modules_mentioning(needle):
                routes[id(module)] = module
        frontier = [
            route.function for module in routes.values() for route in self.routers.routes(module)
        ]
        seen: set[tuple[int, int]] = set()
        for _depth in range(3):
            following = []
            for function in frontier:
                for call in function.module.structure.calls_in(function.node):
                    callee = self.index.resolve(function.module, call.func)
                    if isinstance(callee, FunctionSymbol):
                        key = (id(callee.module), id(callee.node))
                        if key not in seen:
                            seen.add(key)
                            following.append(callee)
            frontier = following
        return frozenset(seen)

    def called_by_routes(self, function: FunctionSymbol) -> bool:
        return (id(function.module), id(function.node)) in self.route_callees


@value_class
class Identity:
    """The route parameter bound to an auth dependency and the value that identifies the user."""

    param: str
    value: str  # ``current_user`` or ``current_user.id``
    is_object: bool


@dataclass
class RouteModel:
    route: Route
    analysis: Analysis = field(repr=False)

    @property
    def settings(self) -> Settings:
        return self.analysis.settings

    @property
    def node(self) -> ast.FunctionDef | ast.AsyncFunctionDef:
        return self.route.node

    @property
    def module(self) -> Module:
        return self.route.module

    @cached_property
    def parameters(self) -> dict[str, tuple[ast.arg, ast.expr | None]]:
        return {arg.arg: (arg, default) for arg, default in function_parameters(self.node)}

    @cached_property
    def parameter_dependencies(self) -> list[Dependency]:
        return self.analysis.dependencies.of_function(self.route.function)

    @cached_property
    def user_scoped(self) -> bool:
        name = self.settings.user_id_param
        return any(name in path_parameters(path) for path in self.route.full_paths)

    @cached_property
    def is_public(self) -> bool:
        return any(
            route_glob_matches(pattern, path)
            for pattern in self.settings.public_routes
            for path in self.route.full_paths
        )

    @cached_property
    def is_admin(self) -> bool:
        if any(
            route_glob_matches(pattern, path)
            for pattern in self.settings.admin_routes
            for path in self.route.full_paths
        ):
            return True
        names = {name.rsplit(".", 1)[-1] for name in self.settings.admin_dependencies}
        return any(dep.name in names for mount in self.mount_closures for dep in mount)

    @cached_property
    def mount_closures(self) -> list[list[Dependency]]:
        """The effective dependencies of the route, once per place it is mounted."""
        own = [*self.route.route_dependencies, *self.parameter_dependencies]
        return [
            self.analysis.dependencies.closure([*mount.dependencies, *own])
            for mount in self.route.mounts
        ]

    @cached_property
    def is_authenticated(self) -> bool:
        deps = self.analysis.dependencies
        return all(any(deps.is_auth(d.target) for d in closure) for closure in self.mount_closures)

    @cached_property
    def identity(self) -> Identity | None:
        for dependency in self.parameter_dependencies:
            if dependency.param is not None and self.analysis.dependencies.is_auth(dependency.target):
                return self._identity_of(dependency)
        return None

    def _identity_of(self, dependency: Dependency) -> Identity:
        name = dependency.param.arg  # type: ignore[union-attr]
        is_object = not self.analysis_is_scalar(dependency)
        value = f"{name}.{self.settings.user_id_attribute}" if is_object else name
        return Identity(name, value, is_object)

    def analysis_is_scalar(self, dependency: Dependency) -> bool:
        annotation = dependency.annotation
        if annotation is None:
            return True
        module = dependency.annotation_module or self.module
        inner = _strip_optional(annotation)
        symbol = self.analysis.index.resolve(module, inner)
        return getattr(symbol, "qualname", None) in SCALAR_IDENTITY_TYPES

    @cached_property
    def user_param(self) -> str | None:
        name = self.settings.user_id_param
        return name if name in self.parameters else None

    @cached_property
    def owner_checks(self) -> list[OwnerCheck]:
        identity, user = self.identity, self.user_param
        if identity is None or user is None:
            return []
        return find_owner_checks(
            self.node.body, rooted_at(frozenset({identity.param})), name_is(user)
        )

    @cached_property
    def guarded_by_dependency(self) -> bool:
        """A dependency of the route compares the path user id with the identity itself."""
        deps = self.analysis.dependencies
        for closure in self.mount_closures:
            for dependency in closure:
                target = dependency.target
                if isinstance(target, FunctionSymbol) and _function_has_owner_check(
                    target, deps, self.settings.user_id_param
                ):
                    return True
        return False

    @cached_property
    def guarded_by_helper(self) -> bool:
        """A project helper called with the path user id and the identity does the check."""
        identity, user = self.identity, self.user_param
        if identity is None or user is None:
            return False
        for call in self.module.structure.calls_in(self.node):
            target = self.analysis.index.resolve(self.module, call.func)
            if isinstance(target, FunctionSymbol) and _helper_checks(
                call, target, identity.param, user
            ):
                return True
        return False

    @cached_property
    def data_accesses(self) -> list[DataAccess]:
        return list(self.analysis.queries.accesses(self.module, self.node))

    @cached_property
    def data(self) -> FunctionData:
        return FunctionData(self.analysis.queries, self.module, self.node)

    @cached_property
    def injected_parameters(self) -> frozenset[str]:
        """Parameters FastAPI fills from a dependency (the session, the identity, ...)."""
        return frozenset(d.param.arg for d in self.parameter_dependencies if d.param is not None)

    @cached_property
    def request_inputs(self) -> frozenset[str]:
        """Parameters filled from the request itself: path (other than the scoped user id),
        query string, headers, body. A parameter whose type cannot be resolved is left out:
        it may be an alias of a dependency defined where the analysis cannot see."""
        found = set()
        for name, (arg, default) in self.parameters.items():
            if name in self.injected_parameters or name == self.user_param:
                continue
            if name in ("self", "cls", "request", "response", "background_tasks"):
                continue
            if arg.annotation is None or self._resolves(arg.annotation):
                found.add(name)
        return frozenset(found)

    def _resolves(self, annotation: ast.expr) -> bool:
        if isinstance(annotation, ast.Subscript):
            return self._resolves(annotation.value)
        if isinstance(annotation, ast.BinOp):
            return self._resolves(annotation.left) and self._resolves(annotation.right)
        if isinstance(annotation, ast.Constant):
            return annotation.value is None
        return self.analysis.index.resolve(self.module, annotation) is not None

    @cached_property
    def first_data_access(self) -> int | None:
        """Top-level position of the first statement that reads or writes data."""
        positions = [self.data.top_level_position(access.node) for access in self.data_accesses]
        for call in self.module.structure.calls_in(self.node):
            if is_session_write(call) and root_name(call.func) in self.injected_parameters:
                positions.append(self.data.top_level_position(call))
        return min(positions) if positions else None

    def owner_verified_before(self, position: int) -> bool:
        """The path user id has been compared with the identity before ``position``."""
        if self.guarded_by_dependency or self.guarded_by_helper:
            return True
        return any(check.rejects and check.position < position for check in self.owner_checks)

    def trust(self, expr: ast.expr, position: int, depth: int = 0) -> Trust:
        root = root_name(expr)
        identity = self.identity
        if identity is not None and root == identity.param:
            return Trust.TRUSTED
        if root is not None and root == self.user_param and isinstance(unwrap_conversion(expr), ast.Name):
            return Trust.TRUSTED if self.owner_verified_before(position) else Trust.PATH
        if root is not None and root in self.request_inputs:
            return Trust.UNTRUSTED
        value = self._single_local_assignment(root, position)
        if value is not None and depth < 3:
            return self.trust(value, position, depth + 1)
        return Trust.UNKNOWN

    def _single_local_assignment(self, name: str | None, position: int) -> ast.expr | None:
        if name is None or name in self.parameters:
            return None
        values = [
            node.value
            for node in self.module.structure.nodes_in(self.node)
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        ]
        return values[0] if len(values) == 1 else None

    def trusted_value(self, position: int) -> str | None:
        """The owner value a fix may use at ``position``."""
        if self.user_param is not None and self.owner_verified_before(position):
            return self.user_param
        return self.identity.value if self.identity is not None else None


class ModuleContext:
    """What a rule gets: the module, its routes' models, and the project analysis."""

    def __init__(self, analysis: Analysis, module: Module, locator: Locator) -> None:
        self.analysis = analysis
        self.module = module
        self.locator = locator
        self.settings = analysis.settings
        self.index = analysis.index

    @cached_property
    def routes(self) -> list[RouteModel]:
        return [RouteModel(route, self.analysis) for route in self.analysis.routers.routes(self.module)]

    @cached_property
    def status_module_expr(self) -> str | None:
        """How the file names ``fastapi.status`` when it writes ``status.HTTP_403_FORBIDDEN``
        rather than ``403`` (``status``, ``fastapi.status``, an alias); None when it does not."""
        if b"HTTP_" not in self.module.text.encode("utf-8", "surrogateescape"):
            return None
        for node in walk(self.module.tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("HTTP_"):
                if self.index.qualname(self.module, node.value) in STATUS_MODULES:
                    return ast.unparse(node.value)
        return None

    @property
    def uses_status_module(self) -> bool:
        return self.status_module_expr is not None

    def local_name_for(self, qualnames: frozenset[str]) -> str | None:
        """The name this module already binds to one of ``qualnames``, if any."""
        for local, target in self.module.imports.items():
            if target in qualnames:
                return local
        return None

    @cached_property
    def http_exception_name(self) -> str | None:
        return self.local_name_for(HTTP_EXCEPTION)


def _function_has_owner_check(target: FunctionSymbol, deps: Dependencies, user_param: str) -> bool:
    names = {arg.arg for arg, _ in function_parameters(target.node)}
    if user_param not in names:
        return False
    identities = frozenset(
        d.param.arg for d in deps.of_function(target) if d.param is not None and deps.is_auth(d.target)
    )
    if not identities:
        return False
    checks = find_owner_checks(target.node.body, rooted_at(identities), name_is(user_param))
    return any(check.rejects for check in checks)


def _helper_checks(call: ast.Call, target: FunctionSymbol, identity: str, user: str) -> bool:
    bound = _bind_arguments(call, target.node)
    user_params = frozenset(p for p, arg in bound.items() if isinstance(arg, ast.Name) and arg.id == user)
    identity_params = frozenset(p for p, arg in bound.items() if root_name(arg) == identity)
    if not user_params or not identity_params:
        return False
    for user_param in user_params:
        checks = find_owner_checks(target.node.body, rooted_at(identity_params), name_is(user_param))
        if any(check.rejects for check in checks):
            return True
    return False


def _bind_arguments(call: ast.Call, node: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr]:
    positional = [arg.arg for arg in (*node.args.posonlyargs, *node.args.args)]
    bound = {name: value for name, value in zip(positional, call.args) if not isinstance(value, ast.Starred)}
    for keyword in call.keywords:
        if keyword.arg is not None:
            bound[keyword.arg] = keyword.value
    return bound


def _strip_optional(annotation: ast.expr) -> ast.expr:
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        for side in (annotation.left, annotation.right):
            if not (isinstance(side, ast.Constant) and side.value is None):
                return side
    if isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value).endswith("Optional"):
        return annotation.slice
    return annotation


def route_glob_matches(pattern: str, path: str) -> bool:
    """``*`` matches within one path segment, ``**`` across segments."""
    regex = _glob_regex(pattern)
    return regex.fullmatch(path) is not None or regex.fullmatch(path.rstrip("/")) is not None


def _glob_regex(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*|\*)", pattern)
    translated = []
    for part in parts:
        if part == "**":
            translated.append(".*")
        elif part == "*":
            translated.append("[^/]*")
        else:
            translated.append(re.escape(part))
    return re.compile("".join(translated))


__all__ = ["Analysis", "Identity", "ModuleContext", "RouteModel", "route_glob_matches"]
