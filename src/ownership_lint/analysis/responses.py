"""What a route answers on failure and what it serializes on success.

Shared by the status-code and error-shape rules (OWN401, OWN403-OWN406) and the data-exposure
rules (OWN601, OWN602):

- failure branches of a route: the path owner check, object-level owner checks
  (``task.user_id != user_id``) and not-found checks after a fetch of the object the URL names;
- the inline ``HTTPException(...)`` raises of a block and their resolved status;
- ``try``/``except`` handlers: what they catch, whether their ``try`` parses request data;
- returned values that are owned table models, and the response schema of a route;
- pydantic request models and the fields they declare.

Everything is read-only over the shared analysis (``RouteModel``, ``FunctionData``, ``Models``).

Speed: these helpers run for every route of every file, under several rules. They only look at
statements where statements are what they need (``statements.own_statements``), check the
source text for a keyword before looking at a function (``except``, ``exception_handler``),
and keep what several rules ask about one module — failure branches, validation findings,
exception handler registrations, caught types, name resolutions — in a per-``ModuleContext``
cache (``_facts``). A context lives for one check of one file, so nothing cached here can go
stale when another file (or this one, in the fix loop) changes.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from http import HTTPStatus
from weakref import WeakKeyDictionary

from .checks import (
    is_match_test,
    is_mismatch_test,
    root_name,
    tests_missing,
    unwrap_conversion,
)
from .context import ModuleContext, RouteModel
from .dependencies import function_parameters
from .models import OwnedModel
from .names import HTTP_EXCEPTION, STATUS_MODULES
from .ownership import Trust
from .project import ClassSymbol, External, FunctionSymbol, Module, Symbol
from .raises import _HTTP_STATUS, own_nodes, status_argument, status_value
from .routes import path_parameters
from .statements import (
    LineIndex,
    in_walk_order,
    is_try,
    names_in,
    own_statements,
    walk_depths,
    walk_mentioning,
)
from .values import value_class
from .walk import child_nodes, walk

Function = ast.FunctionDef | ast.AsyncFunctionDef

# ---------------------------------------------------------------------------------------------
# Per-context facts


class _Facts:
    """What the rules ask of one ``ModuleContext`` more than once. Entries keyed by ``id``
    keep the object they are about, so the id cannot be reused while the entry lives."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.resolved: dict[str, Symbol | None] = {}
        self.statements: dict[int, tuple[ast.AST, list[ast.stmt]]] = {}
        self.branches: dict[int, tuple[RouteModel, list[FailureBranch]]] = {}
        self.caught: dict[int, tuple[ast.ExceptHandler, list[str]]] = {}
        self.returns_table: dict[int, tuple[Function, str | None | bool]] = {}
        self.validation: list[tuple[ast.expr, int, str]] | None = None
        self.handler_types: dict[int, list[str]] | None = None
        self._lines: LineIndex | None = None
        self._depths: dict[int, int] | None = None
        self.text = ctx.module.text
        self.tree = ctx.module.tree

    @property
    def lines(self) -> LineIndex:
        if self._lines is None:
            self._lines = LineIndex(self.text)
        return self._lines

    def walk_order(self, functions: list[Function]) -> list[Function]:
        """``functions`` in ``ast.walk(module)`` order (see ``statements.in_walk_order``)."""
        if len(functions) > 1 and self._depths is None:
            self._depths = walk_depths(self.tree)
        return in_walk_order(functions, self._depths)


_FACTS: WeakKeyDictionary[ModuleContext, _Facts] = WeakKeyDictionary()


def _facts(ctx: ModuleContext) -> _Facts:
    facts = _FACTS.get(ctx)
    if facts is None:
        facts = _FACTS[ctx] = _Facts(ctx)
    return facts


def in_walk_order_of(ctx: ModuleContext, functions: list[Function]) -> list[Function]:
    """Functions of the module in the order ``ast.walk(ctx.module.tree)`` finds them."""
    return _facts(ctx).walk_order(functions)


def _dotted(expr: ast.expr) -> str | None:
    """``a.b.c`` for a chain of names and attributes; None for anything else."""
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    return ".".join(reversed(parts))


def resolve(ctx: ModuleContext, expr: ast.expr) -> Symbol | None:
    """``ctx.index.resolve(ctx.module, expr)``, once per spelling per context. The index only
    resolves chains of names and attributes (anything else is None), and a chain resolves the
    same way wherever it is written in the module."""
    key = _dotted(expr)
    if key is None:
        return None
    cache = _facts(ctx).resolved
    if key in cache:
        return cache[key]
    symbol = cache[key] = ctx.index.resolve(ctx.module, expr)
    return symbol


def qualname(ctx: ModuleContext, expr: ast.expr) -> str | None:
    """``ctx.index.qualname(ctx.module, expr)``, cached like ``resolve``."""
    symbol = resolve(ctx, expr)
    return symbol.qualname if isinstance(symbol, External) else None


def statements_of(ctx: ModuleContext, function: ast.AST) -> list[ast.stmt]:
    """``own_statements`` of a function's body, once per function per context."""
    cache = _facts(ctx).statements
    entry = cache.get(id(function))
    if entry is None or entry[0] is not function:
        entry = cache[id(function)] = (function, own_statements(getattr(function, "body", [])))
    return entry[1]


def is_http_exception(ctx: ModuleContext, expr: ast.expr | None) -> bool:
    """``raises.is_http_exception_call`` with the context's resolution cache."""
    return isinstance(expr, ast.Call) and qualname(ctx, expr.func) in HTTP_EXCEPTION


def read_status(ctx: ModuleContext, expr: ast.expr | None) -> int | None:
    """``raises.status_value`` in the context's module."""
    return status_value(ctx.index, ctx.module, expr)


# ---------------------------------------------------------------------------------------------
# Statuses


# Names that exist under every supported Python/Starlette version.
_STATUS_MODULE_NAMES = {422: "HTTP_422_UNPROCESSABLE_ENTITY"}
_HTTP_STATUS_NAMES = {422: "UNPROCESSABLE_ENTITY"}
RESPONSE_CLASSES_PREFIXES = ("fastapi.responses.", "starlette.responses.")
RESPONSE_CLASSES = frozenset({"fastapi.Response", "starlette.responses.Response"})
REDIRECT_SUFFIX = "RedirectResponse"


