"""OWN201 missing-owner-check."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.context import ModuleContext, RouteModel
from ..analysis.names import SCALAR_IDENTITY_TYPES
from ..fixes.actions import AddParameter, FixAction, InsertStatements
from ..fixes.guards import OWNER_MISMATCH_DETAIL, if_raise, raise_http_exception
from ..fixes.identity import function_ref, parameter_type_qualname, plan_identity
from ..rule import ROUTE_MARKERS, Case, FixAvailability, FixPlan, Rule, Violation
from ._common import SEED_PROJECT, function_name_node, route_label


class MissingOwnerCheck(Rule):
    """## What it does
    Checks for user-scoped routes (a `{user_id}` path parameter) that authenticate the request
    but never compare the path `user_id` with the authenticated user.

    ## Why is this bad?
    Authentication says who the caller is; it does not say the caller may act on
    `/api/{user_id}/...` for *that* `user_id`. Without the comparison any logged-in user reads
    and changes every other user's data by editing the URL: broken object level authorization,
    the first risk of the OWASP API Security Top 10 (API1:2023).

    The check counts in any of these forms: `if current_user != user_id: raise ...` (operands in
    either order, `not (a == b)`, `is not`, through `str(...)`), `if a == b: ... else: raise`, a
    superuser bypass combined with it (`... and not current_user.is_superuser`), a guard
    dependency of the route that performs it (`verify_user(user_id, current_user=Depends(...))`),
    or a project helper called with both values (`ensure_owner(user_id, current_user)`).
    An owner check that does not stop the request is reported by OWN203, one placed after the
    data access by OWN202.

    ## Example
    ```python
    @router.get("/tasks")
    async def get_tasks(user_id: str, current_user: str = Depends(get_current_user)):
        return db.exec(select(Task).where(Task.user_id == user_id)).all()
    ```

    ## Use instead
    ```python
    @router.get("/tasks")
    async def get_tasks(user_id: str, current_user: str = Depends(get_current_user)):
        if current_user != user_id:
            raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
        return db.exec(select(Task).where(Task.user_id == user_id)).all()
    ```

    ## Fix safety
    The fix is safe: it inserts the canonical check as the first statement after the docstring,
    with the route's own identity value (`current_user`, or `current_user.id` for a user object)
    and parameter names, the file's status style (`status.HTTP_403_FORBIDDEN` where the file uses
    `fastapi.status`), and the `HTTPException` import when it is missing. When the identity is not
    a parameter (auth only through `dependencies=`), the identity parameter is added first, as
    OWN101's fix does. A scalar identity compared with a path parameter of another type is
    compared through `str(...)` so the owner is not locked out, and so is a user object's id
    compared with a `str` path parameter (`str(current_user.id) != user_id`): its id is often a
    `UUID` or an `int`.

    ## Options
    - `user-id-param`
    - `user-id-attribute`
    - `auth-dependencies`
    - `admin-dependencies`
    - `admin-routes`
    - `public-routes`

    ## References
    - [OWASP API Security Top 10 2023, API1: Broken Object Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa1-broken-object-level-authorization/)
    - [RFC 9110, section 15.5.4: 403 Forbidden](https://www.rfc-editor.org/rfc/rfc9110#name-403-forbidden)
    - [FastAPI: Security - Get Current User](https://fastapi.tiangolo.com/tutorial/security/get-current-user/)
    """

    code = "OWN201"
    name = "missing-owner-check"
    cwe = (639,)
    security_severity = "8.1"
    summary = "User-scoped route does not compare the path user id with the authenticated user"
    message_formats = (
        "Route `{route}` does not check that `{user_id}` is the authenticated user",
    )
    fix_availability = FixAvailability.SOMETIMES
    markers = ROUTE_MARKERS

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for route in ctx.routes:
            if not route.user_scoped or route.is_public or route.is_admin:
                continue
            if not route.is_authenticated or route.owner_checks:
                continue
            if route.guarded_by_dependency or route.guarded_by_helper:
                continue
            user = ctx.settings.user_id_param
            yield Violation(
                node=function_name_node(ctx.locator, route.node),
                message=(
                    f"Route `{route_label(route)}` does not check that `{user}` "
                    "is the authenticated user"
                ),
                fix=_fix(ctx, route),
                noqa_node=route.node,
            )

    VALID = (
        Case(
            id="canonical check first",
            source="""
            from fastapi import APIRouter, Depends, HTTPException
            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}")

            @router.get("/tasks")
            async def get_tasks(user_id: str, current_user: str = Depends(get_current_user)):
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized")
                return []
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="operands swapped and wrapped in str()",
            source="""
            from fastapi import APIRouter, Depends, HTTPException
            from dependencies import get_current_user

            router = APIRouter()

            @router.get("/api/{user_id}/tasks")
            def get_tasks(user_id: int, current_user: str = Depends(get_current_user)):
                if str(user_id) != current_user:
                    raise HTTPException(403)
                return []
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="equality with the rejection in else",
            source="""
            from fastapi import APIRouter, Depends, HTTPException
            from dependencies import get_current_user

            router = APIRouter()

            @router.get("/api/{user_id}/tasks")
            def get_tasks(user_id: str, current_user: str = Depends(get_current_user)):
                if current_user == user_id:
                    return []
                else:
                    raise HTTPException(403)
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="superuser bypass on a user object",
            source="""
            from typing import Annotated
            from fastapi import APIRouter, Depends, HTTPException
            from auth import User, get_current_user

            router = APIRouter()
            CurrentUser = Annotated[User, Depends(get_current_user)]

            @router.get("/users/{user_id}")
            def read_user(user_id: int, current_user: CurrentUser):
                if current_user.id != user_id and not current_user.is_superuser:
                    raise HTTPException(status_code=403, detail="Not enough privileges")
                return current_user
            """,
            files={
                "auth.py": """
                from pydantic import BaseModel

                class User(BaseModel):
                    id: int
                    is_superuser: bool = False

                def get_current_user() -> User:
                    return User(id=1)
                """,
            },
        ),
        Case(
            id="guard dependency performs the check",
            source="""
            from fastapi import APIRouter, Depends, HTTPException
            from dependencies import get_current_user

            def verify_user(user_id: str, current_user: str = Depends(get_current_user)) -> str:
                if current_user != user_id:
                    raise HTTPException(status_code=403)
                return current_user

            router = APIRouter(prefix="/api/{user_id}", dependencies=[Depends(verify_user)])

            @router.get("/tasks")
            def get_tasks(user_id: str):
                return []
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="helper function performs the check",
            source="""
            from fastapi import APIRouter, Depends
            from dependencies import get_current_user
            from security import ensure_owner

            router = APIRouter(prefix="/api/{user_id}")

            @router.get("/tasks")
            def get_tasks(user_id: str, current_user: str = Depends(get_current_user)):
                ensure_owner(user_id, current_user)
                return []
            """,
            files={
                **SEED_PROJECT,
                "security.py": """
                from fastapi import HTTPException

                def ensure_owner(owner_id: str, user: str) -> None:
                    if user != owner_id:
                        raise HTTPException(status_code=403)
                """,
            },
        ),
        Case(
            id="admin route with a superuser dependency",
            source="""
            from fastapi import APIRouter, Depends
            from auth import get_current_active_superuser

            router = APIRouter(prefix="/admin")

            @router.delete("/users/{user_id}", dependencies=[Depends(get_current_active_superuser)])
            def delete_user(user_id: str):
                return None
            """,
            files={
                **SEED_PROJECT,
                "auth.py": """
                from fastapi import Depends
                from dependencies import get_current_user

                def get_current_active_superuser(user: str = Depends(get_current_user)) -> str:
                    return user
                """,
            },
        ),
        Case(
            id="route without user_id in its path",
            source="""
            from fastapi import APIRouter, Depends
            from dependencies import get_current_user

            router = APIRouter()

            @router.get("/me")
            def me(current_user: str = Depends(get_current_user)):
                return {"id": current_user}
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="unauthenticated route is OWN101's, not OWN201's",
            source="""
            from fastapi import APIRouter

            router = APIRouter()

            @router.get("/api/{user_id}/tasks")
            def get_tasks(user_id: str):
                return []
            """,
            settings={"select": ("OWN201",)},
        ),
    )

    INVALID = (
        Case(
            id="seed route without the check",
            source='''
            from fastapi import APIRouter, Depends
            from sqlmodel import Session, select

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks")
            async def get_tasks(
                user_id: str,
                current_user: str = Depends(get_current_user),
                db: Session = Depends(get_db)
            ):
                """List the user's tasks."""
                # newest first
                return db.exec(select(Task).where(Task.user_id == user_id)).all()
            ''',
            fixed='''
            from fastapi import APIRouter, Depends, HTTPException
            from sqlmodel import Session, select

            from db import get_db
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks")
            async def get_tasks(
                user_id: str,
                current_user: str = Depends(get_current_user),
                db: Session = Depends(get_db)
            ):
                """List the user's tasks."""
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")

                # newest first
                return db.exec(select(Task).where(Task.user_id == user_id)).all()
            ''',
            files=SEED_PROJECT,
        ),
        Case(
            id="file that uses fastapi.status keeps its style",
            source="""
            from fastapi import APIRouter, Depends, HTTPException, status
            from dependencies import get_current_user

            router = APIRouter()


            @router.delete("/api/{user_id}/tasks/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
            def delete_task(user_id: str, task_id: str, current_user: str = Depends(get_current_user)):
                return None
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException, status
            from dependencies import get_current_user

            router = APIRouter()


            @router.delete("/api/{user_id}/tasks/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
            def delete_task(user_id: str, task_id: str, current_user: str = Depends(get_current_user)):
                if current_user != user_id:
                    raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Not authorized to access this user's data")

                return None
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="user object identity compares its id",
            source="""
            from typing import Annotated
            from fastapi import APIRouter, Depends
            from auth import User, get_current_user

            router = APIRouter()
            CurrentUser = Annotated[User, Depends(get_current_user)]


            @router.get("/users/{user_id}/items")
            def read_items(user_id: int, current_user: CurrentUser):
                return []
            """,
            fixed="""
            from typing import Annotated
            from fastapi import APIRouter, Depends, HTTPException
            from auth import User, get_current_user

            router = APIRouter()
            CurrentUser = Annotated[User, Depends(get_current_user)]


            @router.get("/users/{user_id}/items")
            def read_items(user_id: int, current_user: CurrentUser):
                if current_user.id != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")

                return []
            """,
            files={
                "auth.py": """
                from pydantic import BaseModel

                class User(BaseModel):
                    id: int

                def get_current_user() -> User:
                    return User(id=1)
                """,
            },
        ),
        Case(
            id="auth only through dependencies= gets the identity parameter and the check",
            source="""
            from fastapi import APIRouter, Depends
            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}", dependencies=[Depends(get_current_user)])


            @router.get("/tasks")
            def get_tasks(user_id: str):
                return []
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException
            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}", dependencies=[Depends(get_current_user)])


            @router.get("/tasks")
            def get_tasks(user_id: str, current_user: str = Depends(get_current_user)):
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")

                return []
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="user_id comes from an include_router prefix in another module",
            path="routes/tasks.py",
            source="""
            from fastapi import APIRouter, Depends
            from dependencies import get_current_user

            router = APIRouter(prefix="/tasks")


            @router.get("/")
            def list_tasks(user_id: str, current_user: str = Depends(get_current_user)):
                return []
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException
            from dependencies import get_current_user

            router = APIRouter(prefix="/tasks")


            @router.get("/")
            def list_tasks(user_id: str, current_user: str = Depends(get_current_user)):
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")

                return []
            """,
            files={
                **SEED_PROJECT,
                "routes/__init__.py": "",
                "api.py": """
                from fastapi import APIRouter
                from routes.tasks import router as tasks_router

                api_router = APIRouter()
                api_router.include_router(tasks_router, prefix="/{user_id}")
                """,
                "main.py": """
                from fastapi import FastAPI
                from api import api_router

                app = FastAPI()
                app.include_router(api_router, prefix="/api")
                """,
            },
        ),
        Case(
            id="user object id compared with a str path parameter through str()",
            source="""
            from typing import Annotated
            from fastapi import APIRouter, Depends
            from auth import User, get_current_user

            router = APIRouter()
            CurrentUser = Annotated[User, Depends(get_current_user)]


            @router.get("/users/{user_id}/items")
            def read_items(user_id: str, current_user: CurrentUser):
                return []
            """,
            fixed="""
            from typing import Annotated
            from fastapi import APIRouter, Depends, HTTPException
            from auth import User, get_current_user

            router = APIRouter()
            CurrentUser = Annotated[User, Depends(get_current_user)]


            @router.get("/users/{user_id}/items")
            def read_items(user_id: str, current_user: CurrentUser):
                if str(current_user.id) != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")

                return []
            """,
            files={
                "auth.py": """
                import uuid
                from pydantic import BaseModel

                class User(BaseModel):
                    id: uuid.UUID

                def get_current_user() -> User:
                    return User(id=uuid.uuid4())
                """,
            },
        ),
        Case(
            id="UUID path parameter compared with a string identity through str()",
            source="""
            import uuid
            from fastapi import APIRouter, Depends
            from dependencies import get_current_user

            router = APIRouter()


            @router.get("/api/{user_id}/tasks")
            def get_tasks(user_id: uuid.UUID, current_user: str = Depends(get_current_user)):
                return []
            """,
            fixed="""
            import uuid
            from fastapi import APIRouter, Depends, HTTPException
            from dependencies import get_current_user

            router = APIRouter()


            @router.get("/api/{user_id}/tasks")
            def get_tasks(user_id: uuid.UUID, current_user: str = Depends(get_current_user)):
                if current_user != str(user_id):
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")

                return []
            """,
            files=SEED_PROJECT,
        ),
    )


