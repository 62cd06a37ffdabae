"""The canonical checks, written in the style of the file they go into."""

from __future__ import annotations

from http import HTTPStatus

from ..analysis.context import ModuleContext
from ..analysis.names import HTTP_EXCEPTION
from .actions import AddImport, FixAction

OWNER_MISMATCH_DETAIL = "Not authorized to access this user's data"
# Names as ``fastapi.status`` spells them (Python's HTTPStatus renamed 422 in 3.13).
_STATUS_NAMES = {422: "HTTP_422_UNPROCESSABLE_ENTITY"}


def http_exception_name(ctx: ModuleContext, imports: list[FixAction]) -> str:
    local = ctx.local_name_for(HTTP_EXCEPTION)
    if local is None:
        imports.append(AddImport("fastapi", "HTTPException"))
        return "HTTPException"
    return local


def status_code_expr(ctx: ModuleContext, code: int) -> str:
    """``status.HTTP_403_FORBIDDEN`` where the file uses ``fastapi.status``, else ``403``."""
    module = ctx.status_module_expr
    if module is not None:
        name = _STATUS_NAMES.get(code) or f"HTTP_{code}_{HTTPStatus(code).name}"
        return f"{module}.{name}"
    return str(code)


def raise_http_exception(ctx: ModuleContext, code: int, detail: str, imports: list[FixAction]) -> str:
    exception = http_exception_name(ctx, imports)
    return f"raise {exception}(status_code={status_code_expr(ctx, code)}, detail={quote(detail)})"


def if_raise(condition: str, raise_statement: str) -> str:
    return f"if {condition}:\n    {raise_statement}\n"


def quote(text: str) -> str:
    """A double-quoted Python string literal, as the canonical checks are written."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
