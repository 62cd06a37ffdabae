"""OWN406 exception-detail-leak."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..analysis.context import ModuleContext
from ..analysis.raises import status_argument
from ..analysis.responses import (
    BROAD_EXCEPTIONS,
    answers_with_status,
    caught_types,
    except_functions,
    exception_handler_types,
    function_handlers,
    http_exception_detail,
    is_http_exception,
    is_internal,
    is_response_call,
    read_status,
    response_content,
    response_status,
    sets_status_code,
    uses_exception_text,
    validation_findings,
)
from ..analysis.statements import own_statements
from ..diagnostics import Applicability
from ..fixes.actions import ReplaceExpression, span_of
from ..fixes.guards import quote
from ..rule import STATUS_MARKERS, Case, FixAvailability, FixPlan, Rule, Violation

GENERIC_DETAIL = "Internal server error"


class ExceptionDetailLeak(Rule):
    """## What it does
    Checks for exception handlers that send internal exception text to the client, and for
    route handlers that swallow an exception and answer with a success status:

    - inside `except ... as e`, a `raise HTTPException(...)` whose `detail` carries the
      exception's text — `str(e)`, `repr(e)`, `f"{e}"`, `f"failed: {e!r}"`, `e.args[0]`,
      `"..." + str(e)`, `e` itself, `traceback.format_exc()` — or a returned
      `JSONResponse(content=...)` / dict that does;
    - in a route, an `except Exception:` (or `BaseException`, or a bare `except:`) whose body
      neither raises nor answers with an error status: it `return`s a value, or only
      `pass`es/logs and falls through to the rest of the route, which answers 200.

    The detail is reported when the handler catches a broad or internal exception (`Exception`,
    `BaseException`, bare `except`, `OSError`, `KeyError`, `RuntimeError`, ..., any
    `sqlalchemy.*`, database driver or HTTP client error) or when the answer is a 5xx.
    A 4xx carrying the message of a domain exception or a `ValueError` raised for the user
    (`except ValueError as e: raise HTTPException(400, str(e))`) is left alone, as are
    validation errors answered with 422 (`detail=exc.errors()`, FastAPI's own shape). A
    validation failure answered with 400/500 is OWN405's finding, not this rule's: once it is a
    422, its text is the expected answer.

    ## Why is this bad?
    Exception text is written for developers: SQL statements and parameters (other users'
    ids and values), table and column names, file paths, hostnames, library versions, secrets
    that ended up in a connection string. Sent to the client it maps the backend for an
    attacker (OWASP API8:2023 Security Misconfiguration: "error messages that expose stack
    traces or other sensitive information") and may disclose other users' data (API3:2023).

    A handler that swallows every exception and answers 200 tells the client an operation
    succeeded when it did not (a task that was never saved, an ownership check that crashed),
    and hides the failure from monitoring.

    ## Example
    ```python
    try:
        db.commit()
    except Exception as e:
        raise HTTPException(status_code=500, detail=str(e))
    ```

    ## Use instead
    ```python
    try:
        db.commit()
    except Exception:
        logger.exception("Could not save the task")
        raise HTTPException(status_code=500, detail="Internal server error")
    ```

    ## Fix safety
    For a leaking detail the fix replaces the detail expression — and nothing else — with the
    generic `"Internal server error"`. It is unsafe: the exception text no longer reaches
    anybody unless the handler logs it (add `logger.exception(...)`; the fix does not), and a
    client or test that parsed the old message changes behaviour.
    A swallowed exception has no fix: whether to re-raise, answer 500 or handle the error is a
    decision about the route's behaviour.

    ## Options
    This rule has no options.

    ## References
    - [OWASP API Security Top 10 2023, API8: Security Misconfiguration](https://owasp.org/API-Security/editions/2023/en/0xa8-security-misconfiguration/)
    - [OWASP API Security Top 10 2023, API3: Broken Object Property Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa3-broken-object-property-level-authorization/)
    - [OWASP Error Handling Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Error_Handling_Cheat_Sheet.html)
    - [RFC 9110, section 15.6.1: 500 Internal Server Error](https://www.rfc-editor.org/rfc/rfc9110#name-500-internal-server-error)
    - [FastAPI: Handling Errors (HTTPException)](https://fastapi.tiangolo.com/tutorial/handling-errors/)
    """

    code = "OWN406"
    name = "exception-detail-leak"
    cwe = (209,)
    security_severity = "5.3"
    markers = STATUS_MARKERS
    # ``except`` clauses, and ``exception_handler``/``add_exception_handler`` registrations.
    requires = (b"except",)
    summary = "Exception text sent to the client, or exception swallowed with a success status"
    message_formats = (
        "Response detail carries the text of `{exception}` ({caught}) to the client",
        "`except {caught}` swallows the error; the route answers with a success status",
    )
    fix_availability = FixAvailability.SOMETIMES

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        functions = except_functions(ctx)  # the functions with a handler, in ast.walk order
        if not functions:
            return
        owned_by_405 = {id(node) for node, _status, _label in validation_findings(ctx)}
        routes = {id(route.node) for route in ctx.routes}
        handlers = exception_handler_types(ctx)
        for function in functions:
            is_route = id(function) in routes
            for _try, handler in function_handlers(ctx, function):
                caught = caught_types(ctx, handler)
                internal = any(is_internal(name) for name in caught)
                leaks = list(_leaks(ctx, handler, internal, owned_by_405, answers=is_route))
                for detail in leaks:
                    yield _leak_violation(ctx, detail, handler, caught)
                broad = any(name in BROAD_EXCEPTIONS for name in caught)
                if is_route and not leaks and broad and _swallows(ctx, handler):
                    text = " and sends its text" if _returns_text(handler) else ""
                    clause = f"except {_caught_label(caught)}" if handler.type is not None else "except:"
                    yield Violation(
                        node=handler.type or _except_keyword(handler),
                        message=f"`{clause}` swallows the error{text}; the route answers with a success status",
                    )
            if id(function) in handlers:
                exc = _handler_exception_name(function)
                internal = any(is_internal(name) for name in handlers[id(function)])
                for detail in _returned_leaks(ctx, function.body, exc, internal, True, owned_by_405):
                    yield _leak_violation(ctx, detail, None, handlers[id(function)], exc)

    VALID = (
        Case(
            id="generic detail, logged exception",
            source="""
            import logging
            from fastapi import APIRouter, HTTPException

            router = APIRouter()
            logger = logging.getLogger(__name__)

            @router.post("/tasks")
            def create(payload: dict):
                try:
                    save(payload)
                except Exception:
                    logger.exception("save failed")
                    raise HTTPException(status_code=500, detail="Internal server error")
                return {"ok": True}

            def save(payload):
                return payload
            """,
        ),
        Case(
            id="domain ValueError message on a 400, validation errors on a 422",
            source="""
            from fastapi import APIRouter, HTTPException
            from pydantic import BaseModel, ValidationError

            router = APIRouter()

            class TaskIn(BaseModel):
                title: str

            @router.post("/tasks")
            def create(payload: dict):
                try:
                    task = TaskIn(**payload)
                except ValidationError as exc:
                    raise HTTPException(status_code=422, detail=exc.errors())
                try:
                    check_title(task.title)
                except ValueError as exc:
                    raise HTTPException(status_code=400, detail=str(exc))
                return task

            def check_title(title):
                if not title.strip():
                    raise ValueError("title must not be blank")
            """,
        ),
        Case(
            id="narrow exception used for control flow, and an error response",
            source="""
            from fastapi import APIRouter
            from fastapi.responses import JSONResponse

            router = APIRouter()

            @router.get("/settings")
            def read(params: dict):
                try:
                    limit = params["limit"]
                except KeyError:
                    limit = 10
                try:
                    value = compute(limit)
                except Exception:
                    return JSONResponse(status_code=500, content={"detail": "Internal server error"})
                return {"value": value}

            def compute(limit):
                return limit
            """,
        ),
        Case(
            id="exception class name only",
            source="""
            from fastapi import APIRouter, HTTPException

            router = APIRouter()

            @router.post("/sync")
            def sync():
                try:
                    run()
                except Exception as exc:
                    raise HTTPException(status_code=502, detail=f"Upstream failed ({type(exc).__name__})")

            def run():
                return None
            """,
        ),
    )

    INVALID = (
        Case(
            id="str(e) in a 500",
            source="""
            from fastapi import APIRouter, HTTPException

            router = APIRouter()


            @router.post("/tasks")
            def create_task(payload: dict):
                try:
                    return save(payload)
                except Exception as e:
                    raise HTTPException(500, detail=str(e))


            def save(payload):
                return payload
            """,
            fixed="""
            from fastapi import APIRouter, HTTPException

            router = APIRouter()


            @router.post("/tasks")
            def create_task(payload: dict):
                try:
                    return save(payload)
                except Exception as e:
                    raise HTTPException(500, detail="Internal server error")


            def save(payload):
                return payload
            """,
        ),
        Case(
            id="f-string and positional detail from a SQLAlchemy error",
            source="""
            from fastapi import APIRouter, HTTPException
            from sqlalchemy.exc import IntegrityError

            router = APIRouter()


            @router.post("/tasks")
            def create_task(payload: dict, db=None):
                try:
                    db.commit()
                except IntegrityError as exc:
                    raise HTTPException(409, f"Could not save: {exc!r}")
                return {"ok": True}
            """,
            fixed="""
            from fastapi import APIRouter, HTTPException
            from sqlalchemy.exc import IntegrityError

            router = APIRouter()


            @router.post("/tasks")
            def create_task(payload: dict, db=None):
                try:
                    db.commit()
                except IntegrityError as exc:
                    raise HTTPException(409, "Internal server error")
                return {"ok": True}
            """,
        ),
        Case(
            id="e.args[0] in a helper's 500",
            source="""
            from fastapi import HTTPException


            def load(path: str) -> bytes:
                try:
                    with open(path, "rb") as handle:
                        return handle.read()
                except OSError as err:
                    raise HTTPException(status_code=500, detail=err.args[0])
            """,
            fixed="""
            from fastapi import HTTPException


            def load(path: str) -> bytes:
                try:
                    with open(path, "rb") as handle:
                        return handle.read()
                except OSError as err:
                    raise HTTPException(status_code=500, detail="Internal server error")
            """,
        ),
        Case(
            id="exception swallowed with a 200 body",
            source="""
            from fastapi import APIRouter

            router = APIRouter()


            @router.delete("/tasks/{task_id}")
            def delete_task(task_id: str):
                try:
                    remove(task_id)
                except Exception:
                    return {"deleted": False}
                return {"deleted": True}


            def remove(task_id):
                return task_id
            """,
        ),
        Case(
            id="exception text returned with a 200",
            source="""
            from fastapi import APIRouter

            router = APIRouter()


            @router.post("/tasks/import")
            def import_tasks(payload: dict):
                try:
                    count = run_import(payload)
                except Exception as e:
                    return {"imported": 0, "error": str(e)}
                return {"imported": count}


            def run_import(payload):
                return len(payload)
            """,
        ),
        Case(
            id="bare except passes and falls through",
            source="""
            import logging

            from fastapi import APIRouter

            router = APIRouter()
            logger = logging.getLogger(__name__)


            @router.post("/tasks")
            def create_task(payload: dict):
                try:
                    store(payload)
                except:
                    logger.warning("store failed")
                return {"ok": True}


            def store(payload):
                return payload
            """,
        ),
        Case(
            id="global exception handler returns the exception text",
            source="""
            from fastapi import FastAPI, Request
            from fastapi.responses import JSONResponse

            app = FastAPI()


            @app.exception_handler(Exception)
            async def unhandled(request: Request, exc: Exception):
                return JSONResponse(status_code=500, content={"detail": str(exc), "path": request.url.path})
            """,
            fixed="""
            from fastapi import FastAPI, Request
            from fastapi.responses import JSONResponse

            app = FastAPI()


            @app.exception_handler(Exception)
            async def unhandled(request: Request, exc: Exception):
                return JSONResponse(status_code=500, content={"detail": "Internal server error", "path": request.url.path})
            """,
        ),
    )


def _leaks(
    ctx: ModuleContext,
    handler: ast.ExceptHandler,
    internal: bool,
    owned_by_405: set[int],
    answers: bool,
) -> Iterator[ast.expr]:
    """Detail expressions of the handler that carry the exception's text."""
    name = handler.name
    for node in own_statements(handler.body):
        if not isinstance(node, ast.Raise) or node.exc is None:
            continue
        if not is_http_exception(ctx, node.exc):
            continue
        call = node.exc
        assert isinstance(call, ast.Call)
        status_node = status_argument(call)
        if status_node is not None and id(status_node) in owned_by_405:
            continue
        status = read_status(ctx, status_node)
        if not internal and not (status is not None and status >= 500):
            continue
        detail = http_exception_detail(call)
        if detail is not None and uses_exception_text(detail, name):
            yield detail
    if answers:
        yield from _returned_leaks(ctx, handler.body, name, internal, answers, owned_by_405)


def _returned_leaks(
    ctx: ModuleContext,
    body: list[ast.stmt],
    name: str | None,
    internal: bool,
    answers: bool,
    owned_by_405: set[int] | None = None,
) -> Iterator[ast.expr]:
    """Values returned to the client (a dict or a response's content) carrying the text."""
    for node in own_statements(body):
        if not isinstance(node, ast.Return) or node.value is None:
            continue
        value = node.value
        if not is_response_call(ctx, value):
            continue  # answered with a success status: a swallowed exception (see _swallows)
        status_node, status = response_status(ctx, value)  # type: ignore[arg-type]
        if status_node is None or (status is not None and status < 400):
            continue  # idem
        if owned_by_405 and id(status_node) in owned_by_405:
            continue
        if not internal and not (status is not None and status >= 500):
            continue
        content = response_content(value)  # type: ignore[arg-type]
        if content is not None:
            yield from _leaking_parts(content, name)


def _leaking_parts(value: ast.expr, name: str | None) -> Iterator[ast.expr]:
    if isinstance(value, ast.Dict):
        for item in value.values:
            if uses_exception_text(item, name):
                yield item
    elif uses_exception_text(value, name):
        yield value


def _swallows(ctx: ModuleContext, handler: ast.ExceptHandler) -> bool:
    """The handler neither raises nor answers with an error status."""
    body = handler.body
    statements = own_statements(body)
    if any(isinstance(node, ast.Raise) for node in statements):
        return False
    if sets_status_code(body):
        return False
    returns = [node for node in statements if isinstance(node, ast.Return)]
    if returns:
        return any(not answers_with_status(ctx, node.value) for node in returns)
    # Falls through: only when the handler does nothing the rest of the route could act on.
    return all(
        isinstance(statement, ast.Pass)
        or (isinstance(statement, ast.Expr) and not isinstance(statement.value, ast.Await | ast.Yield))
        for statement in body
    ) and not any(isinstance(statement, (ast.Continue, ast.Break)) for statement in body)


def _except_keyword(handler: ast.ExceptHandler) -> ast.AST:
    """A node spanning the ``except`` keyword of a bare ``except:``."""
    marker = ast.Name(id="except")
    marker.lineno = marker.end_lineno = handler.lineno
    marker.col_offset = handler.col_offset
    marker.end_col_offset = handler.col_offset + len("except")
    return marker


def _returns_text(handler: ast.ExceptHandler) -> bool:
    return any(
        isinstance(node, ast.Return) and node.value is not None and uses_exception_text(node.value, handler.name)
        for node in own_statements(handler.body)
    )


def _handler_exception_name(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """``exc`` of ``async def handler(request, exc)``."""
    positional = [*function.args.posonlyargs, *function.args.args]
    return positional[1].arg if len(positional) >= 2 else None


def _caught_label(caught: list[str]) -> str:
    names = [name.rsplit(".", 1)[-1] for name in caught]
    return names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"


def _leak_violation(
    ctx: ModuleContext,
    detail: ast.expr,
    handler: ast.ExceptHandler | None,
    caught: list[str],
    name: str | None = None,
) -> Violation:
    exception = (handler.name if handler is not None else name) or "the exception"
    return Violation(
        node=detail,
        message=(
            f"Response detail carries the text of `{exception}` ({_caught_label(caught)}) to the client"
        ),
        fix=FixPlan(
            f"Replace the detail with {quote(GENERIC_DETAIL)}",
            (ReplaceExpression(span_of(ctx.locator, detail), quote(GENERIC_DETAIL)),),
            applicability=Applicability.UNSAFE,
        ),
    )
