"""OWN405 validation-error-status."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.context import ModuleContext
from ..analysis.responses import status_replacement, validation_findings
from ..fixes.actions import ReplaceExpression, span_of
from ..rule import STATUS_MARKERS, Case, FixAvailability, FixPlan, Rule, Violation
from ._common import SEED_PROJECT


class ValidationErrorStatus(Rule):
    """## What it does
    Checks for routes that turn an input validation failure into a 400 or a 5xx instead of
    **422**:

    - an `except pydantic.ValidationError` (or `ValueError`/`TypeError`) handler around code that
      validates or converts request data — a pydantic model built from it
      (`TaskCreate(**payload)`, `TaskCreate.model_validate(data)`), a `TypeAdapter` validation,
      a value conversion (`int(x)`, `UUID(x)`, `datetime.fromisoformat(x)`) — that raises
      `HTTPException(400 | 5xx)` or returns a response with that status;
    - an exception handler registered for `RequestValidationError`/`ValidationError`
      (`@app.exception_handler(...)`, `app.add_exception_handler(...)`) that answers 400/5xx.

    Request data is a parameter FastAPI fills from the request (path, query, header, body), the
    `Request` object, and local variables assigned from them.

    ## Why is this bad?
    422 is FastAPI's and the seed's contract for invalid input (RFC 9110 15.5.21: the content is
    well-formed but its values cannot be processed). A 500 blames the server for a client's
    mistake: it pages on-call engineers, is retried by clients and proxies, and hides probing in
    the noise of real failures. A 400 for a validation failure breaks clients and tests written
    against FastAPI's own 422 responses for the same kind of error.

    `json.loads` failures are not reported: malformed JSON is a syntax error of the request, for
    which 400 is the RFC's answer. A `ValidationError` raised while building a *response* from
    database rows is a server bug, and 500 is right there: only handlers whose `try` parses
    request data are checked. Statuses other than 400 and 5xx (409, 404, ...) are left alone.

    ## Example
    ```python
    try:
        task = TaskCreate.model_validate(payload)
    except ValidationError as exc:
        raise HTTPException(status_code=400, detail=exc.errors())
    ```

    ## Use instead
    ```python
    try:
        task = TaskCreate.model_validate(payload)
    except ValidationError as exc:
        raise HTTPException(status_code=422, detail=exc.errors())
    ```

    ## Fix safety
    The fix is safe: it replaces the status expression with 422 in the file's style
    (`status.HTTP_422_UNPROCESSABLE_ENTITY`, `HTTPStatus.UNPROCESSABLE_ENTITY` or `422`), keeping
    a positional status positional. (Starlette 0.48+ deprecates the `..._ENTITY` constant in
    favour of `HTTP_422_UNPROCESSABLE_CONTENT`; the old name is used because it exists in every
    FastAPI release.)

    ## Options
    This rule has no options.

    ## References
    - [RFC 9110, section 15.5.21: 422 Unprocessable Content](https://www.rfc-editor.org/rfc/rfc9110#name-422-unprocessable-content)
    - [RFC 9110, section 15.5.1: 400 Bad Request](https://www.rfc-editor.org/rfc/rfc9110#name-400-bad-request)
    - [FastAPI: Handling Errors — RequestValidationError](https://fastapi.tiangolo.com/tutorial/handling-errors/#override-request-validation-exceptions)
    - [OWASP API Security Top 10 2023, API3: Broken Object Property Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa3-broken-object-property-level-authorization/)
    """

    code = "OWN405"
    name = "validation-error-status"
    cwe = (20,)
    security_severity = "3.7"
    markers = STATUS_MARKERS
    # ``except`` clauses, and ``exception_handler``/``add_exception_handler`` registrations.
    requires = (b"except",)
    summary = "Input validation failure answered with 400/5xx instead of 422"
    message_formats = ("Validation failure (`{exception}`) answered with {status}; invalid input is 422",)
    fix_availability = FixAvailability.ALWAYS

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        seen: set[int] = set()
        for status_node, status, label in validation_findings(ctx):
            if id(status_node) in seen:
                continue
            seen.add(id(status_node))
            replacement = status_replacement(ctx, status_node, 422)
            yield Violation(
                node=status_node,
                message=f"Validation failure (`{label}`) answered with {status}; invalid input is 422",
                fix=FixPlan(
                    f"Answer 422 (`{replacement}`)",
                    (ReplaceExpression(span_of(ctx.locator, status_node), replacement),),
                ),
            )

    VALID = (
        Case(
            id="422 already, and malformed JSON answered 400",
            source="""
            import json

            from fastapi import APIRouter, HTTPException, Request
            from pydantic import BaseModel, ValidationError

            router = APIRouter()

            class TaskIn(BaseModel):
                title: str

            @router.post("/tasks")
            async def create(request: Request):
                raw = await request.body()
                try:
                    payload = json.loads(raw)
                except ValueError:
                    raise HTTPException(status_code=400, detail="Malformed JSON")
                try:
                    return TaskIn.model_validate(payload)
                except ValidationError as exc:
                    raise HTTPException(status_code=422, detail=exc.errors())
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="validating database rows for the response is a server error",
            source="""
            from fastapi import APIRouter, HTTPException
            from pydantic import BaseModel, ValidationError
            from deps import SessionDep
            from models import Task

            router = APIRouter()

            class TaskOut(BaseModel):
                title: str

            @router.get("/tasks/{task_id}")
            def read(task_id: str, db: SessionDep):
                task = db.get(Task, task_id)
                try:
                    return TaskOut.model_validate(task)
                except ValidationError:
                    raise HTTPException(status_code=500, detail="Corrupt task")
            """,
            files=SEED_PROJECT,
        ),
    )

    INVALID = (
        Case(
            id="pydantic ValidationError answered 400",
            source="""
            from fastapi import APIRouter, HTTPException
            from pydantic import BaseModel, ValidationError

            router = APIRouter()


            class TaskIn(BaseModel):
                title: str


            @router.post("/tasks")
            def create_task(payload: dict):
                try:
                    task = TaskIn(**payload)
                except ValidationError as exc:
                    raise HTTPException(status_code=400, detail=exc.errors())
                return {"title": task.title}
            """,
            fixed="""
            from fastapi import APIRouter, HTTPException
            from pydantic import BaseModel, ValidationError

            router = APIRouter()


            class TaskIn(BaseModel):
                title: str


            @router.post("/tasks")
            def create_task(payload: dict):
                try:
                    task = TaskIn(**payload)
                except ValidationError as exc:
                    raise HTTPException(status_code=422, detail=exc.errors())
                return {"title": task.title}
            """,
        ),
        Case(
            id="ValueError from int() on a query value answered 500, status style",
            source="""
            from fastapi import APIRouter, HTTPException, status

            router = APIRouter()


            @router.get("/tasks", status_code=status.HTTP_200_OK)
            def list_tasks(limit: str = "10"):
                try:
                    size = int(limit)
                except ValueError:
                    raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, "Invalid limit")
                return {"limit": size}
            """,
            fixed="""
            from fastapi import APIRouter, HTTPException, status

            router = APIRouter()


            @router.get("/tasks", status_code=status.HTTP_200_OK)
            def list_tasks(limit: str = "10"):
                try:
                    size = int(limit)
                except ValueError:
                    raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "Invalid limit")
                return {"limit": size}
            """,
        ),
        Case(
            id="request body parsed from the Request object, JSONResponse 400",
            source="""
            from fastapi import APIRouter, Request
            from fastapi.responses import JSONResponse
            from pydantic import BaseModel, ValidationError

            router = APIRouter()


            class TaskIn(BaseModel):
                title: str


            @router.post("/tasks")
            async def create_task(request: Request):
                data = await request.json()
                try:
                    task = TaskIn.model_validate(data)
                except ValidationError as exc:
                    return JSONResponse(status_code=400, content={"detail": exc.errors()})
                return {"title": task.title}
            """,
            fixed="""
            from fastapi import APIRouter, Request
            from fastapi.responses import JSONResponse
            from pydantic import BaseModel, ValidationError

            router = APIRouter()


            class TaskIn(BaseModel):
                title: str


            @router.post("/tasks")
            async def create_task(request: Request):
                data = await request.json()
                try:
                    task = TaskIn.model_validate(data)
                except ValidationError as exc:
                    return JSONResponse(status_code=422, content={"detail": exc.errors()})
                return {"title": task.title}
            """,
        ),
        Case(
            id="global RequestValidationError handler answers 400",
            source="""
            from fastapi import FastAPI, Request
            from fastapi.exceptions import RequestValidationError
            from fastapi.responses import JSONResponse

            app = FastAPI()


            @app.exception_handler(RequestValidationError)
            async def validation_handler(request: Request, exc: RequestValidationError):
                return JSONResponse(status_code=400, content={"detail": exc.errors()})
            """,
            fixed="""
            from fastapi import FastAPI, Request
            from fastapi.exceptions import RequestValidationError
            from fastapi.responses import JSONResponse

            app = FastAPI()


            @app.exception_handler(RequestValidationError)
            async def validation_handler(request: Request, exc: RequestValidationError):
                return JSONResponse(status_code=422, content={"detail": exc.errors()})
            """,
        ),
    )
