"""JWTs as the token rules (OWN402, OWN501-OWN505) see them.

One place answers "is this call a JWT decode, with which library", "does this ``except`` catch
that library's errors", "which names hold the decoded payload and its subject", and "is this
function an auth dependency or a route". Every answer resolves names through the project index
(``from jose import jwt``, ``import jose.jwt``, ``from jwt import decode as d``, aliases), never
by matching source text; a project module that happens to be called ``jwt`` is not PyJWT.
"""

from __future__ import annotations

import ast
import enum
from collections.abc import Callable, Iterator
from weakref import WeakKeyDictionary

from .context import Analysis, ModuleContext, RouteModel
from .project import FunctionSymbol, Module, ValueSymbol
from .raises import assigned_values, own_nodes, walk_local
from .statements import own_statements
from .values import value_class
from .walk import child_nodes

Function = ast.FunctionDef | ast.AsyncFunctionDef
TRY_STATEMENTS: tuple[type, ...] = (ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))


class Library(str, enum.Enum):
    JOSE = "python-jose"
    PYJWT = "PyJWT"


class Operation(str, enum.Enum):
    DECODE = "decode"
    ENCODE = "encode"
    UNVERIFIED_CLAIMS = "get_unverified_claims"
    UNVERIFIED_HEADER = "get_unverified_header"


_J, _P = Library.JOSE, Library.PYJWT
_CALLS: dict[str, tuple[Library, Operation]] = {
    "jose.jwt.decode": (_J, Operation.DECODE),
    "jose.jwt.encode": (_J, Operation.ENCODE),
    "jose.jwt.get_unverified_claims": (_J, Operation.UNVERIFIED_CLAIMS),
    "jose.jwt.get_unverified_header": (_J, Operation.UNVERIFIED_HEADER),
    "jose.jwt.get_unverified_headers": (_J, Operation.UNVERIFIED_HEADER),
    "jwt.decode": (_P, Operation.DECODE),
    "jwt.decode_complete": (_P, Operation.DECODE),
    "jwt.api_jwt.decode": (_P, Operation.DECODE),
    "jwt.api_jwt.decode_complete": (_P, Operation.DECODE),
    "jwt.encode": (_P, Operation.ENCODE),
    "jwt.api_jwt.encode": (_P, Operation.ENCODE),
    "jwt.get_unverified_header": (_P, Operation.UNVERIFIED_HEADER),
    "jwt.api_jws.get_unverified_header": (_P, Operation.UNVERIFIED_HEADER),
}
# Positional parameters, by role, as both libraries declare them.
_POSITIONAL: dict[Operation, tuple[str, ...]] = {
    Operation.DECODE: ("token", "key", "algorithms", "options"),
    Operation.ENCODE: ("claims", "key", "algorithm"),
    Operation.UNVERIFIED_CLAIMS: ("token",),
    Operation.UNVERIFIED_HEADER: ("token",),
}
_KEYWORDS = {"token": ("token", "jwt"), "claims": ("claims", "payload")}


@value_class
class JwtCall:
    """A call into python-jose's or PyJWT's ``jwt`` API."""

    node: ast.Call
    library: Library
    operation: Operation

    @property
    def is_decode(self) -> bool:
        return self.operation is Operation.DECODE

    @property
    def unpacks(self) -> bool:
        """``*args``/``**kwargs``: any argument may be given without being visible."""
        return any(isinstance(a, ast.Starred) for a in self.node.args) or any(
            k.arg is None for k in self.node.keywords
        )

    @property
    def written(self) -> str:
        return ast.unparse(self.node.func)

    def argument(self, role: str) -> ast.expr | None:
        """The argument playing ``role`` (``key``, ``algorithms``, ``options``...), if given."""
        for keyword in self.node.keywords:
            if keyword.arg in _KEYWORDS.get(role, (role,)):
                return keyword.value
        positions = _POSITIONAL[self.operation]
        if role not in positions:
            return None
        index = positions.index(role)
        args = self.node.args
        if index < len(args) and not any(isinstance(a, ast.Starred) for a in args[: index + 1]):
            return args[index]
        return None


def jwt_call(ctx: ModuleContext, node: ast.AST, module: Module | None = None) -> JwtCall | None:
    if not isinstance(node, ast.Call):
        return None
    found = _CALLS.get(ctx.index.qualname(module or ctx.module, node.func) or "")
    return JwtCall(node, *found) if found else None


