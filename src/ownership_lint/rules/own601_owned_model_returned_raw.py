"""OWN601 owned-model-returned-raw."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..analysis.context import ModuleContext, RouteModel
from ..analysis.dependencies import keyword_argument
from ..analysis.project import ClassSymbol
from ..analysis.responses import (
    ReturnedModel,
    find_schema,
    local_name_of,
    owned_table,
    returned_owned_models,
    type_leaves,
)
from ..analysis.walk import walk
from ..diagnostics import Applicability
from ..fixes.actions import (
    AddImport,
    AddKeywordArgument,
    FixAction,
    ReplaceExpression,
    span_of,
)
from ..rule import ROUTE_MARKERS, Case, FixAvailability, FixPlan, Rule, Violation
from ._common import SEED_PROJECT, route_label

_FILTERS = ("response_model_include", "response_model_exclude")

MODELS_WITH_SCHEMAS = (
    SEED_PROJECT["models.py"]
    + '''

class TaskRead(SQLModel):
    id: uuid.UUID
    title: str
'''
)


class OwnedModelReturnedRaw(Rule):
    """## What it does
    Checks for routes that return an owned table model — an object fetched or created in the
    route (`task = db.get(Task, task_id)`, `db_task = Task(...)`), a query's rows
    (`db.exec(select(Task)...).all()`, `list(session.scalars(...))`, `session.query(Task).all()`),
    a `task.model_dump()`, or the result of a project function annotated to return the model
    — without a response schema that is not a table model:

    - no `response_model=` and no return annotation,
    - `response_model=Task` / `List[Task]`, or a return annotation `-> Task`,
    - `response_model=None` (it switches FastAPI's filtering off explicitly),
    - a return annotation that names no class (`-> Any`, `-> dict`).

    Not reported: `response_model=TaskRead` (any non-table class, in a `list[...]`/`Optional[...]`
    too), a `-> TaskPublic` annotation without `response_model=`, a route that sets
    `response_model_include=`/`response_model_exclude=` (the fields were chosen deliberately),
    a route returning a dict it builds itself (`{"id": task.id, "title": task.title}`) or a
    `Response`, admin routes (`admin-routes`, `admin-dependencies`), and selects of single
    columns (`select(Task.title)`).

    ## Why is this bad?
    FastAPI serializes what the route returns through its response model. Without one — or with
    the table model as the response model — every column goes out: the owner's id (other
    users' ids on shared or listed objects), internal flags, soft-delete markers, hashes and
    tokens stored next to the data. Columns added to the table later are exposed without
    anybody touching the route. This is excessive data exposure, OWASP API3:2023 (Broken
    Object Property Level Authorization). A dedicated read schema (`TaskRead`, `TaskPublic`,
    the seed's and SQLModel's convention) is the allow-list of what a client may see.

    ## Example
    ```python
    @router.get("/tasks/{task_id}")
    def read_task(task_id: UUID, current_user: CurrentUser, db: SessionDep):
        ...
        return task
    ```

    ## Use instead
    ```python
    @router.get("/tasks/{task_id}", response_model=TaskRead)
    def read_task(task_id: UUID, current_user: CurrentUser, db: SessionDep):
        ...
        return task
    ```

    ## Fix safety
    The fix is available when the project defines a non-table `<Model>Read` (preferred) or
    `<Model>Public` class. It adds `response_model=TaskRead` to the route decorator —
    `List[TaskRead]` when the file imports `typing.List`, `list[TaskRead]` otherwise, for
    routes returning rows — or replaces the table model inside an existing `response_model=`,
    and imports the schema from the module that defines it. It is safe: the response keeps
    the fields the schema declares, which is the intent of the schema; the route still
    runs. Replacing an explicit `response_model=None` is unsafe: the author switched the
    filter off on purpose (often because the route also returns plain `Response` objects) and
    must check that every return value fits the schema.
    Routes registered with `add_api_route(...)` are reported without a fix.

    ## Options
    - `owner-fields`
    - `admin-routes`
    - `admin-dependencies`

    ## References
    - [OWASP API Security Top 10 2023, API3: Broken Object Property Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa3-broken-object-property-level-authorization/)
    - [FastAPI: Response Model - Return Type](https://fastapi.tiangolo.com/tutorial/response-model/)
    - [SQLModel: Multiple Models with FastAPI](https://sqlmodel.tiangolo.com/tutorial/fastapi/multiple-models/)
    """

    code = "OWN601"
    name = "owned-model-returned-raw"
    cwe = (213,)
    security_severity = "6.5"
    markers = ROUTE_MARKERS
    summary = "Route returns an owned table model without a response schema"
    message_formats = (
        "Route `{route}` returns `{model}` rows without a response schema; every column is sent",
    )
    fix_availability = FixAvailability.SOMETIMES

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for route in ctx.routes:
            if route.is_admin:
                continue
            registration = route.route.registration
            if not isinstance(registration, ast.Call) or any(
                keyword_argument(registration, k) is not None for k in _FILTERS
            ):
                continue
            declared = _declared_schema(ctx, route, registration)
            if declared is _HAS_SCHEMA:
                continue
            returned = returned_owned_models(ctx, route)
            if not returned:
                continue
            first = returned[0]
            is_list = any(item.is_list for item in returned)
            node, fix = _fix(ctx, route, registration, declared, first, is_list)
            model = first.model.name
            shape = f"a list of `{model}`" if is_list else f"`{model}`"
            yield Violation(
                node=node if node is not None else first.node,
                message=(
                    f"Route `{route_label(route)}` returns {shape} (a table model) without a "
                    "response schema; every column is sent"
                ),
                fix=fix,
                fix_title=fix.title if fix is not None else None,
            )

    VALID = (
        Case(
            id="response_model names a read schema",
            source="""
            from typing import List
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter
            from sqlmodel import select
            from models import Task, TaskRead
            router = APIRouter()

            @router.get("/tasks", response_model=List[TaskRead])
            def tasks(current_user: CurrentUser, db: SessionDep):
                return db.exec(select(Task).where(Task.user_id == current_user)).all()
            """,
            files={**SEED_PROJECT, "models.py": MODELS_WITH_SCHEMAS},
        ),
        Case(
            id="return annotation names a public schema",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, HTTPException
            from pydantic import BaseModel
            from models import Task
            router = APIRouter()

            class TaskPublic(BaseModel):
                title: str

            @router.get("/tasks/{task_id}")
            def read(task_id: str, current_user: CurrentUser, db: SessionDep) -> TaskPublic:
                task = db.get(Task, task_id)
                if task is None or task.user_id != current_user:
                    raise HTTPException(404)
                return task
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="a dict built by the route, and selected columns",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, HTTPException
            from sqlmodel import select
            from models import Task
            router = APIRouter()

            @router.get("/tasks/{task_id}")
            def read(task_id: str, current_user: CurrentUser, db: SessionDep):
                task = db.get(Task, task_id)
                if task is None or task.user_id != current_user:
                    raise HTTPException(404)
                return {"id": str(task.id), "title": task.title}

            @router.get("/titles")
            def titles(current_user: CurrentUser, db: SessionDep):
                return db.exec(select(Task.title).where(Task.user_id == current_user)).all()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="fields chosen with response_model_include",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter
            from sqlmodel import select
            from models import Task
            router = APIRouter()

            @router.get("/tasks", response_model=list[Task], response_model_include={"id", "title"})
            def tasks(current_user: CurrentUser, db: SessionDep):
                return db.exec(select(Task).where(Task.user_id == current_user)).all()
            """,
            files=SEED_PROJECT,
        ),
    )

    INVALID = (
        Case(
            id="list without response_model, List style from typing",
            source="""
            from typing import List

            from fastapi import APIRouter, Depends
            from sqlmodel import Session, select

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.get("/tasks")
            def list_tasks(current_user: str = Depends(get_current_user), db: Session = Depends(get_db)):
                query = select(Task).where(Task.user_id == current_user)
                tasks: List[Task] = db.exec(query).all()
                return tasks
            """,
            fixed="""
            from typing import List

            from fastapi import APIRouter, Depends
            from sqlmodel import Session, select

            from db import get_db
            from dependencies import get_current_user
            from models import Task, TaskRead

            router = APIRouter()


            @router.get("/tasks", response_model=List[TaskRead])
            def list_tasks(current_user: str = Depends(get_current_user), db: Session = Depends(get_db)):
                query = select(Task).where(Task.user_id == current_user)
                tasks: List[Task] = db.exec(query).all()
                return tasks
            """,
            files={**SEED_PROJECT, "models.py": MODELS_WITH_SCHEMAS},
        ),
        Case(
            id="single object, schema in another module",
            source="""
            from fastapi import APIRouter, Depends, HTTPException, status

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/tasks")


            @router.post("/", status_code=status.HTTP_201_CREATED)
            def create_task(title: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                db_task = Task(title=title, user_id=current_user)
                db.add(db_task)
                db.commit()
                db.refresh(db_task)
                return db_task
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException, status

            from db import get_db
            from dependencies import get_current_user
            from models import Task
            from schemas import TaskPublic

            router = APIRouter(prefix="/tasks")


            @router.post("/", status_code=status.HTTP_201_CREATED, response_model=TaskPublic)
            def create_task(title: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                db_task = Task(title=title, user_id=current_user)
                db.add(db_task)
                db.commit()
                db.refresh(db_task)
                return db_task
            """,
            files={
                **SEED_PROJECT,
                "schemas.py": """
                from pydantic import BaseModel

                class TaskPublic(BaseModel):
                    title: str
                """,
            },
        ),
        Case(
            id="table model as response_model is replaced, list[] style",
            source="""
            from fastapi import APIRouter, Depends
            from sqlmodel import select

            from db import get_db
            from dependencies import get_current_user
            from models import Task, TaskRead

            router = APIRouter()


            @router.get("/tasks", response_model=list[Task])
            async def list_tasks(current_user: str = Depends(get_current_user), session=Depends(get_db)):
                result = await session.exec(select(Task).where(Task.user_id == current_user))
                return result.all()
            """,
            fixed="""
            from fastapi import APIRouter, Depends
            from sqlmodel import select

            from db import get_db
            from dependencies import get_current_user
            from models import Task, TaskRead

            router = APIRouter()


            @router.get("/tasks", response_model=list[TaskRead])
            async def list_tasks(current_user: str = Depends(get_current_user), session=Depends(get_db)):
                result = await session.exec(select(Task).where(Task.user_id == current_user))
                return result.all()
            """,
            files={**SEED_PROJECT, "models.py": MODELS_WITH_SCHEMAS},
        ),
        Case(
            id="return annotation naming the table model",
            source="""
            from fastapi import APIRouter, Depends, HTTPException

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.get("/tasks/{task_id}")
            def read_task(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)) -> Task:
                task = db.get(Task, task_id)
                if task is None or task.user_id != current_user:
                    raise HTTPException(status_code=404, detail="Task not found")
                return task
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException

            from db import get_db
            from dependencies import get_current_user
            from models import Task, TaskRead

            router = APIRouter()


            @router.get("/tasks/{task_id}", response_model=TaskRead)
            def read_task(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)) -> Task:
                task = db.get(Task, task_id)
                if task is None or task.user_id != current_user:
                    raise HTTPException(status_code=404, detail="Task not found")
                return task
            """,
            files={**SEED_PROJECT, "models.py": MODELS_WITH_SCHEMAS},
        ),
        Case(
            id="explicit response_model=None (unsafe fix)",
            source="""
            from fastapi import APIRouter, Depends, HTTPException

            from db import get_db
            from dependencies import get_current_user
            from models import Task, TaskRead

            router = APIRouter()


            @router.get("/tasks/{task_id}", response_model=None)
            def read_task(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                task = db.get(Task, task_id)
                if task is None or task.user_id != current_user:
                    raise HTTPException(status_code=404, detail="Task not found")
                return task
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException

            from db import get_db
            from dependencies import get_current_user
            from models import Task, TaskRead

            router = APIRouter()


            @router.get("/tasks/{task_id}", response_model=TaskRead)
            def read_task(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                task = db.get(Task, task_id)
                if task is None or task.user_id != current_user:
                    raise HTTPException(status_code=404, detail="Task not found")
                return task
            """,
            files={**SEED_PROJECT, "models.py": MODELS_WITH_SCHEMAS},
        ),
        Case(
            id="no schema in the project: reported without a fix",
            source="""
            from fastapi import APIRouter, Depends
            from sqlmodel import select

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.get("/tasks")
            def list_tasks(current_user: str = Depends(get_current_user), db=Depends(get_db)):
                return db.exec(select(Task).where(Task.user_id == current_user)).all()
            """,
            files=SEED_PROJECT,
        ),
    )


class _HasSchema:
    pass


_HAS_SCHEMA = _HasSchema()


def _declared_schema(ctx: ModuleContext, route: RouteModel, registration: ast.Call):
    """What the route declares: ``_HAS_SCHEMA``; ``("none", node)`` for ``response_model=None``;
    ``("table", node)`` for a table model leaf (in ``response_model=`` or the annotation) —
    ``node`` is where the diagnostic points; ``("annotation", node)``; or None (nothing)."""
    response_model = keyword_argument(registration, "response_model")
    if response_model is not None:
        if isinstance(response_model, ast.Constant) and response_model.value is None:
            return ("none", response_model)
        return _judge(ctx, response_model, "response_model")
    returns = route.node.returns
    if returns is not None:
        return _judge(ctx, returns, "annotation")
    return None


def _judge(ctx: ModuleContext, annotation: ast.expr, where: str):
    leaves = type_leaves(ctx, ctx.module, annotation)
    tables = [leaf for leaf in leaves if owned_table(ctx, leaf.symbol) is not None]
    if tables:
        return ("table-" + where, tables[0].node)
    if any(isinstance(leaf.symbol, ClassSymbol) for leaf in leaves):
        return _HAS_SCHEMA
    if where == "response_model":
        # A name the analysis cannot follow (an external class, a variable): trust it.
        return _HAS_SCHEMA if leaves else ("none", annotation)
    if any(
        getattr(leaf.symbol, "qualname", "").split(".")[0] not in ("builtins", "typing", "typing_extensions")
        and leaf.symbol is not None
        for leaf in leaves
    ):
        return _HAS_SCHEMA
    return ("annotation", annotation)


def _fix(
    ctx: ModuleContext,
    route: RouteModel,
    registration: ast.Call,
    declared,
    returned: ReturnedModel,
    is_list: bool,
) -> tuple[ast.expr | None, FixPlan | None]:
    node = declared[1] if isinstance(declared, tuple) and declared[0] != "annotation" else None
    if not any(registration is decorator for decorator in route.node.decorator_list):
        return node, None
    schema = find_schema(ctx, returned.model)
    if schema is None:
        return node, None
    name, needs_import = local_name_of(ctx, schema)
    if name is None:
        return node, None
    imports: list[FixAction] = [AddImport(schema.module.name, name)] if needs_import else []
    if isinstance(declared, tuple) and declared[0] == "table-response_model":
        action: FixAction = ReplaceExpression(span_of(ctx.locator, declared[1]), name)
        return node, FixPlan(f"Use `{name}` as the response model", (action, *imports))
    value = f"{_list_name(ctx)}[{name}]" if is_list else name
    if isinstance(declared, tuple) and declared[0] == "none":
        action = ReplaceExpression(span_of(ctx.locator, declared[1]), value)
        return node, FixPlan(
            f"Use `response_model={value}`", (action, *imports), applicability=Applicability.UNSAFE
        )
    action = AddKeywordArgument(span_of(ctx.locator, registration), "response_model", value)
    return node, FixPlan(f"Add `response_model={value}`", (action, *imports))


def _list_name(ctx: ModuleContext) -> str:
    for local, target in ctx.module.imports.items():
        if target == "typing.List":
            return local
    if "typing" in ctx.module.imports and ctx.module.imports["typing"] == "typing":
        for node in walk(ctx.module.tree):
            if isinstance(node, ast.Attribute) and node.attr == "List" and ast.unparse(node.value) == "typing":
                return "typing.List"
    return "list"
