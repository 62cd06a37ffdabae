"""Fix text for the token rules: the canonical 401, the JWT library's error name, a statement
wrapped in ``try``/``except``, a handler added to a ``try``, and the secret read from the
environment. Everything is written in the style of the file it goes into."""

from __future__ import annotations

import ast
from collections.abc import Callable

from ..analysis.context import ModuleContext
from ..analysis.tokens import JwtCall, Library, covering_errors
from ..source import parse_module
from .actions import AddImport, FixAction
from .guards import http_exception_name, quote, status_code_expr

BEARER_HEADERS = '{"WWW-Authenticate": "Bearer"}'
INVALID_TOKEN = "Invalid token"
_INDENT = "    "


def raise_unauthorized(ctx: ModuleContext, imports: list[FixAction], detail: str = INVALID_TOKEN) -> str:
    """``raise HTTPException(status_code=401, detail=..., headers={"WWW-Authenticate": "Bearer"})``."""
    exception = http_exception_name(ctx, imports)
    status = status_code_expr(ctx, 401)
    return f"raise {exception}(status_code={status}, detail={quote(detail)}, headers={BEARER_HEADERS})"


def token_error_name(ctx: ModuleContext, call: JwtCall, imports: list[FixAction]) -> str:
    """The name to catch every bad token of ``call``'s library with, importing it if needed."""
    local = ctx.local_name_for(covering_errors(call.library))
    if local is not None:
        return local
    if call.library is Library.JOSE:
        imports.append(AddImport("jose", "JWTError"))
        return "JWTError"
    func = call.node.func
    if isinstance(func, ast.Attribute) and ctx.index.qualname(ctx.module, func.value) == "jwt":
        return f"{source_of(ctx, func.value)}.PyJWTError"
    imports.append(AddImport("jwt", "InvalidTokenError"))
    return "InvalidTokenError"


def environ_lookup(ctx: ModuleContext, name_source: str, imports: list[FixAction]) -> str:
    """``os.environ["NAME"]`` with the module's own name for ``os`` (or ``environ``)."""
    os_name = ctx.local_name_for(frozenset({"os"}))
    if os_name is not None:
        return f"{os_name}.environ[{name_source}]"
    environ = ctx.local_name_for(frozenset({"os.environ"}))
    if environ is not None:
        return f"{environ}[{name_source}]"
    imports.append(AddImport("os"))
    return f"os.environ[{name_source}]"


def source_of(ctx: ModuleContext, node: ast.AST) -> str:
    return ast.get_source_segment(ctx.locator.text, node) or ast.unparse(node)


def statement_source(ctx: ModuleContext, statement: ast.stmt) -> str | None:
    """The statement's lines, unindented, trailing comment included; None when it shares a line
    with another statement."""
    locator = ctx.locator
    start, end = locator.start(statement), locator.end(statement)
    first = locator.line(start.row).rstrip("\r\n")
    indent = first[: start.column - 1]
    tail = locator.line(end.row).rstrip("\r\n")[end.column - 1 :].strip()
    if indent.strip() or (tail and not tail.startswith("#")):
        return None
    lines = [locator.line(row).rstrip("\r\n") for row in range(start.row, end.row + 1)]
    lines = [line[len(indent) :] if line.startswith(indent) else line for line in lines]
    return "\n".join(lines) + "\n"


def indented(code: str) -> str:
    return "".join(_INDENT + line if line.strip() else line for line in code.splitlines(keepends=True))


def wrap_in_try(ctx: ModuleContext, statement: ast.stmt, error: str, handler: str) -> str | None:
    """``try: <statement> except <error>: <handler>``; None when the statement cannot be moved
    into the block unchanged (a multi-line string would change, it shares its line...)."""
    source = statement_source(ctx, statement)
    if source is None:
        return None
    code = f"try:\n{indented(source)}except {error}:\n{_INDENT}{handler}\n"
    return code if _keeps(code, lambda new: _same(new.body, [statement])) else None


def add_handler(ctx: ModuleContext, try_statement: ast.Try, error: str, handler: str) -> str | None:
    """The ``try`` statement with ``except <error>: <handler>`` after its last handler."""
    source = statement_source(ctx, try_statement)
    if source is None or not try_statement.handlers:
        return None
    lines = source.splitlines(keepends=True)
    cut = (try_statement.handlers[-1].end_lineno or 0) - try_statement.lineno + 1
    code = "".join(lines[:cut]) + f"except {error}:\n{_INDENT}{handler}\n" + "".join(lines[cut:])

    def unchanged(new: ast.Try) -> bool:
        old = try_statement
        return (
            _same(new.body, old.body)
            and _same(new.handlers[:-1], old.handlers)
            and _same(new.orelse, old.orelse)
            and _same(new.finalbody, old.finalbody)
        )

    return code if _keeps(code, unchanged) else None


def _keeps(code: str, unchanged: Callable[[ast.Try], bool]) -> bool:
    try:
        tree = parse_module(code, "<fix>")
    except SyntaxError:
        return False
    first = tree.body[0] if tree.body else None
    return isinstance(first, ast.Try) and unchanged(first)


def _same(new: list[ast.AST], old: list[ast.AST]) -> bool:
    return [ast.dump(node) for node in new] == [ast.dump(node) for node in old]