_JWT_CALLS: WeakKeyDictionary[ModuleContext, list[tuple[JwtCall, Function | None]]] = WeakKeyDictionary()


def jwt_calls(ctx: ModuleContext) -> list[tuple[JwtCall, Function | None]]:
    """Every JWT call of the module with the function it runs in (None: module level), in
    pre-order. Once per context (OWN501-OWN503 all ask); the list is shared: do not change it."""
    found = _JWT_CALLS.get(ctx)
    if found is None:
        found = _JWT_CALLS[ctx] = list(_jwt_calls(ctx))
    return found


def _jwt_calls(ctx: ModuleContext) -> Iterator[tuple[JwtCall, Function | None]]:
    # Only a call whose callee is a name, or an attribute of a name, imported by the module can
    # resolve to a library function: anything else is not looked up.
    imported = ctx.module.imports
    stack: list[tuple[ast.AST, Function | None]] = [(ctx.module.tree, None)]
    while stack:
        node, function = stack.pop()
        kind = type(node)
        if kind is ast.Call and _root_name(node.func) in imported:  # type: ignore[attr-defined]
            found = jwt_call(ctx, node)
            if found is not None:
                yield found, function
        inner = node if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef else function
        children = child_nodes(node)
        if children:
            children.reverse()
            stack.extend((child, inner) for child in children)


def _root_name(expr: ast.expr) -> str | None:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def decode_calls(ctx: ModuleContext, function: Function, module: Module | None = None) -> Iterator[JwtCall]:
    """The JWT decodes of the function's body (not of nested functions), in source order.

    The candidates come from the module's shared list of the function's calls; only when one
    is a decode is the function's body walked, to leave out nested functions, decorators and
    defaults."""
    own: set[int] | None = None
    for call in (module or ctx.module).structure.calls_in(function):
        found = jwt_call(ctx, call, module)
        if found is None or not found.is_decode:
            continue
        if own is None:
            own = {id(node) for node in own_nodes(function) if isinstance(node, ast.Call)}
        if id(call) in own:
            yield found


# Which functions count


def module_functions(module: Module) -> Iterator[tuple[Function, ast.ClassDef | None]]:
    """Module-level functions and the methods of module-level classes, with their class."""
    for statement in module.tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield statement, None
        elif isinstance(statement, ast.ClassDef):
            for item in statement.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield item, statement


def is_auth_function(ctx: ModuleContext, function: Function) -> bool:
    """An auth dependency (configured, detected or transitive) or a function that decodes a JWT."""
    symbol = FunctionSymbol(ctx.module, function)
    return ctx.analysis.dependencies.is_auth(symbol) or any(decode_calls(ctx, function))


def is_route_or_dependency(ctx: ModuleContext, function: Function) -> bool:
    """FastAPI calls it for a request: a route, or a function in the effective dependencies of
    a route of the project (a dependency's dependencies, a class's ``__init__``, an instance's
    ``__call__``)."""
    key = (id(ctx.module), id(function))
    local = {key for route in ctx.routes for key in _called_for(ctx.analysis, route)}
    return key in local or key in request_functions(ctx.analysis)


_REQUEST_FUNCTIONS: WeakKeyDictionary[Analysis, dict] = WeakKeyDictionary()
_ROUTE_NEEDLES = (b"router", b"@app.", b"add_api_route")


def request_functions(analysis: Analysis) -> frozenset[tuple[int, int]]:
    """Every function FastAPI calls for some route of the project, as (module id, node id);
    computed once per analysis, and recorded as consulted facts for the cache."""
    cache = _REQUEST_FUNCTIONS.setdefault(analysis, {})
    return analysis.index.memo(cache, "request-functions", lambda: _request_functions(analysis))


def _request_functions(analysis: Analysis) -> frozenset[tuple[int, int]]:
    modules = {id(m): m for needle in _ROUTE_NEEDLES for m in analysis.index.modules_mentioning(needle)}
    return frozenset(
        key
        for module in modules.values()
        for route in analysis.routers.routes(module)
        for key in _called_for(analysis, RouteModel(route, analysis))
    )


