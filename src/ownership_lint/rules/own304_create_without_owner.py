"""OWN304 create-without-owner."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..analysis.checks import root_name
from ..analysis.context import ModuleContext, RouteModel
from ..analysis.dependencies import function_parameters
from ..analysis.ownership import (
    Creation,
    Function,
    FunctionData,
    request_model_declares,
)
from ..analysis.project import ClassSymbol
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
from ._data import called_by_routes, helper_functions
from .own303_owner_filter_from_untrusted_input import owner_assignment_fix


class CreateWithoutOwner(Rule):
    """## What it does
    Checks for routes, and project functions routes call (crud modules, services), that create
    an object of a user-owned model (`Task(...)`, `Task.model_validate(...)`,
    `Task.from_orm(...)`) and add it to the session without setting its owner column.

    ## Why is this bad?
    The row is stored with no owner (or a column default), so it either belongs to nobody —
    and every owner-filtered query hides it — or, when the column is nullable and queries are
    lax, to everybody. Either way the object escapes user isolation (OWASP API1:2023).

    The owner counts as set by a keyword argument (`Task(..., user_id=...)`), an
    `update={"user_id": ...}` of `model_validate`, or an assignment `db_task.user_id = ...`
    before or after the add. An owner value from request data is OWN303's finding.

    ## Example
    ```python
    db_task = Task.model_validate(task)
    db.add(db_task)
    ```

    ## Use instead
    ```python
    db_task = Task.model_validate(task)
    db_task.user_id = user_id
    db.add(db_task)
    ```

    ## Fix safety
    The fix is safe: it inserts `db_task.<owner> = <owner value>` right after construction, with
    the path `user_id` once an owner check dominates it, else the identity. No fix when the
    object is not bound to a variable or no trusted owner value is in scope (a crud function:
    the owner is the caller's to pass, e.g. `Item.model_validate(item_in, update={"owner_id":
    owner_id})` as in the full-stack template). In a crud function, an object unpacked from a
    parameter whose annotation is unknown or declares the owner is left alone: the owner may
    come from the caller.

    ## Options
    - `owner-fields`
    - `admin-dependencies`
    - `admin-routes`

    ## References
    - [OWASP API Security Top 10 2023, API1: Broken Object Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa1-broken-object-level-authorization/)
    - [SQLModel: Create rows](https://sqlmodel.tiangolo.com/tutorial/insert/)
    """

    code = "OWN304"
    name = "create-without-owner"
    cwe = (639,)
    security_severity = "6.5"
    summary = "Owned object is created without setting its owner"
    message_formats = ("`{model}` is created without setting `{owner}`",)
    fix_availability = FixAvailability.SOMETIMES
    markers = (*ROUTE_MARKERS, *QUERY_MARKERS, b".add(", b".add_all(")

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for route in ctx.routes:
            if route.is_admin:
                continue
            for creation in route.data.creations():
                if not creation.added or creation.owner_values:
                    continue
                if _owner_may_come_from(ctx, route, creation):
                    continue
                fix = owner_assignment_fix(ctx, route, creation)
                yield _violation(creation, fix)
        for function in helper_functions(ctx, (b".add",)):
            data = FunctionData(ctx.analysis.queries, ctx.module, function)
            ownerless = [c for c in data.creations() if c.added and not c.owner_values]
            if ownerless and called_by_routes(ctx, function):
                for creation in ownerless:
                    if _unpacks_known_models(ctx, function, creation):
                        yield _violation(creation, None)

    VALID = (
        Case(
            id="owner assigned after construction, as in the seed",
            source="""
            from fastapi import APIRouter
            from deps import CurrentUser, SessionDep
            from models import Task
            router = APIRouter()

            @router.post("/tasks")
            def create(task: dict, current_user: CurrentUser, db: SessionDep):
                db_task = Task.model_validate(task)
                db_task.user_id = current_user
                db.add(db_task)
                db.commit()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="owner passed to the constructor or through update=",
            source="""
            from fastapi import APIRouter
            from deps import CurrentUser, SessionDep
            from models import Task
            router = APIRouter()

            @router.post("/a")
            def a(title: str, current_user: CurrentUser, db: SessionDep):
                db.add(Task(title=title, user_id=current_user))

            @router.post("/b")
            def b(task: dict, current_user: CurrentUser, db: SessionDep):
                obj = Task.model_validate(task, update={"user_id": current_user})
                db.add(obj)
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="object built but never added",
            source="""
            from fastapi import APIRouter
            from deps import CurrentUser
            from models import Task
            router = APIRouter()

            @router.post("/preview")
            def preview(title: str, current_user: CurrentUser):
                return Task(title=title)
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="crud function given the owner by the route, as in the full-stack template",
            path="crud.py",
            source="""
            from models import Task, TaskCreate

            def create_task(session, task_in: TaskCreate, owner_id: str) -> Task:
                db_task = Task.model_validate(task_in, update={"user_id": owner_id})
                session.add(db_task)
                session.commit()
                return db_task
            """,
            files={
                **SEED_PROJECT,
                "models.py": SEED_PROJECT["models.py"] + "\n\nclass TaskCreate(SQLModel):\n    title: str\n",
                "routes.py": """
                from fastapi import APIRouter
                import crud
                from deps import CurrentUser, SessionDep
                from models import TaskCreate
                router = APIRouter()

                @router.post("/tasks")
                def create(task_in: TaskCreate, current_user: CurrentUser, db: SessionDep):
                    return crud.create_task(db, task_in, current_user)
                """,
            },
        ),
    )

    INVALID = (
        Case(
            id="seed create route without the owner assignment",
            source="""
            from fastapi import APIRouter, Depends, HTTPException
            from sqlmodel import Session

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/api/{user_id}")


            @router.post("/tasks")
            async def create_task(user_id: str, task: dict, current_user: str = Depends(get_current_user), db: Session = Depends(get_db)):
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")

                db_task = Task.model_validate(task)
                db.add(db_task)
                db.commit()
                db.refresh(db_task)
                return db_task
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException
            from sqlmodel import Session

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/api/{user_id}")


            @router.post("/tasks")
            async def create_task(user_id: str, task: dict, current_user: str = Depends(get_current_user), db: Session = Depends(get_db)):
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")

                db_task = Task.model_validate(task)
                db_task.user_id = user_id
                db.add(db_task)
                db.commit()
                db.refresh(db_task)
                return db_task
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="crud function called by a route creates the object without its owner",
            path="crud.py",
            source="""
            from models import Task, TaskCreate

            def create_task(session, task_in: TaskCreate, owner_id: str) -> Task:
                db_task = Task.model_validate(task_in)
                session.add(db_task)
                session.commit()
                return db_task
            """,
            fixed=None,
            files={
                **SEED_PROJECT,
                "models.py": SEED_PROJECT["models.py"] + "\n\nclass TaskCreate(SQLModel):\n    title: str\n",
                "routes.py": """
                from fastapi import APIRouter
                import crud
                from deps import CurrentUser, SessionDep
                from models import TaskCreate
                router = APIRouter()

                @router.post("/tasks")
                def create(task_in: TaskCreate, current_user: CurrentUser, db: SessionDep):
                    return crud.create_task(db, task_in, current_user)
                """,
            },
        ),
    )


def _violation(creation: Creation, fix: FixPlan | None) -> Violation:
    model = ast.unparse(creation.model_expr)
    return Violation(
        node=creation.call,
        message=f"`{model}` is created without setting `{creation.model.owner_field}`",
        fix=fix,
    )


def _unpacks_known_models(ctx: ModuleContext, function: Function, creation: Creation) -> bool:
    """Every value unpacked into the object is a parameter annotated with a model that has no
    owner field."""
    annotations = {arg.arg: arg.annotation for arg, _ in function_parameters(function)}
    for source in creation.unpacked:
        annotation = annotations.get(root_name(source) or "")
        if annotation is None or request_model_declares(
            ctx.analysis.queries, ctx.module, annotation, creation.model.owner_field
        ):
            return False
        if not isinstance(ctx.index.resolve(ctx.module, annotation), ClassSymbol):
            return False
    return True


def _owner_may_come_from(ctx: ModuleContext, route: RouteModel, creation: Creation) -> bool:
    """Unpacked from a request model that declares the owner (OWN303), or from a value the
    analysis cannot see into."""
    for source in creation.unpacked:
        node = source
        while isinstance(node, (ast.Call, ast.Attribute)):
            node = node.func if isinstance(node, ast.Call) else node.value
        if not isinstance(node, ast.Name) or node.id not in route.request_inputs:
            return True
        annotation = route.parameters[node.id][0].annotation
        if annotation is None or request_model_declares(
            ctx.analysis.queries, ctx.module, annotation, creation.model.owner_field
        ):
            return True
    return False