@value_class
class StatusRaise:
    """``raise HTTPException(<status>, ...)`` written inline, with a resolvable status."""

    raise_node: ast.Raise
    call: ast.Call
    status_node: ast.expr
    status: int


def status_raises(ctx: ModuleContext, body: list[ast.stmt] | tuple[ast.stmt, ...]) -> Iterator[StatusRaise]:
    """The inline ``raise HTTPException(...)`` statements of a block (nested blocks included,
    nested functions not) whose status the analysis can read.

    A raise of a name (``raise credentials_exception``) is not included: its status lives in a
    binding other raises share, so changing it is not a local decision.
    """
    for node in own_statements(body):
        if not isinstance(node, ast.Raise) or node.exc is None:
            continue
        if not is_http_exception(ctx, node.exc):
            continue
        call = node.exc
        assert isinstance(call, ast.Call)
        status_node = status_argument(call)
        status = read_status(ctx, status_node)
        if status_node is not None and status is not None:
            yield StatusRaise(node, call, status_node, status)


def raises_anything(body: list[ast.stmt] | tuple[ast.stmt, ...]) -> bool:
    return any(isinstance(node, ast.Raise) for node in own_statements(body))


def own_nodes_of(statement: ast.AST) -> Iterator[ast.AST]:
    """The statement and every node in it, not entering nested functions, lambdas or classes."""
    stack = [statement]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(reversed(child_nodes(node)))


def status_replacement(ctx: ModuleContext, original: ast.expr, code: int) -> str:
    """``code`` written like ``original``: ``status.HTTP_404_NOT_FOUND`` for a ``status`` member,
    ``HTTPStatus.NOT_FOUND`` for an ``HTTPStatus`` member, else the file's style."""
    if isinstance(original, ast.Attribute):
        base = ctx.index.qualname(ctx.module, original.value)
        if base in STATUS_MODULES:
            return f"{ast.unparse(original.value)}.{status_module_name(code)}"
        if base == _HTTP_STATUS:
            return f"{ast.unparse(original.value)}.{_HTTP_STATUS_NAMES.get(code) or HTTPStatus(code).name}"
    if ctx.uses_status_module:
        module = ctx.local_name_for(STATUS_MODULES)
        if module is not None:
            return f"{module}.{status_module_name(code)}"
    return str(code)


def status_module_name(code: int) -> str:
    return _STATUS_MODULE_NAMES.get(code) or f"HTTP_{code}_{HTTPStatus(code).name}"


# ---------------------------------------------------------------------------------------------
# Failure branches of a route


PATH_OWNER = "path-owner"  # the path user id against the identity
OBJECT_OWNER = "object-owner"  # ``task.user_id != user_id`` (possibly with ``task is None or``)
NOT_FOUND = "not-found"  # ``if task is None`` / ``if not task`` after a fetch


@value_class
class FailureBranch:
    kind: str
    statement: ast.If
    body: tuple[ast.stmt, ...]  # the statements that run on the failure
    subject: str | None = None  # the object's variable (object and not-found checks)
    model: str | None = None  # the object's class name when known ("Task")
    pure: bool = True  # the test is only the check (no ``or task.deleted`` beside it)

    @property
    def status(self) -> int:
        """The status this failure must answer with."""
        return 403 if self.kind == PATH_OWNER else 404

    @property
    def default_detail(self) -> str:
        if self.kind == PATH_OWNER:
            return "Not authorized to access this user's data"
        return f"{self.model} not found" if self.model else "Not found"


def failure_branches(ctx: ModuleContext, route: RouteModel) -> list[FailureBranch]:
    """The path owner checks, object owner checks and not-found checks of a route body
    (computed once per route per context: OWN401, OWN403 and OWN404 all ask)."""
    cache = _facts(ctx).branches
    entry = cache.get(id(route))
    if entry is None or entry[0] is not route:
        entry = cache[id(route)] = (route, _failure_branches(ctx, route))
    return entry[1]


def _failure_branches(ctx: ModuleContext, route: RouteModel) -> list[FailureBranch]:
    found: list[FailureBranch] = []
    seen: set[int] = set()
    for check in route.owner_checks:
        seen.add(id(check.statement))
        found.append(FailureBranch(PATH_OWNER, check.statement, tuple(check.branch)))
    tests = [
        node for node in statements_of(ctx, route.node) if isinstance(node, ast.If) and id(node) not in seen
    ]
    if not tests:
        return found
    fetched = fetched_objects(ctx, route)
    owner_side = _object_owner_operand(ctx, route)
    for node in tests:
        owner_value = _owner_value_operand(route, node, owner_side)
        if is_mismatch_test(node.test, owner_side, owner_value):
            subject = _subject(node.test, owner_side)
            found.append(
                FailureBranch(OBJECT_OWNER, node, tuple(node.body), subject, _model_of(fetched, subject, node))
            )
            continue
        if node.orelse and is_match_test(node.test, owner_side, owner_value):
            subject = _subject(node.test, owner_side)
            found.append(
                FailureBranch(OBJECT_OWNER, node, tuple(node.orelse), subject, _model_of(fetched, subject, node))
            )
            continue
        for name, (line, model) in fetched.items():
            if node.lineno > line and tests_missing(node.test, name):
                pure = _only_missing(node.test, name)
                found.append(FailureBranch(NOT_FOUND, node, tuple(node.body), name, model, pure))
                break
    return found


def _object_owner_operand(ctx: ModuleContext, route: RouteModel):
    owner_fields = frozenset(ctx.settings.owner_fields)
    identity = route.identity.param if route.identity is not None else None

    def is_owner_attribute(expr: ast.expr) -> bool:
        expr = unwrap_conversion(expr)
        if not (isinstance(expr, ast.Attribute) and expr.attr in owner_fields):
            return False
        root = root_name(expr)
        return root is not None and root != identity

    return is_owner_attribute