def _fix(ctx: ModuleContext, route: RouteModel) -> FixPlan | None:
    actions: list[FixAction] = []
    identity = route.identity
    if identity is not None:
        value, is_object = identity.value, identity.is_object
        arg = route.parameters[identity.param][0]
        identity_type = (
            getattr(ctx.index.resolve(ctx.module, arg.annotation), "qualname", None)
            if arg.annotation is not None
            else "builtins.str"
        )
    else:
        plan = plan_identity(ctx, route)
        if plan is None:
            return None
        actions.extend(plan.actions)
        value, is_object, identity_type = plan.value, plan.is_object, plan.type_qualname
    user = ctx.settings.user_id_param
    if route.user_param is None:
        actions.append(AddParameter(function_ref(route), user, "str"))
        user_type = "builtins.str"
    else:
        user_type = parameter_type_qualname(ctx, route, user)
    user_expr = user
    if not is_object and identity_type in SCALAR_IDENTITY_TYPES and user_type != identity_type:
        value, user_expr = _as_strings(value, identity_type, user, user_type)
    elif is_object and user_type == "builtins.str":
        value = f"str({value})"  # a user id attribute is often a UUID or int
    imports: list[FixAction] = []
    statement = raise_http_exception(ctx, 403, OWNER_MISMATCH_DETAIL, imports)
    code = if_raise(f"{value} != {user_expr}", statement)
    actions.append(InsertStatements(function_ref(route), code))
    actions.extend(imports)
    return FixPlan(
        title=f"Insert `if {value} != {user_expr}: raise HTTPException(status_code=403)`",
        actions=tuple(actions),
    )


def _as_strings(
    value: str, value_type: str | None, user: str, user_type: str | None
) -> tuple[str, str]:
    """Compare through ``str()`` so ``"42" != 42`` cannot lock the owner out."""
    return _as_string(value, value_type), _as_string(user, user_type)


def _as_string(expr: str, qualname: str | None) -> str:
    return expr if qualname == "builtins.str" else f"str({expr})"
