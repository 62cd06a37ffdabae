"""Runtime proof of the OWN101/OWN201 fixes on the seed app.

The unfixed app is served to show each hole is real; the app fixed by ``check --fix`` is served
to show every route of ``routes/tasks.py`` now serves its owner and rejects everybody else.
"""

from __future__ import annotations

import ast
import json
import py_compile
import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from runtime_app import SECRET, make_token, report, run_linter, serve, snapshot

SEED_APP = Path(__file__).parent / "fixtures" / "seed_app"
TASKS_MODULE = "routes/tasks.py"
OWNER = "user-a"
INTRUDER = "user-b"
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    owner_status: int = 200
    body: dict | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


LIST_TASKS = Route("GET", "/api/{user_id}/tasks")
CREATE_TASK = Route("POST", "/api/{user_id}/tasks", owner_status=201, body={"title": "Buy milk"})
READ_TASK = Route("GET", "/api/{user_id}/tasks/{task_id}")
UPDATE_TASK = Route("PATCH", "/api/{user_id}/tasks/{task_id}", body={"completed": True})
DELETE_TASK = Route("DELETE", "/api/{user_id}/tasks/{task_id}", owner_status=204)
TASK_ROUTES = [LIST_TASKS, CREATE_TASK, READ_TASK, UPDATE_TASK, DELETE_TASK]

BAD_CREDENTIALS = {
    "no token": None,
    "garbage token": "not-a-jwt",
    "expired token": make_token(OWNER, SECRET, expired=True),
    "token signed with another secret": make_token(OWNER, "another-secret-0123456789abcdef0123"),
    "token without sub": make_token(None, SECRET),
}


def copy_seed_app(destination: Path) -> Path:
    return Path(shutil.copytree(SEED_APP, destination / "app", ignore=shutil.ignore_patterns("__pycache__")))


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def signed_in_as(user: str) -> dict[str, str]:
    return bearer(make_token(user, SECRET))


def call(client: TestClient, route: Route, token: str | None, task_id: str = "") -> httpx.Response:
    url = route.path.format(user_id=OWNER, task_id=task_id)
    return client.request(route.method, url, json=route.body, headers=bearer(token))


def create_owner_task(client: TestClient, title: str = "Owner's task") -> str:
    response = client.post(f"/api/{OWNER}/tasks", json={"title": title}, headers=signed_in_as(OWNER))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def read_as_owner(client: TestClient, task_id: str) -> httpx.Response:
    return client.get(f"/api/{OWNER}/tasks/{task_id}", headers=signed_in_as(OWNER))


def assert_owner_tasks_untouched(client: TestClient, task_id: str) -> None:
    response = client.get(f"/api/{OWNER}/tasks", headers=signed_in_as(OWNER))
    assert [(task["id"], task["completed"]) for task in response.json()] == [(task_id, False)]


def prefixes_by_router(tree: ast.Module) -> dict[str, str]:
    prefixes = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            prefix = next((kw.value.value for kw in node.value.keywords if kw.arg == "prefix"), "")
            prefixes[node.targets[0].id] = prefix
    return prefixes


def declared_routes(module: Path) -> dict[str, int]:
    tree = ast.parse(module.read_text())
    prefixes = prefixes_by_router(tree)
    routes = {}
    for function in tree.body:
        for decorator in getattr(function, "decorator_list", []):
            if isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", None) in HTTP_METHODS:
                full_path = prefixes[decorator.func.value.id] + decorator.args[0].value
                routes[f"{decorator.func.attr.upper()} {full_path}"] = function.lineno
    return routes


@pytest.fixture(scope="module")
def fixed_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    app_dir = copy_seed_app(tmp_path_factory.mktemp("fixed"))
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
    with serve(copy_seed_app(tmp_path)) as client:
        yield client


def test_route_table_covers_every_route_of_the_tasks_module():
    declared = set(declared_routes(SEED_APP / TASKS_MODULE)) - {"GET /api/health"}
    assert declared == {str(route) for route in TASK_ROUTES}


def test_expected_diagnostics_point_at_the_def_line_of_their_route():
    routes = declared_routes(SEED_APP / TASKS_MODULE)
    for expected in json.loads((SEED_APP / "EXPECTED.json").read_text()):
        assert expected["file"] == TASKS_MODULE
        assert routes[expected["route"]] == expected["row"], expected


def test_health_is_public(unfixed_client: TestClient):
    assert unfixed_client.get("/api/health").json() == {"status": "ok"}