def _owner_value_operand(route: RouteModel, statement: ast.stmt, owner_side):
    """The other side of an object owner check: the identity, the path user id, or a local
    value — not request data, and not another object's owner column (``task.user_id !=
    parent.user_id`` is a consistency check, whose 400/409/422 is not an authorization
    answer)."""
    position: list[int] = []  # computed on first use: most tests never get this far

    def is_owner_value(expr: ast.expr) -> bool:
        if isinstance(unwrap_conversion(expr), ast.Constant) or root_name(expr) is None:
            return False
        if owner_side(expr):
            return False
        if not position:
            position.append(route.data.top_level_position(statement))
        return route.trust(expr, position[0]) is not Trust.UNTRUSTED

    return is_owner_value


def _subject(test: ast.expr, owner_side) -> str | None:
    for node in walk(test):
        if isinstance(node, ast.expr) and owner_side(node):
            return root_name(node)
    return None


def _model_of(fetched: dict[str, tuple[int, str | None]], subject: str | None, node: ast.If) -> str | None:
    if subject is not None and subject in fetched and fetched[subject][0] < node.lineno:
        return fetched[subject][1]
    return None


def _only_missing(test: ast.expr, name: str) -> bool:
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        return all(_only_missing(value, name) for value in test.values)
    return tests_missing(test, name)


_SINGLE_ROW = frozenset(
    {"get", "first", "one", "one_or_none", "scalar", "scalar_one", "scalar_one_or_none", "get_one"}
)


def fetched_objects(ctx: ModuleContext, route: RouteModel) -> dict[str, tuple[int, str | None]]:
    """Variables bound to the object the URL names: ``name -> (line, model class name)``.

    A fetch is ``session.get(Model, id)``, a single-row query over a table model
    (``.first()``, ``.one_or_none()``, ``result.scalar_one_or_none()``, ...), or a call of a
    project function that returns a table model (by annotation or by querying one), whose
    arguments use a path parameter of the route (directly or through local variables). Lookups
    by something else (``User.email == form.username`` on a login route, a related id taken
    from the body) are not the resource of the URL: their failure is not a 404.
    """
    params = set()
    for path in route.route.full_paths:
        params |= path_parameters(path)
    params &= set(route.parameters)
    found: dict[str, tuple[int, str | None]] = {}
    if not params:
        return found
    bindings = [
        node
        for node in statements_of(ctx, route.node)
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None
    ]
    # Only a call (possibly awaited) bound to one name can be a fetch (see ``_fetch_model``).
    candidates = [
        node
        for node in bindings
        if _single_name_target(node) is not None and isinstance(_awaited(node.value), ast.Call)  # type: ignore[arg-type]
    ]
    if not candidates:
        return found
    used = {id(node): names_in(node.value) for node in candidates}  # type: ignore[arg-type]
    derived: frozenset[str] = frozenset(params)
    if any(used[id(node)].isdisjoint(derived) for node in candidates):
        # Some call does not use a path parameter directly: follow the locals.
        for node in bindings:
            if id(node) not in used:
                used[id(node)] = names_in(node.value)  # type: ignore[arg-type]
        derived = _derived_names(bindings, used, derived)
    assigned = _assignments_in(bindings)
    for node in candidates:
        if used[id(node)].isdisjoint(derived):
            continue
        model = _fetch_model(ctx, node.value, assigned)  # type: ignore[arg-type]
        if model is not False:
            found[_single_name_target(node)] = (node.lineno, model)  # type: ignore[index, assignment]
    return found


def _single_name_target(node: ast.Assign | ast.AnnAssign) -> str | None:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if len(targets) != 1 or not isinstance(targets[0], ast.Name):
        return None
    return targets[0].id


def _awaited(value: ast.expr) -> ast.expr:
    while isinstance(value, ast.Await):
        value = value.value
    return value


def _derived_names(
    bindings: list[ast.Assign | ast.AnnAssign], used: dict[int, frozenset[str]], seeds: frozenset[str]
) -> frozenset[str]:
    """``seeds`` and the locals assigned (transitively) from them; ``used[id(binding)]``: the
    names its value mentions."""
    names = set(seeds)
    pending = [(used[id(node)], _target_names(node)) for node in bindings]
    changed = True
    while changed:
        changed = False
        for mentioned, bound in pending:
            if mentioned.isdisjoint(names) or bound <= names:
                continue
            names |= bound
            changed = True
    return frozenset(names)


