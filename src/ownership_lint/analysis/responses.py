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
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus

from .checks import is_match_test, is_mismatch_test, root_name, unwrap_conversion
from .context import ModuleContext, RouteModel
from .dependencies import function_parameters
from .models import OwnedModel
from .names import STATUS_MODULES
from .ownership import Trust
from .project import ClassSymbol, External, FunctionSymbol, Module, Symbol
from .raises import is_http_exception_call, own_nodes, status_argument, status_value
from .routes import path_parameters

Function = ast.FunctionDef | ast.AsyncFunctionDef

# ---------------------------------------------------------------------------------------------
# Statuses


_HTTP_STATUS = "http.HTTPStatus"
# Names that exist under every supported Python/Starlette version.
_STATUS_MODULE_NAMES = {422: "HTTP_422_UNPROCESSABLE_ENTITY"}
_HTTP_STATUS_NAMES = {422: "UNPROCESSABLE_ENTITY"}
RESPONSE_CLASSES_PREFIXES = ("fastapi.responses.", "starlette.responses.")
RESPONSE_CLASSES = frozenset({"fastapi.Response", "starlette.responses.Response"})
REDIRECT_SUFFIX = "RedirectResponse"


@dataclass(frozen=True)
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
    for statement in body:
        for node in own_nodes_of(statement):
            if not isinstance(node, ast.Raise) or node.exc is None:
                continue
            if not is_http_exception_call(ctx.index, ctx.module, node.exc):
                continue
            call = node.exc
            assert isinstance(call, ast.Call)
            status_node = status_argument(call)
            status = status_value(ctx.index, ctx.module, status_node)
            if status_node is not None and status is not None:
                yield StatusRaise(node, call, status_node, status)


def raises_anything(body: list[ast.stmt] | tuple[ast.stmt, ...]) -> bool:
    return any(
        isinstance(node, ast.Raise) for statement in body for node in own_nodes_of(statement)
    )


def own_nodes_of(statement: ast.AST) -> Iterator[ast.AST]:
    """The statement and every node in it, not entering nested functions, lambdas or classes."""
    stack = [statement]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


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


@dataclass(frozen=True)
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
    """The path owner checks, object owner checks and not-found checks of a route body."""
    found: list[FailureBranch] = []
    seen: set[int] = set()
    for check in route.owner_checks:
        seen.add(id(check.statement))
        found.append(FailureBranch(PATH_OWNER, check.statement, tuple(check.branch)))
    fetched = fetched_objects(ctx, route)
    owner_side = _object_owner_operand(ctx, route)
    for node in own_nodes(route.node):
        if not isinstance(node, ast.If) or id(node) in seen:
            continue
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
    position = route.data.top_level_position(statement)

    def is_owner_value(expr: ast.expr) -> bool:
        if isinstance(unwrap_conversion(expr), ast.Constant) or root_name(expr) is None:
            return False
        if owner_side(expr):
            return False
        return route.trust(expr, position) is not Trust.UNTRUSTED

    return is_owner_value


def _subject(test: ast.expr, owner_side) -> str | None:
    for node in ast.walk(test):
        if isinstance(node, ast.expr) and owner_side(node):
            return root_name(node)
    return None


def _model_of(fetched: dict[str, tuple[int, str | None]], subject: str | None, node: ast.If) -> str | None:
    if subject is not None and subject in fetched and fetched[subject][0] < node.lineno:
        return fetched[subject][1]
    return None


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
    assigned = _assignments(route.node)
    derived = _derived_names(route.node, frozenset(params))
    for node in own_nodes(route.node):
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if len(targets) != 1 or not isinstance(targets[0], ast.Name):
            continue
        value = node.value
        if not _mentions(value, derived):
            continue
        model = _fetch_model(ctx, value, assigned)
        if model is not False:
            found[targets[0].id] = (node.lineno, model)  # type: ignore[assignment]
    return found


def _derived_names(function: Function, seeds: frozenset[str]) -> frozenset[str]:
    """``seeds`` and the locals assigned (transitively) from them."""
    names = set(seeds)
    assignments = [
        node for node in own_nodes(function) if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value
    ]
    changed = True
    while changed:
        changed = False
        for node in assignments:
            if not _mentions(node.value, names):  # type: ignore[arg-type]
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for element in ast.walk(target):
                    if isinstance(element, ast.Name) and element.id not in names:
                        names.add(element.id)
                        changed = True
    return frozenset(names)


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
    target = ctx.index.resolve(ctx.module, func)
    if isinstance(target, FunctionSymbol):
        return _function_returns_table(ctx, target)
    return False


