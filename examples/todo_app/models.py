from datetime import datetime, timezone
from typing import Optional

from sqlmodel import Field, SQLModel


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class NoteBase(SQLModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=10_000)
    pinned: bool = False


class Note(NoteBase, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: str = Field(index=True)
    created_at: datetime = Field(default_factory=utc_now)


class NoteCreate(NoteBase):
    pass


class NotePublic(NoteBase):
    id: int
    user_id: str
    created_at: datetime


class NoteUpdate(SQLModel):
    title: Optional[str] = Field(default=None, min_length=1, max_length=200)
    body: Optional[str] = Field(default=None, max_length=10_000)
    pinned: Optional[bool] = None
