"""The status-code, error-shape and data-exposure rules (OWN4xx, OWN6xx) on a realistic app.

``fixtures/status_app`` is the seed's layout with the mistakes these rules exist for; its
``EXPECTED.json`` lists every finding (file, row, code). The app is also served, before and
after ``check --fix --unsafe-fixes``, to show the findings are real and the fixes work.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from runtime_app import SECRET, make_token, serve

STATUS_APP = Path(__file__).parent / "fixtures" / "status_app"
SELECT = "OWN4,OWN6"
OWNER = "user-a"
INTRUDER = "user-b"
# What --fix cannot settle: a request model's owner field, a swallowed exception.
LEFT_AFTER_FIX = {("routes/tasks.py", "OWN602"), ("routes/tasks.py", "OWN406")}


def copy_app(destination: Path) -> Path:
    return Path(shutil.copytree(STATUS_APP, destination / "app", ignore=shutil.ignore_patterns("__pycache__")))


def run_check(app_dir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "ownership_lint", "check", "--output-format", "json", "--select", SELECT,
        "--no-cache", "--project-root", str(app_dir), *options, str(app_dir),
    ]
    return subprocess.run(command, check=False, cwd=app_dir, capture_output=True, text=True, timeout=300)


def findings(app_dir: Path, result: subprocess.CompletedProcess[str]) -> list[dict]:
    assert result.stdout.strip(), f"no output; stderr:\n{result.stderr}"
    found = []
    for diagnostic in json.loads(result.stdout):
        path = Path(diagnostic["filename"])
        if path.is_absolute():
            path = path.resolve().relative_to(app_dir.resolve())
        found.append({"file": path.as_posix(), "row": diagnostic["location"]["row"], "code": diagnostic["code"]})
    return sorted(found, key=lambda d: (d["file"], d["row"], d["code"]))


def headers(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(user, SECRET)}"}


def create_task(client: TestClient, title: str = "Pay rent") -> dict:
    response = client.post(f"/api/{OWNER}/tasks", json={"title": title}, headers=headers(OWNER))
    assert response.status_code == 201, response.text
    return response.json()


def test_check_reports_exactly_the_expected_findings(tmp_path: Path):
    app_dir = copy_app(tmp_path)
    result = run_check(app_dir)
    assert result.returncode == 1, result.stderr
    expected = sorted(json.loads((STATUS_APP / "EXPECTED.json").read_text()), key=lambda d: (d["file"], d["row"], d["code"]))
    assert findings(app_dir, result) == expected


def test_every_rule_of_the_families_has_a_finding():
    codes = {d["code"] for d in json.loads((STATUS_APP / "EXPECTED.json").read_text())}
    assert {"OWN401", "OWN403", "OWN404", "OWN405", "OWN406", "OWN601", "OWN602"} <= codes


@pytest.fixture(scope="module")
def fixed_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    app_dir = copy_app(tmp_path_factory.mktemp("status_fixed"))
    run_check(app_dir, "--fix", "--unsafe-fixes")
    left = {(d["file"], d["code"]) for d in findings(app_dir, run_check(app_dir))}
    assert left == LEFT_AFTER_FIX
    before = {p: p.read_bytes() for p in app_dir.rglob("*.py")}
    run_check(app_dir, "--fix", "--unsafe-fixes")
    assert {p: p.read_bytes() for p in app_dir.rglob("*.py")} == before, "a second --fix changed the app"
    return app_dir


def test_unfixed_app_answers_200_to_another_user_and_leaks_columns(tmp_path: Path):
    with serve(copy_app(tmp_path)) as client:
        task = create_task(client)
        response = client.get(f"/api/{OWNER}/tasks/{task['id']}", headers=headers(INTRUDER))
        assert response.status_code == 200  # the error dict, with a success status
        own = client.get(f"/api/{OWNER}/tasks/{task['id']}", headers=headers(OWNER)).json()
        assert own["user_id"] == OWNER and "archived" in own
        wrong_user = client.get(f"/api/{OWNER}/tasks", headers=headers(INTRUDER))
        assert wrong_user.status_code == 401
        bad_body = client.post(f"/api/{OWNER}/tasks", json={"title": ""}, headers=headers(OWNER))
        assert bad_body.status_code == 400


def test_fixed_app_answers_the_documented_statuses(fixed_app: Path):
    with serve(fixed_app) as client:
        task = create_task(client)
        base = f"/api/{OWNER}/tasks"
        assert client.get(base, headers=headers(INTRUDER)).status_code == 403
        assert client.get(f"{base}/{task['id']}", headers=headers(INTRUDER)).status_code == 403
        missing = "00000000-0000-0000-0000-000000000000"
        assert client.get(f"{base}/{missing}", headers=headers(OWNER)).status_code == 404
        assert client.delete(f"{base}/{missing}", headers=headers(OWNER)).status_code == 404
        assert client.get(base, params={"due_before": "soon"}, headers=headers(OWNER)).status_code == 422
        assert client.post(f"{base}/import", json=[{"title": ""}], headers=headers(OWNER)).status_code == 422
        assert client.post(base, json={"title": ""}, headers=headers(OWNER)).status_code == 422


def test_fixed_app_serializes_only_the_read_schema(fixed_app: Path):
    with serve(fixed_app) as client:
        task = create_task(client, "Private note")
        base = f"/api/{OWNER}/tasks"
        read = client.get(f"{base}/{task['id']}", headers=headers(OWNER))
        assert read.status_code == 200
        assert read.json()["title"] == "Private note"
        assert "user_id" not in read.json() and "archived" not in read.json()
        exported = client.get(f"{base}/export", headers=headers(OWNER))
        assert exported.status_code == 200
        assert [set(row) for row in exported.json()] == [set(read.json())]
