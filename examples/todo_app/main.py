from contextlib import asynccontextmanager

from fastapi import FastAPI

from db import create_db_and_tables
from routes import notes


@asynccontextmanager
async def lifespan(app: FastAPI):
    create_db_and_tables()
    yield


app = FastAPI(title="Notes", lifespan=lifespan)
app.include_router(notes.router, prefix="/api/{user_id}")


@app.get("/api/health")
def health():
    return {"status": "ok"}
