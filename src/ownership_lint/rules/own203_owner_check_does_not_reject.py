"""OWN203 owner-check-does-not-reject."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..analysis.checks import OwnerCheck
from ..analysis.context import ModuleContext
from ..analysis.walk import walk
from ..fixes.actions import FixAction, InsertStatementsAfter, ReplaceStatement, span_of
from ..fixes.guards import OWNER_MISMATCH_DETAIL, raise_http_exception
from ..rule import ROUTE_MARKERS, Case, FixAvailability, FixPlan, Rule, Violation
from ._common import SEED_PROJECT


class OwnerCheckDoesNotReject(Rule):
    """## What it does
    Checks for owner checks whose mismatch branch does not stop the request: it logs, passes,
    assigns or warns and then falls through to the data access.

    ## Why is this bad?
    The comparison is there, so reviewers see an owner check, but another user's request
    still reaches the data (OWASP API1:2023). A branch that returns an error value instead of
    raising is reported as OWN404.

    ## Example
    ```python
    if current_user != user_id:
        logger.warning("user %s tried to read %s", current_user, user_id)
    return db.exec(select(Task).where(Task.user_id == user_id)).all()
    ```

    ## Use instead
    ```python
    if current_user != user_id:
        logger.warning("user %s tried to read %s", current_user, user_id)
        raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
    ```

    ## Fix safety
    The fix is safe: it appends the canonical `raise HTTPException(status_code=403, ...)` to the
    mismatch branch (replacing a lone `pass`), after whatever the branch already does, in the
    file's status style.

    ## Options
    - `user-id-param`

    ## References
    - [OWASP API Security Top 10 2023, API1: Broken Object Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa1-broken-object-level-authorization/)
    - [RFC 9110, section 15.5.4: 403 Forbidden](https://www.rfc-editor.org/rfc/rfc9110#name-403-forbidden)
    """

    code = "OWN203"
    name = "owner-check-does-not-reject"
    cwe = (639,)
    security_severity = "8.1"
    summary = "Owner check does not stop the request"
    message_formats = ("Owner check does not stop the request on a mismatch",)
    fix_availability = FixAvailability.ALWAYS
    markers = ROUTE_MARKERS

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for route in ctx.routes:
            checks = route.owner_checks
            if not checks or any(check.rejects for check in checks):
                continue
            if route.guarded_by_dependency or route.guarded_by_helper:
                continue
            for check in checks:
                if _returns(check):
                    continue  # OWN404: an error value returned instead of raised
                yield Violation(
                    node=check.statement,
                    message="Owner check does not stop the request on a mismatch",
                    fix=_add_raise(ctx, check),
                )

    VALID = (
        Case(
            id="branch logs then raises",
            source="""
            from fastapi import APIRouter, HTTPException
            from deps import CurrentUser
            router = APIRouter(prefix="/api/{user_id}")

            @router.get("/tasks")
            def tasks(user_id: str, current_user: CurrentUser):
                if current_user != user_id:
                    print("denied")
                    raise HTTPException(status_code=403)
                return []
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="branch returns an error value (OWN404's finding)",
            source="""
            from fastapi import APIRouter
            from deps import CurrentUser
            router = APIRouter(prefix="/api/{user_id}")

            @router.get("/tasks")
            def tasks(user_id: str, current_user: CurrentUser):
                if current_user != user_id:
                    return {"detail": "forbidden"}
                return []
            """,
            files=SEED_PROJECT,
        ),
    )

    INVALID = (
        Case(
            id="branch only logs",
            source="""
            import logging

            from fastapi import APIRouter, Depends

            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}")
            logger = logging.getLogger(__name__)


            @router.get("/tasks")
            def list_tasks(user_id: str, current_user: str = Depends(get_current_user)):
                if current_user != user_id:
                    logger.warning("%s reads %s", current_user, user_id)
                return []
            """,
            fixed="""
            import logging

            from fastapi import APIRouter, Depends, HTTPException

            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}")
            logger = logging.getLogger(__name__)


            @router.get("/tasks")
            def list_tasks(user_id: str, current_user: str = Depends(get_current_user)):
                if current_user != user_id:
                    logger.warning("%s reads %s", current_user, user_id)
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
                return []
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="pass in the else branch of an equality check",
            source="""
            from fastapi import APIRouter, Depends, HTTPException

            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks")
            def list_tasks(user_id: str, current_user: str = Depends(get_current_user)):
                if user_id == current_user:
                    print("ok")
                else:
                    pass
                return []
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException

            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks")
            def list_tasks(user_id: str, current_user: str = Depends(get_current_user)):
                if user_id == current_user:
                    print("ok")
                else:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
                return []
            """,
            files=SEED_PROJECT,
        ),
    )


def _returns(check: OwnerCheck) -> bool:
    return any(isinstance(node, ast.Return) for stmt in check.branch for node in walk(stmt))


def _add_raise(ctx: ModuleContext, check: OwnerCheck) -> FixPlan | None:
    if not check.branch:
        return None
    imports: list[FixAction] = []
    statement = raise_http_exception(ctx, 403, OWNER_MISMATCH_DETAIL, imports) + "\n"
    last = check.branch[-1]
    span = span_of(ctx.locator, last)
    if isinstance(last, ast.Pass):
        action: FixAction = ReplaceStatement(span, statement)
    else:
        action = InsertStatementsAfter(span, statement)
    return FixPlan("Raise 403 in the mismatch branch", (action, *imports))