def _target_names(node: ast.Assign | ast.AnnAssign) -> frozenset[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if len(targets) == 1 and isinstance(targets[0], ast.Name):
        return frozenset((targets[0].id,))
    return frozenset().union(*(names_in(target) for target in targets))


def _fetch_model(ctx: ModuleContext, value: ast.expr, assigned: dict[str, list[ast.expr]]) -> str | None | bool:
    """The class name a fetch expression returns (None: a fetch of an unknown model), or False."""
    while isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    if isinstance(func, ast.Attribute) and func.attr in _SINGLE_ROW:
        table = _table_in(ctx, value, assigned, 0)
        return table.node.name if table is not None else False
    target = resolve(ctx, func)
    if isinstance(target, FunctionSymbol):
        return _function_returns_table(ctx, target)
    return False


def _table_in(
    ctx: ModuleContext, expr: ast.expr, assigned: dict[str, list[ast.expr]], depth: int
) -> ClassSymbol | None:
    """A table model class referenced in the call chain (``Task`` of ``db.get(Task, id)``),
    following local variables (``result = session.execute(select(Task)...)``)."""
    for node in walk(expr):
        if isinstance(node, (ast.Name, ast.Attribute)):
            symbol = resolve(ctx, node)
            if isinstance(symbol, ClassSymbol) and ctx.analysis.models.is_table(symbol):
                return symbol
        if isinstance(node, ast.Name) and node.id in assigned and depth < 3:
            for value in assigned[node.id]:
                if value is not expr:
                    found = _table_in(ctx, value, assigned, depth + 1)
                    if found is not None:
                        return found
    return None


def _function_returns_table(ctx: ModuleContext, function: FunctionSymbol) -> str | None | bool:
    """Once per called function per context (routes of a module call the same helpers)."""
    cache = _facts(ctx).returns_table
    entry = cache.get(id(function.node))
    if entry is None or entry[0] is not function.node:
        entry = cache[id(function.node)] = (function.node, _returns_table(ctx, function))
    return entry[1]


def _returns_table(ctx: ModuleContext, function: FunctionSymbol) -> str | None | bool:
    if function.node.returns is not None:
        for node in walk(function.node.returns):
            if isinstance(node, (ast.Name, ast.Attribute)):
                symbol = ctx.index.resolve(function.module, node)
                if isinstance(symbol, ClassSymbol) and ctx.analysis.models.is_table(symbol):
                    return symbol.node.name
        return False
    for node in walk(function.node):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _SINGLE_ROW:
            for arg in walk(node):
                if isinstance(arg, (ast.Name, ast.Attribute)):
                    symbol = ctx.index.resolve(function.module, arg)
                    if isinstance(symbol, ClassSymbol) and ctx.analysis.models.is_table(symbol):
                        return symbol.node.name
    return False


# ---------------------------------------------------------------------------------------------
# Returned values


def is_response_call(ctx: ModuleContext, expr: ast.expr) -> bool:
    """``JSONResponse(...)``, ``Response(...)``, ``RedirectResponse(...)``, ..."""
    if not isinstance(expr, ast.Call):
        return False
    name = qualname(ctx, expr.func) or ""
    return name in RESPONSE_CLASSES or name.startswith(RESPONSE_CLASSES_PREFIXES)


def response_status(ctx: ModuleContext, call: ast.Call) -> tuple[ast.expr | None, int | None]:
    """The ``status_code`` a response object is built with (node, value)."""
    node = None
    for keyword in call.keywords:
        if keyword.arg == "status_code":
            node = keyword.value
    if node is None and len(call.args) >= 2:
        node = call.args[1]
    return node, read_status(ctx, node)


def response_content(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "content":
            return keyword.value
    return call.args[0] if call.args else None


def answers_with_status(ctx: ModuleContext, value: ast.expr | None) -> bool:
    """The returned value sets its own status: a response with ``status_code=`` or a redirect."""
    if value is None or not is_response_call(ctx, value):
        return False
    assert isinstance(value, ast.Call)
    if (qualname(ctx, value.func) or "").endswith(REDIRECT_SUFFIX):
        return True
    node, _ = response_status(ctx, value)
    return node is not None


def sets_status_code(body: list[ast.stmt] | tuple[ast.stmt, ...]) -> bool:
    """The block assigns ``response.status_code = ...`` (FastAPI's ``Response`` parameter)."""
    for node in own_statements(body):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr == "status_code" for t in targets):
                return True
    return False


ERROR_KEYS = frozenset({"detail", "error", "errors", "message", "msg", "reason"})


def is_error_value(ctx: ModuleContext, value: ast.expr | None) -> bool:
    """A returned value that reads as an error signal: nothing (``return``, ``return None``),
    a string, a dict with an error key (``{"detail": ...}``, ``{"error": ...}``), or a
    response without ``status_code=`` whose body is one of those."""
    if value is None or (isinstance(value, ast.Constant) and (value.value is None or isinstance(value.value, str))):
        return True
    if isinstance(value, ast.Dict):
        return any(isinstance(key, ast.Constant) and key.value in ERROR_KEYS for key in value.keys)
    if is_response_call(ctx, value):
        content = response_content(value)  # type: ignore[arg-type]
        return content is None or is_error_value(ctx, content)
    return False


def message_of(ctx: ModuleContext, value: ast.expr | None) -> str | None:
    """The string under ``detail``/``error``/``message`` of a returned dict or response body."""
    if value is None:
        return None
    if is_response_call(ctx, value):
        value = response_content(value)  # type: ignore[arg-type]
    if not isinstance(value, ast.Dict):
        return None
    for wanted in ("detail", "error", "message", "msg"):
        for key, item in zip(value.keys, value.values):
            if (
                isinstance(key, ast.Constant)
                and key.value == wanted
                and isinstance(item, ast.Constant)
                and isinstance(item.value, str)
            ):
                return item.value
    return None


# ---------------------------------------------------------------------------------------------
# Exceptions


BROAD_EXCEPTIONS = frozenset({"builtins.Exception", "builtins.BaseException"})
INTERNAL_EXCEPTIONS = BROAD_EXCEPTIONS | frozenset(
    f"builtins.{name}"
    for name in (
        "OSError",
        "IOError",
        "ConnectionError",
        "TimeoutError",
        "RuntimeError",
        "KeyError",
        "IndexError",
        "LookupError",
        "AttributeError",
        "TypeError",
        "NameError",
        "ZeroDivisionError",
        "ArithmeticError",
        "AssertionError",
        "NotImplementedError",
        "RecursionError",
        "MemoryError",
        "UnicodeError",
        "UnicodeDecodeError",
        "UnicodeEncodeError",
    )
)
INTERNAL_PREFIXES = (
    "sqlalchemy.",
    "sqlmodel.",
    "psycopg.",
    "psycopg2.",
    "asyncpg.",
    "aiosqlite.",
    "sqlite3.",
    "pymysql.",
    "MySQLdb.",
    "pymongo.",
    "motor.",
    "redis.",
    "httpx.",
    "requests.",
    "aiohttp.",
    "boto3.",
    "botocore.",
)
VALIDATION_ERRORS = frozenset(
    {
        "pydantic.ValidationError",
        "pydantic.error_wrappers.ValidationError",
        "pydantic_core.ValidationError",
        "pydantic_core._pydantic_core.ValidationError",
        "pydantic.v1.ValidationError",
        "pydantic.v1.error_wrappers.ValidationError",
        "fastapi.exceptions.RequestValidationError",
        "fastapi.exceptions.ValidationException",
    }
)
VALUE_ERRORS = frozenset({"builtins.ValueError", "builtins.TypeError"})


def caught_types(ctx: ModuleContext, handler: ast.ExceptHandler) -> list[str]:
    """Qualified names of the exceptions a handler catches; ``builtins.BaseException`` for a
    bare ``except:``; ``?`` for a type the analysis cannot name. Once per handler per context
    (OWN405 and OWN406 both ask); the list is shared: do not change it."""
    cache = _facts(ctx).caught
    entry = cache.get(id(handler))
    if entry is None or entry[0] is not handler:
        entry = cache[id(handler)] = (handler, _caught_types(ctx, handler))
    return entry[1]


def _caught_types(ctx: ModuleContext, handler: ast.ExceptHandler) -> list[str]:
    if handler.type is None:
        return ["builtins.BaseException"]
    elements = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    names = []
    for element in elements:
        symbol = resolve(ctx, element)
        names.append(symbol.qualname if isinstance(symbol, External) else getattr(symbol, "qualname", "?"))
    return names


def is_internal(qualname: str) -> bool:
    return qualname in INTERNAL_EXCEPTIONS or qualname.startswith(INTERNAL_PREFIXES)


_PARSERS_BY_NAME = frozenset(
    {
        "builtins.int",
        "builtins.float",
        "builtins.complex",
        "decimal.Decimal",
        "uuid.UUID",
        "datetime.datetime.fromisoformat",
        "datetime.datetime.strptime",
        "datetime.date.fromisoformat",
        "datetime.time.fromisoformat",
        "ipaddress.ip_address",
        "ipaddress.ip_network",
        "pydantic.parse_obj_as",
        "pydantic.tools.parse_obj_as",
    }
)
_PARSER_METHODS = frozenset(
    {
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
        "parse_obj",
        "parse_raw",
        "validate_python",
        "validate_json",
        "validate_strings",
    }
)
PYDANTIC_BASES = frozenset(
    {"pydantic.BaseModel", "pydantic.main.BaseModel", "sqlmodel.SQLModel", "sqlmodel.main.SQLModel",
     "pydantic.v1.BaseModel"}
)
REQUEST_CLASSES = frozenset({"fastapi.Request", "starlette.requests.Request", "fastapi.requests.Request"})


def request_names(ctx: ModuleContext, route: RouteModel) -> frozenset[str]:
    """Names holding request data: request parameters, the ``Request`` object, and locals
    assigned (transitively) from them."""
    names = set(route.request_inputs)
    for name, (arg, _default) in route.parameters.items():
        annotation = arg.annotation
        if name == "request" or (annotation is not None and qualname(ctx, annotation) in REQUEST_CLASSES):
            names.add(name)
    bindings: list[tuple[list[ast.expr], ast.expr]] = []
    for node in own_nodes(route.node):
        if isinstance(node, ast.Assign):
            bindings.append((list(node.targets), node.value))
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            bindings.append(([node.target], node.value))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            bindings.append(([node.target], node.iter))  # ``for item in payload``
        elif isinstance(node, ast.NamedExpr):
            bindings.append(([node.target], node.value))
    changed = True
    while changed:
        changed = False
        for targets, value in bindings:
            if not _carries(ctx, value, names):
                continue
            for target in targets:
                for element in walk(target):
                    if isinstance(element, ast.Name) and element.id not in names:
                        names.add(element.id)
                        changed = True
    return frozenset(names)


_CARRIERS = frozenset({"json.loads", "builtins.dict", "builtins.list", "builtins.str", "builtins.bytes"})


def _carries(ctx: ModuleContext, expr: ast.expr, names: set[str]) -> bool:
    """``expr`` is request data itself, not something computed from it: ``payload``,
    ``payload["x"]``, ``await request.json()``, ``payload.model_dump()``, ``json.loads(raw)``,
    ``{"title": payload.title}``. A database fetch by a request id (``db.get(Task, task_id)``)
    is not."""
    while isinstance(expr, ast.Await):
        expr = expr.value
    if isinstance(expr, (ast.Name, ast.Attribute, ast.Subscript, ast.Starred)):
        return root_name(expr) in names
    if isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Attribute) and _carries(ctx, func.value, names):
            return True
        if qualname(ctx, func) in _CARRIERS:
            return any(_carries(ctx, arg, names) for arg in expr.args)
        return False
    if isinstance(expr, (ast.Dict, ast.List, ast.Tuple, ast.Set, ast.JoinedStr, ast.BoolOp, ast.IfExp)):
        return any(
            _carries(ctx, child, names) for child in child_nodes(expr) if isinstance(child, ast.expr)
        )
    if isinstance(expr, ast.FormattedValue):
        return _carries(ctx, expr.value, names)
    return False


