"""OWN602 owner-field-in-request-model."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..analysis.context import ModuleContext, RouteModel
from ..analysis.ownership import Trust
from ..analysis.responses import (
    RequestModel,
    declared_fields,
    related_owned_models,
    request_models,
)
from ..rule import ROUTE_MARKERS, Case, FixAvailability, Rule, Violation
from ._common import SEED_PROJECT, route_label

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})

MODELS_WITH_REQUESTS = (
    SEED_PROJECT["models.py"]
    + '''

class TaskCreate(SQLModel):
    title: str
    user_id: str


class TaskUpdate(SQLModel):
    title: str | None = None
    completed: bool | None = None
'''
)


class OwnerFieldInRequestModel(Rule):
    """## What it does
    Checks for create/update routes (`POST`, `PUT`, `PATCH`) whose request model declares the
    owner column of the model it is about: `TaskCreate.user_id`, `ItemUpdate.owner_id`, a
    `user_id` inherited from a shared base class, or a table model used directly as the body.

    A request model is a route parameter FastAPI fills from the request (body, form or query
    model, possibly inside `Annotated[...]`, `Optional[...]` or `list[...]`) whose class is a
    pydantic `BaseModel` or `SQLModel`. It is *about* an owned model when it is that table model
    itself, when the route reads or writes that owned model, or when its name derives from it
    (`TaskCreate`, `TaskUpdate`, `TaskIn`, `TaskPayload`, ... -> `Task`). Only the owner column
    of such a model is reported, so a `ShareCreate.user_id` naming whom to share with, on a route
    about a model owned through another column, is not.

    Not reported: `GET`/`DELETE` routes, dependency parameters (`Depends`/`Security`), admin
    routes (`admin-routes`, `admin-dependencies`), a table model used only as the response, and
    request models without the owner column (`TaskUpdate` with title and completed only).
    When the route builds the owned object by unpacking the request model without setting the
    owner (`Task(**task_in.model_dump())`), OWN303 reports that use, with a fix, instead of
    this rule. Once the route sets the owner from a trusted value, this rule still reports the
    request model: the field stays in the API contract (OpenAPI schema, clients sending it,
    other routes and update paths such as `task.sqlmodel_update(task_in.model_dump())` that
    copy it).

    ## Why is this bad?
    Whatever the request model declares, the client may send. An owner field lets a client
    create objects in another user's name, or move its own object to another user, on any code
    path that copies the request model into the table model — `Task(**data)`,
    `Task.model_validate(task_in)`, `task.sqlmodel_update(...)`, a `setattr` loop — today or
    after the next refactoring. This is mass assignment, OWASP API3:2023 (Broken Object
    Property Level Authorization); the owner must come from the token (the seed's
    `db_task.user_id = user_id` after the owner check), never from the payload.

    ## Example
    ```python
    class TaskCreate(SQLModel):
        title: str
        user_id: str

    @router.post("/tasks", response_model=TaskRead)
    def create_task(user_id: str, task: TaskCreate, current_user: CurrentUser, db: SessionDep):
        ...
    ```

    ## Use instead
    ```python
    class TaskCreate(SQLModel):
        title: str

    @router.post("/tasks", response_model=TaskRead)
    def create_task(user_id: str, task: TaskCreate, current_user: CurrentUser, db: SessionDep):
        ...
        db_task = Task.model_validate(task, update={"user_id": user_id})
    ```

    ## Fix safety
    There is no fix: removing the field changes the API contract and every client that sends
    it, and the model may be shared with routes that legitimately need it (an admin
    endpoint). Split the model (`TaskCreate` without the owner, `TaskAdminCreate` with it) or
    remove the field, then set the owner from the identity in the route.

    ## Options
    - `owner-fields`
    - `admin-routes`
    - `admin-dependencies`

    ## References
    - [OWASP API Security Top 10 2023, API3: Broken Object Property Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa3-broken-object-property-level-authorization/)
    - [OWASP Mass Assignment Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Mass_Assignment_Cheat_Sheet.html)
    - [FastAPI: Request Body](https://fastapi.tiangolo.com/tutorial/body/)
    - [SQLModel: Multiple Models with FastAPI](https://sqlmodel.tiangolo.com/tutorial/fastapi/multiple-models/)
    """

    code = "OWN602"
    name = "owner-field-in-request-model"
    cwe = (915,)
    security_severity = "6.5"
    markers = ROUTE_MARKERS
    summary = "Request model of a create/update route declares the owner column"
    message_formats = (
        "Request model `{model}` of `{route}` declares owner field `{field}`: the client can set the owner",
    )
    fix_availability = FixAvailability.NONE

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for route in ctx.routes:
            if route.is_admin or not (set(route.route.methods) & _WRITE_METHODS):
                continue
            for request in request_models(ctx, route):
                fields = declared_fields(ctx, request.cls) & set(ctx.settings.owner_fields)
                if not fields:
                    continue
                owners = [
                    model.owner_field
                    for model in related_owned_models(ctx, route, request.cls)
                    if model.owner_field in fields
                ]
                if not owners:
                    continue
                owner = owners[0]
                if _reported_by_own303(route, request, owner):
                    continue
                yield Violation(
                    node=request.annotation,
                    message=(
                        f"Request model `{request.cls.node.name}` of `{route_label(route)}` declares "
                        f"owner field `{owner}`: the client can set the owner"
                    ),
                )

    VALID = (
        Case(
            id="seed models: TaskCreate and TaskUpdate without the owner",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, HTTPException
            from sqlmodel import SQLModel
            from models import Task
            router = APIRouter(prefix="/api/{user_id}")

            class TaskCreate(SQLModel):
                title: str

            class TaskUpdate(SQLModel):
                title: str | None = None

            @router.post("/tasks")
            def create(user_id: str, task: TaskCreate, current_user: CurrentUser, db: SessionDep):
                if current_user != user_id:
                    raise HTTPException(403)
                db_task = Task.model_validate(task, update={"user_id": user_id})
                db.add(db_task)
                return {"id": str(db_task.id)}

            @router.patch("/tasks/{task_id}")
            def update(user_id: str, task_id: str, task_in: TaskUpdate, current_user: CurrentUser, db: SessionDep):
                if current_user != user_id:
                    raise HTTPException(403)
                task = db.get(Task, task_id)
                if task is None or task.user_id != user_id:
                    raise HTTPException(404)
                task.sqlmodel_update(task_in.model_dump(exclude_unset=True))
                db.add(task)
                return {"id": str(task.id)}
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="table model only as the response, and a GET with a filter model",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, Depends
            from pydantic import BaseModel
            from sqlmodel import select
            from models import Task
            router = APIRouter()

            class TaskFilter(BaseModel):
                user_id: str | None = None

            @router.get("/tasks", response_model=list[Task])
            def tasks(current_user: CurrentUser, db: SessionDep, f: TaskFilter = Depends()):
                return db.exec(select(Task).where(Task.user_id == current_user)).all()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="admin route may assign the owner",
            source="""
            from fastapi import APIRouter, Depends
            from deps import SessionDep
            from models import Task, TaskCreate
            router = APIRouter(prefix="/admin")

            def get_current_active_superuser():
                return "root"

            @router.post("/tasks", dependencies=[Depends(get_current_active_superuser)])
            def create(task: TaskCreate, db: SessionDep):
                db.add(Task.model_validate(task))
                return {"ok": True}
            """,
            files={**SEED_PROJECT, "models.py": MODELS_WITH_REQUESTS},
        ),
        Case(
            id="unpacked without a trusted owner: OWN303's finding",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter
            from models import Task, TaskCreate
            router = APIRouter()

            @router.post("/tasks")
            def create(task_in: TaskCreate, current_user: CurrentUser, db: SessionDep):
                db_task = Task(**task_in.model_dump())
                db.add(db_task)
                return {"id": str(db_task.id)}
            """,
            files={**SEED_PROJECT, "models.py": MODELS_WITH_REQUESTS},
        ),
        Case(
            id="a user id naming someone else, on a model owned through another column",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter
            from pydantic import BaseModel
            from sqlmodel import Field, SQLModel
            router = APIRouter()

            class Share(SQLModel, table=True):
                id: int = Field(primary_key=True)
                owner_id: str
                grantee: str

            class ShareCreate(BaseModel):
                user_id: str

            @router.post("/shares")
            def share(body: ShareCreate, current_user: CurrentUser, db: SessionDep):
                db.add(Share(owner_id=current_user, grantee=body.user_id))
                return {"ok": True}
            """,
            files=SEED_PROJECT,
        ),
    )

    INVALID = (
        Case(
            id="create model declares user_id, owner overridden in the route",
            source="""
            from fastapi import APIRouter, Depends, HTTPException

            from db import get_db
            from dependencies import get_current_user
            from models import Task, TaskCreate

            router = APIRouter(prefix="/api/{user_id}")


            @router.post("/tasks")
            def create_task(user_id: str, task: TaskCreate, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
                db_task = Task.model_validate(task)
                db_task.user_id = user_id
                db.add(db_task)
                db.commit()
                return {"id": str(db_task.id)}
            """,
            files={**SEED_PROJECT, "models.py": MODELS_WITH_REQUESTS},
        ),
        Case(
            id="update model inherits owner_id from a base; PATCH copies it",
            source="""
            from typing import Annotated, Optional

            from fastapi import APIRouter, Body, Depends, HTTPException

            from auth import get_current_user
            from db import get_db
            from models import Item, ItemUpdate

            router = APIRouter(prefix="/items")


            @router.patch("/{item_id}")
            def update_item(item_id: int, item_in: Annotated[Optional[ItemUpdate], Body()], current_user: str = Depends(get_current_user), db=Depends(get_db)):
                item = db.get(Item, item_id)
                if item is None or item.owner_id != current_user:
                    raise HTTPException(status_code=404, detail="Item not found")
                item.sqlmodel_update(item_in.model_dump(exclude_unset=True))
                db.add(item)
                db.commit()
                return {"id": item.id}
            """,
            files={
                **SEED_PROJECT,
                "auth.py": """
                from fastapi import Depends
                from dependencies import get_current_user as _user

                def get_current_user(user: str = Depends(_user)) -> str:
                    return user
                """,
                "models.py": """
                from typing import Optional
                from sqlmodel import Field, SQLModel

                class ItemBase(SQLModel):
                    title: Optional[str] = None
                    owner_id: Optional[str] = None

                class Item(ItemBase, table=True):
                    id: int = Field(primary_key=True)

                class ItemUpdate(ItemBase):
                    pass
                """,
            },
        ),
        Case(
            id="table model used as the request body",
            source="""
            from fastapi import APIRouter, Depends

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.put("/tasks")
            def replace_task(task: Task, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                db.merge(task)
                db.commit()
                return {"ok": True}
            """,
            files=SEED_PROJECT,
        ),
    )


def _reported_by_own303(route: RouteModel, request: RequestModel, owner: str) -> bool:
    """OWN303 reports an object built by unpacking this parameter with no trusted owner."""
    data = route.data
    for creation in data.creations():
        if creation.model.owner_field != owner:
            continue
        position = data.top_level_position(creation.statement)
        if any(route.trust(value, position) is not Trust.UNTRUSTED for value in creation.owner_values):
            continue
        if any(_rooted_at(source, request.param) for source in creation.unpacked):
            return True
    return False


def _rooted_at(expr: ast.expr, name: str) -> bool:
    node = expr
    while isinstance(node, (ast.Call, ast.Attribute)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return isinstance(node, ast.Name) and node.id == name
