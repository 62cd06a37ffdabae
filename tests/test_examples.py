"""The README's quick start: the bundled example app, checked from the repository root."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_start_reports_the_example_apps_holes():
    out = subprocess.run(
        [sys.executable, "-m", "ownership_lint", "check", "--exit-zero", "--no-cache",
         "--output-format", "json", "examples/todo_app"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    found = sorted((Path(d["filename"]).name, d["location"]["row"], d["code"]) for d in json.loads(out.stdout))
    assert found == [("notes.py", 12, "OWN201"), ("notes.py", 44, "OWN101"), ("notes.py", 56, "OWN201")]


def test_the_repository_itself_is_clean():
    """The linter's own code (fixtures and examples excluded by pyproject.toml) has no finding."""
    out = subprocess.run(
        [sys.executable, "-m", "ownership_lint", "check", "--no-cache", "--output-format", "concise", "."],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
