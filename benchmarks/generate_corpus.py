"""Generate a synthetic corpus of realistic FastAPI projects for benchmarks.

    python benchmarks/generate_corpus.py OUT_DIR --lines 1000000 [--seed 1]

Each project has the layout of FastAPI's full-stack template and of the seed guide: auth
dependencies, SQLModel/SQLAlchemy models (owned and not), crud modules, routers in both styles
(path-scoped ``/api/{user_id}`` and token-scoped ``/items/{id}``) with a few isolation holes,
tests, and plain Python modules that mention no web framework (about half the lines), so the
prefilter has realistic work to do.
"""

from __future__ import annotations

import argparse
import random
import textwrap
from pathlib import Path

RESOURCES = ["task", "note", "item", "project", "invoice", "order", "document", "comment", "file", "event"]


def _cap(name: str) -> str:
    return name.capitalize()


def deps_module() -> str:
    return textwrap.dedent(
        '''
        import os
        from typing import Annotated

        import jwt
        from fastapi import Depends, HTTPException, status
        from fastapi.security import OAuth2PasswordBearer
        from sqlmodel import Session

        from app.core.db import engine
        from app.models import User

        oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/login/access-token")


        def get_db():
            with Session(engine) as session:
                yield session


        SessionDep = Annotated[Session, Depends(get_db)]
        TokenDep = Annotated[str, Depends(oauth2_scheme)]


        def get_current_user(session: SessionDep, token: TokenDep) -> User:
            try:
                payload = jwt.decode(token, os.environ["BETTER_AUTH_SECRET"], algorithms=["HS256"])
            except jwt.InvalidTokenError:
                raise HTTPException(
                    status_code=status.HTTP_401_UNAUTHORIZED,
                    detail="Could not validate credentials",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            subject = payload.get("sub")
            if subject is None:
                raise HTTPException(status_code=401, detail="Invalid token")
            user = session.get(User, subject)
            if not user:
                raise HTTPException(status_code=404, detail="User not found")
            return user


        CurrentUser = Annotated[User, Depends(get_current_user)]


        def get_current_active_superuser(current_user: CurrentUser) -> User:
            if not current_user.is_superuser:
                raise HTTPException(status_code=403, detail="The user doesn't have enough privileges")
            return current_user
        '''
    ).lstrip()


def models_module(resources: list[str]) -> str:
    parts = [
        textwrap.dedent(
            '''
            import uuid
            from datetime import datetime
            from typing import Optional

            from sqlmodel import Field, SQLModel


            class User(SQLModel, table=True):
                id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
                email: str = Field(unique=True, index=True, max_length=255)
                is_superuser: bool = False
                hashed_password: str


            class Country(SQLModel, table=True):
                id: int = Field(primary_key=True)
                name: str
            '''
        ).lstrip()
    ]
    for resource in resources:
        name = _cap(resource)
        parts.append(
            textwrap.dedent(
                f'''

                class {name}Base(SQLModel):
                    title: str = Field(min_length=1, max_length=255)
                    description: Optional[str] = Field(default=None, max_length=1000)
                    archived: bool = False


                class {name}({name}Base, table=True):
                    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
                    owner_id: uuid.UUID = Field(foreign_key="user.id", index=True)
                    created_at: datetime = Field(default_factory=datetime.utcnow)


                class {name}Create({name}Base):
                    pass


                class {name}Public({name}Base):
                    id: uuid.UUID
                    owner_id: uuid.UUID


                class {name}Update(SQLModel):
                    title: Optional[str] = None
                    description: Optional[str] = None
                    archived: Optional[bool] = None
                '''
            )
        )
    return "".join(parts)


def crud_module(resource: str, rng: random.Random) -> str:
    name = _cap(resource)
    filtered = rng.random() > 0.1
    where = f".where({name}.owner_id == owner_id)" if filtered else ""
    return textwrap.dedent(
        f'''
        import uuid

        from sqlmodel import Session, func, select

        from app.models import {name}, {name}Create


        def create_{resource}(session: Session, data: {name}Create, owner_id: uuid.UUID) -> {name}:
            db_obj = {name}.model_validate(data, update={{"owner_id": owner_id}})
            session.add(db_obj)
            session.commit()
            session.refresh(db_obj)
            return db_obj


        def list_{resource}s(session: Session, owner_id: uuid.UUID, skip: int = 0, limit: int = 100):
            statement = select({name}){where}.offset(skip).limit(limit)
            return session.exec(statement).all()


        def count_{resource}s(session: Session, owner_id: uuid.UUID) -> int:
            statement = select(func.count()).select_from({name}).where({name}.owner_id == owner_id)
            return session.exec(statement).one()
        '''
    ).lstrip()


