"""Small helpers shared by rule modules."""

from __future__ import annotations

import ast
import re

from ..analysis.context import RouteModel
from ..source import Locator

_DEF = re.compile(rb"(async\s+)?def\s+")

# A minimal project most rule examples share: the seed's auth dependency and models.
DEPENDENCIES_PY = '''
import os

from fastapi import Depends, HTTPException
from fastapi.security import OAuth2PasswordBearer
from jose import JWTError, jwt

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


async def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
    try:
        payload = jwt.decode(token, os.environ["BETTER_AUTH_SECRET"], algorithms=["HS256"])
    except JWTError:
        raise HTTPException(status_code=401, detail="Invalid token")
    user_id = payload.get("sub")
    if user_id is None:
        raise HTTPException(status_code=401, detail="Invalid token")
    return user_id
'''

MODELS_PY = '''
import uuid

from sqlmodel import Field, SQLModel


class Task(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    title: str
    user_id: str = Field(index=True)
'''

DB_PY = '''
from sqlmodel import Session, create_engine

engine = create_engine("sqlite://")


def get_db():
    with Session(engine) as session:
        yield session
'''

DEPS_PY = '''
from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from db import get_db
from dependencies import get_current_user

SessionDep = Annotated[Session, Depends(get_db)]
CurrentUser = Annotated[str, Depends(get_current_user)]
'''

SEED_PROJECT = {
    "dependencies.py": DEPENDENCIES_PY,
    "models.py": MODELS_PY,
    "db.py": DB_PY,
    "deps.py": DEPS_PY,
}


def function_name_node(locator: Locator, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
    """A node spanning the function's name, where ruff-style rules point."""
    line = locator.line(node.lineno).encode("utf-8")
    match = _DEF.match(line, node.col_offset)
    start = match.end() if match else node.col_offset
    marker = ast.Name(id=node.name)
    marker.lineno = marker.end_lineno = node.lineno
    marker.col_offset = start
    marker.end_col_offset = start + len(node.name.encode("utf-8"))
    return marker


def route_label(route: RouteModel) -> str:
    return route.route.describe()