def _called_for(analysis: Analysis, route: RouteModel) -> Iterator[tuple[int, int]]:
    yield id(route.module), id(route.node)
    for closure in route.mount_closures:
        for dependency in closure:
            called = analysis.dependencies.callable_function(dependency.target)
            if called is not None:
                yield id(called.module), id(called.node)


# Exceptions

_COVERING = {
    Library.JOSE: frozenset(
        {"jose.JWTError", "jose.exceptions.JWTError", "jose.jwt.JWTError",
         "jose.JOSEError", "jose.exceptions.JOSEError"}
    ),
    Library.PYJWT: frozenset(
        {"jwt.PyJWTError", "jwt.InvalidTokenError", "jwt.exceptions.PyJWTError",
         "jwt.exceptions.InvalidTokenError"}
    ),
}
_LIBRARY_PREFIX = {Library.JOSE: "jose.", Library.PYJWT: "jwt."}
BROAD_EXCEPTIONS = frozenset({"builtins.Exception", "builtins.BaseException"})
KEY_ERRORS = frozenset({"builtins.KeyError", "builtins.LookupError"})


class Catch(str, enum.Enum):
    ALL = "all"  # the library's base error: every bad token
    PARTIAL = "partial"  # only some of its errors (ExpiredSignatureError, DecodeError...)
    BROAD = "broad"  # Exception, BaseException, a bare except
    NONE = "none"


def covering_errors(library: Library) -> frozenset[str]:
    """The exceptions that catch every bad token of ``library`` (``JWTError``, ``PyJWTError``)."""
    return _COVERING[library]


def caught(ctx: ModuleContext, handler: ast.ExceptHandler) -> list[str]:
    """Qualified names of what the handler catches (a bare ``except`` catches BaseException)."""
    if handler.type is None:
        return ["builtins.BaseException"]
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return [ctx.index.qualname(ctx.module, t) or "" for t in types]


def token_error_library(qualname: str) -> Library | None:
    """The JWT library ``qualname`` is an exception of (``jwt.ExpiredSignatureError``)."""
    for library, prefix in _LIBRARY_PREFIX.items():
        last = qualname.rsplit(".", 1)[-1]
        if qualname in _COVERING[library] or (qualname.startswith(prefix) and last.endswith("Error")):
            return library
    return None


def library_catch(ctx: ModuleContext, handler: ast.ExceptHandler, library: Library) -> Catch:
    names = caught(ctx, handler)
    if any(name in _COVERING[library] for name in names):
        return Catch.ALL
    if any(name in BROAD_EXCEPTIONS for name in names):
        return Catch.BROAD
    if any(token_error_library(name) is library for name in names):
        return Catch.PARTIAL
    return Catch.NONE


def catches_token_error(ctx: ModuleContext, handler: ast.ExceptHandler) -> bool:
    """The handler names an exception of a JWT library (not merely ``Exception``)."""
    return any(token_error_library(name) is not None for name in caught(ctx, handler))


def catches_any(ctx: ModuleContext, handler: ast.ExceptHandler, qualnames: frozenset[str]) -> bool:
    return any(name in qualnames for name in caught(ctx, handler))


# Where a statement runs


@value_class
class Placed:
    """A statement and the ``try`` statements whose body holds it, outermost first."""

    statement: ast.stmt
    tries: tuple[ast.Try, ...] = ()


def placed_statements(body: list[ast.stmt], tries: tuple[ast.Try, ...] = ()) -> Iterator[Placed]:
    """Every statement of a block, nested ones included, not entering nested functions."""
    for statement in body:
        yield Placed(statement, tries)
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(statement, TRY_STATEMENTS):
            yield from placed_statements(statement.body, (*tries, statement))  # type: ignore[attr-defined]
            for handler in statement.handlers:  # type: ignore[attr-defined]
                yield from placed_statements(handler.body, tries)
            yield from placed_statements(statement.orelse, tries)  # type: ignore[attr-defined]
            yield from placed_statements(statement.finalbody, tries)  # type: ignore[attr-defined]
            continue
        for block in _blocks(statement):
            yield from placed_statements(block, tries)


def _blocks(statement: ast.stmt) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        block = getattr(statement, name, None)
        if isinstance(block, list):
            yield block
    for case in getattr(statement, "cases", None) or []:
        yield case.body