def parses_request_data(ctx: ModuleContext, body: list[ast.stmt], names: frozenset[str]) -> bool:
    """The block validates or converts request data: a pydantic model built from it
    (``TaskCreate(**data)``, ``.model_validate(...)``), a ``TypeAdapter`` validation, or a value
    conversion (``int(x)``, ``UUID(x)``, ``datetime.fromisoformat(x)``).

    ``json.loads`` is not included: malformed JSON is a syntax error of the request, for which
    RFC 9110 keeps 400.
    """
    for statement in body:
        for node in own_nodes_of(statement):
            if not isinstance(node, ast.Call):
                continue
            arguments = [*node.args, *(k.value for k in node.keywords)]
            if not any(_carries(ctx, arg, set(names)) for arg in arguments):
                continue
            if _is_parser(ctx, node):
                return True
    return False


def _is_parser(ctx: ModuleContext, call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _PARSER_METHODS:
        return True
    symbol = resolve(ctx, func)
    if isinstance(symbol, External):
        return symbol.qualname in _PARSERS_BY_NAME
    if isinstance(symbol, ClassSymbol):
        return is_pydantic_model(ctx, symbol)
    return False


def is_pydantic_model(ctx: ModuleContext, cls: ClassSymbol) -> bool:
    return any(
        isinstance(a, External) and a.qualname in PYDANTIC_BASES for a in ctx.analysis.models.ancestors(cls)
    )


def uses_exception_text(expr: ast.expr, name: str | None) -> bool:
    """The expression carries the text of the caught exception ``name``: ``str(e)``,
    ``repr(e)``, ``f"{e}"``, ``e.args[0]``, ``"..." + str(e)``, ``e`` itself, or a traceback.

    ``type(e).__name__`` / ``e.__class__.__name__`` alone are not counted.
    """
    for node in walk(expr):
        if isinstance(node, ast.Call):
            callee = ast.unparse(node.func)
            if callee.endswith(("format_exc", "format_exception", "format_tb", "format_stack")):
                return True
    if name is None:
        return False
    return _text_of(expr, name)


def _text_of(expr: ast.AST, name: str) -> bool:
    if isinstance(expr, ast.Call) and ast.unparse(expr.func) == "type":
        return False
    if isinstance(expr, ast.Attribute) and expr.attr in ("__class__", "__name__", "__qualname__"):
        return False
    if isinstance(expr, ast.Name):
        return expr.id == name
    return any(_text_of(child, name) for child in child_nodes(expr))


def http_exception_detail(call: ast.Call) -> ast.expr | None:
    """``HTTPException(500, detail)`` or ``HTTPException(..., detail=...)``: the detail node."""
    for keyword in call.keywords:
        if keyword.arg == "detail":
            return keyword.value
    if len(call.args) >= 2 and not any(isinstance(a, ast.Starred) for a in call.args[:2]):
        return call.args[1]
    return None


def handlers_of(function: ast.AST) -> Iterator[tuple[ast.Try, ast.ExceptHandler]]:
    for node in own_statements(getattr(function, "body", [])):
        if is_try(node):
            for handler in node.handlers:  # type: ignore[attr-defined]
                yield node, handler  # type: ignore[misc]


def function_handlers(ctx: ModuleContext, function: Function) -> Iterator[tuple[ast.Try, ast.ExceptHandler]]:
    """``handlers_of(function)``: nothing without ``except`` on the function's lines, else from
    the context's statements of the function."""
    if not _facts(ctx).lines.mentions("except", function):
        return
    for node in statements_of(ctx, function):
        if is_try(node):
            for handler in node.handlers:  # type: ignore[attr-defined]
                yield node, handler  # type: ignore[misc]


def module_functions(module: Module) -> Iterator[Function]:
    """Every function and method of a module, nested ones included, in ``ast.walk`` order."""
    yield from in_walk_order(module.structure.functions, walk_depths(module.tree))


def except_functions(ctx: ModuleContext) -> list[Function]:
    """``module_functions`` (same order) that have an ``except`` clause on their lines or are
    registered exception handlers: the only ones OWN405/OWN406 have anything to say about."""
    facts = _facts(ctx)
    if "except" not in facts.text:
        return []
    handlers = exception_handler_types(ctx)
    lines = facts.lines
    return facts.walk_order(
        [f for f in ctx.module.structure.functions if id(f) in handlers or lines.mentions("except", f)]
    )


def exception_handler_types(ctx: ModuleContext) -> dict[int, list[str]]:
    """Functions registered with ``@app.exception_handler(T)`` or
    ``app.add_exception_handler(T, f)``: ``id(function node) -> [qualname of T]``. Once per
    context; the dict is shared: do not change it."""
    facts = _facts(ctx)
    if facts.handler_types is None:
        facts.handler_types = _exception_handler_types(ctx, facts)
    return facts.handler_types


def _exception_handler_types(ctx: ModuleContext, facts: _Facts) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if "exception_handler" not in facts.text:  # both registrations spell it
        return found
    # A function's own decorators come first in its list, whatever the order of functions.
    for node in ctx.module.structure.functions:
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr == "exception_handler"
                and decorator.args
            ):
                found.setdefault(id(node), []).append(_type_name(ctx, decorator.args[0]))
    if "add_exception_handler" not in facts.text:
        return found
    # Calls in ``ast.walk`` order, looking only where the name is written.
    for call in walk_mentioning(facts.tree, facts.lines.lines("add_exception_handler")):
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "add_exception_handler"
            and len(call.args) >= 2
        ):
            target = resolve(ctx, call.args[1])
            if isinstance(target, FunctionSymbol) and target.module is ctx.module:
                found.setdefault(id(target.node), []).append(_type_name(ctx, call.args[0]))
    return found


