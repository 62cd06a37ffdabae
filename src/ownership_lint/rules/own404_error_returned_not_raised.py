"""OWN404 error-returned-not-raised."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..analysis.context import ModuleContext
from ..analysis.responses import (
    PATH_OWNER,
    FailureBranch,
    answers_with_status,
    failure_branches,
    is_error_value,
    message_of,
    raises_anything,
    sets_status_code,
)
from ..analysis.statements import own_statements
from ..fixes.actions import FixAction, ReplaceStatement, span_of
from ..fixes.guards import raise_http_exception
from ..rule import STATUS_MARKERS, Case, FixAvailability, FixPlan, Rule, Violation
from ._common import SEED_PROJECT

_KIND_LABEL = {
    PATH_OWNER: "owner check",
    "object-owner": "object owner check",
    "not-found": "not-found check",
}


class ErrorReturnedNotRaised(Rule):
    """## What it does
    Checks for routes that signal an authorization, ownership or not-found failure by
    *returning* a value — `return {"detail": "Forbidden"}`, `return None`, a bare `return`,
    `return JSONResponse({"error": "not found"})` without a `status_code` — from:

    - the mismatch branch of the path owner check (`if current_user != user_id:`),
    - the mismatch branch of an object owner check (`if task.user_id != user_id:`),
    - the not-found branch after the route fetches the object its URL names
      (`if task is None:` / `if not task:`).

    ## Why is this bad?
    FastAPI answers a returned value with the route's success status (200, or the decorator's
    `status_code=`). The client, its retry logic, caches and monitoring all see a success; the
    seed's isolation tests ("403 wrong user", "404 missing task") fail, and a front end renders
    `{"detail": "Forbidden"}` as data. With `response_model=` the error dict may even fail
    response validation and turn into a 500. The branch is also often written as a
    "soft deny" that later code does not expect, so the route keeps running on another path.

    A returned value counts as an error signal when it is nothing (`return`, `return None`), a
    string, a dict with a `"detail"`, `"error"`, `"errors"`, `"message"`, `"msg"` or `"reason"`
    key, or a response without `status_code=` whose body is one of those. Other values are a
    deliberate alternative answer, not an error (a public profile for another user, an empty
    list as a silent denial) and are not reported. A branch that returns a response carrying
    its own status (`JSONResponse(status_code=403, ...)`, a `RedirectResponse`) or that sets
    `response.status_code` first is not reported either.
    A branch that neither raises nor returns is OWN203's finding; a branch that raises the wrong
    status is OWN401's or OWN403's.

    ## Example
    ```python
    if current_user != user_id:
        return {"detail": "Not allowed"}
    task = db.get(Task, task_id)
    if task is None:
        return None
    ```

    ## Use instead
    ```python
    if current_user != user_id:
        raise HTTPException(status_code=403, detail="Not allowed")
    task = db.get(Task, task_id)
    if task is None:
        raise HTTPException(status_code=404, detail="Task not found")
    ```

    ## Fix safety
    The fix is safe: the status is known from the branch — 403 for the path owner check, 404
    for a not-found check and for an object owner check (another user's object must look
    missing, as OWN302's check does). The `return` is replaced by
    `raise HTTPException(status_code=..., detail=...)` in the file's status style, with the
    detail taken from the returned dict's (or response body's) `"detail"`, `"error"`,
    `"message"` or `"msg"` string when there is one, else the canonical message; the
    `HTTPException` import is added when missing.

    ## Options
    - `user-id-param`
    - `owner-fields`

    ## References
    - [OWASP API Security Top 10 2023, API1: Broken Object Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa1-broken-object-level-authorization/)
    - [RFC 9110, section 15.5.4: 403 Forbidden](https://www.rfc-editor.org/rfc/rfc9110#name-403-forbidden)
    - [RFC 9110, section 15.5.5: 404 Not Found](https://www.rfc-editor.org/rfc/rfc9110#name-404-not-found)
    - [FastAPI: Handling Errors (HTTPException)](https://fastapi.tiangolo.com/tutorial/handling-errors/)
    - [FastAPI: Return a Response Directly](https://fastapi.tiangolo.com/advanced/response-directly/)
    """

    code = "OWN404"
    name = "error-returned-not-raised"
    cwe = (285,)
    security_severity = "6.5"
    markers = STATUS_MARKERS
    requires = (b"return",)  # every finding is a ``return``
    summary = "Failure branch returns a value, so the client gets a success status"
    message_formats = (
        "{check} returns a value instead of raising; the client gets a success status, not {status}",
    )
    fix_availability = FixAvailability.ALWAYS

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        seen: set[int] = set()
        for route in ctx.routes:
            for branch in failure_branches(ctx, route):
                if raises_anything(branch.body) or sets_status_code(branch.body):
                    continue
                for node in own_statements(branch.body):
                    if not isinstance(node, ast.Return) or id(node) in seen:
                        continue
                    if answers_with_status(ctx, node.value) or not is_error_value(ctx, node.value):
                        continue
                    seen.add(id(node))
                    yield _violation(ctx, branch, node)

    VALID = (
        Case(
            id="raises, and a JSONResponse with its own status",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, HTTPException
            from fastapi.responses import JSONResponse
            from models import Task
            router = APIRouter(prefix="/api/{user_id}")

            @router.get("/tasks/{task_id}")
            def read(user_id: str, task_id: str, current_user: CurrentUser, db: SessionDep):
                if current_user != user_id:
                    return JSONResponse(status_code=403, content={"detail": "Forbidden"})
                task = db.get(Task, task_id)
                if task is None or task.user_id != user_id:
                    raise HTTPException(404, "Task not found")
                return task
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="status set on the injected Response",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, Response
            from models import Task
            router = APIRouter()

            @router.get("/tasks/{task_id}")
            def read(task_id: str, response: Response, current_user: CurrentUser, db: SessionDep):
                task = db.get(Task, task_id)
                if task is None or task.user_id != current_user:
                    response.status_code = 404
                    return {"detail": "Task not found"}
                return task
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="another user gets the public view, not an error",
            source="""
            from deps import CurrentUser
            from fastapi import APIRouter
            router = APIRouter(prefix="/api/{user_id}")

            @router.get("/profile")
            def profile(user_id: str, current_user: CurrentUser):
                if current_user != user_id:
                    return {"id": user_id, "public": True}
                return {"id": user_id, "public": False, "email": "me@example.com"}
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="superuser bypass returns inside a branch that raises",
            source="""
            from deps import CurrentUser
            from fastapi import APIRouter, HTTPException
            router = APIRouter(prefix="/api/{user_id}")

            @router.get("/profile")
            def profile(user_id: str, current_user: CurrentUser):
                if current_user != user_id:
                    if current_user == "admin":
                        return {"id": user_id}
                    raise HTTPException(403)
                return {"id": user_id}
            """,
            files=SEED_PROJECT,
        ),
    )

    INVALID = (
        Case(
            id="owner check returns an error dict",
            source="""
            from fastapi import APIRouter, Depends

            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks")
            def list_tasks(user_id: str, current_user: str = Depends(get_current_user)):
                if current_user != user_id:
                    return {"detail": "Not allowed"}
                return []
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException

            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks")
            def list_tasks(user_id: str, current_user: str = Depends(get_current_user)):
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not allowed")
                return []
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="not-found branch returns None in a fastapi.status file",
            source="""
            from fastapi import APIRouter, Depends, HTTPException, status

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks/{task_id}")
            def read_task(user_id: str, task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                if current_user != user_id:
                    raise HTTPException(status_code=status.HTTP_403_FORBIDDEN)
                task = db.get(Task, task_id)
                if task is None:
                    return None
                if task.user_id != user_id:
                    raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)
                return task
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException, status

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks/{task_id}")
            def read_task(user_id: str, task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                if current_user != user_id:
                    raise HTTPException(status_code=status.HTTP_403_FORBIDDEN)
                task = db.get(Task, task_id)
                if task is None:
                    raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Task not found")
                if task.user_id != user_id:
                    raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)
                return task
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="JSONResponse without status after an owner-filtered lookup",
            source="""
            from fastapi import APIRouter, Depends
            from fastapi.responses import JSONResponse
            from sqlmodel import select

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.delete("/tasks/{task_id}")
            def delete_task(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                task = db.exec(select(Task).where(Task.id == task_id, Task.user_id == current_user)).first()
                if not task:
                    return JSONResponse({"error": "Task not found", "code": "missing"})
                db.delete(task)
                db.commit()
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException
            from fastapi.responses import JSONResponse
            from sqlmodel import select

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.delete("/tasks/{task_id}")
            def delete_task(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                task = db.exec(select(Task).where(Task.id == task_id, Task.user_id == current_user)).first()
                if not task:
                    raise HTTPException(status_code=404, detail="Task not found")
                db.delete(task)
                db.commit()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="object owner check returns an error dict",
            source="""
            from fastapi import APIRouter, Depends

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.delete("/tasks/{task_id}")
            def delete_task(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                task = db.get(Task, task_id)
                if not task or task.user_id != current_user:
                    return {"message": "Task not found"}
                db.delete(task)
                db.commit()
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.delete("/tasks/{task_id}")
            def delete_task(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                task = db.get(Task, task_id)
                if not task or task.user_id != current_user:
                    raise HTTPException(status_code=404, detail="Task not found")
                db.delete(task)
                db.commit()
            """,
            files=SEED_PROJECT,
            settings={"select": ("OWN404",)},
        ),
        Case(
            id="equality check with the error returned from else",
            source="""
            from fastapi import APIRouter, Depends, HTTPException

            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/profile")
            def profile(user_id: str, current_user: str = Depends(get_current_user)):
                if current_user == user_id:
                    return {"id": user_id}
                else:
                    return
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException

            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/profile")
            def profile(user_id: str, current_user: str = Depends(get_current_user)):
                if current_user == user_id:
                    return {"id": user_id}
                else:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
            """,
            files=SEED_PROJECT,
        ),
    )


def _violation(ctx: ModuleContext, branch: FailureBranch, node: ast.Return) -> Violation:
    status = branch.status
    detail = message_of(ctx, node.value) or branch.default_detail
    imports: list[FixAction] = []
    statement = raise_http_exception(ctx, status, detail, imports) + "\n"
    label = _KIND_LABEL.get(branch.kind, "check")
    return Violation(
        node=node,
        message=(
            f"{label[0].upper()}{label[1:]} returns a value instead of raising; "
            f"the client gets a success status, not {status}"
        ),
        fix=FixPlan(
            f"Raise `HTTPException` with status {status}",
            (ReplaceStatement(span_of(ctx.locator, node), statement), *imports),
        ),
    )