def header_nodes(statement: ast.stmt) -> Iterator[ast.AST]:
    """The nodes of the statement itself, not of the statements nested in it."""
    for name, value in ast.iter_fields(statement):
        if name in ("body", "orelse", "finalbody", "handlers", "cases"):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, ast.AST):
                yield from walk_local(item)


# Payloads and subjects

SUBJECT_CLAIMS = frozenset({"sub", "user_id", "uid", "username"})


@value_class
class ClaimRead:
    """``payload.get("sub")`` or ``payload["sub"]``."""

    node: ast.expr
    payload: ast.expr
    key: ast.expr
    claim: str

    @property
    def by_subscript(self) -> bool:
        return isinstance(self.node, ast.Subscript)


def claim_read(expr: ast.AST, is_payload: Callable[[ast.expr], bool]) -> ClaimRead | None:
    """A read of a subject claim from a decoded payload; ``.get`` with a non-None default is
    not one (it cannot yield None)."""
    if isinstance(expr, ast.Subscript) and is_payload(expr.value):
        return _claim(expr, expr.value, expr.slice)
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "get"
        and 1 <= len(expr.args) <= 2
        and not expr.keywords
        and (len(expr.args) == 1 or _is_none(expr.args[1]))
        and is_payload(expr.func.value)
    ):
        return _claim(expr, expr.func.value, expr.args[0])
    return None


def _claim(node: ast.expr, payload: ast.expr, key: ast.expr) -> ClaimRead | None:
    if isinstance(key, ast.Constant) and key.value in SUBJECT_CLAIMS:
        return ClaimRead(node, payload, key, key.value)
    return None


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


class TokenScope:
    """The names a function binds to a decoded token (``payload``) and to its subject."""

    def __init__(self, ctx: ModuleContext, function: Function) -> None:
        self.ctx = ctx
        self.function = function
        self.payloads = self._payload_names()
        self.subjects = {
            target for target, value in _simple_assignments(function) if claim_read(value, self.is_payload)
        }

    def is_payload(self, expr: ast.expr) -> bool:
        if isinstance(expr, ast.Name):
            return expr.id in self.payloads
        return self._decodes(expr)

    def is_subject(self, expr: ast.expr) -> bool:
        if isinstance(expr, ast.Name):
            return expr.id in self.subjects
        return claim_read(expr, self.is_payload) is not None

    def _decodes(self, expr: ast.expr) -> bool:
        """A decode (verified or not), or a call of a project function that decodes."""
        found = jwt_call(self.ctx, expr)
        if found is not None:
            return found.operation in (Operation.DECODE, Operation.UNVERIFIED_CLAIMS)
        if isinstance(expr, ast.Call):
            symbol = self.ctx.index.resolve(self.ctx.module, expr.func)
            return isinstance(symbol, FunctionSymbol) and self._is_decoder(symbol)
        return False

    def _is_decoder(self, symbol: FunctionSymbol) -> bool:
        return symbol.node is not self.function and any(decode_calls(self.ctx, symbol.node, symbol.module))

    def _payload_names(self) -> set[str]:
        names = {target for target, value in _simple_assignments(self.function) if self._decodes(value)}
        symbol = FunctionSymbol(self.ctx.module, self.function)
        for dependency in self.ctx.analysis.dependencies.of_function(symbol):
            called = self.ctx.analysis.dependencies.callable_function(dependency.target)
            if dependency.param is not None and called is not None and self._is_decoder(called):
                names.add(dependency.param.arg)
        return names


def _simple_assignments(function: Function) -> Iterator[tuple[str, ast.expr]]:
    for node in own_statements(function.body):  # assignments are statements
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            yield node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name):
            yield node.target.id, node.value


