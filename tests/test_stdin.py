"""``--stdin-filename``: editors pipe the unsaved buffer in; behaviour is ``ruff check``'s.

Check mode prints the report on standard output. ``--fix``/``--fix-only`` print the fixed
source on standard output (nothing is written to disk) and the remaining diagnostics and the
closing lines on standard error. ``--diff`` prints the diff on standard output, the closing
line on standard error. The buffer is analysed as the named file of its project, so the
other files' facts (models, routers, auth dependencies) apply.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def copy_app(name: str, destination: Path) -> Path:
    app = Path(shutil.copytree(FIXTURES / name, destination / name, ignore=shutil.ignore_patterns("__pycache__")))
    (app / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0"\n')
    return app


def lint(cwd: Path, source: str | bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    data = source.encode() if isinstance(source, str) else source
    command = [sys.executable, "-m", "ownership_lint", "check", "--no-cache", *args]
    return subprocess.run(command, cwd=cwd, input=data, capture_output=True, timeout=120)


def snapshot(app: Path) -> dict[str, bytes]:
    return {str(p.relative_to(app)): p.read_bytes() for p in sorted(app.rglob("*")) if p.is_file()}


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    return copy_app("seed_app", tmp_path)


def test_check_reports_the_buffer_not_the_file_on_disk(seed: Path) -> None:
    on_disk = lint(seed, "", "--output-format", "concise", "routes/tasks.py")
    buffer = (seed / "routes" / "tasks.py").read_text().replace(
        "def delete_task(user_id: str, task_id: UUID, db: Session = Depends(get_db)):",
        "def delete_task(user_id: str, task_id: UUID, current_user: str = Depends(get_current_user), db: Session = Depends(get_db)):\n"
        "    if current_user != user_id:\n"
        "        raise HTTPException(status_code=403, detail=\"Not authorized to access this user's data\")",
    )
    result = lint(seed, buffer, "--output-format", "concise", "--stdin-filename", "routes/tasks.py")
    assert result.returncode == 1
    out = result.stdout.decode()
    assert "routes/tasks.py:87:5: OWN101" in on_disk.stdout.decode()
    assert "DELETE" not in out and out.count("OWN") == 3
    assert out.endswith("Found 3 errors.\n[*] 3 fixable with `--fix`.\n")
    assert result.stderr == b""


def test_json_output_names_the_stdin_file(seed: Path) -> None:
    source = (seed / "routes" / "tasks.py").read_bytes()
    result = lint(seed, source, "--output-format", "json", "--stdin-filename", "routes/tasks.py", "-")
    findings = json.loads(result.stdout)
    assert {d["filename"] for d in findings} == {str((seed / "routes" / "tasks.py").resolve())}
    assert [d["code"] for d in findings] == ["OWN101", "OWN201", "OWN201", "OWN101"]
    assert all(d["fix"] and d["fix"]["edits"] for d in findings)


def test_cross_file_facts_apply_to_the_buffer(tmp_path: Path) -> None:
    """The owned model is defined in models.py; the buffer is routes/tasks.py of that project."""
    app = copy_app("path_scoped_app", tmp_path)
    source = (app / "routes" / "tasks.py").read_bytes()
    in_project = lint(app, source, "--output-format", "json", "--stdin-filename", "routes/tasks.py")
    codes = [d["code"] for d in json.loads(in_project.stdout)]
    assert "OWN302" in codes and "OWN301" in codes
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "pyproject.toml").write_text("")
    alone = lint(elsewhere, source, "--output-format", "json", "--stdin-filename", "routes/tasks.py")
    alone_codes = [d["code"] for d in json.loads(alone.stdout)]
    assert "OWN302" not in alone_codes and "OWN301" not in alone_codes


def test_fix_prints_the_fixed_source_and_writes_nothing(seed: Path) -> None:
    before = snapshot(seed)
    source = (seed / "routes" / "tasks.py").read_bytes()
    result = lint(seed, source, "--fix", "--stdin-filename", "routes/tasks.py")
    assert result.returncode == 0
    assert snapshot(seed) == before
    fixed = result.stdout.decode()
    assert fixed.count("if current_user != user_id:") == 5  # one was there already
    assert result.stderr.decode() == "Found 6 errors (6 fixed, 0 remaining).\n"
    # The printed source is what `check --fix` writes to the file.
    written = lint(seed, "", "--fix", "routes/tasks.py")
    assert written.returncode == 0
    assert (seed / "routes" / "tasks.py").read_text() == fixed


def test_fix_of_a_file_that_does_not_exist_yet(seed: Path) -> None:
    source = (seed / "routes" / "tasks.py").read_bytes()
    result = lint(seed, source, "--fix", "--stdin-filename", "routes/new_tasks.py")
    assert result.returncode == 0
    assert not (seed / "routes" / "new_tasks.py").exists()
    assert b"if current_user != user_id:" in result.stdout


def test_fix_leaves_unfixable_diagnostics_on_stderr(tmp_path: Path) -> None:
    app = copy_app("path_scoped_app", tmp_path)
    source = (app / "routes" / "tasks.py").read_bytes()
    result = lint(app, source, "--fix", "--output-format", "concise", "--stdin-filename", "routes/tasks.py")
    remaining = lint(app, "", "--output-format", "concise", "--fix", "routes/tasks.py")
    assert result.returncode == remaining.returncode == 1
    assert result.stdout == (app / "routes" / "tasks.py").read_bytes()
    assert result.stderr == remaining.stdout
    assert b"remaining)." in result.stderr


def test_fix_of_clean_source_echoes_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    source = b"x = 1\n"
    result = lint(tmp_path, source, "--fix", "--stdin-filename", "clean.py")
    assert (result.returncode, result.stdout, result.stderr) == (0, source, b"All checks passed!\n")


def test_fix_only_and_quiet(seed: Path) -> None:
    source = (seed / "routes" / "tasks.py").read_bytes()
    fix_only = lint(seed, source, "--fix-only", "--stdin-filename", "routes/tasks.py")
    assert fix_only.returncode == 0 and fix_only.stderr == b"Fixed 6 errors.\n"
    quiet = lint(seed, source, "--fix", "-q", "--stdin-filename", "routes/tasks.py")
    assert quiet.stderr == b"" and quiet.stdout == fix_only.stdout


def test_diff_goes_to_stdout_and_the_count_to_stderr(seed: Path) -> None:
    source = (seed / "routes" / "tasks.py").read_bytes()
    result = lint(seed, source, "--diff", "--stdin-filename", "routes/tasks.py")
    assert result.returncode == 1
    assert result.stdout.startswith(b"--- routes/tasks.py\n+++ routes/tasks.py\n")
    assert result.stderr == b"Would fix 6 errors.\n"


def test_force_exclude_skips_the_buffer(seed: Path) -> None:
    (seed / "pyproject.toml").write_text('[tool.ownership-lint]\nextend-exclude = ["routes/"]\n')
    source = (seed / "routes" / "tasks.py").read_bytes()
    check = lint(seed, source, "--force-exclude", "--stdin-filename", "routes/tasks.py")
    assert (check.returncode, check.stdout) == (0, b"All checks passed!\n")
    fix = lint(seed, source, "--force-exclude", "--fix", "--stdin-filename", "routes/tasks.py")
    assert (fix.returncode, fix.stdout) == (0, source)
    without = lint(seed, source, "--output-format", "concise", "--stdin-filename", "routes/tasks.py")
    assert without.returncode == 1


def test_encoding_and_bom_are_kept(tmp_path: Path) -> None:
    app = copy_app("seed_app", tmp_path)
    source = (app / "routes" / "tasks.py").read_text()
    data = b"\xef\xbb\xbf" + source.replace("\n", "\r\n").encode()
    result = lint(app, data, "--fix", "--stdin-filename", "routes/tasks.py")
    assert result.stdout.startswith(b"\xef\xbb\xbf")
    assert b"if current_user != user_id:\r\n" in result.stdout
    assert b"\n" not in result.stdout.replace(b"\r\n", b"")


def test_syntax_error_in_the_buffer(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    source = b"from fastapi import APIRouter\nrouter = APIRouter(\n"
    check = lint(tmp_path, source, "--output-format", "json", "--stdin-filename", "broken.py")
    (diagnostic,) = json.loads(check.stdout)
    assert check.returncode == 1 and diagnostic["code"] is None
    fix = lint(tmp_path, source, "--fix", "--stdin-filename", "broken.py")
    assert fix.stdout == source and fix.returncode == 1