def _type_name(ctx: ModuleContext, expr: ast.expr) -> str:
    symbol = resolve(ctx, expr)
    return getattr(symbol, "qualname", "?") or "?"


# ---------------------------------------------------------------------------------------------
# Validation failures answered with the wrong status (OWN405; OWN406 defers to it)


def is_wrong_validation_status(status: int) -> bool:
    """400 or a 5xx: the statuses OWN405 turns into 422."""
    return status == 400 or 500 <= status <= 599


def validation_findings(ctx: ModuleContext) -> list[tuple[ast.expr, int, str]]:
    """(status node, status, what failed) for every validation failure answered with 400/5xx.
    Once per context (OWN405 reports them, OWN406 leaves them alone); do not change the list."""
    facts = _facts(ctx)
    if facts.validation is None:
        facts.validation = list(_validation_findings(ctx, facts)) if "except" in facts.text else []
    return facts.validation


def _validation_findings(ctx: ModuleContext, facts: _Facts) -> Iterator[tuple[ast.expr, int, str]]:
    for route in ctx.routes:
        names: frozenset[str] | None = None
        for try_node, handler in function_handlers(ctx, route.node):
            caught = caught_types(ctx, handler)
            if not any(name in VALIDATION_ERRORS or name in VALUE_ERRORS for name in caught):
                continue
            if names is None:
                names = request_names(ctx, route)
            if not parses_request_data(ctx, try_node.body, names):
                continue
            label = ", ".join(name.rsplit(".", 1)[-1] for name in caught)
            for found in status_raises(ctx, handler.body):
                if is_wrong_validation_status(found.status):
                    yield found.status_node, found.status, label
            yield from _returned_statuses(ctx, handler.body, label)
    handlers = exception_handler_types(ctx)
    if not handlers:
        return
    registered = facts.walk_order([f for f in ctx.module.structure.functions if id(f) in handlers])
    for function in registered:
        types = handlers.get(id(function), [])
        if not any(name in VALIDATION_ERRORS for name in types):
            continue
        label = ", ".join(name.rsplit(".", 1)[-1] for name in types)
        yield from _returned_statuses(ctx, function.body, label)


def _returned_statuses(ctx: ModuleContext, body: list[ast.stmt], label: str) -> Iterator[tuple[ast.expr, int, str]]:
    for node in own_statements(body):
        if isinstance(node, ast.Return) and node.value is not None and is_response_call(ctx, node.value):
            status_node, status = response_status(ctx, node.value)  # type: ignore[arg-type]
            if status_node is not None and status is not None and is_wrong_validation_status(status):
                yield status_node, status, label


# ---------------------------------------------------------------------------------------------
# Response schemas and returned models