def missing_test(test: ast.expr, is_missing_operand: Callable[[ast.expr], bool]) -> bool | None:
    """Whether ``test`` holds when the subject is missing (True), when it is present (False),
    or does not test it (None): ``x is None``, ``not x``, ``"sub" not in payload``, ``x``..."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = missing_test(test.operand, is_missing_operand)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        results = [missing_test(value, is_missing_operand) for value in test.values]
        wanted = isinstance(test.op, ast.Or)
        return wanted if wanted in results else None
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        return _compare_missing(test, is_missing_operand)
    return False if is_missing_operand(test) else None


def _compare_missing(test: ast.Compare, is_missing_operand: Callable[[ast.expr], bool]) -> bool | None:
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if _is_none(left):
        left, right = right, left
    if _is_none(right) and is_missing_operand(left):
        if isinstance(op, (ast.Is, ast.Eq)):
            return True
        if isinstance(op, (ast.IsNot, ast.NotEq)):
            return False
    if isinstance(op, (ast.In, ast.NotIn)) and _claim_key(left) and is_missing_operand(right):
        return isinstance(op, ast.NotIn)
    return None


def _claim_key(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value in SUBJECT_CLAIMS


# Values behind names


def binding_values(
    ctx: ModuleContext, function: Function | None, expr: ast.expr, module: Module | None = None
) -> list[tuple[Module, ast.expr, Function | None]]:
    """What a name stands for, with the module and function its value is written in: its
    assignments in ``function``, else the module-level (or imported) variable it resolves to.
    A parameter, or anything else, stands for nothing known."""
    module = module or ctx.module
    if isinstance(expr, ast.Name) and function is not None:
        if expr.id in _parameter_names(function):
            return []
        local = list(assigned_values(function, expr.id))
        if local:
            return [(module, value, function) for value in local]
    if isinstance(expr, (ast.Name, ast.Attribute)):
        symbol = ctx.index.resolve(module, expr)
        if isinstance(symbol, ValueSymbol):
            return [(symbol.module, symbol.value, None)]
    return []


def _parameter_names(function: Function) -> set[str]:
    args = function.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return {arg.arg for arg in every if arg is not None}


# Verification switched off (read by OWN501, OWN502, OWN503)

VERIFY_OPTIONS = {
    "verify_signature": "any forged token is accepted",
    "verify_exp": "expired tokens are accepted",
    "verify_nbf": "tokens that are not valid yet are accepted",
    "verify_aud": "tokens issued for another audience are accepted",
}


@value_class
class DisabledCheck:
    option: str  # a ``VERIFY_OPTIONS`` key, or ``verify`` (PyJWT 1.x)
    node: ast.AST  # where it is switched off
    via: str | None = None  # the variable the options dict is bound to


def disabled_checks(ctx: ModuleContext, function: Function | None, call: JwtCall) -> list[DisabledCheck]:
    if not call.is_decode:
        return []
    found = []
    verify = call.argument("verify")
    if verify is None and call.library is Library.PYJWT:
        third = call.argument("algorithms")
        verify = third if isinstance(third, ast.Constant) and isinstance(third.value, bool) else None
    if _is_false(verify):
        found.append(DisabledCheck("verify", verify))  # type: ignore[arg-type]
    options = call.argument("options")
    if options is not None:
        found.extend(_disabled_options(ctx, function, options))
    return found


def _disabled_options(
    ctx: ModuleContext, function: Function | None, options: ast.expr
) -> list[DisabledCheck]:
    direct = _dict_entries(ctx, ctx.module, options)
    if direct is not None:
        return [DisabledCheck(key, node) for key, node, value in direct if _switches_off(key, value)]
    found = []
    via = ast.unparse(options)
    for module, value, _scope in binding_values(ctx, function, options):
        for key, _node, item in _dict_entries(ctx, module, value) or []:
            if _switches_off(key, item):
                found.append(DisabledCheck(key, options, via))
    return found


def _switches_off(key: str, value: ast.expr) -> bool:
    return key in VERIFY_OPTIONS and _is_false(value)


def _dict_entries(
    ctx: ModuleContext, module: Module, expr: ast.expr
) -> list[tuple[str, ast.AST, ast.expr]] | None:
    """``{"k": v}`` and ``dict(k=v)``: (key, key node, value); None for anything else."""
    if isinstance(expr, ast.Dict):
        return [
            (key.value, key, value)
            for key, value in zip(expr.keys, expr.values)
            if isinstance(key, ast.Constant) and isinstance(key.value, str)
        ]
    if isinstance(expr, ast.Call) and ctx.index.qualname(module, expr.func) == "builtins.dict":
        return [(k.arg, k, k.value) for k in expr.keywords if k.arg is not None]
    return None


def _is_false(expr: ast.expr | None) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is False
