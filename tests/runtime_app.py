"""Serve a fixture FastAPI app in-process, the way its README says to run it.

The fixture apps use flat imports (``from models import Task``), so their directory goes on
``sys.path`` and their modules are imported under plain names. ``serve`` makes each app a fresh
import and leaves no module, table, environment variable or path entry behind.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Iterator

import jwt
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel
from sqlmodel.main import default_registry

SECRET = "runtime-test-secret-0123456789abcdef"
APP_MODULES = ("main", "models", "db", "dependencies", "routes", "crud")


def make_token(sub: str | None, secret: str, *, expired: bool = False, algorithm: str = "HS256") -> str:
    lifetime = timedelta(minutes=-5) if expired else timedelta(minutes=30)
    claims: dict = {"exp": datetime.now(timezone.utc) + lifetime}
    if sub is not None:
        claims["sub"] = sub
    return jwt.encode(claims, secret, algorithm=algorithm)


@contextmanager
def serve(app_dir: Path, *, secret: str = SECRET) -> Iterator[TestClient]:
    with ExitStack() as stack:
        stack.enter_context(_environment(BETTER_AUTH_SECRET=secret, DATABASE_URL="sqlite://"))
        stack.enter_context(_importable_from(app_dir))
        stack.enter_context(_sqlmodel_declarations_discarded())
        main = importlib.import_module("main")
        stack.callback(_dispose_engines, _app_modules())
        yield stack.enter_context(TestClient(main.app))


def _is_app_module(name: str) -> bool:
    return name in APP_MODULES or name.startswith("routes.")


def _app_modules() -> list[ModuleType]:
    return [module for name, module in sys.modules.items() if _is_app_module(name)]


def _forget_app_modules() -> None:
    for name in [name for name in sys.modules if _is_app_module(name)]:
        del sys.modules[name]


@contextmanager
def _importable_from(app_dir: Path) -> Iterator[None]:
    entry = str(app_dir)
    _forget_app_modules()
    sys.path.insert(0, entry)
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path.remove(entry)
        sys.path_importer_cache.pop(entry, None)
        _forget_app_modules()


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _sqlmodel_declarations_discarded() -> Iterator[None]:
    tables_before = set(SQLModel.metadata.tables)
    registry_was_empty = not default_registry.mappers
    try:
        yield
    finally:
        for name in set(SQLModel.metadata.tables) - tables_before:
            SQLModel.metadata.remove(SQLModel.metadata.tables[name])
        if registry_was_empty:
            default_registry.dispose()


def _dispose_engines(modules: list[ModuleType]) -> None:
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, Engine):
                value.dispose()


def run_linter(app_dir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """``ownership-lint check`` on a copied app, without the cache, from inside it."""
    command = [sys.executable, "-m", "ownership_lint", "check", *options, "--no-cache", str(app_dir)]
    return subprocess.run(command, check=False, cwd=app_dir, capture_output=True, text=True, timeout=300)


def report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def snapshot(app_dir: Path) -> dict[str, bytes]:
    """Every file of the app and its bytes, to prove a second ``--fix`` changes nothing."""
    files = sorted(p for p in app_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return {str(path.relative_to(app_dir)): path.read_bytes() for path in files}