@pytest.mark.parametrize("token", [None, make_token(INTRUDER, SECRET)], ids=["anonymous", "another user"])
def test_unfixed_list_tasks_shows_the_owners_tasks_to_anyone(unfixed_client: TestClient, token):
    task_id = create_owner_task(unfixed_client)
    response = call(unfixed_client, LIST_TASKS, token)
    assert response.status_code == 200
    assert [task["id"] for task in response.json()] == [task_id]


def test_unfixed_create_task_lets_another_user_add_tasks_to_the_owner(unfixed_client: TestClient):
    response = call(unfixed_client, CREATE_TASK, make_token(INTRUDER, SECRET))
    assert response.status_code == 201
    assert response.json()["user_id"] == OWNER


def test_unfixed_read_task_shows_the_owners_task_to_another_user(unfixed_client: TestClient):
    task_id = create_owner_task(unfixed_client, "Private note")
    response = call(unfixed_client, READ_TASK, make_token(INTRUDER, SECRET), task_id)
    assert response.status_code == 200
    assert response.json()["title"] == "Private note"


@pytest.mark.parametrize("token", [None, make_token(INTRUDER, SECRET)], ids=["anonymous", "another user"])
def test_unfixed_delete_task_lets_anyone_delete_the_owners_task(unfixed_client: TestClient, token):
    task_id = create_owner_task(unfixed_client)
    assert call(unfixed_client, DELETE_TASK, token, task_id).status_code == 204
    assert read_as_owner(unfixed_client, task_id).status_code == 404


def test_unfixed_update_task_already_forbids_another_user(unfixed_client: TestClient):
    task_id = create_owner_task(unfixed_client)
    assert call(unfixed_client, UPDATE_TASK, make_token(INTRUDER, SECRET), task_id).status_code == 403
    assert_owner_tasks_untouched(unfixed_client, task_id)


def test_fixed_files_parse_and_compile(fixed_app: Path, tmp_path: Path):
    for source in sorted(fixed_app.rglob("*.py")):
        ast.parse(source.read_text(), filename=str(source))
        py_compile.compile(str(source), cfile=str(tmp_path / "compiled.pyc"), doraise=True)


def test_fixed_app_still_serves_health_publicly(fixed_client: TestClient):
    assert fixed_client.get("/api/health").json() == {"status": "ok"}


@pytest.mark.parametrize("route", TASK_ROUTES, ids=str)
def test_fixed_route_serves_its_owner(fixed_client: TestClient, route: Route):
    task_id = create_owner_task(fixed_client)
    response = call(fixed_client, route, make_token(OWNER, SECRET), task_id)
    assert response.status_code == route.owner_status, response.text


@pytest.mark.parametrize("route", TASK_ROUTES, ids=str)
def test_fixed_route_forbids_another_user(fixed_client: TestClient, route: Route):
    task_id = create_owner_task(fixed_client)
    response = call(fixed_client, route, make_token(INTRUDER, SECRET), task_id)
    assert response.status_code == 403, response.text
    assert_owner_tasks_untouched(fixed_client, task_id)


@pytest.mark.parametrize("credential", BAD_CREDENTIALS, ids=str)
@pytest.mark.parametrize("route", TASK_ROUTES, ids=str)
def test_fixed_route_rejects_bad_credentials_as_unauthorized(fixed_client: TestClient, route: Route, credential):
    task_id = create_owner_task(fixed_client)
    response = call(fixed_client, route, BAD_CREDENTIALS[credential], task_id)
    assert response.status_code == 401, response.text
    assert_owner_tasks_untouched(fixed_client, task_id)


def test_fixed_app_keeps_each_users_tasks_apart(fixed_client: TestClient):
    owner_task = create_owner_task(fixed_client, "Owner's task")
    intruder = signed_in_as(INTRUDER)
    intruder_task = fixed_client.post(f"/api/{INTRUDER}/tasks", json={"title": "Own task"}, headers=intruder)
    assert intruder_task.status_code == 201
    owner_tasks = call(fixed_client, LIST_TASKS, make_token(OWNER, SECRET)).json()
    assert [task["title"] for task in owner_tasks] == ["Owner's task"]
    assert fixed_client.get(f"/api/{INTRUDER}/tasks/{owner_task}", headers=intruder).status_code == 404


def test_fixed_app_runs_the_owners_full_crud_cycle(fixed_client: TestClient):
    owner = make_token(OWNER, SECRET)
    task_id = create_owner_task(fixed_client, "Write report")
    assert call(fixed_client, UPDATE_TASK, owner, task_id).json()["completed"] is True
    assert [task["id"] for task in call(fixed_client, LIST_TASKS, owner).json()] == [task_id]
    assert call(fixed_client, DELETE_TASK, owner, task_id).status_code == 204
    assert call(fixed_client, READ_TASK, owner, task_id).status_code == 404
