"""OWN101 missing-auth-dependency."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.context import ModuleContext, RouteModel
from ..fixes.identity import plan_identity
from ..rule import ROUTE_MARKERS, Case, FixAvailability, FixPlan, Rule, Violation
from ._common import SEED_PROJECT, function_name_node, route_label


class MissingAuthDependency(Rule):
    """## What it does
    Checks for routes that serve one user's data without authenticating the request: a route
    whose path contains `{user_id}`, or that reads or writes a model with an owner column, and
    that has no authentication dependency (`get_current_user` or a dependency built on it) among
    the dependencies FastAPI runs for it.

    ## Why is this bad?
    Without an auth dependency anyone who can reach the API can call the route, for any user:
    broken authentication (OWASP API2:2023) that turns into broken object level authorization
    (API1:2023) as soon as the route touches a user's data.

    The analysis follows every way FastAPI attaches a dependency: `Depends(...)` and
    `Security(...)` parameter defaults, `Annotated[User, Depends(...)]` parameters and their
    aliases (`CurrentUser`), `dependencies=[...]` on the decorator, on `APIRouter(...)`, on
    `FastAPI(...)` and on `include_router(...)` (across modules), and dependencies of
    dependencies. An auth dependency is one listed in `auth-dependencies`, one that decodes a JWT,
    one that depends on an OAuth2/HTTP bearer/API key scheme and returns a value, and any
    dependency that depends on one of those.

    ## Example
    ```python
    @router.get("/api/{user_id}/tasks")
    async def get_tasks(user_id: str, db: Session = Depends(get_db)):
        return db.exec(select(Task).where(Task.user_id == user_id)).all()
    ```

    ## Use instead
    ```python
    @router.get("/api/{user_id}/tasks")
    async def get_tasks(
        user_id: str,
        current_user: str = Depends(get_current_user),
        db: Session = Depends(get_db),
    ):
        if current_user != user_id:
            raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
        return db.exec(select(Task).where(Task.user_id == user_id)).all()
    ```

    ## Fix safety
    The fix is safe: it adds the identity parameter the project already uses — the `Annotated`
    alias of the auth dependency when there is one (`current_user: CurrentUser`), else
    `current_user: T = Depends(get_current_user)` with `T` the dependency's return annotation
    (`str` when it has none) — after the last parameter without a default, and imports what is
    missing. Requests without a valid token then get 401, which is the intended behaviour of a
    route that serves a user's data. On a user-scoped route the same `--fix` run then adds the
    owner check of OWN201. No fix is offered when no auth dependency can be found in the project.

    ## Options
    - `auth-dependencies`
    - `auth-import`
    - `public-routes`
    - `user-id-param`
    - `owner-fields`

    ## References
    - [OWASP API Security Top 10 2023, API2: Broken Authentication](https://owasp.org/API-Security/editions/2023/en/0xa2-broken-authentication/)
    - [OWASP API Security Top 10 2023, API1: Broken Object Level Authorization](https://owasp.org/API-Security/editions/2023/en/0xa1-broken-object-level-authorization/)
    - [FastAPI: Security - Get Current User](https://fastapi.tiangolo.com/tutorial/security/get-current-user/)
    - [FastAPI: Dependencies in path operation decorators](https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-in-path-operation-decorators/)
    """

    code = "OWN101"
    name = "missing-auth-dependency"
    cwe = (306,)
    security_severity = "8.6"
    summary = "Route has no authentication dependency"
    message_formats = ("Route `{route}` has no authentication dependency",)
    fix_availability = FixAvailability.SOMETIMES
    markers = ROUTE_MARKERS

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for route in ctx.routes:
            if route.is_public or route.is_authenticated:
                continue
            if not (route.user_scoped or route.data_accesses):
                continue
            yield Violation(
                node=function_name_node(ctx.locator, route.node),
                message=f"Route `{route_label(route)}` has no authentication dependency",
                fix=self._fix(ctx, route),
                noqa_node=route.node,
            )

    @staticmethod
    def _fix(ctx: ModuleContext, route: RouteModel) -> FixPlan | None:
        plan = plan_identity(ctx, route)
        if plan is None:
            return None
        add = plan.actions[0]
        written = f"{add.name}: {add.annotation}" + (f" = {add.default}" if add.default else "")  # type: ignore[union-attr]
        return FixPlan(title=f"Add `{written}` parameter", actions=plan.actions)

    VALID = (
        Case(
            id="route with the auth dependency as a parameter default",
            source="""
            from fastapi import APIRouter, Depends
            from dependencies import get_current_user

            router = APIRouter()

            @router.get("/api/{user_id}/tasks")
            async def get_tasks(user_id: str, current_user: str = Depends(get_current_user)):
                if current_user != user_id:
                    raise HTTPException(status_code=403)
                return []
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="Annotated alias imported from another module",
            source="""
            from fastapi import APIRouter
            from deps import CurrentUser

            router = APIRouter(prefix="/items")

            @router.get("/{item_id}")
            def read_item(item_id: int, current_user: CurrentUser):
                return {"id": item_id}
            """,
            files={
                **SEED_PROJECT,
                "deps.py": """
                from typing import Annotated
                from fastapi import Depends
                from dependencies import get_current_user

                CurrentUser = Annotated[str, Depends(get_current_user)]
                """,
            },
        ),
        Case(
            id="Security() instead of Depends()",
            source="""
            from fastapi import APIRouter, Security
            from dependencies import get_current_user

            router = APIRouter()

            @router.get("/api/{user_id}/profile")
            def profile(user_id: str, user: str = Security(get_current_user, scopes=["me"])):
                if user != user_id:
                    raise HTTPException(403)
                return {}
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="router-level dependencies",
            source="""
            from fastapi import APIRouter, Depends
            from sqlmodel import select
            from dependencies import get_current_user
            from models import Task

            router = APIRouter(dependencies=[Depends(get_current_user)])

            @router.get("/tasks")
            def list_tasks(db):
                return db.exec(select(Task)).all()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="include_router dependencies in another module",
            path="routes/tasks.py",
            source="""
            from fastapi import APIRouter
            from sqlmodel import select
            from models import Task

            router = APIRouter()

            @router.get("/tasks")
            def list_tasks(db):
                return db.exec(select(Task)).all()
            """,
            files={
                **SEED_PROJECT,
                "routes/__init__.py": "",
                "main.py": """
                from fastapi import Depends, FastAPI
                from dependencies import get_current_user
                from routes import tasks

                app = FastAPI()
                app.include_router(tasks.router, dependencies=[Depends(get_current_user)])
                """,
            },
        ),
        Case(
            id="auth through a dependency chain",
            source="""
            from fastapi import APIRouter, Depends
            from dependencies import get_current_user

            router = APIRouter()

            def get_active_user(user: str = Depends(get_current_user)) -> str:
                return user

            def require_member(user: str = Depends(get_active_user)) -> None:
                return None

            @router.get("/tasks", dependencies=[Depends(require_member)])
            def list_tasks(db):
                return db.exec(select(Task)).all()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="inline Annotated parameter",
            source="""
            from typing import Annotated
            from fastapi import APIRouter, Depends
            from dependencies import get_current_user

            router = APIRouter()

            @router.get("/tasks/{task_id}")
            def read_task(task_id: str, user: Annotated[str, Depends(get_current_user)], db):
                return db.get(Task, task_id)
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="callable class instance as the auth dependency",
            source="""
            from fastapi import APIRouter, Depends
            from fastapi.security import HTTPBearer

            bearer = HTTPBearer()

            class TokenVerifier:
                def __call__(self, credentials=Depends(bearer)) -> str:
                    return check(credentials.credentials)

            verify = TokenVerifier()
            router = APIRouter(prefix="/api/{user_id}", dependencies=[Depends(verify)])

            @router.get("/notes")
            def notes(user_id: str):
                return []
            """,
            settings={"select": ("OWN101",)},
        ),
        Case(
            id="FastAPI app-level dependencies",
            source="""
            from fastapi import Depends, FastAPI
            from dependencies import get_current_user

            app = FastAPI(dependencies=[Depends(get_current_user)])

            @app.get("/api/{user_id}/tasks")
            def get_tasks(user_id: str):
                return []
            """,
            files=SEED_PROJECT,
            settings={"select": ("OWN101",)},
        ),
        Case(
            id="route listed in public-routes",
            source="""
            from fastapi import APIRouter

            router = APIRouter(prefix="/api/public")

            @router.get("/{user_id}/avatar")
            def avatar(user_id: str):
                return {"user": user_id}
            """,
            settings={"public_routes": ("/api/public/**",)},
        ),
        Case(
            id="route without user_id that touches no owned model",
            source="""
            from fastapi import APIRouter

            router = APIRouter()

            @router.get("/api/health")
            def health():
                return {"status": "ok"}
            """,
        ),
        Case(
            id="function that is not a route",
            source="""
            def get_tasks(user_id: str, db):
                return db.exec(select(Task).where(Task.user_id == user_id)).all()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="JWT-decoding dependency detected without configuration",
            source="""
            import jwt
            from fastapi import APIRouter, Depends, Header

            router = APIRouter()

            def verify_token(authorization: str = Header()) -> dict:
                return jwt.decode(authorization, "k", algorithms=["HS256"])

            @router.get("/api/{user_id}/notes")
            def notes(user_id: str, claims: dict = Depends(verify_token)):
                if claims["sub"] != user_id:
                    raise HTTPException(403)
                return []
            """,
        ),
    )

    INVALID = (
        Case(
            id="user-scoped route without auth gets the identity parameter",
            source="""
            from fastapi import APIRouter, Depends
            from sqlmodel import Session, select

            from db import get_db
            from models import Task

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks")
            async def get_tasks(
                user_id: str,
                db: Session = Depends(get_db)
            ):
                return db.exec(select(Task).where(Task.user_id == user_id)).all()
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException
            from sqlmodel import Session, select

            from db import get_db
            from models import Task
            from dependencies import get_current_user

            router = APIRouter(prefix="/api/{user_id}")


            @router.get("/tasks")
            async def get_tasks(
                user_id: str,
                current_user: str = Depends(get_current_user),
                db: Session = Depends(get_db)
            ):
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")

                return db.exec(select(Task).where(Task.user_id == user_id)).all()
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="route reading an owned model by id without auth",
            source="""
            from fastapi import APIRouter, Depends

            from db import get_db
            from models import Task

            router = APIRouter()


            @router.get("/tasks/{task_id}")
            def read_task(task_id: str, db=Depends(get_db)):
                return db.get(Task, task_id)
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException

            from db import get_db
            from models import Task
            from dependencies import get_current_user

            router = APIRouter()


            @router.get("/tasks/{task_id}")
            def read_task(task_id: str, current_user: str = Depends(get_current_user), db=Depends(get_db)):
                task = db.get(Task, task_id)
                if task is None or task.user_id != current_user:
                    raise HTTPException(status_code=404, detail="Task not found")
                return task
            """,
            files=SEED_PROJECT,
        ),
        Case(
            id="the project's Annotated alias is preferred",
            source="""
            from fastapi import APIRouter

            from deps import SessionDep
            from models import Task

            router = APIRouter(prefix="/items")


            @router.delete("/{task_id}")
            def delete_item(session: SessionDep, task_id: str):
                session.delete(session.get(Task, task_id))
            """,
            fixed="""
            from fastapi import APIRouter

            from deps import CurrentUser, SessionDep
            from models import Task

            router = APIRouter(prefix="/items")


            @router.delete("/{task_id}")
            def delete_item(session: SessionDep, task_id: str, current_user: CurrentUser):
                session.delete(session.get(Task, task_id))
            """,
            files={
                **SEED_PROJECT,
                "deps.py": """
                from typing import Annotated
                from fastapi import Depends
                from sqlmodel import Session
                from db import get_db
                from dependencies import get_current_user

                SessionDep = Annotated[Session, Depends(get_db)]
                CurrentUser = Annotated[str, Depends(get_current_user)]
                """,
            },
        ),
        Case(
            id="a sibling route's identity parameter is copied as written",
            source="""
            from fastapi import APIRouter, Depends
            from auth import User, get_current_active_user

            router = APIRouter()


            @router.get("/users/{user_id}")
            def read_user(user_id: int, me: User = Depends(get_current_active_user)):
                if me.id != user_id:
                    raise HTTPException(status_code=403)
                return me


            @router.get("/users/{user_id}/settings")
            def read_settings(user_id: int):
                return {}
            """,
            fixed="""
            from fastapi import APIRouter, Depends, HTTPException
            from auth import User, get_current_active_user

            router = APIRouter()


            @router.get("/users/{user_id}")
            def read_user(user_id: int, me: User = Depends(get_current_active_user)):
                if me.id != user_id:
                    raise HTTPException(status_code=403)
                return me


            @router.get("/users/{user_id}/settings")
            def read_settings(user_id: int, current_user: User = Depends(get_current_active_user)):
                if current_user.id != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")

                return {}
            """,
            files={
                "auth.py": """
                import jwt
                from fastapi import Depends
                from fastapi.security import OAuth2PasswordBearer
                from pydantic import BaseModel

                scheme = OAuth2PasswordBearer(tokenUrl="token")

                class User(BaseModel):
                    id: int

                def get_current_user(token: str = Depends(scheme)) -> User:
                    return User(id=jwt.decode(token, key, algorithms=["HS256"])["sub"])

                def get_current_active_user(user: User = Depends(get_current_user)) -> User:
                    return user
                """,
            },
        ),
        Case(
            id="no auth dependency anywhere in the project: reported without a fix",
            source="""
            from fastapi import FastAPI

            app = FastAPI()


            @app.get("/api/{user_id}/tasks")
            def get_tasks(user_id: str):
                return []
            """,
            fixed=None,
        ),
    )