_CONTAINERS = frozenset({"list", "List", "Sequence", "Iterable", "set", "Set", "tuple", "Tuple", "Page"})
_TRANSPARENT = frozenset({"Optional", "Union", "Annotated"})


@value_class
class TypeLeaf:
    node: ast.expr  # the leaf expression as written (``Task`` in ``List[Task]``)
    symbol: Symbol | None
    in_list: bool


def type_leaves(ctx: ModuleContext, module: Module, annotation: ast.expr, in_list: bool = False) -> list[TypeLeaf]:
    """The classes an annotation names, looking through ``Optional``/``Union``/``|``,
    ``Annotated`` (first element) and containers (``list[...]``, ``List[...]``)."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            parsed = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return []
        return type_leaves(ctx, module, parsed, in_list)
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return type_leaves(ctx, module, annotation.left, in_list) + type_leaves(
            ctx, module, annotation.right, in_list
        )
    if isinstance(annotation, ast.Subscript):
        head = _last_name(annotation.value)
        elements = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        if head == "Annotated":
            return type_leaves(ctx, module, elements[0], in_list)
        if head in _TRANSPARENT:
            return [leaf for element in elements for leaf in type_leaves(ctx, module, element, in_list)]
        if head in _CONTAINERS:
            return [leaf for element in elements for leaf in type_leaves(ctx, module, element, True)]
        return [TypeLeaf(annotation, _resolve_in(ctx, module, annotation.value), in_list)]
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return []
    return [TypeLeaf(annotation, _resolve_in(ctx, module, annotation), in_list)]


def _last_name(expr: ast.expr) -> str:
    """``ast.unparse(expr).rsplit(".", 1)[-1]``, without unparsing names and attributes."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return ast.unparse(expr).rsplit(".", 1)[-1]


def _resolve_in(ctx: ModuleContext, module: Module, expr: ast.expr) -> Symbol | None:
    return resolve(ctx, expr) if module is ctx.module else ctx.index.resolve(module, expr)


def owned_table(ctx: ModuleContext, symbol: Symbol | None) -> OwnedModel | None:
    return ctx.analysis.models.owned(symbol)


@value_class
class ReturnedModel:
    node: ast.expr  # the returned expression
    model: OwnedModel
    is_list: bool


_LIST_METHODS = frozenset({"all", "fetchall"})
_NEVER_A_MODEL = (
    ast.Constant, ast.Dict, ast.List, ast.Tuple, ast.Set, ast.JoinedStr, ast.ListComp, ast.SetComp,
    ast.DictComp, ast.GeneratorExp, ast.BinOp, ast.BoolOp, ast.Compare, ast.UnaryOp, ast.Lambda,
)
_DUMP_METHODS = frozenset({"model_dump", "dict"})


def returned_owned_models(ctx: ModuleContext, route: RouteModel) -> list[ReturnedModel]:
    """Returns of a route whose value is an owned table model object or a list of them."""
    statements = statements_of(ctx, route.node)
    returns = [node for node in statements if isinstance(node, ast.Return) and node.value is not None]
    # A literal, a display or an operation is never a model (``_classify``: lookups and
    # creations are calls, attributes or awaits), whatever the route looks up.
    if all(isinstance(node.value, _NEVER_A_MODEL) for node in returns):
        return []
    singles: dict[str, OwnedModel] = {}
    data = route.data
    direct: dict[int, OwnedModel] = {}
    for lookup in data.lookups():
        direct[id(lookup.call)] = lookup.model
        if lookup.variable is not None:
            singles[lookup.variable] = lookup.model
    for creation in data.creations():
        direct[id(creation.call)] = creation.model
        if creation.variable is not None:
            singles[creation.variable] = creation.model
    assigned = _assignments_in(statements)
    found = []
    for node in returns:
        returned = _classify(ctx, node.value, singles, direct, assigned, 0)  # type: ignore[arg-type]
        if returned is not None:
            model, is_list = returned
            found.append(ReturnedModel(node.value, model, is_list))
    return found


def _assignments(function: Function) -> dict[str, list[ast.expr]]:
    return _assignments_in(own_statements(function.body))


def _assignments_in(statements: list) -> dict[str, list[ast.expr]]:
    """``name -> values`` of the single-name assignments among ``statements``, in order."""
    found: dict[str, list[ast.expr]] = {}
    for node in statements:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found.setdefault(node.targets[0].id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name):
            found.setdefault(node.target.id, []).append(node.value)
    return found


def _classify(
    ctx: ModuleContext,
    value: ast.expr,
    singles: dict[str, OwnedModel],
    direct: dict[int, OwnedModel],
    assigned: dict[str, list[ast.expr]],
    depth: int,
) -> tuple[OwnedModel, bool] | None:
    if depth > 4:
        return None
    if id(value) in direct:
        return direct[id(value)], False
    while isinstance(value, ast.Await):
        value = value.value
        if id(value) in direct:
            return direct[id(value)], False
    if isinstance(value, ast.Name):
        if value.id in singles:
            return singles[value.id], False
        values = assigned.get(value.id, [])
        if len(values) == 1:
            return _classify(ctx, values[0], singles, direct, assigned, depth + 1)
        return None
    if not isinstance(value, ast.Call):
        return None
    func = value.func
    if isinstance(func, ast.Attribute):
        if func.attr in _DUMP_METHODS and not value.args and not value.keywords:
            inner = _classify(ctx, func.value, singles, direct, assigned, depth + 1)
            return inner if inner is not None and not inner[1] else None
        if func.attr in _LIST_METHODS:
            model = _entity_query(ctx, func.value, assigned, depth)
            return (model, True) if model is not None else None
    if isinstance(func, ast.Name) and func.id == "list" and len(value.args) == 1:
        model = _entity_query(ctx, value.args[0], assigned, depth)
        return (model, True) if model is not None else None
    target = resolve(ctx, func)
    if isinstance(target, FunctionSymbol) and target.node.returns is not None:
        for leaf in type_leaves(ctx, target.module, target.node.returns):
            model = owned_table(ctx, leaf.symbol)
            if model is not None:
                return model, leaf.in_list
    return None


