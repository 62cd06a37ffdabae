"""OWN202 owner-check-after-data-access."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.checks import OwnerCheck
from ..analysis.context import ModuleContext, RouteModel
from ..fixes.actions import InsertStatements, ReplaceStatement, span_of
from ..fixes.identity import function_ref
from ..rule import ROUTE_MARKERS, Case, FixAvailability, FixPlan, Rule, Violation
from ._common import SEED_PROJECT
from ._data import statement_source


class OwnerCheckAfterDataAccess(Rule):
    """## What it does
    Checks for user-scoped routes whose owner check (`if current_user != user_id: raise ...`)
    runs only after the route has already queried, created, changed, deleted or committed data.

    ## Why is this bad?
    By the time the check rejects the request the damage is done: the other user's rows were
    read (and maybe logged or cached), added, changed or committed. The 403 hides a write that
    already happened (OWASP API1:2023).

    Statement order in the route body is the approximation: a data access is a query, lookup
    or construction of an owned model, or a session call (`add`, `delete`, `commit`, `merge`,
    `flush`, `exec`, `execute`) on an injected session.

    ## Example
    ```python
    db_task = Task.model_validate(task)
    db.add(db_task)
    db.commit()
    if current_user != user_id:
        raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
    ```

    ## Use instead
    ```python
    if current_user != user_id:
        raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
    db_task = Task.model_validate(task)
    db.add(db_task)
    db.commit()
    ```

    ## Fix safety
    The fix is safe: the check only reads the identity and the path parameter, so moving it to
    the top of the body (after the docstring) changes nothing but when it runs. No fix when the
    check is nested in another statement.

    ## Options
    - `user-id-param`

    ## References
    - [OWASP API Security Top 10 2023, API1: Broken Object Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa1-broken-object-level-authorization/)
    """

    code = "OWN202"
    name = "owner-check-after-data-access"
    cwe = (639,)
    security_severity = "7.1"
    summary = "Owner check runs after the route has accessed data"
    message_formats = ("Owner check runs after the route has already accessed data",)
    fix_availability = FixAvailability.SOMETIMES
    markers = ROUTE_MARKERS

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for route in ctx.routes:
            if not route.user_scoped or route.guarded_by_dependency:
                continue
            checks = [check for check in route.owner_checks if check.rejects]
            first_access = route.first_data_access
            if not checks or first_access is None:
                continue
            earliest = min(checks, key=lambda check: check.position)
            if earliest.position <= first_access:
                continue
            yield Violation(
                node=earliest.statement,
                message="Owner check runs after the route has already accessed data",
                fix=_move_to_top(ctx, route, earliest),
            )

    VALID = (
        Case(
            id="check first",
            source="""
            from fastapi import APIRouter, HTTPException
            from deps import CurrentUser, SessionDep
            from models import Task
            router = APIRouter(prefix="/api/{user_id}")

            @router.post("/tasks")
            def create(user_id: str, current_user: CurrentUser, db: SessionDep):
                if current_user != user_id:
                    raise HTTPException(status_code=403)
                db.add(Task(title="x", user_id=user_id))
                db.commit()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="work that touches no data before the check",
            source="""
            import logging
            from fastapi import APIRouter, HTTPException
            from deps import CurrentUser, SessionDep
            router = APIRouter(prefix="/api/{user_id}")
            log = logging.getLogger(__name__)

            @router.get("/tasks")
            def tasks(user_id: str, current_user: CurrentUser, db: SessionDep):
                log.info("listing tasks of %s", user_id)
                if current_user != user_id:
                    raise HTTPException(status_code=403)
                return []
            """,
            files=SEED_PROJECT,
        ),
    )

    INVALID = (
        Case(
            id="check after the commit is moved to the top",
            source='''
            from fastapi import APIRouter, Depends, HTTPException

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/api/{user_id}")


            @router.post("/tasks")
            def create_task(user_id: str, title: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                """Create a task."""
                db_task = Task(title=title, user_id=user_id)
                db.add(db_task)
                db.commit()
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
                return db_task
            ''',
            fixed='''
            from fastapi import APIRouter, Depends, HTTPException

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/api/{user_id}")


            @router.post("/tasks")
            def create_task(user_id: str, title: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                """Create a task."""
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")

                db_task = Task(title=title, user_id=user_id)
                db.add(db_task)
                db.commit()
                return db_task
            ''',
            files=SEED_PROJECT,
        ),
    )


def _move_to_top(ctx: ModuleContext, route: RouteModel, check: OwnerCheck) -> FixPlan | None:
    if route.node.body[check.position] is not check.statement:
        return None
    remove = ReplaceStatement(span_of(ctx.locator, check.statement), "")
    insert = InsertStatements(function_ref(route), statement_source(ctx, check.statement))
    return FixPlan("Move the owner check to the top of the route", (remove, insert))
