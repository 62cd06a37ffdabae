"""FastAPI-shaped projects for the reliability tests, built from choices.

``build_project(choose)`` writes a small project (models, auth dependency, routers, app) as
``{relative path: source}``; every decision goes through ``choose``, so the same builder is
a hypothesis strategy (``fastapi_projects()``, choices drawn and shrunk by hypothesis) and a
seeded corpus generator (``RandomChooser``). The projects are meant to be wrong in the ways
the rules look for: routes with and without auth dependencies, owner checks missing, late,
non-rejecting or with the wrong status, unfiltered queries over owned models, raw model
returns, JWT decodes without algorithms, with verification off, hard-coded secrets, missing
subject checks, unhandled JWT errors.
"""

from __future__ import annotations

import random
import textwrap
from collections.abc import Sequence
from typing import Protocol, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")


class Chooser(Protocol):
    def pick(self, options: Sequence[T]) -> T: ...

    def flag(self) -> bool: ...

    def count(self, low: int, high: int) -> int: ...


class RandomChooser:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def pick(self, options: Sequence[T]) -> T:
        return self.random.choice(list(options))

    def flag(self) -> bool:
        return self.random.random() < 0.5

    def count(self, low: int, high: int) -> int:
        return self.random.randint(low, high)


class DrawChooser:
    def __init__(self, draw) -> None:
        self.draw = draw

    def pick(self, options: Sequence[T]) -> T:
        return self.draw(st.sampled_from(list(options)))

    def flag(self) -> bool:
        return self.draw(st.booleans())

    def count(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))


@st.composite
def fastapi_projects(draw) -> dict[str, str]:
    return build_project(DrawChooser(draw))


@st.composite
def fastapi_modules(draw) -> str:
    """One self-contained route module (model, dependency and routes in one file)."""
    return build_single_module(DrawChooser(draw))


def _dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# Models


def models_module(choose: Chooser, owner: str) -> str:
    if choose.flag():
        request_owner = f"    {owner}: str\n" if choose.flag() else ""
        return (
            "from typing import Optional\n\nfrom sqlmodel import Field, SQLModel\n\n\n"
            "class Item(SQLModel, table=True):\n"
            "    id: Optional[int] = Field(default=None, primary_key=True)\n"
            f"    {owner}: str = Field(index=True)\n"
            '    title: str = ""\n\n\n'
            "class ItemCreate(SQLModel):\n"
            f"    title: str\n{request_owner}\n\n"
            "class ItemRead(SQLModel):\n    id: int\n    title: str\n"
        )
    return _dedent(
        f"""
        from sqlalchemy import Integer, String
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
        from pydantic import BaseModel


        class Base(DeclarativeBase):
            pass


        class Item(Base):
            __tablename__ = "items"
            id: Mapped[int] = mapped_column(Integer, primary_key=True)
            {owner}: Mapped[str] = mapped_column(String, index=True)
            title: Mapped[str] = mapped_column(String, default="")


        class ItemCreate(BaseModel):
            title: str


        class ItemRead(BaseModel):
            id: int
            title: str
        """
    )


# The auth dependency


def dependency_module(choose: Chooser) -> str:
    library = choose.pick(["jose", "pyjwt"])
    imports = "from jose import JWTError, jwt" if library == "jose" else "import jwt\nfrom jwt import PyJWTError as JWTError"
    secret = choose.pick(['os.environ["BETTER_AUTH_SECRET"]', '"hard-coded-secret"', "SECRET_KEY"])
    algorithms = choose.pick([', algorithms=["HS256"]', "", ", algorithms=None", ', algorithms=["HS256"], options={"verify_signature": False}'])
    scheme = choose.pick(["OAuth2PasswordBearer(tokenUrl='token')", "HTTPBearer()"])
    token = "credentials.credentials" if scheme.startswith("HTTPBearer") else "token"
    parameter = (
        "credentials: HTTPAuthorizationCredentials = Security(scheme)"
        if token != "token"
        else f"token: str = {choose.pick(['Depends', 'Security'])}(scheme)"
    )
    decode = f"payload = jwt.decode({token}, {secret}{algorithms})"
    sub_check = choose.flag()
    handled = choose.pick(["JWTError", "none", "Exception"])
    status = choose.pick(["401", "403", "status.HTTP_401_UNAUTHORIZED"])
    body = [decode, 'user_id = payload.get("sub")']
    if sub_check:
        body += ["if user_id is None:", f'    raise HTTPException(status_code={status}, detail="Invalid token")']
    body.append("return user_id")
    if handled != "none":
        inner = textwrap.indent("\n".join(body), "    ")
        body = ["try:", inner, f"except {handled}:", f'    raise HTTPException(status_code={status}, detail="Invalid token")']
    function = "\n".join(["async def get_current_user(" + parameter + ") -> str:", textwrap.indent("\n".join(body), "    ")])
    alias = 'CurrentUser = Annotated[str, Depends(get_current_user)]\n' if choose.flag() else ""
    return (
        "import os\nfrom typing import Annotated\n\n"
        "from fastapi import Depends, HTTPException, Security, status\n"
        "from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer\n"
        f"{imports}\n\n"
        'SECRET_KEY = "change-me"\n'
        f"scheme = {scheme}\n\n\n{function}\n\n\n{alias}"
    )