def _entity_query(
    ctx: ModuleContext, expr: ast.expr, assigned: dict[str, list[ast.expr]], depth: int
) -> OwnedModel | None:
    """The owned model whose whole rows ``expr`` selects: ``select(Task)``,
    ``session.query(Task)``, directly or through a local variable."""
    for node in walk(expr):
        if isinstance(node, ast.Call) and len(node.args) == 1:
            callee = qualname(ctx, node.func) or ""
            is_query = callee.endswith(".select") or (
                isinstance(node.func, ast.Attribute) and node.func.attr == "query"
            )
            if is_query:
                model = owned_table(ctx, resolve(ctx, node.args[0]))
                if model is not None:
                    return model
        if isinstance(node, ast.Name) and node.id in assigned and depth < 4:
            for value in assigned[node.id]:
                if value is expr:
                    continue
                model = _entity_query(ctx, value, assigned, depth + 1)
                if model is not None:
                    return model
    return None


def find_schema(ctx: ModuleContext, model: OwnedModel) -> ClassSymbol | None:
    """A non-table ``<Model>Read`` or ``<Model>Public`` class of the project."""
    for suffix in ("Read", "Public"):
        found = find_class(ctx, f"{model.name}{suffix}", [model.cls.module])
        if found is not None and not ctx.analysis.models.is_table(found):
            return found
    return None


def find_class(ctx: ModuleContext, name: str, near: list[Module]) -> ClassSymbol | None:
    """A project class called ``name``: looked up first in the current module, ``near`` and
    the modules they import (no scan), then by a byte scan of the project."""
    candidates: list[Module] = [ctx.module, *near]
    for module in [ctx.module, *near]:
        for target in module.imports.values():
            symbol = ctx.index.resolve_qualified(target)
            owner = getattr(symbol, "module", None)
            if isinstance(owner, Module):
                candidates.append(owner)
    seen: set[int] = set()
    for module in candidates:
        if id(module) in seen:
            continue
        seen.add(id(module))
        node = module.classes.get(name)
        if node is not None:
            return ClassSymbol(module, node)
    for module in ctx.index.modules_mentioning(f"class {name}".encode()):
        node = module.classes.get(name)
        if node is not None:
            return ClassSymbol(module, node)
    return None


def local_name_of(ctx: ModuleContext, symbol: ClassSymbol) -> tuple[str | None, bool]:
    """How the current module names ``symbol``: (name, needs an import). (None, False) when
    the class's name is bound to something else here."""
    name = symbol.node.name
    if symbol.module is ctx.module:
        return name, False
    for local, target in ctx.module.imports.items():
        found = ctx.index.resolve_qualified(target)
        if isinstance(found, ClassSymbol) and found.node is symbol.node:
            return local, False
    if ctx.index.resolve_name(ctx.module, name) is not None:
        return None, False
    return name, True


# ---------------------------------------------------------------------------------------------
# Request models


@value_class
class RequestModel:
    param: str
    annotation: ast.expr  # the parameter's annotation as written
    cls: ClassSymbol


_NON_BODY_MARKERS = ("Depends", "Security")


def request_models(ctx: ModuleContext, route: RouteModel) -> list[RequestModel]:
    """Parameters FastAPI fills from the request with a pydantic/SQLModel class (body, form or
    query model), looking through ``Annotated``, ``Optional`` and ``list[...]``."""
    found = []
    for arg, default in function_parameters(route.node):
        name = arg.arg
        if name in route.injected_parameters or arg.annotation is None:
            continue
        if _marker_is(default, _NON_BODY_MARKERS) or _annotated_marker(arg.annotation, _NON_BODY_MARKERS):
            continue
        for leaf in type_leaves(ctx, ctx.module, arg.annotation):
            if isinstance(leaf.symbol, ClassSymbol) and is_pydantic_model(ctx, leaf.symbol):
                found.append(RequestModel(name, arg.annotation, leaf.symbol))
                break
    return found


def _marker_is(expr: ast.expr | None, names: tuple[str, ...]) -> bool:
    return isinstance(expr, ast.Call) and _last_name(expr.func) in names


def _annotated_marker(annotation: ast.expr, names: tuple[str, ...]) -> bool:
    if isinstance(annotation, ast.Subscript) and _last_name(annotation.value) == "Annotated":
        elements = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else []
        return any(_marker_is(element, names) for element in elements[1:])
    return False


_REQUEST_SUFFIXES = (
    "Create", "Update", "Patch", "Put", "Post", "In", "Input", "Request", "Payload", "Body",
    "Data", "Schema", "Edit", "New", "Base", "Form", "Params", "Upsert", "Replace",
)


def related_owned_models(ctx: ModuleContext, route: RouteModel, cls: ClassSymbol) -> list[OwnedModel]:
    """Owned models a request model is about: itself (a table model used as the body), the
    owned models the route reads or writes, and the model its name derives from
    (``TaskCreate`` -> ``Task``)."""
    found: list[OwnedModel] = []
    itself = owned_table(ctx, cls)
    if itself is not None:
        found.append(itself)
    for access in ctx.analysis.queries.accesses(ctx.module, route.node):
        found.append(access.model)
    name = cls.node.name
    for suffix in _REQUEST_SUFFIXES:
        for candidate in (name[: -len(suffix)] if name.endswith(suffix) else None,
                          name[len(suffix):] if name.startswith(suffix) else None):
            if not candidate or not candidate[0].isupper():
                continue
            symbol = find_class(ctx, candidate, [cls.module])
            model = owned_table(ctx, symbol) if symbol is not None else None
            if model is not None:
                found.append(model)
    unique: dict[tuple[int, str], OwnedModel] = {}
    for model in found:
        unique.setdefault((id(model.cls.node), model.owner_field), model)
    return list(unique.values())


def declared_fields(ctx: ModuleContext, cls: ClassSymbol) -> set[str]:
    return ctx.analysis.models.fields(cls)


__all__ = [
    "NOT_FOUND",
    "OBJECT_OWNER",
    "PATH_OWNER",
    "FailureBranch",
    "RequestModel",
    "ReturnedModel",
    "StatusRaise",
    "failure_branches",
    "find_schema",
    "request_models",
    "returned_owned_models",
    "status_raises",
    "status_replacement",
]