def token_routes(resource: str, rng: random.Random) -> str:
    name = _cap(resource)
    checked = rng.random() > 0.15
    check = (
        f"    if not current_user.is_superuser and ({resource}.owner_id != current_user.id):\n"
        f'        raise HTTPException(status_code=403, detail="Not enough permissions")\n'
        if checked
        else ""
    )
    return textwrap.dedent(
        f'''
        import uuid
        from typing import Any

        from fastapi import APIRouter, HTTPException

        from app import crud
        from app.api.deps import CurrentUser, SessionDep
        from app.models import {name}, {name}Create, {name}Public, {name}Update

        router = APIRouter(prefix="/{resource}s", tags=["{resource}s"])


        @router.get("/", response_model=list[{name}Public])
        def read_{resource}s(session: SessionDep, current_user: CurrentUser, skip: int = 0, limit: int = 100) -> Any:
            return crud.list_{resource}s(session, current_user.id, skip, limit)


        @router.get("/{{id}}", response_model={name}Public)
        def read_{resource}(session: SessionDep, current_user: CurrentUser, id: uuid.UUID) -> Any:
            {resource} = session.get({name}, id)
            if not {resource}:
                raise HTTPException(status_code=404, detail="{name} not found")
        '''
    ).lstrip() + check + textwrap.dedent(
        f'''
            return {resource}


        @router.post("/", response_model={name}Public)
        def create_{resource}(*, session: SessionDep, current_user: CurrentUser, {resource}_in: {name}Create) -> Any:
            return crud.create_{resource}(session, {resource}_in, current_user.id)


        @router.put("/{{id}}", response_model={name}Public)
        def update_{resource}(*, session: SessionDep, current_user: CurrentUser, id: uuid.UUID, {resource}_in: {name}Update) -> Any:
            {resource} = session.get({name}, id)
            if not {resource} or {resource}.owner_id != current_user.id:
                raise HTTPException(status_code=404, detail="{name} not found")
            {resource}.sqlmodel_update({resource}_in.model_dump(exclude_unset=True))
            session.add({resource})
            session.commit()
            session.refresh({resource})
            return {resource}


        @router.delete("/{{id}}")
        def delete_{resource}(session: SessionDep, current_user: CurrentUser, id: uuid.UUID) -> Any:
            {resource} = session.get({name}, id)
            if not {resource} or {resource}.owner_id != current_user.id:
                raise HTTPException(status_code=404, detail="{name} not found")
            session.delete({resource})
            session.commit()
            return {{"ok": True}}
        '''
    )


def path_routes(resource: str, rng: random.Random) -> str:
    name = _cap(resource)
    guard = (
        "    if str(current_user.id) != user_id:\n"
        "        raise HTTPException(status_code=403, detail=\"Not authorized to access this user's data\")\n"
    )
    missing = rng.random() < 0.15
    return textwrap.dedent(
        f'''
        from fastapi import APIRouter, HTTPException
        from sqlmodel import select

        from app.api.deps import CurrentUser, SessionDep
        from app.models import {name}, {name}Public

        router = APIRouter(prefix="/api/{{user_id}}/{resource}s")


        @router.get("/", response_model=list[{name}Public])
        def list_user_{resource}s(user_id: str, current_user: CurrentUser, session: SessionDep):
        '''
    ).lstrip() + ("" if missing else guard) + textwrap.dedent(
        f'''
            return session.exec(select({name}).where({name}.owner_id == current_user.id)).all()


        @router.get("/archived", response_model=list[{name}Public])
        def list_archived_{resource}s(user_id: str, current_user: CurrentUser, session: SessionDep):
        '''
    ) + guard + textwrap.dedent(
        f'''
            statement = select({name}).where({name}.owner_id == current_user.id)
            statement = statement.where({name}.archived)
            return session.exec(statement).all()
        '''
    )


