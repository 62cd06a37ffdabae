"""OWN401 owner-mismatch-status."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.checks import find_owner_checks, name_is, rooted_at
from ..analysis.context import ModuleContext
from ..analysis.dependencies import function_parameters
from ..analysis.project import FunctionSymbol
from ..analysis.responses import (
    OBJECT_OWNER,
    PATH_OWNER,
    StatusRaise,
    failure_branches,
    in_walk_order_of,
    status_raises,
    status_replacement,
)
from ..fixes.actions import ReplaceExpression, span_of
from ..rule import STATUS_MARKERS, Case, FixAvailability, FixPlan, Rule, Violation
from ._common import SEED_PROJECT

_OBJECT_ALLOWED = frozenset({403, 404})


class OwnerMismatchStatus(Rule):
    """## What it does
    Checks for owner checks that reject with the wrong HTTP status:

    - the check of the path `user_id` against the authenticated user
      (`if current_user != user_id: raise ...`, in a route or in a guard dependency) must raise
      **403**; any other status (401, 400, 404, 422, 500, ...) is reported;
    - an object-level check (`if task.user_id != user_id`, `item.owner_id != current_user.id`,
      `task is None or task.user_id != user_id`) must raise **404** (or 403); 400, 401, 500 and
      any other status are reported.

    ## Why is this bad?
    The status is part of the contract clients and tests rely on (RFC 9110):

    - 401 means "your credentials are missing or invalid" (RFC 9110 15.5.2, RFC 6750): a client
      receiving it for somebody else's `user_id` drops a valid token and sends the user back to
      the login page; a 403 says the credentials are fine but do not grant this resource.
    - 400 and 422 say the request is malformed, 500 that the server failed: both hide the
      authorization decision from monitoring and from the tests that check user isolation
      (the seed's "403 wrong user" test).
    - 404 on the path check leaks nothing the caller does not already know (its own token and
      the `user_id` it typed) but breaks the documented 403 contract.
    - For an object, 404 keeps another user's object indistinguishable from a missing one
      (OWN302's canonical check); 403 is accepted (it tells the caller the id exists, a choice
      some APIs make deliberately).

    The other side of an object check is the identity, the path `user_id` or a local value; a
    comparison with request data (`task.user_id != payload.user_id`) or with another object's
    owner column (`task.user_id != parent.user_id`) is a consistency check, whose 400/409/422
    is not an authorization answer, and is not reported.

    Only inline `raise HTTPException(...)` calls with a readable status are checked. A raise of
    a shared exception object (`raise credentials_exception`) is not reported: its status lives
    in a binding that other raises share (usually the auth dependency's 401, OWN402's concern),
    so changing it is not a local fix. Checks inside helper functions called by a route are not
    examined; a guard dependency (a function with the path `user_id` and an auth dependency as
    parameters) is.

    ## Example
    ```python
    if current_user != user_id:
        raise HTTPException(status_code=401, detail="Not authorized")
    task = db.get(Task, task_id)
    if not task or task.user_id != user_id:
        raise HTTPException(status_code=400, detail="Task not found")
    ```

    ## Use instead
    ```python
    if current_user != user_id:
        raise HTTPException(status_code=403, detail="Not authorized")
    task = db.get(Task, task_id)
    if not task or task.user_id != user_id:
        raise HTTPException(status_code=404, detail="Task not found")
    ```

    ## Fix safety
    The fix is safe: it replaces the status expression only — 403 for the path check, 404 for
    an object check — keeping a positional status positional and a keyword `status_code=`
    keyword, and writing it in the file's style (`status.HTTP_403_FORBIDDEN` where the raise or
    the file uses `fastapi.status`, `HTTPStatus.FORBIDDEN` where the raise uses `HTTPStatus`).
    The detail and headers are left as they are.

    ## Options
    - `user-id-param`
    - `owner-fields`
    - `auth-dependencies`

    ## References
    - [OWASP API Security Top 10 2023, API1: Broken Object Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa1-broken-object-level-authorization/)
    - [RFC 9110, section 15.5.4: 403 Forbidden](https://www.rfc-editor.org/rfc/rfc9110#name-403-forbidden)
    - [RFC 9110, section 15.5.5: 404 Not Found](https://www.rfc-editor.org/rfc/rfc9110#name-404-not-found)
    - [RFC 9110, section 15.5.2: 401 Unauthorized](https://www.rfc-editor.org/rfc/rfc9110#name-401-unauthorized)
    - [RFC 6750, section 3.1: Error Codes](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)
    - [FastAPI: Handling Errors (HTTPException)](https://fastapi.tiangolo.com/tutorial/handling-errors/)
    """

    code = "OWN401"
    name = "owner-mismatch-status"
    cwe = (285,)
    security_severity = "4.3"
    markers = STATUS_MARKERS
    requires = (b"raise",)  # every finding is the status of a ``raise``
    summary = "Owner check rejects with the wrong HTTP status"
    message_formats = (
        "Owner check of `{user_id}` raises {status}; a mismatch with the authenticated user is 403",
        "Owner check of `{object}` raises {status}; another user's object is 404 (or 403)",
    )
    fix_availability = FixAvailability.ALWAYS

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        seen: set[int] = set()
        for route in ctx.routes:
            for branch in failure_branches(ctx, route):
                if branch.kind == PATH_OWNER:
                    for found in status_raises(ctx, branch.body):
                        if found.status != 403 and id(found.status_node) not in seen:
                            seen.add(id(found.status_node))
                            yield _path_violation(ctx, found)
                elif branch.kind == OBJECT_OWNER:
                    for found in status_raises(ctx, branch.body):
                        if found.status not in _OBJECT_ALLOWED and id(found.status_node) not in seen:
                            seen.add(id(found.status_node))
                            yield _object_violation(ctx, found, branch.subject)
        for found in _guard_dependency_raises(ctx):
            if found.status != 403 and id(found.status_node) not in seen:
                seen.add(id(found.status_node))
                yield _path_violation(ctx, found)

    VALID = (
        Case(
            id="canonical 403 with fastapi.status",
            source="""
            from fastapi import APIRouter, Depends, HTTPException, status
            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}")

            @router.get("/tasks")
            def tasks(user_id: str, current_user: str = Depends(get_current_user)):
                if current_user != user_id:
                    raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Forbidden")
                return []
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="shared credentials_exception object is not judged here",
            source="""
            from fastapi import APIRouter, Depends, HTTPException
            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}")
            credentials_exception = HTTPException(status_code=401, detail="Could not validate credentials")

            @router.get("/tasks")
            def tasks(user_id: str, current_user: str = Depends(get_current_user)):
                if current_user != user_id:
                    raise credentials_exception
                return []
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="object check with 404 or 403",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, HTTPException
            from models import Task
            router = APIRouter()

            @router.get("/tasks/{task_id}")
            def read(task_id: str, current_user: CurrentUser, db: SessionDep):
                task = db.get(Task, task_id)
                if not task or task.user_id != current_user:
                    raise HTTPException(404, "Task not found")
                return task

            @router.delete("/tasks/{task_id}")
            def delete(task_id: str, current_user: CurrentUser, db: SessionDep):
                task = db.get(Task, task_id)
                if task is None:
                    raise HTTPException(404, "Task not found")
                if task.user_id != current_user:
                    raise HTTPException(403, "Not enough permissions")
                db.delete(task)
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="comparisons with the body or another object are consistency checks",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, HTTPException
            from models import Task
            router = APIRouter()

            @router.post("/tasks/{task_id}/move")
            def move(task_id: str, target: dict, current_user: CurrentUser, db: SessionDep):
                task = db.get(Task, task_id)
                if not task or task.user_id != current_user:
                    raise HTTPException(404, "Task not found")
                if task.user_id != target["user_id"]:
                    raise HTTPException(400, "Cannot move a task to another user")
                parent = db.get(Task, target["parent_id"])
                if parent is not None and task.user_id != parent.user_id:
                    raise HTTPException(409, "The parent task belongs to another user")
                return {"id": str(task.id)}
            """,
            files=SEED_PROJECT,
        ),
    )

    INVALID = (
        Case(
            id="path check raises 401",
            source="""
            from fastapi import APIRouter, Depends, HTTPException
            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks")
            def tasks(user_id: str, current_user: str = Depends(get_current_user)):
                if current_user != user_id:
                    raise HTTPException(status_code=401, detail="Not authorized")
                return []
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException
            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks")
            def tasks(user_id: str, current_user: str = Depends(get_current_user)):
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized")
                return []
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="positional status in fastapi.status style stays positional",
            source="""
            from fastapi import APIRouter, Depends, HTTPException, status
            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks")
            def tasks(user_id: str, current_user: str = Depends(get_current_user)):
                if user_id != current_user:
                    raise HTTPException(status.HTTP_404_NOT_FOUND, "No such user")
                return []
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException, status
            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks")
            def tasks(user_id: str, current_user: str = Depends(get_current_user)):
                if user_id != current_user:
                    raise HTTPException(status.HTTP_403_FORBIDDEN, "No such user")
                return []
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="object check raises 400 (full-stack template style)",
            source="""
            import uuid
            from typing import Annotated

            from fastapi import APIRouter, Depends, HTTPException
            from sqlmodel import Session

            from auth import User, get_current_user
            from db import get_db
            from models import Item

            router = APIRouter(prefix="/items")
            CurrentUser = Annotated[User, Depends(get_current_user)]


            @router.get("/{id}")
            def read_item(id: uuid.UUID, current_user: CurrentUser, session: Session = Depends(get_db)):
                item = session.get(Item, id)
                if not item:
                    raise HTTPException(status_code=404, detail="Item not found")
                if not current_user.is_superuser and (item.owner_id != current_user.id):
                    raise HTTPException(status_code=400, detail="Not enough permissions")
                return item
            """,
            fixed="""
            import uuid
            from typing import Annotated

            from fastapi import APIRouter, Depends, HTTPException
            from sqlmodel import Session

            from auth import User, get_current_user
            from db import get_db
            from models import Item

            router = APIRouter(prefix="/items")
            CurrentUser = Annotated[User, Depends(get_current_user)]


            @router.get("/{id}")
            def read_item(id: uuid.UUID, current_user: CurrentUser, session: Session = Depends(get_db)):
                item = session.get(Item, id)
                if not item:
                    raise HTTPException(status_code=404, detail="Item not found")
                if not current_user.is_superuser and (item.owner_id != current_user.id):
                    raise HTTPException(status_code=404, detail="Not enough permissions")
                return item
            """,
            files={
                **SEED_PROJECT,
                "auth.py": """
                from pydantic import BaseModel

                class User(BaseModel):
                    id: int
                    is_superuser: bool = False

                def get_current_user() -> User:
                    return User(id=1)
                """,
                "models.py": """
                import uuid
                from sqlmodel import Field, SQLModel

                class Item(SQLModel, table=True):
                    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
                    title: str
                    owner_id: int
                """,
            },
        ),
        Case(
            id="combined not-found and owner check raises 500 via HTTPStatus",
            source="""
            from http import HTTPStatus

            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, HTTPException
            from models import Task

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks/{task_id}")
            def read(user_id: str, task_id: str, current_user: CurrentUser, db: SessionDep):
                if current_user != user_id:
                    raise HTTPException(HTTPStatus.FORBIDDEN)
                task = db.get(Task, task_id)
                if task is None or task.user_id != user_id:
                    raise HTTPException(status_code=HTTPStatus.INTERNAL_SERVER_ERROR)
                return task
            """,
            fixed="""
            from http import HTTPStatus

            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, HTTPException
            from models import Task

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks/{task_id}")
            def read(user_id: str, task_id: str, current_user: CurrentUser, db: SessionDep):
                if current_user != user_id:
                    raise HTTPException(HTTPStatus.FORBIDDEN)
                task = db.get(Task, task_id)
                if task is None or task.user_id != user_id:
                    raise HTTPException(status_code=HTTPStatus.NOT_FOUND)
                return task
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="guard dependency raises 401",
            source="""
            from fastapi import APIRouter, Depends, HTTPException
            from dependencies import get_current_user


            def verify_user(user_id: str, current_user: str = Depends(get_current_user)) -> str:
                if current_user != user_id:
                    raise HTTPException(status_code=401, detail="Wrong user")
                return current_user


            router = APIRouter(prefix="/api/{user_id}", dependencies=[Depends(verify_user)])


            @router.get("/tasks")
            def tasks(user_id: str):
                return []
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException
            from dependencies import get_current_user


            def verify_user(user_id: str, current_user: str = Depends(get_current_user)) -> str:
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Wrong user")
                return current_user


            router = APIRouter(prefix="/api/{user_id}", dependencies=[Depends(verify_user)])


            @router.get("/tasks")
            def tasks(user_id: str):
                return []
            """,
            files=SEED_PROJECT,
        ),
    )


def _path_violation(ctx: ModuleContext, found: StatusRaise) -> Violation:
    user = ctx.settings.user_id_param
    replacement = status_replacement(ctx, found.status_node, 403)
    return Violation(
        node=found.status_node,
        message=(
            f"Owner check of `{user}` raises {found.status}; "
            "a mismatch with the authenticated user is 403"
        ),
        fix=FixPlan(
            f"Raise 403 (`{replacement}`)",
            (ReplaceExpression(span_of(ctx.locator, found.status_node), replacement),),
        ),
    )


def _object_violation(ctx: ModuleContext, found: StatusRaise, subject: str | None) -> Violation:
    replacement = status_replacement(ctx, found.status_node, 404)
    label = subject or "object"
    return Violation(
        node=found.status_node,
        message=f"Owner check of `{label}` raises {found.status}; another user's object is 404 (or 403)",
        fix=FixPlan(
            f"Raise 404 (`{replacement}`)",
            (ReplaceExpression(span_of(ctx.locator, found.status_node), replacement),),
        ),
    )


def _guard_dependency_raises(ctx: ModuleContext) -> Iterator[StatusRaise]:
    """Path owner checks of functions of this module that take the path user id and an auth
    dependency (guard dependencies such as ``verify_user``), in ``ast.walk`` order."""
    deps = ctx.analysis.dependencies
    user = ctx.settings.user_id_param
    if user not in ctx.module.text:  # a parameter's name is written in the file
        return
    route_nodes = {id(route.node) for route in ctx.routes}
    candidates = [
        node
        for node in ctx.module.structure.functions
        if id(node) not in route_nodes and any(arg.arg == user for arg, _ in function_parameters(node))
    ]
    for node in in_walk_order_of(ctx, candidates):
        identities = frozenset(
            d.param.arg
            for d in deps.of_function(FunctionSymbol(ctx.module, node))
            if d.param is not None and deps.is_auth(d.target)
        )
        if not identities:
            continue
        for check in find_owner_checks(node.body, rooted_at(identities), name_is(user)):
            yield from status_raises(ctx, check.branch)