DB_MODULE = _dedent(
    """
    from sqlmodel import Session, create_engine

    engine = create_engine("sqlite://")


    def get_db():
        with Session(engine) as session:
            yield session
    """
)


# Routes


def route_function(choose: Chooser, index: int, owner: str, prefix_has_user: bool, alias: bool) -> str:
    method = choose.pick(["get", "post", "put", "delete", "patch"])
    path_user = not prefix_has_user and choose.flag()
    path = choose.pick(["/items", "/items/{item_id}", "/", "/things/{item_id}/detail"])
    if path_user:
        path = "/{user_id}" + ("" if path == "/" else path)
    path_params = [p for p in ("user_id", "item_id") if "{" + p + "}" in path or (p == "user_id" and prefix_has_user)]
    params = []
    for name in path_params:
        params.append(f"{name}: {choose.pick(['str', 'int', 'UUID'] if name == 'user_id' else ['int', 'str'])}")
    identity = choose.pick(["depends", "annotated", "security", "none", "dependencies"] if alias else ["depends", "security", "none", "dependencies"])
    if method in ("post", "put", "patch") and choose.flag():
        params.append("payload: ItemCreate")
    if identity == "annotated":
        params.append("current_user: CurrentUser")
    elif identity == "depends":
        params.append("current_user: str = Depends(get_current_user)")
    elif identity == "security":
        params.append("current_user: str = Security(get_current_user)")
    owner_param = choose.flag()
    if owner_param:
        params.append('owner: str = Query(default="")')
    params.append("db: Session = Depends(get_db)")
    has_user = identity in ("depends", "annotated", "security")
    untrusted = "owner" if owner_param else '"someone"'
    user_value = "current_user" if has_user else ("user_id" if "user_id" in path_params else untrusted)
    check = choose.pick(["none", "first", "late", "no-raise", "wrong-status", "helper"]) if "user_id" in path_params and has_user else "none"
    statements: list[str] = []
    if choose.flag():
        statements.append(f'"""Route number {index}."""')
    owner_check = ["if current_user != user_id:", f'    raise HTTPException(status_code={"404" if check == "wrong-status" else "403"}, detail="Not authorized")']
    if check == "first" or check == "wrong-status":
        statements += owner_check
    elif check == "no-raise":
        statements += ["if current_user != user_id:", '    logger.warning("mismatch")']
    elif check == "helper":
        statements.append("ensure_owner(current_user, user_id)")
    access = choose.pick(["select", "select-filtered", "get", "add", "query", "exec-all", "raw"])
    if access == "select":
        statements.append("items = db.exec(select(Item)).all()")
        result = "items"
    elif access == "select-filtered":
        statements.append(f"items = db.exec(select(Item).where(Item.{owner} == {user_value})).all()")
        result = "items"
    elif access == "get":
        key = "item_id" if "item_id" in path_params else "1"
        missing = choose.pick(NOT_FOUND_BRANCHES)
        statements += [f"item = db.get(Item, {key})", "if item is None:", "    " + missing]
        result = "item"
    elif access == "add":
        owner_value = choose.pick([f"{owner}={user_value}", "", f"{owner}={untrusted}"])
        title = "payload.title" if "payload: ItemCreate" in params else '"x"'
        statements += [f"item = Item(title={title}{', ' + owner_value if owner_value else ''})", "db.add(item)", "db.commit()"]
        result = "item"
    elif access == "query":
        statements.append(f"items = db.query(Item).filter(Item.{owner} == {untrusted}).all()")
        result = "items"
    elif access == "exec-all":
        statements += ["statement = select(Item)", f"if {untrusted}:", f"    statement = statement.where(Item.{owner} == {untrusted})", "items = db.exec(statement).all()"]
        result = "items"
    else:
        statements.append("items = []")
        result = "items"
    if check == "late":
        statements += owner_check
    if choose.flag():
        statements += ["try:", f"    {result} = list({result}) if isinstance({result}, list) else {result}", "except Exception as error:", f"    raise HTTPException(status_code=500, detail=str(error))"]
    statements.append(f"return {result}")
    decorator_args = [f'"{path}"']
    if choose.flag():
        decorator_args.append("response_model=" + choose.pick(["ItemRead", "list[ItemRead]"]))
    if identity == "dependencies":
        decorator_args.append("dependencies=[Depends(get_current_user)]")
    asynchronous = choose.pick(["async def", "def"])
    body = textwrap.indent("\n".join(statements), "    ")
    signature = ", ".join(params)
    return f"@router.{method}({', '.join(decorator_args)})\n{asynchronous} route_{index}({signature}):\n{body}\n"


