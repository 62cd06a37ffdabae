"""Runtime proof of the OWN402/OWN504/OWN505 fixes on an app whose auth dependency mishandles
bad tokens (``fixtures/auth_holes``).

The unfixed app is served to show each hole is real (a bad token gets 500 or 403, never the 401
a client can act on); the copy fixed by ``check --fix`` (safe fixes only) is served to show
every bad token now gets ``401`` with ``WWW-Authenticate: Bearer`` while a valid token still
gets through and the owner check still holds.
"""

from __future__ import annotations

import ast
import json
import py_compile
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from runtime_app import SECRET, make_token, report, run_linter, serve, snapshot

AUTH_HOLES = Path(__file__).parent / "fixtures" / "auth_holes"
DEPENDENCY_MODULE = "dependencies.py"
OWNER = "user-a"
INTRUDER = "user-b"
FORGED_SECRET = "another-secret-0123456789abcdef0123"

BAD_TOKENS = {
    "token signed with another secret": make_token(OWNER, FORGED_SECRET),
    "expired token": make_token(OWNER, SECRET, expired=True),
    "token without sub": make_token(None, SECRET),
    "garbage token": "not-a-jwt",
}
# What the unfixed dependency answers: a server error, or a 403 the client cannot act on.
UNFIXED_ANSWERS = {
    "token signed with another secret": 500,  # JWTError escapes the try (OWN505)
    "expired token": 403,  # wrong status (OWN402)
    "token without sub": 403,  # None identity, refused only by the route's owner check (OWN504)
    "garbage token": 500,  # JWTError escapes the try (OWN505)
}


def copy_app(destination: Path) -> Path:
    ignored = shutil.ignore_patterns("__pycache__", "EXPECTED.json", "README.md", "*.fixed")
    return Path(shutil.copytree(AUTH_HOLES, destination / "app", ignore=ignored))


def me(client: TestClient, token: str | None, user: str = OWNER):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(f"/api/{user}/me", headers=headers)


@pytest.fixture(scope="module")
def fixed_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    app_dir = copy_app(tmp_path_factory.mktemp("fixed"))
    first_fix = run_linter(app_dir, "--fix")
    assert first_fix.returncode == 0, report(first_fix)
    recheck = run_linter(app_dir)
    assert recheck.returncode == 0 and "All checks passed!" in recheck.stdout, report(recheck)
    fixed_files = snapshot(app_dir)
    second_fix = run_linter(app_dir, "--fix")
    assert second_fix.returncode == 0, report(second_fix)
    assert snapshot(app_dir) == fixed_files, "a second --fix changed the fixed app"
    return app_dir


@pytest.fixture
def fixed_client(fixed_app: Path):
    with serve(fixed_app) as client:
        yield client


@pytest.fixture
def unfixed_client(tmp_path: Path):
    with serve(copy_app(tmp_path)) as client:
        # A 500 is the observable hole: answer it instead of re-raising into the test.
        yield TestClient(client.app, raise_server_exceptions=False)


def test_unfixed_app_reports_the_expected_diagnostics(tmp_path: Path):
    app_dir = copy_app(tmp_path)
    result = run_linter(app_dir, "--output-format", "json")
    assert result.returncode == 1, report(result)
    found = [
        {"file": Path(d["filename"]).relative_to(app_dir).as_posix(), "row": d["location"]["row"], "code": d["code"]}
        for d in json.loads(result.stdout)
    ]
    assert found == json.loads((AUTH_HOLES / "EXPECTED.json").read_text())


@pytest.mark.parametrize("credential", BAD_TOKENS, ids=str)
def test_unfixed_dependency_mishandles_a_bad_token(unfixed_client: TestClient, credential: str):
    response = me(unfixed_client, BAD_TOKENS[credential])
    assert response.status_code == UNFIXED_ANSWERS[credential], response.text


def test_unfixed_dependency_serves_a_valid_token(unfixed_client: TestClient):
    response = me(unfixed_client, make_token(OWNER, SECRET))
    assert response.status_code == 200
    assert response.json() == {"user_id": OWNER}


def test_fixed_dependency_is_the_documented_one(fixed_app: Path):
    fixed = (fixed_app / DEPENDENCY_MODULE).read_text()
    assert fixed == (AUTH_HOLES / f"{DEPENDENCY_MODULE}.fixed").read_text()


def test_fixed_files_parse_and_compile(fixed_app: Path, tmp_path: Path):
    for source in sorted(fixed_app.rglob("*.py")):
        ast.parse(source.read_text(), filename=str(source))
        py_compile.compile(str(source), cfile=str(tmp_path / "compiled.pyc"), doraise=True)


@pytest.mark.parametrize("credential", [*BAD_TOKENS, "no token"], ids=str)
def test_fixed_dependency_rejects_a_bad_token_with_a_bearer_challenge(fixed_client: TestClient, credential: str):
    response = me(fixed_client, BAD_TOKENS.get(credential))
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_fixed_dependency_serves_a_valid_token(fixed_client: TestClient):
    response = me(fixed_client, make_token(OWNER, SECRET))
    assert response.status_code == 200, response.text
    assert response.json() == {"user_id": OWNER}


def test_fixed_app_still_forbids_another_user(fixed_client: TestClient):
    response = me(fixed_client, make_token(INTRUDER, SECRET))
    assert response.status_code == 403, response.text
