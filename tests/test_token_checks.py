"""OWN501-OWN503 on realistic token code (``fixtures/token_checks``): what is reported, which
fixes are offered, and what ``--fix --unsafe-fixes`` leaves behind."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TOKEN_CHECKS = Path(__file__).parent / "fixtures" / "token_checks"
EXPECTED = json.loads((TOKEN_CHECKS / "EXPECTED.json").read_text())


def copy_app(destination: Path) -> Path:
    ignored = shutil.ignore_patterns("__pycache__", "EXPECTED.json", "README.md")
    return Path(shutil.copytree(TOKEN_CHECKS, destination / "app", ignore=ignored))


def lint(app_dir: Path, *options: str) -> list[dict]:
    command = [sys.executable, "-m", "ownership_lint", "check", *options, "--no-cache", "--output-format", "json", str(app_dir)]
    result = subprocess.run(command, cwd=app_dir, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    return [
        {
            "file": Path(d["filename"]).relative_to(app_dir).as_posix(),
            "row": d["location"]["row"],
            "code": d["code"],
            "fix": d["fix"]["applicability"] if d["fix"] else None,
        }
        for d in json.loads(result.stdout)
    ]


def sources(app_dir: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(app_dir.glob("*.py"))}


@pytest.fixture(scope="module")
def fixed_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    app_dir = copy_app(tmp_path_factory.mktemp("token_checks"))
    lint(app_dir, "--fix", "--unsafe-fixes")
    return app_dir


def test_findings_and_fix_applicability(tmp_path: Path):
    assert lint(copy_app(tmp_path)) == EXPECTED


def test_unsafe_fixes_leave_only_the_unfixable_findings(fixed_app: Path):
    remaining = lint(fixed_app)
    assert sorted(d["code"] for d in remaining) == sorted(d["code"] for d in EXPECTED if d["fix"] is None)
    assert all(d["fix"] is None for d in remaining)


def test_fixed_secrets_come_from_the_environment(fixed_app: Path):
    fixed = sources(fixed_app)
    assert 'jwt.encode(claims, os.environ["BETTER_AUTH_SECRET"], algorithm=settings.ALGORITHM)' in fixed["security.py"]
    assert 'jwt.decode(token, os.environ["BETTER_AUTH_SECRET"], algorithms=["HS256"])' in fixed["security.py"]
    assert 'WEBHOOK_SECRET = os.environ["WEBHOOK_SECRET"]\n' in fixed["service_auth.py"]
    for name, text in fixed.items():
        tree = ast.parse(text, filename=name)
        if "os.environ" in text:
            assert any(isinstance(n, ast.Import) and n.names[0].name == "os" for n in tree.body), name


def test_fixing_again_changes_nothing(fixed_app: Path):
    before = sources(fixed_app)
    lint(fixed_app, "--fix", "--unsafe-fixes")
    assert sources(fixed_app) == before