def _table_in(
    ctx: ModuleContext, expr: ast.expr, assigned: dict[str, list[ast.expr]], depth: int
) -> ClassSymbol | None:
    """A table model class referenced in the call chain (``Task`` of ``db.get(Task, id)``),
    following local variables (``result = session.execute(select(Task)...)``)."""
    for node in ast.walk(expr):
        if isinstance(node, (ast.Name, ast.Attribute)):
            symbol = ctx.index.resolve(ctx.module, node)
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
    if function.node.returns is not None:
        for node in ast.walk(function.node.returns):
            if isinstance(node, (ast.Name, ast.Attribute)):
                symbol = ctx.index.resolve(function.module, node)
                if isinstance(symbol, ClassSymbol) and ctx.analysis.models.is_table(symbol):
                    return symbol.node.name
        return False
    for node in ast.walk(function.node):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _SINGLE_ROW:
            for arg in ast.walk(node):
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
    qualname = ctx.index.qualname(ctx.module, expr.func) or ""
    return qualname in RESPONSE_CLASSES or qualname.startswith(RESPONSE_CLASSES_PREFIXES)


def response_status(ctx: ModuleContext, call: ast.Call) -> tuple[ast.expr | None, int | None]:
    """The ``status_code`` a response object is built with (node, value)."""
    node = None
    for keyword in call.keywords:
        if keyword.arg == "status_code":
            node = keyword.value
    if node is None and len(call.args) >= 2:
        node = call.args[1]
    return node, status_value(ctx.index, ctx.module, node)


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
    qualname = ctx.index.qualname(ctx.module, value.func) or ""
    if qualname.endswith(REDIRECT_SUFFIX):
        return True
    node, _ = response_status(ctx, value)
    return node is not None


