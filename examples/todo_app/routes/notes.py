from fastapi import APIRouter, HTTPException
from sqlmodel import select

from db import SessionDep
from dependencies import CurrentUser
from models import Note, NoteCreate, NotePublic, NoteUpdate

router = APIRouter(prefix="/notes", tags=["notes"])


@router.get("/", response_model=list[NotePublic])
def list_notes(user_id: str, current_user: CurrentUser, db: SessionDep, pinned_only: bool = False):
    query = select(Note).where(Note.user_id == user_id)
    if pinned_only:
        query = query.where(Note.pinned)
    return db.exec(query.order_by(Note.created_at.desc())).all()


@router.post("/", response_model=NotePublic, status_code=201)
def create_note(user_id: str, note: NoteCreate, current_user: CurrentUser, db: SessionDep):
    if current_user != user_id:
        raise HTTPException(status_code=403, detail="Not authorized to access this user's data")

    db_note = Note(**note.model_dump())
    db_note.user_id = user_id
    db.add(db_note)
    db.commit()
    db.refresh(db_note)
    return db_note


@router.get("/{note_id}", response_model=NotePublic)
def read_note(user_id: str, note_id: int, current_user: CurrentUser, db: SessionDep):
    if current_user != user_id:
        raise HTTPException(status_code=403, detail="Not authorized to access this user's data")

    note = db.get(Note, note_id)
    if note is None or note.user_id != user_id:
        raise HTTPException(status_code=404, detail="Note not found")
    return note


@router.put("/{note_id}", response_model=NotePublic)
def update_note(user_id: str, note_id: int, changes: NoteUpdate, db: SessionDep):
    note = db.get(Note, note_id)
    if note is None or note.user_id != user_id:
        raise HTTPException(status_code=404, detail="Note not found")
    note.sqlmodel_update(changes.model_dump(exclude_unset=True))
    db.add(note)
    db.commit()
    db.refresh(note)
    return note


@router.delete("/{note_id}", status_code=204)
def delete_note(user_id: str, note_id: int, current_user: CurrentUser, db: SessionDep):
    note = db.get(Note, note_id)
    if note is None or note.user_id != user_id:
        raise HTTPException(status_code=404, detail="Note not found")
    db.delete(note)
    db.commit()
