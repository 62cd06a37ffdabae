"""Legitimate data-layer idioms the OWN2xx/OWN3xx rules must leave alone.

Each negative that depends on recognising a model or a route comes with a positive control (the
same project with the owner filter or check removed is reported), so a negative cannot pass just
because the analysis stopped seeing the model, the route or the file.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from ownership_lint.rule import Case
from ownership_lint.rules._common import SEED_PROJECT
from ownership_lint.testing import check_case

DATA_CODES = ("OWN201", "OWN202", "OWN203", "OWN301", "OWN302", "OWN303", "OWN304")

TOKEN_MODELS = """
import uuid

from sqlmodel import Field, SQLModel


class User(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    is_superuser: bool = False


class Item(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    title: str
    owner_id: uuid.UUID = Field(foreign_key="user.id")


class Country(SQLModel, table=True):
    id: int = Field(primary_key=True)
    name: str
"""

TOKEN_DEPS = """
import os
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from db import engine
from models import User

oauth2 = OAuth2PasswordBearer(tokenUrl="/login")


def get_db():
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]


def get_current_user(session: SessionDep, token: Annotated[str, Depends(oauth2)]) -> User:
    payload = jwt.decode(token, os.environ["BETTER_AUTH_SECRET"], algorithms=["HS256"])
    user = session.get(User, payload["sub"])
    if user is None:
        raise HTTPException(status_code=401)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_current_active_superuser(current_user: CurrentUser) -> User:
    if not current_user.is_superuser:
        raise HTTPException(status_code=403)
    return current_user
"""

TOKEN_PROJECT = {
    "models.py": TOKEN_MODELS,
    "deps.py": TOKEN_DEPS,
    "db.py": 'from sqlmodel import create_engine\n\nengine = create_engine("sqlite://")\n',
}

ROUTES_HEADER = """
import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy import and_
from sqlmodel import col, select

from deps import CurrentUser, SessionDep, get_current_active_superuser
from models import Country, Item

router = APIRouter(prefix="/items")
"""


def reported(tmp_path: Path, case: Case) -> list[str]:
    diagnostics, _ = check_case(tmp_path, case)
    return [f"{d.location.row}: {d.code} {d.message}" for d in diagnostics if d.code in DATA_CODES]


def token_case(routes: str, **kwargs) -> Case:
    return Case(source=ROUTES_HEADER + textwrap.dedent(routes), path="routes.py", files=TOKEN_PROJECT, **kwargs)


NEGATIVES = {
    "and_() filter": token_case(
        """
        @router.get("/")
        def read(session: SessionDep, current_user: CurrentUser, title: str) -> Any:
            return session.exec(select(Item).where(and_(Item.title == title, Item.owner_id == current_user.id))).all()
        """
    ),
    "chained where": token_case(
        """
        @router.get("/")
        def read(session: SessionDep, current_user: CurrentUser, title: str) -> Any:
            return session.exec(select(Item).where(Item.title == title).where(Item.owner_id == current_user.id)).all()
        """
    ),
    "where added to the statement variable in a later line": token_case(
        """
        @router.get("/")
        def read(session: SessionDep, current_user: CurrentUser, skip: int = 0) -> Any:
            statement = select(Item).offset(skip)
            statement = statement.where(Item.owner_id == current_user.id)
            return session.exec(statement).all()
        """
    ),
    "filter_by(owner_id=...)": token_case(
        """
        @router.get("/")
        def read(session: SessionDep, current_user: CurrentUser) -> Any:
            return session.query(Item).filter_by(owner_id=current_user.id).all()
        """
    ),
    "col() around the owner column": token_case(
        """
        @router.get("/")
        def read(session: SessionDep, current_user: CurrentUser) -> Any:
            return session.exec(select(Item).where(col(Item.owner_id) == current_user.id)).all()
        """
    ),
    "count with select_from, filtered": token_case(
        """
        from sqlmodel import func

        @router.get("/count")
        def count(session: SessionDep, current_user: CurrentUser) -> Any:
            statement = select(func.count()).select_from(Item).where(Item.owner_id == current_user.id)
            return session.exec(statement).one()
        """
    ),
    "lookup filtered by owner in the query": token_case(
        """
        @router.get("/{id}")
        def read(session: SessionDep, current_user: CurrentUser, id: uuid.UUID) -> Any:
            item = session.exec(select(Item).where(Item.id == id, Item.owner_id == current_user.id)).first()
            if item is None:
                raise HTTPException(status_code=404, detail="Item not found")
            return item
        """
    ),
    "lookup through a statement variable filtered by owner": token_case(
        """
        @router.get("/{id}")
        def read(session: SessionDep, current_user: CurrentUser, id: uuid.UUID) -> Any:
            statement = select(Item).where(Item.id == id).where(Item.owner_id == current_user.id)
            item = session.exec(statement).first()
            if item is None:
                raise HTTPException(status_code=404, detail="Item not found")
            return item
        """
    ),
    "helper doing the filtering": Case(
        source=ROUTES_HEADER
        + textwrap.dedent("""
        import crud

        @router.get("/{id}")
        def read(session: SessionDep, current_user: CurrentUser, id: uuid.UUID) -> Any:
            item = crud.get_owned_item(session, id, current_user)
            if item is None:
                raise HTTPException(status_code=404, detail="Item not found")
            return item
        """),
        path="routes.py",
        files={
            **TOKEN_PROJECT,
            "crud.py": """
            from sqlmodel import select
            from models import Item

            def get_owned_item(session, item_id, user):
                statement = select(Item).where(Item.id == item_id, Item.owner_id == user.id)
                return session.exec(statement).first()
            """,
        },
    ),
    "helper checking the owner of the object it loads": Case(
        source=ROUTES_HEADER
        + textwrap.dedent("""
        import crud

        @router.delete("/{id}")
        def delete(session: SessionDep, current_user: CurrentUser, id: uuid.UUID) -> None:
            item = crud.get_item_or_404(session, id, current_user.id)
            session.delete(item)
            session.commit()
        """),
        path="routes.py",
        files={
            **TOKEN_PROJECT,
            "crud.py": """
            from fastapi import HTTPException
            from models import Item

            def get_item_or_404(session, item_id, owner_id):
                item = session.get(Item, item_id)
                if item is None or item.owner_id != owner_id:
                    raise HTTPException(status_code=404, detail="Item not found")
                return item
            """,
        },
    ),
    "admin route through admin-dependencies": token_case(
        """
        @router.get("/all", dependencies=[Depends(get_current_active_superuser)])
        def read_all(session: SessionDep) -> Any:
            return session.exec(select(Item)).all()

        @router.get("/all/{id}")
        def read_any(session: SessionDep, admin: CurrentUser, _: Any = Depends(get_current_active_superuser), id: uuid.UUID = None) -> Any:
            return session.get(Item, id)
        """
    ),
    "admin route through admin-routes globs": token_case(
        """
        admin = APIRouter(prefix="/admin")

        @admin.get("/items")
        def all_items(session: SessionDep, current_user: CurrentUser) -> Any:
            return session.exec(select(Item)).all()

        @admin.post("/items/{id}/reassign")
        def reassign(session: SessionDep, current_user: CurrentUser, id: uuid.UUID, owner_id: uuid.UUID) -> Any:
            item = session.get(Item, id)
            item.owner_id = owner_id
            session.add(item)
            session.commit()
            return session.exec(select(Item).where(Item.owner_id == owner_id)).all()
        """,
        settings={"admin_routes": ("/admin/**",)},
    ),
    "superuser bypass in the object owner check": token_case(
        """
        @router.get("/{id}")
        def read(session: SessionDep, current_user: CurrentUser, id: uuid.UUID) -> Any:
            item = session.get(Item, id)
            if not item:
                raise HTTPException(status_code=404, detail="Item not found")
            if not current_user.is_superuser and (item.owner_id != current_user.id):
                raise HTTPException(status_code=403, detail="Not enough permissions")
            return item
        """
    ),
    "superuser branch of a list (full-stack template)": token_case(
        """
        from sqlmodel import func

        @router.get("/")
        def read_items(session: SessionDep, current_user: CurrentUser, skip: int = 0, limit: int = 100) -> Any:
            if current_user.is_superuser:
                count = session.exec(select(func.count()).select_from(Item)).one()
                items = session.exec(select(Item).offset(skip).limit(limit)).all()
            else:
                count = session.exec(
                    select(func.count()).select_from(Item).where(Item.owner_id == current_user.id)
                ).one()
                items = session.exec(
                    select(Item).where(Item.owner_id == current_user.id).offset(skip).limit(limit)
                ).all()
            return {"data": items, "count": count}
        """
    ),
    "model that is not owned": token_case(
        """
        @router.get("/countries")
        def countries(session: SessionDep, current_user: CurrentUser) -> Any:
            return session.exec(select(Country)).all()

        @router.get("/countries/{id}")
        def country(session: SessionDep, current_user: CurrentUser, id: int) -> Any:
            return session.get(Country, id)

        @router.post("/countries")
        def add_country(session: SessionDep, current_user: CurrentUser, name: str) -> Any:
            session.add(Country(name=name))
            session.commit()
        """
    ),
    "alembic migration": Case(
        path="migrations/versions/0001_backfill.py",
        source="""
        import sqlalchemy as sa
        from alembic import op
        from sqlmodel import Session, select

        from models import Item

        revision = "0001"
        down_revision = None


        def upgrade() -> None:
            op.execute("UPDATE item SET title = trim(title)")
            op.execute(sa.update(Item).values(title=""))
            session = Session(bind=op.get_bind())
            for item in session.exec(select(Item)).all():
                item.title = item.title.strip()
            session.commit()


        def downgrade() -> None:
            op.execute(sa.delete(Item))
        """,
        files=TOKEN_PROJECT,
    ),
    "seed script": Case(
        path="scripts/seed.py",
        source="""
        from sqlmodel import Session, select

        from db import engine
        from models import Item, User


        def seed() -> None:
            with Session(engine) as session:
                user = session.exec(select(User)).first()
                if session.exec(select(Item)).first() is None:
                    session.add(Item(title="Welcome"))
                for item in session.exec(select(Item)).all():
                    print(item.title, session.get(Item, item.id))
                session.commit()


        if __name__ == "__main__":
            seed()
        """,
        files=TOKEN_PROJECT,
    ),
    "async session": token_case(
        """
        @router.get("/")
        async def read_items(session: SessionDep, current_user: CurrentUser) -> Any:
            result = await session.execute(select(Item).where(Item.owner_id == current_user.id))
            return result.scalars().all()

        @router.get("/{id}")
        async def read_item(session: SessionDep, current_user: CurrentUser, id: uuid.UUID) -> Any:
            item = await session.get(Item, id)
            if item is None or item.owner_id != current_user.id:
                raise HTTPException(status_code=404, detail="Item not found")
            return item

        @router.delete("/{id}")
        async def delete_item(session: SessionDep, current_user: CurrentUser, id: uuid.UUID) -> None:
            result = await session.execute(select(Item).where(Item.id == id))
            item = result.scalar_one_or_none()
            if item is None or item.owner_id != current_user.id:
                raise HTTPException(status_code=404, detail="Item not found")
            await session.delete(item)
            await session.commit()
        """
    ),
    "lookup returned only when owned": token_case(
        """
        @router.get("/{id}")
        def read(session: SessionDep, current_user: CurrentUser, id: uuid.UUID) -> Any:
            item = session.get(Item, id)
            if item is not None and item.owner_id == current_user.id:
                return item
            raise HTTPException(status_code=404, detail="Item not found")
        """
    ),
    "path-scoped route after the owner check (seed style)": Case(
        source="""
        from fastapi import APIRouter, Depends, HTTPException
        from sqlmodel import Session, select

        from db import get_db
        from dependencies import get_current_user
        from models import Task

        router = APIRouter(prefix="/api/{user_id}")


        @router.post("/tasks/{task_id}/done")
        def done(user_id: str, task_id: str, current_user: str = Depends(get_current_user), db: Session = Depends(get_db)):
            if current_user != user_id:
                raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
            task = db.exec(select(Task).where(Task.id == task_id).where(Task.user_id == user_id)).one_or_none()
            if task is None:
                raise HTTPException(status_code=404, detail="Task not found")
            task.title = task.title + " (done)"
            db.add(task)
            db.commit()
            copy = Task.model_validate(task, update={"user_id": user_id})
            db.add(copy)
            db.commit()
            return db.query(Task).filter(Task.user_id == user_id).all()
        """,
        files=SEED_PROJECT,
    ),
}

NEGATIVES["a name imported from a project module that does not define it"] = Case(
    path="routes.py",
    source="""
    from fastapi import APIRouter, Depends
    from sqlmodel import select

    from deps import CurrentUser, SessionDep
    from models import Item, ItemFilter

    router = APIRouter()


    @router.get("/items")
    def items(session: SessionDep, current_user: CurrentUser, flt: ItemFilter = Depends(ItemFilter)):
        return session.exec(select(Item).where(Item.title == flt.title, Item.owner_id == current_user.id)).all()
    """,
    files=TOKEN_PROJECT,
)

SQLALCHEMY_MIXIN = """
from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column


class OwnedMixin:
    user_id = Column(String, ForeignKey("users.id"), index=True)


class TypedOwnedMixin:
    owner_id: Mapped[str] = mapped_column(String, index=True)
"""

SQLALCHEMY_MODELS = """
from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, declarative_base, mapped_column

from mixins import OwnedMixin, TypedOwnedMixin

Base = declarative_base()


class Base2(DeclarativeBase):
    pass


class Note(OwnedMixin, Base):
    __tablename__ = "notes"
    id = Column(Integer, primary_key=True)
    text = Column(String)


class Document(TypedOwnedMixin, Base2):
    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
"""

SQLALCHEMY_ROUTES = """
from typing import Any

from fastapi import APIRouter, HTTPException
from sqlalchemy import select

from deps import CurrentUser, SessionDep
from orm import Document, Note

router = APIRouter()


@router.get("/notes")
def notes(session: SessionDep, current_user: CurrentUser) -> Any:
    return session.scalars(select(Note).where(Note.user_id == current_user)).all()


@router.get("/documents/{id}")
def document(session: SessionDep, current_user: CurrentUser, id: int) -> Any:
    doc = session.scalars(select(Document).where(Document.id == id)).first()
    if doc is None or doc.owner_id != current_user:
        raise HTTPException(status_code=404, detail="Document not found")
    return doc


@router.post("/documents")
def create_document(session: SessionDep, current_user: CurrentUser, name: str) -> Any:
    doc = Document(name=name, owner_id=current_user)
    session.add(doc)
    session.commit()
    return {"id": doc.id}
"""

SQLALCHEMY_CASE = Case(
    source=SQLALCHEMY_ROUTES,
    path="routes.py",
    files={**SEED_PROJECT, "mixins.py": SQLALCHEMY_MIXIN, "orm.py": SQLALCHEMY_MODELS},
)
NEGATIVES["SQLAlchemy Mapped and Column models, owner inherited from a mixin"] = SQLALCHEMY_CASE


@pytest.mark.parametrize("case", NEGATIVES.values(), ids=NEGATIVES.keys())
def test_legitimate_idiom_is_not_reported(case: Case, tmp_path: Path):
    ast.parse(case.source)
    assert reported(tmp_path, case) == []


def with_source(case: Case, old: str, new: str, **files: str) -> Case:
    assert old in case.source, old
    return Case(
        source=case.source.replace(old, new),
        path=case.path,
        files={**case.files, **files},
        settings=case.settings,
    )


# Positive controls: the same projects with the owner filter or check taken out are reported.
CONTROLS = {
    "and_() filter": (NEGATIVES["and_() filter"], "Item.owner_id == current_user.id", "Item.title != ''", "OWN301"),
    "filter_by": (NEGATIVES["filter_by(owner_id=...)"], "owner_id=current_user.id", "title='x'", "OWN301"),
    "chained where": (NEGATIVES["chained where"], ".where(Item.owner_id == current_user.id)", "", "OWN301"),
    "lookup filtered": (
        NEGATIVES["lookup filtered by owner in the query"], ", Item.owner_id == current_user.id", "", "OWN302"
    ),
    "statement variable filtered": (
        NEGATIVES["lookup through a statement variable filtered by owner"],
        ".where(Item.owner_id == current_user.id)",
        "",
        "OWN302",
    ),
    "admin-dependencies": (
        NEGATIVES["admin route through admin-dependencies"],
        ", dependencies=[Depends(get_current_active_superuser)]",
        "",
        "OWN301",
    ),
    "not owned": (NEGATIVES["model that is not owned"], "select(Country)", "select(Item)", "OWN301"),
    "col()": (NEGATIVES["col() around the owner column"], "col(Item.owner_id)", "col(Item.title)", "OWN301"),
    "count": (NEGATIVES["count with select_from, filtered"], ".where(Item.owner_id == current_user.id)", "", "OWN301"),
    "helper": (
        with_source(
            NEGATIVES["helper doing the filtering"],
            "",
            "",
            **{"crud.py": "from models import Item\n\ndef get_owned_item(session, item_id, user):\n    return session.get(Item, item_id)\n"},
        ),
        "item = crud",
        "item = crud",
        "OWN302",
    ),
    "superuser bypass": (
        NEGATIVES["superuser bypass in the object owner check"],
        "if not current_user.is_superuser and (item.owner_id != current_user.id):",
        "if not current_user.is_superuser:",
        "OWN302",
    ),
    "superuser branch": (
        NEGATIVES["superuser branch of a list (full-stack template)"],
        "if current_user.is_superuser:",
        "if skip == 0:",
        "OWN301",
    ),
    "async session": (
        NEGATIVES["async session"],
        "if item is None or item.owner_id != current_user.id:",
        "if item is None:",
        "OWN302",
    ),
    "returned only when owned": (
        NEGATIVES["lookup returned only when owned"],
        "item.owner_id == current_user.id",
        "item.title != ''",
        "OWN302",
    ),
    "Column model through a mixin": (SQLALCHEMY_CASE, ".where(Note.user_id == current_user)", "", "OWN301"),
    "Mapped model through a mixin": (SQLALCHEMY_CASE, " or doc.owner_id != current_user", "", "OWN302"),
    "Mapped model create": (SQLALCHEMY_CASE, ", owner_id=current_user", "", "OWN304"),
    "admin-routes glob": (NEGATIVES["admin route through admin-routes globs"], '"/admin"', '"/staff"', "OWN301"),
}
CONTROLS["seed script called by a route"] = (
    with_source(
        NEGATIVES["seed script"],
        "",
        "",
        **{
            "routes.py": textwrap.dedent(
                """
                from fastapi import APIRouter
                from deps import CurrentUser
                from scripts.seed import seed

                router = APIRouter()

                @router.post("/reseed")
                def reseed(current_user: CurrentUser) -> None:
                    seed()
                """
            )
        },
    ),
    "select(Item)).all()",
    "select(Item)).all()",
    "OWN301",
)


@pytest.mark.parametrize(("case", "old", "new", "code"), CONTROLS.values(), ids=CONTROLS.keys())
def test_control_without_the_idiom_is_reported(case: Case, old: str, new: str, code: str, tmp_path: Path):
    assert code in {line.split()[1] for line in reported(tmp_path, with_source(case, old, new))}