def sets_status_code(body: list[ast.stmt] | tuple[ast.stmt, ...]) -> bool:
    """The block assigns ``response.status_code = ...`` (FastAPI's ``Response`` parameter)."""
    for statement in body:
        for node in own_nodes_of(statement):
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
    bare ``except:``; ``?`` for a type the analysis cannot name."""
    if handler.type is None:
        return ["builtins.BaseException"]
    elements = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    names = []
    for element in elements:
        symbol = ctx.index.resolve(ctx.module, element)
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
        if name == "request" or (
            annotation is not None and ctx.index.qualname(ctx.module, annotation) in REQUEST_CLASSES
        ):
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
                for element in ast.walk(target):
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
        if ctx.index.qualname(ctx.module, func) in _CARRIERS:
            return any(_carries(ctx, arg, names) for arg in expr.args)
        return False
    if isinstance(expr, (ast.Dict, ast.List, ast.Tuple, ast.Set, ast.JoinedStr, ast.BoolOp, ast.IfExp)):
        return any(
            _carries(ctx, child, names) for child in ast.iter_child_nodes(expr) if isinstance(child, ast.expr)
        )
    if isinstance(expr, ast.FormattedValue):
        return _carries(ctx, expr.value, names)
    return False


def _mentions(expr: ast.AST, names: set[str] | frozenset[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(expr))


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
    symbol = ctx.index.resolve(ctx.module, func)
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
    for node in ast.walk(expr):
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
    return any(_text_of(child, name) for child in ast.iter_child_nodes(expr))


def http_exception_detail(call: ast.Call) -> ast.expr | None:
    """``HTTPException(500, detail)`` or ``HTTPException(..., detail=...)``: the detail node."""
    for keyword in call.keywords:
        if keyword.arg == "detail":
            return keyword.value
    if len(call.args) >= 2 and not any(isinstance(a, ast.Starred) for a in call.args[:2]):
        return call.args[1]
    return None


def handlers_of(function: ast.AST) -> Iterator[tuple[ast.Try, ast.ExceptHandler]]:
    for node in own_nodes(function):
        if isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            for handler in node.handlers:
                yield node, handler


def module_functions(module: Module) -> Iterator[Function]:
    """Every function and method of a module, nested ones included."""
    for node in ast.walk(module.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def exception_handler_types(ctx: ModuleContext) -> dict[int, list[str]]:
    """Functions registered with ``@app.exception_handler(T)`` or
    ``app.add_exception_handler(T, f)``: ``id(function node) -> [qualname of T]``."""
    found: dict[int, list[str]] = {}
    for node in module_functions(ctx.module):
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr == "exception_handler"
                and decorator.args
            ):
                found.setdefault(id(node), []).append(_type_name(ctx, decorator.args[0]))
    for call in ast.walk(ctx.module.tree):
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "add_exception_handler"
            and len(call.args) >= 2
        ):
            target = ctx.index.resolve(ctx.module, call.args[1])
            if isinstance(target, FunctionSymbol) and target.module is ctx.module:
                found.setdefault(id(target.node), []).append(_type_name(ctx, call.args[0]))
    return found


def _type_name(ctx: ModuleContext, expr: ast.expr) -> str:
    symbol = ctx.index.resolve(ctx.module, expr)
    return getattr(symbol, "qualname", "?") or "?"


# ---------------------------------------------------------------------------------------------
# Validation failures answered with the wrong status (OWN405; OWN406 defers to it)


def is_wrong_validation_status(status: int) -> bool:
    """400 or a 5xx: the statuses OWN405 turns into 422."""
    return status == 400 or 500 <= status <= 599


def validation_findings(ctx: ModuleContext) -> Iterator[tuple[ast.expr, int, str]]:
    """(status node, status, what failed) for every validation failure answered with 400/5xx."""
    for route in ctx.routes:
        names = request_names(ctx, route)
        for try_node, handler in handlers_of(route.node):
            caught = caught_types(ctx, handler)
            if not any(name in VALIDATION_ERRORS or name in VALUE_ERRORS for name in caught):
                continue
            if not parses_request_data(ctx, try_node.body, names):
                continue
            label = ", ".join(name.rsplit(".", 1)[-1] for name in caught)
            for found in status_raises(ctx, handler.body):
                if is_wrong_validation_status(found.status):
                    yield found.status_node, found.status, label
            yield from _returned_statuses(ctx, handler.body, label)
    handlers = exception_handler_types(ctx)
    for function in module_functions(ctx.module):
        types = handlers.get(id(function), [])
        if not any(name in VALIDATION_ERRORS for name in types):
            continue
        label = ", ".join(name.rsplit(".", 1)[-1] for name in types)
        yield from _returned_statuses(ctx, function.body, label)


def _returned_statuses(ctx: ModuleContext, body: list[ast.stmt], label: str) -> Iterator[tuple[ast.expr, int, str]]:
    for statement in body:
        for node in own_nodes_of(statement):
            if isinstance(node, ast.Return) and node.value is not None and is_response_call(ctx, node.value):
                status_node, status = response_status(ctx, node.value)  # type: ignore[arg-type]
                if status_node is not None and status is not None and is_wrong_validation_status(status):
                    yield status_node, status, label


# ---------------------------------------------------------------------------------------------
# Response schemas and returned models


_CONTAINERS = frozenset({"list", "List", "Sequence", "Iterable", "set", "Set", "tuple", "Tuple", "Page"})
_TRANSPARENT = frozenset({"Optional", "Union", "Annotated"})


@dataclass(frozen=True)
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
        head = ast.unparse(annotation.value).rsplit(".", 1)[-1]
        elements = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        if head == "Annotated":
            return type_leaves(ctx, module, elements[0], in_list)
        if head in _TRANSPARENT:
            return [leaf for element in elements for leaf in type_leaves(ctx, module, element, in_list)]
        if head in _CONTAINERS:
            return [leaf for element in elements for leaf in type_leaves(ctx, module, element, True)]
        return [TypeLeaf(annotation, ctx.index.resolve(module, annotation.value), in_list)]
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return []
    return [TypeLeaf(annotation, ctx.index.resolve(module, annotation), in_list)]


def owned_table(ctx: ModuleContext, symbol: Symbol | None) -> OwnedModel | None:
    return ctx.analysis.models.owned(symbol)


@dataclass(frozen=True)
class ReturnedModel:
    node: ast.expr  # the returned expression
    model: OwnedModel
    is_list: bool


_LIST_METHODS = frozenset({"all", "fetchall"})
_DUMP_METHODS = frozenset({"model_dump", "dict"})


def returned_owned_models(ctx: ModuleContext, route: RouteModel) -> list[ReturnedModel]:
    """Returns of a route whose value is an owned table model object or a list of them."""
    singles: dict[str, OwnedModel] = {}
    data = route.data
    direct: dict[int, OwnedModel] = {}
    for lookup in data.lookups(data.chains()):
        direct[id(lookup.call)] = lookup.model
        if lookup.variable is not None:
            singles[lookup.variable] = lookup.model
    for creation in data.creations():
        direct[id(creation.call)] = creation.model
        if creation.variable is not None:
            singles[creation.variable] = creation.model
    assigned = _assignments(route.node)
    found = []
    for node in own_nodes(route.node):
        if not isinstance(node, ast.Return) or node.value is None:
            continue
        returned = _classify(ctx, node.value, singles, direct, assigned, 0)
        if returned is not None:
            model, is_list = returned
            found.append(ReturnedModel(node.value, model, is_list))
    return found


def _assignments(function: Function) -> dict[str, list[ast.expr]]:
    found: dict[str, list[ast.expr]] = {}
    for node in own_nodes(function):
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
    target = ctx.index.resolve(ctx.module, func)
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
    for node in ast.walk(expr):
        if isinstance(node, ast.Call) and len(node.args) == 1:
            callee = ctx.index.qualname(ctx.module, node.func) or ""
            is_query = callee.endswith(".select") or (
                isinstance(node.func, ast.Attribute) and node.func.attr == "query"
            )
            if is_query:
                model = owned_table(ctx, ctx.index.resolve(ctx.module, node.args[0]))
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


@dataclass(frozen=True)
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
    return isinstance(expr, ast.Call) and ast.unparse(expr.func).rsplit(".", 1)[-1] in names


def _annotated_marker(annotation: ast.expr, names: tuple[str, ...]) -> bool:
    if isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value).rsplit(".", 1)[-1] == "Annotated":
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
