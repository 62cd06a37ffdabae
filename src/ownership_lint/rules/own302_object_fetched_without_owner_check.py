"""OWN302 object-fetched-without-owner-check."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from ..analysis.context import ModuleContext, RouteModel
from ..analysis.ownership import Lookup
from ..analysis.walk import walk
from ..rule import QUERY_MARKERS, ROUTE_MARKERS, Case, FixAvailability, Rule, Violation
from ._common import SEED_PROJECT
from ._data import from_request, lookup_fix


class ObjectFetchedWithoutOwnerCheck(Rule):
    """## What it does
    Checks for routes that load one object of a user-owned model by its id —
    `session.get(Task, task_id)`, `db.get(...)`, `await session.get(...)`,
    `session.query(Task).get(task_id)`,
    `db.exec(select(Task).where(Task.id == task_id)).first()` (`.one()`, `.one_or_none()`,
    `scalars(...).first()`, `scalar_one()`, ...), also when the statement or the result is
    bound to a variable first (`result = await session.execute(stmt)`,
    `task = result.scalar_one_or_none()`) or when a project function does the lookup and
    returns the object unchecked (`task = crud.get_task(db, task_id)`) — and then use it
    without checking that its owner column equals the caller.

    ## Why is this bad?
    Ids are guessable or leak (URLs, logs, sequential integers). Without the owner check any
    authenticated user reads, changes or deletes another user's object by changing the id in
    the URL: the textbook broken object level authorization (OWASP API1:2023).

    The check counts when the lookup query itself carries the owner filter, when an `if`
    after the lookup compares `task.<owner>` with an owner value and raises (a superuser bypass
    in the same condition is fine), when `if task and task.<owner> == <owner value>: return
    task` is followed by a `raise`, or when the object is passed to a project helper that does
    that comparison. The owner value must not be request data: comparing with
    `task_in.user_id` lets the client pick the owner it claims, so the lookup is still
    reported. A lookup in a branch only a superuser reaches (`if current_user.is_superuser:`)
    is an admin bypass and is not reported.

    ## Example
    ```python
    task = db.get(Task, task_id)
    if task is None:
        raise HTTPException(status_code=404, detail="Task not found")
    return task
    ```

    ## Use instead
    ```python
    task = db.get(Task, task_id)
    if task is None or task.user_id != user_id:
        raise HTTPException(status_code=404, detail="Task not found")
    return task
    ```

    ## Fix safety
    The fix is safe: it extends an existing not-found check right after the lookup with
    `or task.<owner> != <owner value>`, or inserts
    `if task is None or task.<owner> != <owner value>: raise HTTPException(status_code=404, ...)`
    after it (a `return session.get(...)` is split into a variable, the check and the return).
    404, not 403: another user's object must be indistinguishable from a missing one (RFC 9110
    allows 404 to hide a resource's existence). The owner value is the path `user_id` once an
    owner check dominates the lookup, else the identity; no fix without one.

    ## Options
    - `owner-fields`
    - `admin-dependencies`
    - `admin-routes`

    ## References
    - [OWASP API Security Top 10 2023, API1: Broken Object Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa1-broken-object-level-authorization/)
    - [RFC 9110, section 15.5.5: 404 Not Found](https://www.rfc-editor.org/rfc/rfc9110#name-404-not-found)
    """

    code = "OWN302"
    name = "object-fetched-without-owner-check"
    cwe = (639,)
    security_severity = "8.1"
    summary = "Owned object loaded by id is used without an owner check"
    message_formats = ("`{model}` loaded by id is used without checking `{model}.{owner}`",)
    fix_availability = FixAvailability.SOMETIMES
    markers = (*ROUTE_MARKERS, *QUERY_MARKERS)

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for route in ctx.routes:
            if route.is_admin:
                continue
            for lookup in route.data.lookups():
                if _isolated(route, lookup):
                    continue
                model = ast.unparse(lookup.model_expr)
                fix = lookup_fix(ctx, route, lookup)
                yield Violation(
                    node=lookup.call,
                    message=(
                        f"`{model}` loaded by id is used without checking "
                        f"`{model}.{lookup.model.owner_field}`"
                    ),
                    fix=fix,
                    fix_title=fix.title if fix else None,
                )

    VALID = (
        Case(
            id="not-found check that also compares the owner",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, Depends, HTTPException
            from models import Task
            router = APIRouter(prefix="/api/{user_id}")

            @router.get("/tasks/{task_id}")
            def read(user_id: str, task_id: str, current_user: CurrentUser, db: SessionDep):
                if current_user != user_id:
                    raise HTTPException(403)
                task = db.get(Task, task_id)
                if not task or task.user_id != user_id:
                    raise HTTPException(status_code=404, detail="Task not found")
                return task
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="lookup query filtered by owner",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter
            from sqlmodel import select
            from models import Task
            router = APIRouter()

            @router.get("/tasks/{task_id}")
            async def read(task_id: str, current_user: CurrentUser, session: SessionDep):
                result = await session.exec(
                    select(Task).where(Task.id == task_id, Task.user_id == current_user)
                )
                return result.first()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="superuser bypass in the object check",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, HTTPException
            from models import Task
            router = APIRouter()

            @router.delete("/tasks/{task_id}")
            def delete(task_id: str, current_user: CurrentUser, session: SessionDep):
                task = session.get(Task, task_id)
                if not task:
                    raise HTTPException(status_code=404, detail="Task not found")
                if not current_user.is_superuser and (task.user_id != current_user.id):
                    raise HTTPException(status_code=403, detail="Not enough permissions")
                session.delete(task)
                session.commit()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="helper that checks the object's owner",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, HTTPException
            from models import Task
            router = APIRouter()

            def ensure_owned(task, user) -> None:
                if task is None or task.user_id != user:
                    raise HTTPException(status_code=404)

            @router.get("/tasks/{task_id}")
            def read(task_id: str, current_user: CurrentUser, session: SessionDep):
                task = session.get(Task, task_id)
                ensure_owned(task, current_user)
                return task
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="unrelated dict.get and a model without owner",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter
            from sqlmodel import Field, SQLModel
            router = APIRouter()

            class Tag(SQLModel, table=True):
                id: int = Field(primary_key=True)

            @router.get("/tags/{tag_id}")
            def read(tag_id: int, current_user: CurrentUser, session: SessionDep, params: dict):
                limit = params.get("limit")
                return session.get(Tag, tag_id)
            """,
        ),
        Case(
            id="object returned only when it is the caller's, else raise",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, HTTPException
            from models import Task
            router = APIRouter()

            @router.get("/tasks/{task_id}")
            def read(task_id: str, current_user: CurrentUser, session: SessionDep):
                task = session.get(Task, task_id)
                if task is not None and task.user_id == current_user:
                    return task
                raise HTTPException(status_code=404, detail="Task not found")
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="superuser branch",
            source="""
            from deps import SessionDep
            from fastapi import APIRouter, HTTPException
            from models import Task
            from users import CurrentUser
            router = APIRouter()

            @router.get("/tasks/{task_id}")
            def read(task_id: str, current_user: CurrentUser, session: SessionDep):
                if current_user.is_superuser:
                    return session.get(Task, task_id)
                task = session.get(Task, task_id)
                if task is None or task.user_id != current_user.id:
                    raise HTTPException(status_code=404, detail="Task not found")
                return task
            """,
            files={
                **SEED_PROJECT,
                "users.py": """
                from typing import Annotated
                from fastapi import Depends
                from dependencies import get_current_user

                class User:
                    id: str
                    is_superuser: bool

                CurrentUser = Annotated[User, Depends(get_current_user)]
                """,
            },
        ),
    )

    INVALID = (
        Case(
            id="existing not-found check is extended",
            source="""
            from fastapi import APIRouter, Depends, HTTPException
            from sqlmodel import Session

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks/{task_id}")
            def read_task(user_id: str, task_id: str, current_user: str = Depends(get_current_user), db: Session = Depends(get_db)):
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
                task = db.get(Task, task_id)
                if not task:
                    raise HTTPException(status_code=404, detail="Task not found")
                return task
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException
            from sqlmodel import Session

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks/{task_id}")
            def read_task(user_id: str, task_id: str, current_user: str = Depends(get_current_user), db: Session = Depends(get_db)):
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
                task = db.get(Task, task_id)
                if not task or task.user_id != user_id:
                    raise HTTPException(status_code=404, detail="Task not found")
                return task
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="token-scoped async lookup gets a 404 check after it",
            source="""
            from fastapi import APIRouter, Depends, status
            from sqlmodel import select

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/tasks")


            @router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
            async def delete_task(task_id: str, current_user: str = Depends(get_current_user), session=Depends(get_db)):
                task = (await session.exec(select(Task).where(Task.id == task_id))).one_or_none()
                await session.delete(task)
                await session.commit()
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
                task = (await session.exec(select(Task).where(Task.id == task_id))).one_or_none()
                if task is None or task.user_id != current_user:
                    raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Task not found")
                await session.delete(task)
                await session.commit()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="returned directly",
            source="""
            from fastapi import APIRouter, Depends

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.get("/tasks/{task_id}")
            def read_task(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                return db.query(Task).get(task_id)
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.get("/tasks/{task_id}")
            def read_task(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                task = db.query(Task).get(task_id)
                if task is None or task.user_id != current_user:
                    raise HTTPException(status_code=404, detail="Task not found")
                return task
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="statement and result bound to variables, async session",
            source="""
            from fastapi import APIRouter, Depends, HTTPException
            from sqlalchemy import select

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.get("/tasks/{task_id}")
            async def read_task(task_id: str, current_user: str = Depends(get_current_user), session=Depends(get_db)):
                statement = select(Task).where(Task.id == task_id)
                result = await session.execute(statement)
                task = result.scalar_one_or_none()
                if task is None:
                    raise HTTPException(status_code=404, detail="Task not found")
                return task
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException
            from sqlalchemy import select

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.get("/tasks/{task_id}")
            async def read_task(task_id: str, current_user: str = Depends(get_current_user), session=Depends(get_db)):
                statement = select(Task).where(Task.id == task_id)
                result = await session.execute(statement)
                task = result.scalar_one_or_none()
                if task is None or task.user_id != current_user:
                    raise HTTPException(status_code=404, detail="Task not found")
                return task
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="session.query(...).filter(id).first()",
            source="""
            from fastapi import APIRouter, Depends

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.delete("/tasks/{task_id}", status_code=204)
            def delete_task(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                task = db.query(Task).filter(Task.id == task_id).first()
                db.delete(task)
                db.commit()
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.delete("/tasks/{task_id}", status_code=204)
            def delete_task(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                task = db.query(Task).filter(Task.id == task_id).first()
                if task is None or task.user_id != current_user:
                    raise HTTPException(status_code=404, detail="Task not found")
                db.delete(task)
                db.commit()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="owner compared with a value from the request body",
            source="""
            from fastapi import APIRouter, Depends, HTTPException

            from db import get_db
            from dependencies import get_current_user
            from models import Task, TaskIn

            router = APIRouter()


            @router.put("/tasks/{task_id}")
            def update_task(task_id: str, task_in: TaskIn, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                task = db.get(Task, task_id)
                if task is None or task.user_id != task_in.user_id:
                    raise HTTPException(status_code=404, detail="Task not found")
                task.title = task_in.title
                db.commit()
                return task
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException

            from db import get_db
            from dependencies import get_current_user
            from models import Task, TaskIn

            router = APIRouter()


            @router.put("/tasks/{task_id}")
            def update_task(task_id: str, task_in: TaskIn, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                task = db.get(Task, task_id)
                if task is None or task.user_id != task_in.user_id or task.user_id != current_user:
                    raise HTTPException(status_code=404, detail="Task not found")
                task.title = task_in.title
                db.commit()
                return task
            """,
            files={
                **SEED_PROJECT,
                "models.py": SEED_PROJECT["models.py"] + "\n\nclass TaskIn(SQLModel):\n    title: str\n    user_id: str\n",
            },
        ),
        Case(
            id="an attribute of the object or a list of objects: reported, no fix to guess",
            source="""
            from fastapi import APIRouter, Depends

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.get("/tasks/{task_id}/title")
            def task_title(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                title = db.get(Task, task_id).title
                return {"title": title}


            @router.get("/tasks/batch")
            def tasks(ids: list[str], current_user: str = Depends(get_current_user), db=Depends(get_db)):
                found = [db.get(Task, task_id) for task_id in ids]
                return found
            """,
            fixed=None,
            files=SEED_PROJECT,
        ),
        Case(
            id="crud helper that loads by id and returns the object",
            source="""
            from fastapi import APIRouter, Depends

            import crud
            from db import get_db
            from dependencies import get_current_user

            router = APIRouter()


            @router.get("/tasks/{task_id}")
            def read_task(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                return crud.get_task(db, task_id)
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException

            import crud
            from db import get_db
            from dependencies import get_current_user

            router = APIRouter()


            @router.get("/tasks/{task_id}")
            def read_task(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                task = crud.get_task(db, task_id)
                if task is None or task.user_id != current_user:
                    raise HTTPException(status_code=404, detail="Task not found")
                return task
            """,
            files={
                **SEED_PROJECT,
                "crud.py": """
                from models import Task


                def get_task(db, task_id):
                    task = db.get(Task, task_id)
                    return task
                """,
            },
        ),
    )


def _isolated(route: RouteModel, lookup: Lookup) -> bool:
    """Filtered by owner, reached only by a superuser, checked afterwards, or never used."""
    data = route.data
    identity = route.identity.param if route.identity else None
    if lookup.filtered or (identity is not None and lookup.superuser_guard == identity):
        return True
    if data.object_checked(lookup, _owner_value(route, data.top_level_position(lookup.statement))):
        return True
    return lookup.variable is not None and not _used_after(route.node, lookup)


def _owner_value(route: RouteModel, position: int) -> Callable[[ast.expr], bool]:
    """An operand an object check may compare the owner column with: not request data."""
    return lambda expr: not isinstance(expr, ast.Constant) and not from_request(route, expr, position)


def _used_after(function: ast.AST, lookup: Lookup) -> bool:
    end = lookup.statement.end_lineno or lookup.statement.lineno
    return any(
        isinstance(node, ast.Name) and node.id == lookup.variable and node.lineno > end
        for node in walk(function)
    )