NOT_FOUND_BRANCHES = (
    "raise HTTPException(status_code=404)",
    "raise HTTPException(status_code=400)",
    "return {'error': 'missing'}",
)

ROUTE_IMPORTS = _dedent(
    """
    import logging
    from uuid import UUID

    from fastapi import APIRouter, Depends, HTTPException, Query, Security
    from sqlmodel import Session, select

    from db import get_db
    from dependencies import get_current_user{alias}
    from models import Item, ItemCreate, ItemRead

    logger = logging.getLogger(__name__)


    def ensure_owner(current_user: str, user_id: str) -> None:
        if current_user != user_id:
            raise HTTPException(status_code=403, detail="Not authorized")


    """
)


def routes_module(choose: Chooser, owner: str, alias: bool) -> tuple[str, str]:
    prefix = choose.pick(["", "/api", "/api/{user_id}", "/v1/users/{user_id}"])
    text = ROUTE_IMPORTS.replace("{alias}", ", CurrentUser" if alias else "")
    tags = choose.pick(["", ', tags=["items"]'])
    text += f'router = APIRouter(prefix="{prefix}"{tags})\n'
    for index in range(choose.count(1, 4)):
        text += "\n\n" + route_function(choose, index, owner, "{user_id}" in prefix, alias)
    return text, prefix


def build_project(choose: Chooser) -> dict[str, str]:
    owner = choose.pick(["user_id", "owner_id"])
    dependencies = dependency_module(choose)
    alias = "CurrentUser =" in dependencies
    files = {
        "pyproject.toml": '[project]\nname = "generated"\nversion = "0.1.0"\n',
        "models.py": models_module(choose, owner),
        "dependencies.py": dependencies,
        "db.py": DB_MODULE,
    }
    mounts = []
    for number in range(choose.count(1, 2)):
        text, _ = routes_module(choose, owner, alias)
        files[f"routes/items_{number}.py"] = text
        guard = ", dependencies=[Depends(get_current_user)]" if choose.flag() else ""
        mount_prefix = choose.pick(["", "/api"])
        mounts.append((number, mount_prefix, guard))
    files["routes/__init__.py"] = ""
    main = "from fastapi import Depends, FastAPI\n\nfrom dependencies import get_current_user\n"
    main += "".join(f"from routes.items_{n} import router as router_{n}\n" for n, _, _ in mounts)
    main += "\napp = FastAPI()\n"
    main += "".join(f'app.include_router(router_{n}, prefix="{p}"{g})\n' for n, p, g in mounts)
    files["main.py"] = main
    return files


def build_single_module(choose: Chooser) -> str:
    """Everything in one module: models, dependency and routes (imports among them dropped)."""
    files = build_project(choose)
    routes = files["routes/items_0.py"]
    routes = "\n".join(
        line for line in routes.splitlines() if not line.startswith(("from db import", "from dependencies import", "from models import"))
    )
    parts = [files["models.py"], files["dependencies.py"], DB_MODULE, routes]
    return "\n\n".join(parts) + "\n"
