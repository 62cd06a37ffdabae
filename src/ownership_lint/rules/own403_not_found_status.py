"""OWN403 not-found-status."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.context import ModuleContext
from ..analysis.responses import (
    NOT_FOUND,
    failure_branches,
    status_raises,
    status_replacement,
)
from ..fixes.actions import ReplaceExpression, span_of
from ..rule import STATUS_MARKERS, Case, FixAvailability, FixPlan, Rule, Violation
from ._common import SEED_PROJECT


class NotFoundStatus(Rule):
    """## What it does
    Checks for the not-found branch after a route fetches the object its URL names
    (`task = db.get(Task, task_id)` then `if task is None:` / `if not task:`) raising something
    other than 404.

    A fetch is `session.get(Model, id)`, a single-row query over a table model (`.first()`,
    `.one_or_none()`, `.scalar_one_or_none()`, ...) or a call of a project function that returns
    a table model (`crud.get_task(db, task_id)`), whose arguments use a path parameter of the
    route. Lookups by anything else are not the resource of the URL and are left alone: a login
    route's `if not user: raise HTTPException(400, "Incorrect email or password")` must not
    become a 404 (user enumeration), nor a body's dangling foreign key (a 422/400 case).

    ## Why is this bad?
    RFC 9110 reserves 404 for "no current representation for the target resource". A 400/422
    tells the client its request was malformed, a 401 that its token is bad (clients log the
    user out), a 403 that the object exists but is off limits — which, for an id another user
    owns, confirms the id is valid (OWASP API1:2023 recommends answering both cases alike), and
    a 500 pages the on-call engineer for a normal client mistake.

    Only a test that is nothing but the missing check is judged: with another condition beside
    it (`if task is None or task.deleted_at:` raising 410 Gone) the status may be answering
    that other condition.

    A not-found check combined with the owner comparison (`if task is None or task.user_id !=
    user_id`) is an owner check: its status is OWN401's concern (404 or 403). A not-found
    branch that returns a value instead of raising is OWN404's.

    ## Example
    ```python
    task = db.get(Task, task_id)
    if task is None:
        raise HTTPException(status_code=400, detail="Task not found")
    ```

    ## Use instead
    ```python
    task = db.get(Task, task_id)
    if task is None:
        raise HTTPException(status_code=404, detail="Task not found")
    ```

    ## Fix safety
    The fix is safe: it replaces the status expression with 404 in the raise's own style
    (`status.HTTP_404_NOT_FOUND`, `HTTPStatus.NOT_FOUND` or `404`, following the file), keeping
    a positional status positional; detail and headers are kept.

    ## Options
    - `owner-fields`

    ## References
    - [RFC 9110, section 15.5.5: 404 Not Found](https://www.rfc-editor.org/rfc/rfc9110#name-404-not-found)
    - [OWASP API Security Top 10 2023, API1: Broken Object Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa1-broken-object-level-authorization/)
    - [FastAPI: Handling Errors (HTTPException)](https://fastapi.tiangolo.com/tutorial/handling-errors/)
    """

    code = "OWN403"
    name = "not-found-status"
    cwe = (204,)
    security_severity = "4.3"
    markers = STATUS_MARKERS
    requires = (b"raise",)  # every finding is the status of a ``raise``
    summary = "Not-found branch raises a status other than 404"
    message_formats = ("`{object}` not found raises {status}; a missing object is 404",)
    fix_availability = FixAvailability.ALWAYS

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        seen: set[int] = set()
        for route in ctx.routes:
            for branch in failure_branches(ctx, route):
                if branch.kind != NOT_FOUND or not branch.pure:
                    continue
                for found in status_raises(ctx, branch.body):
                    if found.status == 404 or id(found.status_node) in seen:
                        continue
                    seen.add(id(found.status_node))
                    replacement = status_replacement(ctx, found.status_node, 404)
                    yield Violation(
                        node=found.status_node,
                        message=(
                            f"`{branch.subject}` not found raises {found.status}; "
                            "a missing object is 404"
                        ),
                        fix=FixPlan(
                            f"Raise 404 (`{replacement}`)",
                            (ReplaceExpression(span_of(ctx.locator, found.status_node), replacement),),
                        ),
                    )

    VALID = (
        Case(
            id="canonical 404 in both styles",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, HTTPException, status
            from models import Task
            router = APIRouter()

            @router.get("/tasks/{task_id}")
            def read(task_id: str, current_user: CurrentUser, db: SessionDep):
                task = db.get(Task, task_id)
                if task is None:
                    raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Task not found")
                if task.user_id != current_user:
                    raise HTTPException(404)
                return task
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="login lookup by email is not the URL's resource",
            source="""
            from fastapi import APIRouter, HTTPException
            from sqlmodel import select
            from deps import SessionDep
            from models import User
            router = APIRouter()

            @router.post("/login/{provider}")
            def login(provider: str, email: str, db: SessionDep):
                user = db.exec(select(User).where(User.email == email)).first()
                if not user:
                    raise HTTPException(status_code=400, detail="Incorrect email or password")
                return {"ok": True}
            """,
            files={
                **SEED_PROJECT,
                "models.py": SEED_PROJECT["models.py"]
                + "\n\nclass User(SQLModel, table=True):\n    id: int = Field(primary_key=True)\n    email: str\n",
            },
        ),
        Case(
            id="missing or soft-deleted answered 410",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, HTTPException
            from sqlmodel import select
            from models import Task
            router = APIRouter()

            @router.get("/tasks/{task_id}")
            def read(task_id: str, current_user: CurrentUser, db: SessionDep):
                task = db.exec(select(Task).where(Task.id == task_id, Task.user_id == current_user)).first()
                if task is None or task.title == "":
                    raise HTTPException(410, "Task was deleted")
                return {"title": task.title}
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="combined owner check is OWN401's",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, HTTPException
            from models import Task
            router = APIRouter()

            @router.get("/tasks/{task_id}")
            def read(task_id: str, current_user: CurrentUser, db: SessionDep):
                task = db.get(Task, task_id)
                if task is None or task.user_id != current_user:
                    raise HTTPException(403, "Not enough permissions")
                return task
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="returned error value is OWN404's",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter
            from models import Task
            router = APIRouter()

            @router.get("/tasks/{task_id}")
            def read(task_id: str, current_user: CurrentUser, db: SessionDep):
                task = db.get(Task, task_id)
                if task is None or task.user_id != current_user:
                    return {"detail": "Task not found"}
                return task
            """,
            files=SEED_PROJECT,
        ),
    )

    INVALID = (
        Case(
            id="400 after session.get",
            source="""
            from fastapi import APIRouter, Depends, HTTPException

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks/{task_id}")
            def read_task(user_id: str, task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
                task = db.get(Task, task_id)
                if task is None:
                    raise HTTPException(status_code=400, detail="Task not found")
                if task.user_id != user_id:
                    raise HTTPException(status_code=404, detail="Task not found")
                return task
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks/{task_id}")
            def read_task(user_id: str, task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
                task = db.get(Task, task_id)
                if task is None:
                    raise HTTPException(status_code=404, detail="Task not found")
                if task.user_id != user_id:
                    raise HTTPException(status_code=404, detail="Task not found")
                return task
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="async select then scalar_one_or_none with fastapi.status",
            source="""
            from fastapi import APIRouter, Depends, HTTPException, status
            from sqlmodel import select

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/tasks")


            @router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
            async def delete_task(task_id: str, current_user: str = Depends(get_current_user), session=Depends(get_db)):
                result = await session.execute(select(Task).where(Task.id == task_id, Task.user_id == current_user))
                task = result.scalar_one_or_none()
                if not task:
                    raise HTTPException(status.HTTP_403_FORBIDDEN, "Task not found")
                await session.delete(task)
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException, status
            from sqlmodel import select

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/tasks")


            @router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
            async def delete_task(task_id: str, current_user: str = Depends(get_current_user), session=Depends(get_db)):
                result = await session.execute(select(Task).where(Task.id == task_id, Task.user_id == current_user))
                task = result.scalar_one_or_none()
                if not task:
                    raise HTTPException(status.HTTP_404_NOT_FOUND, "Task not found")
                await session.delete(task)
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="crud helper returning Optional[Task]",
            path="routes.py",
            source="""
            from fastapi import APIRouter, Depends, HTTPException

            import crud
            from db import get_db
            from dependencies import get_current_user

            router = APIRouter()


            @router.get("/tasks/{task_id}")
            def read_task(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                task = crud.get_task(db, task_id, owner=current_user)
                if not task:
                    raise HTTPException(500, "Task not found")
                return task
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException

            import crud
            from db import get_db
            from dependencies import get_current_user

            router = APIRouter()


            @router.get("/tasks/{task_id}")
            def read_task(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                task = crud.get_task(db, task_id, owner=current_user)
                if not task:
                    raise HTTPException(404, "Task not found")
                return task
            """,
            files={
                **SEED_PROJECT,
                "crud.py": """
                from typing import Optional

                from sqlmodel import Session, select

                from models import Task


                def get_task(db: Session, task_id: str, owner: str) -> Optional[Task]:
                    return db.exec(select(Task).where(Task.id == task_id, Task.user_id == owner)).first()
                """,
            },
        ),
    )
