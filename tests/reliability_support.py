"""Helpers for the reliability tests: the real CLI in a subprocess, files on disk, tree states."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

# Files that mention none of the rules' markers are skipped without parsing (README,
# "Decisions"): hostile inputs start with this line so that they are parsed.
MARKER_LINE = "from fastapi import APIRouter\n"

DEPENDENCIES = textwrap.dedent(
    """\
    from fastapi import Depends, HTTPException


    def get_current_user(token: str = "") -> str:
        return token
    """
)

# One route that OWN201 fixes (inserting the owner check and the HTTPException import).
FIXABLE_ROUTE = textwrap.dedent(
    '''\
    from fastapi import APIRouter, Depends

    from deps import get_current_user

    router = APIRouter(prefix="/api")


    @router.get("/{user_id}/items")
    def items(user_id: str, current_user: str = Depends(get_current_user)):
        """Docstring caf\u00e9."""
        x = 1
        return x
    '''
)
FIX_IMPORT_BEFORE = "from fastapi import APIRouter, Depends"
FIX_IMPORT_AFTER = "from fastapi import APIRouter, Depends, HTTPException"
FIX_INSERTED = (
    "    if current_user != user_id:",
    "        raise HTTPException(status_code=403, detail=\"Not authorized to access this user's data\")",
    "",
)


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


def run_cli(cwd: Path, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None, timeout: float = 120) -> Run:
    """``python -m ownership_lint ARGS`` in ``cwd``; output decoded keeping undecodable bytes."""
    command = [sys.executable, "-m", "ownership_lint", *args]
    environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
    environment.pop("FORCE_COLOR", None)
    done = subprocess.run(command, cwd=cwd, capture_output=True, timeout=timeout, env=environment, input=stdin)
    return Run(done.returncode, _decode(done.stdout), _decode(done.stderr))


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def assert_sane(run: Run, *codes: int) -> None:
    """No traceback, the exit code is one of ``codes``, every stderr line is one message."""
    assert "Traceback" not in run.err and "Traceback" not in run.out, str(run)
    assert run.code in codes, str(run)
    for line in run.err_lines:
        assert line.startswith(("error: ", "warning: ")) or line.startswith(("Found ", "[*]", "No fixes")), str(run)


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))


def fixable_project(root: Path, route: str | bytes = FIXABLE_ROUTE, name: str = "routes.py") -> Path:
    write_files(root, {"pyproject.toml": "", "deps.py": DEPENDENCIES, name: route})
    return root / name


def tree_state(root: Path) -> dict[str, tuple[str, int, str]]:
    """Every entry under ``root`` (hidden ones too): kind, mode bits and content hash."""
    state = {}
    for directory, subdirectories, files in os.walk(root):
        for name in subdirectories + files:
            path = Path(directory, name)
            info = path.lstat()
            relative = path.relative_to(root).as_posix()
            if stat.S_ISDIR(info.st_mode):
                state[relative] = ("dir", stat.S_IMODE(info.st_mode), "")
            elif stat.S_ISLNK(info.st_mode):
                state[relative] = ("link", 0, os.readlink(path))
            else:
                state[relative] = ("file", stat.S_IMODE(info.st_mode), hashlib.sha256(path.read_bytes()).hexdigest())
    return state


def changed_entries(before: dict, after: dict) -> set[str]:
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


# A module with a user-scoped route and no auth dependency.
WITH_ROUTE_MODULE = MARKER_LINE + 'router = APIRouter()\n\n\n@router.get("/{user_id}/items")\ndef items(user_id: str):\n    return []\n'


def run_cli_many(runs: dict[str, tuple[Path, tuple[str, ...]]]) -> dict[str, Run]:
    """``run_cli(cwd, *args)`` for each entry, several at a time."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {name: pool.submit(run_cli, cwd, *args) for name, (cwd, args) in runs.items()}
        return {name: future.result() for name, future in futures.items()}