def main_module(resources: list[str]) -> str:
    imports = "\n".join(f"from app.api.routes import {r}s, {r}s_by_user" for r in resources)
    includes = "\n".join(
        f"api_router.include_router({r}s.router)\napi_router.include_router({r}s_by_user.router)"
        for r in resources
    )
    return (
        "from fastapi import APIRouter, FastAPI\n\n"
        f"{imports}\n\n"
        "api_router = APIRouter()\n"
        f"{includes}\n\n"
        "app = FastAPI(title=\"bench\")\n"
        "app.include_router(api_router, prefix=\"/api/v1\")\n"
    )


def test_module(resource: str) -> str:
    name = _cap(resource)
    body = textwrap.dedent(
        f'''
        from fastapi.testclient import TestClient

        from app.main import app

        client = TestClient(app)


        def test_create_{resource}(token_headers):
            response = client.post("/api/v1/{resource}s/", json={{"title": "x"}}, headers=token_headers)
            assert response.status_code == 200
            assert response.json()["title"] == "x"


        def test_read_{resource}_of_another_user(other_token_headers, {resource}_id):
            response = client.get(f"/api/v1/{resource}s/{{{resource}_id}}", headers=other_token_headers)
            assert response.status_code in (403, 404)
        '''
    ).lstrip()
    return body + f"\n\n# {name} tests end here\n"


def plain_module(rng: random.Random, index: int) -> str:
    """Ordinary Python (parsing, math, text): no framework names at all."""
    lines = [f'"""Utility module {index}."""', "", "import math", "import statistics", "from collections import Counter", ""]
    for number in range(rng.randint(8, 20)):
        lines += [
            "",
            f"def transform_{number}(values, factor={rng.randint(1, 9)}):",
            f'    """Scale, filter and summarise values ({number})."""',
            "    scaled = [value * factor for value in values if value is not None]",
            "    if not scaled:",
            "        return {}",
            "    counts = Counter(round(value, 1) for value in scaled)",
            "    spread = max(scaled) - min(scaled)",
            "    return {",
            '        "mean": statistics.fmean(scaled),',
            '        "spread": spread,',
            '        "log": math.log1p(abs(spread)),',
            '        "common": counts.most_common(3),',
            "    }",
            "",
            f"class Accumulator{number}:",
            "    def __init__(self):",
            "        self.items = []",
            "",
            "    def add(self, item):",
            "        self.items.append(item)",
            "        return len(self.items)",
            "",
        ]
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text.count("\n")


def generate_project(root: Path, rng: random.Random) -> int:
    resources = rng.sample(RESOURCES, rng.randint(4, 8))
    lines = 0
    app = root / "app"
    lines += write(root / "pyproject.toml", "[project]\nname = 'bench'\n")
    for package in ("app", "app/api", "app/api/routes", "app/core", "tests", "app/utils"):
        lines += write(root / package / "__init__.py", "")
    lines += write(app / "core" / "db.py", "from sqlmodel import create_engine\n\nengine = create_engine(\"sqlite://\")\n")
    lines += write(app / "api" / "deps.py", deps_module())
    lines += write(app / "models.py", models_module(resources))
    crud = "\n\n".join(crud_module(r, rng) for r in resources)
    lines += write(app / "crud.py", crud)
    for resource in resources:
        lines += write(app / "api" / "routes" / f"{resource}s.py", token_routes(resource, rng))
        lines += write(app / "api" / "routes" / f"{resource}s_by_user.py", path_routes(resource, rng))
        lines += write(root / "tests" / f"test_{resource}s.py", test_module(resource))
    lines += write(app / "main.py", main_module(resources))
    for index in range(rng.randint(12, 20)):
        lines += write(app / "utils" / f"util_{index}.py", plain_module(rng, index))
    return lines


def generate(out: Path, target_lines: int, seed: int = 1) -> tuple[int, int]:
    rng = random.Random(seed)
    total = projects = 0
    while total < target_lines:
        total += generate_project(out / f"project_{projects:04d}", rng)
        projects += 1
    return total, projects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    lines, projects = generate(args.out, args.lines, args.seed)
    print(f"{lines} lines in {projects} projects under {args.out}")


if __name__ == "__main__":
    main()
