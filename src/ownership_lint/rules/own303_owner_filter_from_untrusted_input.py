"""OWN303 owner-filter-from-untrusted-input."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..analysis.context import ModuleContext, RouteModel
from ..analysis.ownership import Creation, request_model_declares
from ..fixes.actions import InsertStatementsAfter, ReplaceExpression, span_of
from ..rule import (
    QUERY_MARKERS,
    ROUTE_MARKERS,
    Case,
    FixAvailability,
    FixPlan,
    Rule,
    Violation,
)
from ._common import SEED_PROJECT
from ._data import from_request


class OwnerFilterFromUntrustedInput(Rule):
    """## What it does
    Checks for owner filters and owner assignments whose value comes from the request — the
    body, the query string or another object (`Task.user_id == payload.user_id`,
    `.filter_by(owner_id=item_in.owner_id)`, `Task(user_id=task_in.user_id)`,
    `Task(**task_in.model_dump())` where `TaskCreate` declares the owner column) — instead of
    a trusted owner value.

    ## Why is this bad?
    The filter is there, so the code looks isolated, but the client chooses whose rows it
    reads or whom a new row belongs to: broken object level authorization (API1:2023) and mass
    assignment of the owner (API3:2023, broken object property level authorization).

    Trusted owner values are the identity (`current_user`, `current_user.id`) and the path
    `user_id` once an owner check dominates its use. (The path `user_id` without an owner check
    is OWN101/OWN201's finding, not this rule's.) A `user_id` parameter on a route whose path
    has no `{user_id}` is a query parameter: request data, reported here, since no owner check
    rule applies to such a route.

    ## Example
    ```python
    tasks = db.exec(select(Task).where(Task.user_id == query.user_id)).all()
    ```

    ## Use instead
    ```python
    tasks = db.exec(select(Task).where(Task.user_id == current_user)).all()
    ```

    ## Fix safety
    The fix is safe: it replaces the value with the trusted owner value in scope, or, for an
    object built from a request model that carries the owner column, assigns the owner right
    after construction (`db_task.user_id = user_id`, the seed's pattern). No fix where no
    trusted value is in scope.

    ## Options
    - `owner-fields`
    - `user-id-param`
    - `admin-dependencies`
    - `admin-routes`

    ## References
    - [OWASP API Security Top 10 2023, API1: Broken Object Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa1-broken-object-level-authorization/)
    - [OWASP API Security Top 10 2023, API3: Broken Object Property Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa3-broken-object-property-level-authorization/)
    """

    code = "OWN303"
    name = "owner-filter-from-untrusted-input"
    cwe = (639, 915)
    security_severity = "8.1"
    summary = "Owner filter or owner assignment takes its value from the request"
    message_formats = (
        "Owner `{column}` is taken from request data `{value}`",
        "`{model}` is built from `{value}`, whose model lets the client set `{owner}`",
    )
    fix_availability = FixAvailability.SOMETIMES
    markers = (*ROUTE_MARKERS, *QUERY_MARKERS)

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for route in ctx.routes:
            if route.is_admin:
                continue
            data = route.data
            for chain in data.chains():
                for owner_filter in chain.filters:
                    yield from self._value(ctx, route, owner_filter.value, chain.statement)
            for creation in data.creations():
                for value in creation.owner_values:
                    yield from self._value(ctx, route, value, creation.statement)
                yield from self._unpacked(ctx, route, creation)

    def _value(
        self, ctx: ModuleContext, route: RouteModel, value: ast.expr, statement: ast.stmt
    ) -> Iterator[Violation]:
        position = route.data.top_level_position(statement)
        if not from_request(route, value, position):
            return
        trusted = route.trusted_value(position)
        fix = None
        if trusted is not None:
            action = ReplaceExpression(span_of(ctx.locator, value), trusted)
            fix = FixPlan(f"Use `{trusted}`", (action,))
        yield Violation(
            node=value,
            message=f"Owner value is taken from request data `{ast.unparse(value)}`",
            fix=fix,
        )

    def _unpacked(
        self, ctx: ModuleContext, route: RouteModel, creation: Creation
    ) -> Iterator[Violation]:
        position = route.data.top_level_position(creation.statement)
        owner = creation.model.owner_field
        if any(not from_request(route, v, position) for v in creation.owner_values):
            return
        for source in creation.unpacked:
            parameter = _request_parameter(route, source)
            if parameter is None:
                continue
            annotation = route.parameters[parameter][0].annotation
            if not request_model_declares(ctx.analysis.queries, ctx.module, annotation, owner):
                continue
            model = ast.unparse(creation.model_expr)
            yield Violation(
                node=creation.call,
                message=(
                    f"`{model}` is built from `{parameter}`, whose model lets the client set `{owner}`"
                ),
                fix=owner_assignment_fix(ctx, route, creation),
            )
            return


def _request_parameter(route: RouteModel, source: ast.expr) -> str | None:
    """``task_in`` for ``task_in``, ``task_in.model_dump()``, ``task_in.dict(...)``."""
    node = source
    while isinstance(node, (ast.Call, ast.Attribute)):
        node = node.func if isinstance(node, ast.Call) else node.value
    if isinstance(node, ast.Name) and node.id in route.parameters and node.id not in route.injected_parameters:
        return node.id
    return None


def owner_assignment_fix(ctx: ModuleContext, route: RouteModel, creation: Creation) -> FixPlan | None:
    """``db_task.user_id = <owner value>`` right after the object is built."""
    if creation.variable is None:
        return None
    position = route.data.top_level_position(creation.statement)
    trusted = route.trusted_value(position)
    if trusted is None:
        return None
    assignment = f"{creation.variable}.{creation.model.owner_field} = {trusted}"
    action = InsertStatementsAfter(span_of(ctx.locator, creation.statement), assignment + "\n")
    return FixPlan(f"Insert `{assignment}`", (action,))


OwnerFilterFromUntrustedInput.VALID = (
    Case(
        id="identity and checked path user id",
        source="""
        from deps import CurrentUser, SessionDep
        from fastapi import APIRouter, HTTPException
        from sqlmodel import select
        from models import Task, TaskCreate
        router = APIRouter(prefix="/api/{user_id}")

        @router.post("/tasks")
        def create(user_id: str, task: TaskCreate, current_user: CurrentUser, db: SessionDep):
            if current_user != user_id:
                raise HTTPException(403)
            db_task = Task.model_validate(task, update={"user_id": user_id})
            db.add(db_task)
            return db.exec(select(Task).where(Task.user_id == current_user)).all()
        """,
        files={
            **SEED_PROJECT,
            "models.py": SEED_PROJECT["models.py"] + "\n\nclass TaskCreate(SQLModel):\n    title: str\n",
        },
    ),
    Case(
        id="request model carries the owner but the route overrides it",
        source="""
        from deps import CurrentUser, SessionDep
        from fastapi import APIRouter
        from models import Task, TaskIn
        router = APIRouter()

        @router.post("/tasks")
        def create(task_in: TaskIn, current_user: CurrentUser, db: SessionDep):
            db_task = Task(**task_in.model_dump())
            db_task.user_id = current_user
            db.add(db_task)
            return db_task
        """,
        files={
            **SEED_PROJECT,
            "models.py": SEED_PROJECT["models.py"] + "\n\nclass TaskIn(SQLModel):\n    title: str\n    user_id: str\n",
        },
    ),
    Case(
        id="admin route may act for another user",
        source="""
        from deps import CurrentUser, SessionDep
        from fastapi import APIRouter, Depends
        from sqlmodel import select
        from models import Task
        router = APIRouter()

        @router.get("/admin/tasks", dependencies=[Depends(get_current_active_superuser)])
        def tasks(owner: str, db: SessionDep):
            return db.exec(select(Task).where(Task.user_id == owner)).all()
        """,
        files=SEED_PROJECT,
    ),
)

OwnerFilterFromUntrustedInput.INVALID = (
    Case(
        id="a user_id query parameter on a route without {user_id} in its path",
        source="""
        from fastapi import APIRouter, Depends
        from sqlmodel import select

        from db import get_db
        from dependencies import get_current_user
        from models import Task

        router = APIRouter()


        @router.get("/tasks")
        def list_tasks(user_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
            return db.exec(select(Task).where(Task.user_id == user_id)).all()
        """,
        fixed="""
        from fastapi import APIRouter, Depends
        from sqlmodel import select

        from db import get_db
        from dependencies import get_current_user
        from models import Task

        router = APIRouter()


        @router.get("/tasks")
        def list_tasks(user_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
            return db.exec(select(Task).where(Task.user_id == current_user)).all()
        """,
        files=SEED_PROJECT,
    ),
    Case(
        id="filter value from the query string",
        source="""
        from fastapi import APIRouter, Depends
        from sqlmodel import select

        from db import get_db
        from dependencies import get_current_user
        from models import Task

        router = APIRouter()


        @router.get("/tasks")
        def list_tasks(owner: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
            return db.exec(select(Task).where(Task.user_id == owner)).all()
        """,
        fixed="""
        from fastapi import APIRouter, Depends
        from sqlmodel import select

        from db import get_db
        from dependencies import get_current_user
        from models import Task

        router = APIRouter()


        @router.get("/tasks")
        def list_tasks(owner: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
            return db.exec(select(Task).where(Task.user_id == current_user)).all()
        """,
        files=SEED_PROJECT,
    ),
    Case(
        id="object built from a request model that declares the owner",
        source="""
        from fastapi import APIRouter, Depends

        from db import get_db
        from dependencies import get_current_user
        from models import Task, TaskIn

        router = APIRouter()


        @router.post("/tasks")
        def create_task(task_in: TaskIn, current_user: str = Depends(get_current_user), db=Depends(get_db)):
            db_task = Task(**task_in.model_dump())
            db.add(db_task)
            db.commit()
            return db_task
        """,
        fixed="""
        from fastapi import APIRouter, Depends

        from db import get_db
        from dependencies import get_current_user
        from models import Task, TaskIn

        router = APIRouter()


        @router.post("/tasks")
        def create_task(task_in: TaskIn, current_user: str = Depends(get_current_user), db=Depends(get_db)):
            db_task = Task(**task_in.model_dump())
            db_task.user_id = current_user
            db.add(db_task)
            db.commit()
            return db_task
        """,
        files={
            **SEED_PROJECT,
            "models.py": SEED_PROJECT["models.py"] + "\n\nclass TaskIn(SQLModel):\n    title: str\n    user_id: str\n",
        },
    ),
    Case(
        id="owner keyword from the body",
        source="""
        from fastapi import APIRouter, Depends

        from db import get_db
        from dependencies import get_current_user
        from models import Task

        router = APIRouter()


        @router.post("/tasks")
        def create_task(payload: dict, current_user: str = Depends(get_current_user), db=Depends(get_db)):
            db.add(Task(title=payload["title"], user_id=payload["user_id"]))
            db.commit()
        """,
        fixed="""
        from fastapi import APIRouter, Depends

        from db import get_db
        from dependencies import get_current_user
        from models import Task

        router = APIRouter()


        @router.post("/tasks")
        def create_task(payload: dict, current_user: str = Depends(get_current_user), db=Depends(get_db)):
            db.add(Task(title=payload["title"], user_id=current_user))
            db.commit()
        """,
        files=SEED_PROJECT,
    ),
)
