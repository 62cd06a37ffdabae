"""OWN301 unfiltered-owned-query."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..analysis.context import ModuleContext, RouteModel
from ..analysis.ownership import FunctionData, QueryChain
from ..fixes.actions import AppendMethodCall, span_of
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


class UnfilteredOwnedQuery(Rule):
    """## What it does
    Checks for queries over a user-owned model — `select(Task)`, `select(Task.title)`,
    `select(func.count()).select_from(Task)`, `session.query(Task)`, `update(Task)`,
    `delete(Task)` — that have no owner filter, in a route or in a project function a route
    calls (crud modules, services).

    An owner filter is `.where(Task.user_id == v)`, `.filter(Task.user_id == v)`,
    `.filter_by(user_id=v)`, `col(Task.user_id) == v`, inside `and_(...)`, in a multi-argument
    `.where(a, b)`, or in a later `.where` on the same query variable. A model is owned when it
    is a table model (SQLModel `table=True`, SQLAlchemy declarative) with an owner column
    (`owner-fields`), declared directly or inherited.

    ## Why is this bad?
    A list or bulk update without the owner filter returns or changes every user's rows: the
    route leaks all tenants' data even when it checks who the caller is (OWASP API1:2023).

    ## Example
    ```python
    @router.get("/tasks")
    def get_tasks(user_id: str, current_user: CurrentUser, db: SessionDep):
        if current_user != user_id:
            raise HTTPException(status_code=403)
        return db.exec(select(Task)).all()
    ```

    ## Use instead
    ```python
    return db.exec(select(Task).where(Task.user_id == user_id)).all()
    ```

    ## Fix safety
    The fix is safe: it appends `.where(<Model>.<owner> == <owner value>)` right after
    `select(...)`/`update(...)`/`delete(...)` (`.filter(...)` after `session.query(...)`), with
    the trusted owner value in scope: the path `user_id` once an owner check dominates the
    query, else the identity (`current_user` or `current_user.id`). No fix is offered where no
    trusted value is in scope (a crud function, or a route without authentication: fix OWN101
    first). Lookups of a single object are OWN302's: a query over whole objects (`select(Task)`,
    `session.query(Task)`) reduced to one row, in the same expression or through the variables
    it is bound to (`result = session.execute(stmt)` then `result.scalar_one_or_none()`). One
    row of columns or aggregates (`select(Task.title)`, `select(func.count())`) is still a query
    here: there is no object to check afterwards, so the filter is the fix.

    Admin routes (`admin-routes`, `admin-dependencies`) are not checked, nor queries in a
    branch that only a superuser reaches (`if current_user.is_superuser:` with the route's
    identity, the `else` of `if not current_user.is_superuser:`; in a crud function, a
    parameter's flag): the full-stack template lists every item for superusers this way. A
    filter on the path `user_id` counts as an owner filter even before an owner check exists:
    the missing check is OWN101/OWN201's finding.

    ## Options
    - `owner-fields`
    - `admin-dependencies`
    - `admin-routes`

    ## References
    - [OWASP API Security Top 10 2023, API1: Broken Object Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa1-broken-object-level-authorization/)
    - [SQLModel: Filter data with WHERE](https://sqlmodel.tiangolo.com/tutorial/where/)
    """

    code = "OWN301"
    name = "unfiltered-owned-query"
    cwe = (639,)
    security_severity = "8.1"
    summary = "Query over an owned model has no owner filter"
    message_formats = ("Query over owned model `{model}` is not filtered by `{model}.{owner}`",)
    fix_availability = FixAvailability.SOMETIMES
    markers = (*ROUTE_MARKERS, *QUERY_MARKERS)

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for route in ctx.routes:
            if route.is_admin:
                continue
            identity = frozenset({route.identity.param} if route.identity else ())
            for chain in _unfiltered(route.data.chains(), identity):
                yield self._violation(ctx, chain, _fix(ctx, route, chain))
        for function in helper_functions(ctx, QUERY_MARKERS):
            data = FunctionData(ctx.analysis.queries, ctx.module, function)
            unfiltered = _unfiltered(data.chains(), _parameter_names(function))
            if unfiltered and called_by_routes(ctx, function):
                for chain in unfiltered:
                    yield self._violation(ctx, chain, None)

    @staticmethod
    def _violation(ctx: ModuleContext, chain: QueryChain, fix: FixPlan | None) -> Violation:
        model = ast.unparse(chain.model_expr)
        owner = chain.model.owner_field
        return Violation(
            node=chain.base,
            message=f"Query over owned model `{model}` is not filtered by `{model}.{owner}`",
            fix=fix,
            fix_title=fix.title if fix else None,
        )

    VALID = (
        Case(
            id="filtered with where",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter
            from sqlmodel import select
            from models import Task
            router = APIRouter()

            @router.get("/tasks")
            def tasks(current_user: CurrentUser, db: SessionDep):
                return db.exec(select(Task).where(Task.user_id == current_user)).all()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="and_() with several conditions, col(), filter_by and chained where",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter
            from sqlalchemy import and_
            from sqlmodel import col, select
            from models import Task
            router = APIRouter()

            @router.get("/a")
            def a(current_user: CurrentUser, db: SessionDep):
                return db.exec(select(Task).where(and_(Task.title != "", Task.user_id == current_user))).all()

            @router.get("/b")
            def b(current_user: CurrentUser, db: SessionDep):
                return db.exec(select(Task).where(Task.title != "", col(Task.user_id) == current_user)).all()

            @router.get("/c")
            def c(current_user: CurrentUser, db: SessionDep):
                return db.query(Task).filter_by(user_id=current_user).all()

            @router.get("/d")
            def d(current_user: CurrentUser, db: SessionDep, done: bool = False):
                query = select(Task).order_by(Task.title)
                if done:
                    query = query.where(Task.title != "")
                query = query.where(Task.user_id == current_user)
                return db.exec(query).all()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="admin route with a superuser dependency",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter, Depends
            from sqlmodel import select
            from models import Task
            router = APIRouter()

            @router.get("/admin/tasks", dependencies=[Depends(get_current_active_superuser)])
            def all_tasks(db: SessionDep):
                return db.exec(select(Task)).all()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="model without an owner column",
            source="""
            from deps import CurrentUser, SessionDep
            from fastapi import APIRouter
            from sqlmodel import Field, SQLModel, select
            router = APIRouter()

            class Country(SQLModel, table=True):
                id: int = Field(primary_key=True)
                name: str

            @router.get("/countries")
            def countries(db: SessionDep):
                return db.exec(select(Country)).all()
            """,
        ),
        Case(
            id="script outside any route",
            path="scripts/export.py",
            source="""
            from sqlmodel import Session, select
            from db import engine
            from models import Task

            def export_all():
                with Session(engine) as session:
                    return session.exec(select(Task)).all()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="crud helper filtering by the owner it receives",
            path="crud.py",
            source="""
            from sqlmodel import select
            from models import Task

            def list_tasks(session, owner_id: str):
                return session.exec(select(Task).where(Task.user_id == owner_id)).all()
            """,
            files={
                **SEED_PROJECT,
                "routes.py": """
                from fastapi import APIRouter
                import crud
                router = APIRouter()

                @router.get("/tasks")
                def tasks(current_user: CurrentUser, db: SessionDep):
                    return crud.list_tasks(db, current_user)
                """,
            },
        ),
        Case(
            id="superuser branch of a list, as in the full-stack template",
            source="""
            from deps import SessionDep
            from fastapi import APIRouter
            from sqlmodel import func, select
            from models import Task
            from users import CurrentUser
            router = APIRouter()

            @router.get("/tasks")
            def tasks(current_user: CurrentUser, db: SessionDep):
                if current_user.is_superuser:
                    count = db.exec(select(func.count()).select_from(Task)).one()
                    tasks = db.exec(select(Task)).all()
                else:
                    count = db.exec(select(func.count()).select_from(Task).where(Task.user_id == current_user.id)).one()
                    tasks = db.exec(select(Task).where(Task.user_id == current_user.id)).all()
                return {"data": tasks, "count": count}
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
            id="list without owner filter after the owner check",
            source="""
            from fastapi import APIRouter, Depends, HTTPException
            from sqlmodel import Session, select

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks")
            def get_tasks(user_id: str, current_user: str = Depends(get_current_user), db: Session = Depends(get_db)):
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
                return db.exec(select(Task).order_by(Task.title)).all()
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException
            from sqlmodel import Session, select

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks")
            def get_tasks(user_id: str, current_user: str = Depends(get_current_user), db: Session = Depends(get_db)):
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
                return db.exec(select(Task).where(Task.user_id == user_id).order_by(Task.title)).all()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="token-scoped route filters by the identity; session.query gets filter()",
            source="""
            from fastapi import APIRouter, Depends

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/tasks")


            @router.get("/")
            def list_tasks(current_user: str = Depends(get_current_user), db=Depends(get_db)):
                return db.query(Task).offset(0).all()
            """,
            fixed="""
            from fastapi import APIRouter, Depends

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/tasks")


            @router.get("/")
            def list_tasks(current_user: str = Depends(get_current_user), db=Depends(get_db)):
                return db.query(Task).filter(Task.user_id == current_user).offset(0).all()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="bulk delete over an owned model",
            source="""
            from fastapi import APIRouter, Depends
            from sqlmodel import delete

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.delete("/tasks/done")
            def purge(current_user: str = Depends(get_current_user), db=Depends(get_db)):
                db.exec(delete(Task).where(Task.title == "done"))
                db.commit()
            """,
            fixed="""
            from fastapi import APIRouter, Depends
            from sqlmodel import delete

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.delete("/tasks/done")
            def purge(current_user: str = Depends(get_current_user), db=Depends(get_db)):
                db.exec(delete(Task).where(Task.user_id == current_user).where(Task.title == "done"))
                db.commit()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="crud function called by a route, owner inherited from a mixin in another module",
            path="crud.py",
            source="""
            from sqlalchemy import select
            from models_sa import Note

            def all_notes(session):
                return session.scalars(select(Note)).all()
            """,
            fixed=None,
            files={
                "base.py": """
                from sqlalchemy import String
                from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

                class Base(DeclarativeBase):
                    pass

                class OwnedMixin:
                    owner_id: Mapped[str] = mapped_column(String, index=True)
                """,
                "models_sa.py": """
                from sqlalchemy.orm import Mapped, mapped_column
                from base import Base, OwnedMixin

                class Note(OwnedMixin, Base):
                    __tablename__ = "notes"
                    id: Mapped[int] = mapped_column(primary_key=True)
                """,
                "routes.py": """
                from fastapi import APIRouter
                import crud
                router = APIRouter()

                @router.get("/notes")
                def notes(current_user: CurrentUser, db: SessionDep):
                    return crud.all_notes(db)
                """,
            },
        ),
        Case(
            id="count over select_from(Model)",
            source="""
            from fastapi import APIRouter, Depends
            from sqlmodel import func, select

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.get("/tasks/count")
            def count_tasks(current_user: str = Depends(get_current_user), db=Depends(get_db)):
                return db.exec(select(func.count()).select_from(Task)).one()
            """,
            fixed="""
            from fastapi import APIRouter, Depends
            from sqlmodel import func, select

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.get("/tasks/count")
            def count_tasks(current_user: str = Depends(get_current_user), db=Depends(get_db)):
                return db.exec(select(func.count()).select_from(Task).where(Task.user_id == current_user)).one()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="one column of one row is still a query, not an object lookup",
            source="""
            from fastapi import APIRouter, Depends
            from sqlmodel import select

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.get("/tasks/{task_id}/title")
            def task_title(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                return db.exec(select(Task.title).where(Task.id == task_id)).first()
            """,
            fixed="""
            from fastapi import APIRouter, Depends
            from sqlmodel import select

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter()


            @router.get("/tasks/{task_id}/title")
            def task_title(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                return db.exec(select(Task.title).where(Task.user_id == current_user).where(Task.id == task_id)).first()
            """,
            files=SEED_PROJECT,
        ),
    )


def _unfiltered(chains: list[QueryChain], trusted_users: frozenset[str]) -> list[QueryChain]:
    return [
        chain
        for chain in chains
        if not chain.filters and not chain.single_row and chain.superuser_guard not in trusted_users
    ]


def _parameter_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    arguments = function.args
    return frozenset(a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs))


def _fix(ctx: ModuleContext, route: RouteModel, chain: QueryChain) -> FixPlan | None:
    value = route.trusted_value(route.data.top_level_position(chain.statement))
    if value is None:
        return None
    method = "filter" if chain.kind == "query" else "where"
    condition = f"{ast.unparse(chain.model_expr)}.{chain.model.owner_field} == {value}"
    action = AppendMethodCall(span_of(ctx.locator, chain.base), method, condition)
    return FixPlan(f"Append `.{method}({condition})`", (action,))


