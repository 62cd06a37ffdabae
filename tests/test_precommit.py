"""The pre-commit hooks of ``.pre-commit-hooks.yaml``, run by the real pre-commit.

A scratch git repository holds a fixture app whose committed state is clean. A new route is
staged in ``routes/tasks.py`` that loads a ``Task`` by id without an owner check: only the
project index knows ``Task`` is owned (``models.py``, unchanged and not passed to the hook).
The ``ownership-lint`` hook fails on it, ``ownership-lint-fix`` fixes it, and after staging the
fix a second run passes.

The hooks are ``language: python``: pre-commit makes a virtualenv and ``pip install``s this
checkout into it. To stay offline and fast, the test

* copies the checkout's package files into a scratch git repository (``try-repo`` and a
  ``repo:`` entry need a git repository with the hook files committed, and the real checkout's
  git state is not the test's to touch),
* points ``PIP_FIND_LINKS`` at the setuptools wheel that virtualenv bundles (the build
  dependency) with ``PIP_NO_INDEX=1``,
* puts the project venv's site-packages on ``PYTHONPATH``, so pip finds libcst, click and
  pathspec already installed instead of downloading them,
* keeps ``PRE_COMMIT_HOME`` in a temporary directory shared by the tests of this module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from ownership_lint import lint_source

pytestmark = pytest.mark.slow

CHECKOUT = Path(__file__).resolve().parents[1]
SEED_APP = Path(__file__).parent / "fixtures" / "seed_app"
HOOKS_FILE = CHECKOUT / ".pre-commit-hooks.yaml"

NEW_ROUTE = '''

@router.get("/tasks/{task_id}/title")
async def read_task_title(
    user_id: str,
    task_id: UUID,
    current_user: str = Depends(get_current_user),
    db: Session = Depends(get_db),
):
    if current_user != user_id:
        raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
    task = db.get(Task, task_id)
    return {"title": task.title}
'''
GIT_IDENTITY = ("-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false")


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *GIT_IDENTITY, *args], cwd=repo, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    import virtualenv.seed.wheels.embed as embedded

    home = tmp_path_factory.mktemp("pre-commit-home")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PIP_", "VIRTUALENV_", "GIT_"))}
    env.update(
        PRE_COMMIT_HOME=str(home),
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(Path(embedded.__file__).parent),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PYTHONPATH=sysconfig.get_path("purelib"),
        VIRTUALENV_NO_PERIODIC_UPDATE="1",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
    )
    return env


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's package, hooks file included, as a one-commit git repository."""
    repo = tmp_path_factory.mktemp("hook-repo") / "ownership-lint"
    repo.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(CHECKOUT / name, repo / name)
    shutil.copytree(
        CHECKOUT / "src", repo / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "ownership-lint")
    return repo


@pytest.fixture
def project(tmp_path: Path, environment: dict[str, str]) -> Path:
    """A committed, clean app; the new route staged in routes/tasks.py only."""
    repo = tmp_path / "project"
    shutil.copytree(SEED_APP, repo, ignore=shutil.ignore_patterns("__pycache__", "EXPECTED.json"))
    (repo / "pyproject.toml").write_text('[project]\nname = "todo"\nversion = "0"\n')
    fixed = subprocess.run(
        [sys.executable, "-m", "ownership_lint", "check", "--no-cache", "--fix", "."],
        cwd=repo, capture_output=True, text=True, timeout=120,
    )
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "clean app")
    with (repo / "routes" / "tasks.py").open("a") as tasks:
        tasks.write(NEW_ROUTE)
    git(repo, "add", "routes/tasks.py")
    return repo


def pre_commit(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=600
    )


def staged_files(repo: Path) -> list[str]:
    return git(repo, "diff", "--cached", "--name-only").split()


def test_hooks_file_declares_both_hooks() -> None:
    hooks = {hook["id"]: hook for hook in yaml.safe_load(HOOKS_FILE.read_text())}
    assert set(hooks) == {"ownership-lint", "ownership-lint-fix"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "pyi"]
        assert hook["require_serial"] is True
        assert hook["entry"].startswith("ownership-lint check --force-exclude")
    assert hooks["ownership-lint"]["entry"] == "ownership-lint check --force-exclude"
    assert hooks["ownership-lint-fix"]["entry"] == "ownership-lint check --force-exclude --fix"


def test_the_violation_needs_the_rest_of_the_project(project: Path, tmp_path: Path) -> None:
    """Without models.py the staged file is clean: the hook must use the whole project."""
    source = (project / "routes" / "tasks.py").read_text()
    in_project = lint_source(source, project / "routes" / "tasks.py")
    assert [d.code for d in in_project] == ["OWN302"]
    alone = tmp_path / "alone"
    (alone / "routes").mkdir(parents=True)
    (alone / "pyproject.toml").write_text("")
    assert [d.code for d in lint_source(source, alone / "routes" / "tasks.py")] == []


def test_try_repo_fails_on_the_staged_violation(project: Path, hook_repo: Path, environment: dict[str, str]) -> None:
    assert staged_files(project) == ["routes/tasks.py"]
    result = pre_commit(project, environment, "try-repo", str(hook_repo), "ownership-lint", "--verbose")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ownership-lint" in result.stdout and "Failed" in result.stdout
    assert "OWN302" in result.stdout and "routes/tasks.py" in result.stdout
    assert "Found 1 error." in result.stdout
    # The hook was handed the staged file only.
    assert "models.py" not in result.stdout.replace("routes/tasks.py", "")


def test_fix_hook_then_second_run_passes(project: Path, hook_repo: Path, environment: dict[str, str]) -> None:
    rev = git(hook_repo, "rev-parse", "HEAD").strip()
    config = {
        "repos": [
            {
                "repo": str(hook_repo),
                "rev": rev,
                "hooks": [{"id": "ownership-lint"}, {"id": "ownership-lint-fix", "stages": ["manual"]}],
            }
        ]
    }
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(project, "add", ".pre-commit-config.yaml")

    first = pre_commit(project, environment, "run", "ownership-lint")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "OWN302" in first.stdout

    fix = pre_commit(project, environment, "run", "--hook-stage", "manual", "ownership-lint-fix")
    assert fix.returncode == 1, fix.stdout + fix.stderr  # pre-commit fails a hook that modifies files
    assert "files were modified by this hook" in fix.stdout
    assert "Found 1 error (1 fixed, 0 remaining)." in fix.stdout
    tasks = (project / "routes" / "tasks.py").read_text()
    assert "    task = db.get(Task, task_id)\n    if task is None or task.user_id != user_id:\n" in tasks

    git(project, "add", "routes/tasks.py")
    second = pre_commit(project, environment, "run", "ownership-lint")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Passed" in second.stdout


def test_fix_args_on_the_check_hook(project: Path, hook_repo: Path, environment: dict[str, str]) -> None:
    """What the README tells users: `args: [--fix]` on the `ownership-lint` hook."""
    rev = git(hook_repo, "rev-parse", "HEAD").strip()
    config = {"repos": [{"repo": str(hook_repo), "rev": rev, "hooks": [{"id": "ownership-lint", "args": ["--fix"]}]}]}
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(project, "add", ".pre-commit-config.yaml")
    first = pre_commit(project, environment, "run")
    assert first.returncode == 1 and "files were modified by this hook" in first.stdout
    git(project, "add", "routes/tasks.py")
    assert pre_commit(project, environment, "run").returncode == 0
