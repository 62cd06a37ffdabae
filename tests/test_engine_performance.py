"""The speed machinery never changes an answer: prefilter, cache, process pool, lazy libcst."""

from __future__ import annotations

import builtins
import dataclasses
import io
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ownership_lint import scheduler
from ownership_lint.engine import Linter, RunOptions
from ownership_lint.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
APPS = sorted(
    path.parent for path in FIXTURES.glob("*/main.py") if not (path.parent / "pyproject.toml").exists()
)


def run(root: Path, **options) -> list[tuple[str, int, int, str | None]]:
    settings = Settings(project_root=root)
    result = Linter(settings, root, RunOptions(**options)).run([root])
    assert not result.errors, result.errors
    return sorted(
        (Path(d.filename).relative_to(root).as_posix(), d.location.row, d.location.column, d.code)
        for d in result.diagnostics
    )


@pytest.fixture
def app(tmp_path: Path) -> Path:
    target = tmp_path / "app"
    shutil.copytree(FIXTURES / "seed_app", target)
    (target / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    return target


@pytest.mark.parametrize("fixture", APPS, ids=lambda path: path.name)
def test_prefilter_changes_no_diagnostic(fixture: Path, tmp_path: Path):
    target = tmp_path / fixture.name
    shutil.copytree(fixture, target)
    filtered = run(target, use_cache=False)
    unfiltered = run(target, use_cache=False, prefilter=False)
    assert filtered == unfiltered
    assert filtered, "the fixture app is expected to have findings"


def test_a_file_without_markers_is_not_parsed(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "plain.py").write_text("def f(:\n")  # would be a syntax error if parsed
    assert run(tmp_path, use_cache=False) == []


def test_process_pool_gives_the_same_answer_as_one_process(app: Path, monkeypatch):
    serial = run(app, use_cache=False, jobs=1)
    monkeypatch.setattr(scheduler, "POOL_THRESHOLD", 1)
    pooled = run(app, use_cache=False, jobs=2)
    assert pooled == serial


def test_warm_run_answers_from_the_cache(app: Path, monkeypatch):
    cold = run(app)
    calls = _files_checked(monkeypatch)
    assert run(app) == cold
    assert calls == []


def _files_checked(monkeypatch) -> list[Path]:
    """The files the engine checks from now on (rather than answering from the cache)."""
    checked: list[Path] = []
    original = Linter.process_recording

    def spy(self, source, *args):
        checked.append(source.path)
        return original(self, source, *args)

    monkeypatch.setattr(Linter, "process_recording", spy)
    return checked


def test_cache_directory_is_tagged_and_ignored_by_git(app: Path):
    run(app)
    cache = app / ".ownership_lint_cache"
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"


def test_no_cache_writes_nothing(app: Path):
    run(app, use_cache=False)
    assert not (app / ".ownership_lint_cache").exists()


def test_cache_dir_setting_moves_the_cache(app: Path, tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    settings = dataclasses.replace(Settings(project_root=app), cache_dir=str(elsewhere))
    Linter(settings, app, RunOptions()).run([app])
    assert list(elsewhere.rglob("*.pickle"))
    assert not (app / ".ownership_lint_cache").exists()


def test_corrupt_cache_is_ignored(app: Path):
    cold = run(app)
    for entry in (app / ".ownership_lint_cache").rglob("*.pickle"):
        entry.write_bytes(b"\x80\x04garbage")
    assert run(app) == cold


OWNED = """
    from sqlmodel import Field, SQLModel


    class Note(SQLModel, table=True):
        id: int = Field(primary_key=True)
        {owner}
"""

ROUTE = """
    from fastapi import APIRouter, Depends
    from sqlmodel import select

    from auth import get_current_user
    from models import Note

    router = APIRouter()


    @router.get("/notes")
    def notes(current_user: str = Depends(get_current_user), db=None):
        return db.exec(select(Note)).all()
"""

AUTH = """
    def get_current_user() -> str:
        return "user"
"""


def write(root: Path, name: str, text: str) -> None:
    (root / name).write_text(textwrap.dedent(text).lstrip())


def test_editing_a_model_in_one_file_updates_a_diagnostic_in_another(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[tool.ownership-lint]\nauth-dependencies = ['get_current_user']\n")
    write(tmp_path, "auth.py", AUTH)
    write(tmp_path, "routes.py", ROUTE)
    def owner_findings():
        return [(path, code) for path, _, _, code in run(tmp_path) if code.startswith("OWN3")]

    write(tmp_path, "models.py", OWNED.format(owner="title: str"))
    assert owner_findings() == []

    write(tmp_path, "models.py", OWNED.format(owner="user_id: str"))
    assert owner_findings() == [("routes.py", "OWN301")]

    write(tmp_path, "models.py", OWNED.format(owner="title: str"))
    assert owner_findings() == []


def test_changing_a_router_prefix_in_another_file_is_seen(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("")
    write(tmp_path, "auth.py", AUTH)
    write(
        tmp_path,
        "routes.py",
        """
        from fastapi import APIRouter, Depends
        from auth import get_current_user

        router = APIRouter()


        @router.get("/tasks")
        def tasks(user_id: str, current_user: str = Depends(get_current_user)):
            return []
        """,
    )
    main = """
        from fastapi import FastAPI
        from routes import router

        app = FastAPI()
        app.include_router(router, prefix="{prefix}")
    """
    write(tmp_path, "main.py", main.format(prefix="/api"))
    assert run(tmp_path) == []
    write(tmp_path, "main.py", main.format(prefix="/api/{user_id}"))
    assert [code for *_, code in run(tmp_path)] == ["OWN201"]


def test_a_plain_check_never_loads_libcst(app: Path):
    probe = (
        "import sys; from ownership_lint.cli import main; code = main(['check', '--no-cache', '-q', '.']);"
        "print('libcst' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=app, capture_output=True, text=True, env={**os.environ})
    assert out.stdout.strip().splitlines()[-1] == "False"


def _files_given_to(rule: type, monkeypatch) -> list[str]:
    """The names of the files the engine asks ``rule`` to check, from now on."""
    given: list[str] = []
    original = rule.check

    def spy(self, ctx):
        given.append(ctx.module.path.name)
        return original(self, ctx)

    monkeypatch.setattr(rule, "check", spy)
    return given


def test_a_rule_is_not_given_a_file_without_its_required_bytes(tmp_path: Path, monkeypatch):
    """``Rule.requires``: every byte string must be in the file. OWN405 needs ``except`` (an
    ``except`` clause, or an ``exception_handler`` registration); without it the rule is not
    even called, and asking for every file (no prefilter) changes no answer."""
    from ownership_lint.rules.own405_validation_error_status import ValidationErrorStatus

    assert ValidationErrorStatus.requires == (b"except",)
    (tmp_path / "pyproject.toml").write_text("")
    write(
        tmp_path,
        "plain.py",
        """
        from fastapi import APIRouter, HTTPException

        router = APIRouter()


        @router.get("/tasks/{task_id}")
        def read(task_id: str):
            if not task_id:
                raise HTTPException(status_code=400, detail="Missing id")
            return {"id": task_id}
        """,
    )
    write(
        tmp_path,
        "parsing.py",
        """
        from fastapi import APIRouter, HTTPException

        router = APIRouter()


        @router.get("/tasks")
        def tasks(limit: str = "10"):
            try:
                size = int(limit)
            except ValueError:
                raise HTTPException(status_code=400, detail="Invalid limit")
            return {"limit": size}
        """,
    )
    given = _files_given_to(ValidationErrorStatus, monkeypatch)
    filtered = run(tmp_path, use_cache=False, jobs=1)
    assert given == ["parsing.py"]
    assert ("parsing.py", 11, 41, "OWN405") in filtered

    given.clear()
    assert run(tmp_path, use_cache=False, jobs=1, prefilter=False) == filtered
    assert sorted(given) == ["parsing.py", "plain.py"]


def test_one_of_a_rule_s_alternative_required_bytes_is_enough(tmp_path: Path, monkeypatch):
    """A tuple in ``Rule.requires`` is a choice: OWN504 needs one of the subject claims'
    names. A test module that only handles tokens is not given to it; the dependency that
    reads ``sub`` is, and turning the prefilter off changes no answer."""
    from ownership_lint.rules.own504_missing_subject_check import MissingSubjectCheck

    assert MissingSubjectCheck.requires == ((b"sub", b"uid", b"user_id", b"username"),)
    (tmp_path / "pyproject.toml").write_text("")
    write(
        tmp_path,
        "deps.py",
        """
        import jwt

        def get_current_user(token: str) -> str:
            payload = jwt.decode(token, KEY, algorithms=["HS256"])
            return payload.get("sub")
        """,
    )
    write(
        tmp_path,
        "test_tokens.py",
        """
        from deps import get_current_user

        def test_a_token_is_required(token_headers):
            assert get_current_user(token_headers["Authorization"])
        """,
    )
    given = _files_given_to(MissingSubjectCheck, monkeypatch)
    filtered = run(tmp_path, use_cache=False, jobs=1)
    assert given == ["deps.py"]
    assert [finding for finding in filtered if finding[3] == "OWN504"] == [("deps.py", 5, 12, "OWN504")]

    given.clear()
    assert run(tmp_path, use_cache=False, jobs=1, prefilter=False) == filtered
    assert sorted(given) == ["deps.py", "test_tokens.py"]


def test_a_run_over_some_files_does_not_hide_a_change_from_the_next(tmp_path: Path):
    """A run over one file sees that a model changed; the next run over every file must
    still re-check the route that depends on the model (its entry is stale)."""
    (tmp_path / "pyproject.toml").write_text("[tool.ownership-lint]\nauth-dependencies = ['get_current_user']\n")
    write(tmp_path, "auth.py", AUTH)
    write(tmp_path, "routes.py", ROUTE)
    write(tmp_path, "models.py", OWNED.format(owner="title: str"))
    settings = Settings(project_root=tmp_path, auth_dependencies=("get_current_user",))

    def codes(*paths: Path) -> list[str]:
        result = Linter(settings, tmp_path, RunOptions()).run(list(paths))
        return [d.code for d in result.diagnostics if d.code.startswith("OWN3")]

    assert codes(tmp_path) == []
    write(tmp_path, "models.py", OWNED.format(owner="user_id: str"))
    assert codes(tmp_path / "auth.py") == []
    assert codes(tmp_path) == ["OWN301"]
    assert codes(tmp_path) == ["OWN301"]  # and from the cache


def test_a_cached_run_loads_neither_the_analysis_nor_the_rules(app: Path):
    """Selecting rules needs their codes only, and the cache answers every file."""
    probe = (
        "import sys; from ownership_lint.cli import main; main(['check', '-q', '.']);"
        "print(sorted(m for m in sys.modules if m.startswith(('ownership_lint.analysis', 'ownership_lint.rules',"
        " 'ownership_lint.noqa', 'importlib.metadata', 'multiprocessing'))))"
    )
    cold = subprocess.run([sys.executable, "-c", probe], cwd=app, capture_output=True, text=True, check=False)
    assert "ownership_lint.analysis.context" in cold.stdout.splitlines()[-1]
    warm = subprocess.run([sys.executable, "-c", probe], cwd=app, capture_output=True, text=True, check=False)
    assert warm.stdout.splitlines()[-1] == "[]"
    assert warm.stdout.splitlines()[:-1] == cold.stdout.splitlines()[:-1]  # the same report


def test_the_pool_reads_and_prefilters_every_file_itself(app: Path, monkeypatch):
    """With the pool, the main process reads no file to be checked: the workers read each
    once, skip those without markers and check the rest."""
    (app / "plain.py").write_text("def f(:\n")  # no marker: never parsed, no syntax error
    serial = run(app, use_cache=False, jobs=1)
    monkeypatch.setattr(scheduler, "POOL_THRESHOLD", 1)
    read_here = []
    real_read = scheduler._read_and_check

    def spy(linter, name, *args):
        read_here.append(name)
        return real_read(linter, name, *args)

    monkeypatch.setattr(scheduler, "_read_and_check", spy)
    assert run(app, use_cache=False, jobs=2) == serial
    if "fork" in __import__("multiprocessing").get_all_start_methods():
        assert read_here == []  # the spy ran in the workers only


def test_a_file_result_made_from_a_string_holds_a_path():
    from ownership_lint.engine import FileResult

    lazy, eager = FileResult(path="/project/app.py"), FileResult(Path("/project/app.py"))
    assert lazy == eager and isinstance(lazy.path, Path)
    assert dataclasses.replace(lazy, text="x").path == Path("/project/app.py")


def test_the_version_is_the_installed_one_without_reading_metadata():
    from importlib.metadata import version

    import ownership_lint

    assert ownership_lint.__version__ == version("ownership-lint")


def _projects(tmp_path: Path, sizes: dict[str, int]) -> list[str]:
    names = []
    for project, count in sizes.items():
        (tmp_path / project).mkdir()
        (tmp_path / project / "pyproject.toml").write_text("")
        for number in range(count):
            path = tmp_path / project / f"module_{number:03}.py"
            path.write_text("x = 1\n")
            names.append(str(path.resolve()))
    return names


def test_pool_chunks_keep_projects_whole_and_split_only_a_large_one(tmp_path: Path):
    names = _projects(tmp_path, {"a": 40, "b": 30, "c": 300, "d": 50})
    linter = Linter(Settings(project_root=tmp_path), None, RunOptions(use_cache=False))
    chunks = scheduler._chunks(linter, names, jobs=2)
    assert [name for chunk in chunks for name in chunk] == names  # every file once, in order
    roots = [{linter.root_of(name) for name in chunk} for chunk in chunks]
    split = {root for a, b in zip(roots, roots[1:]) for root in a & b}
    assert split == {str((tmp_path / "c").resolve())}  # only the project far above the chunk size
    assert len(chunks) >= 4  # enough to keep two workers busy to the end


def test_pool_chunks_shrink_to_single_projects_at_the_end(tmp_path: Path):
    """Large chunks first, then smaller ones: no worker is left with a large last chunk
    while the others have nothing to do."""
    names = _projects(tmp_path, {f"p{number:02}": 20 for number in range(40)})
    linter = Linter(Settings(project_root=tmp_path), None, RunOptions(use_cache=False))
    sizes = [len(chunk) for chunk in scheduler._chunks(linter, names, jobs=2)]
    assert sum(sizes) == len(names)
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] >= 200 and sizes[-3:] == [20, 20, 20]


def test_a_serial_run_lets_go_of_each_project_once_its_files_are_checked(tmp_path: Path, monkeypatch):
    names = _projects(tmp_path, {"a": 2, "b": 2})
    for name in names:
        Path(name).write_text("from fastapi import APIRouter\nrouter = APIRouter()\n")
    linter = Linter(Settings(project_root=tmp_path), None, RunOptions(use_cache=False, jobs=1))
    released = []
    monkeypatch.setattr(
        "ownership_lint.engine.Project.release_analysis", lambda project: released.append(project.root.name)
    )
    checked = [name for name, _outcome, _digest in scheduler._check_all(linter, names, digests=False)]
    assert checked == names
    assert released == ["a"]  # "b" is still the current project when the run ends


def test_only_processes_that_end_with_the_run_freeze_what_survives_a_file(app: Path):
    assert scheduler.freeze_after_each_file is False  # in-process callers keep a normal collector
    probe = (
        "import sys; from ownership_lint import cli, scheduler;"
        "sys.argv = ['ownership-lint', 'check', '--no-cache', '-q', '--exit-zero', sys.argv[1]];"
        "code = cli.main(); print(scheduler.freeze_after_each_file)"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(app)], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "True"


def test_a_cold_run_reads_each_file_once(app: Path, monkeypatch):
    from collections import Counter

    reads: Counter[str] = Counter()
    real_open = builtins.open

    def counting_open(file, mode="r", *args, **kwargs):
        if str(file).endswith(".py"):
            reads[os.fspath(file)] += 1
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)  # Path.read_bytes opens through io.open
    monkeypatch.setattr(io, "open", counting_open)
    assert run(app, use_cache=False, jobs=1)  # the prefilter, the check and the index share the bytes
    python_files = {str(p.resolve()) for p in app.rglob("*.py")}
    assert python_files <= set(reads)
    assert {name: count for name, count in reads.items() if count > 1} == {}


def _saved_states(root: Path) -> dict[str, tuple]:
    from ownership_lint.cache import ProjectCache

    (path,) = (root / ".ownership_lint_cache").rglob("*.pickle")
    return ProjectCache.load(str(path)).files


def _expected_states(root: Path) -> dict[str, tuple]:
    from ownership_lint.analysis.project import needle_mask
    from ownership_lint.cache import content_hash

    states = {}
    for path in root.rglob("*.py"):
        if ".ownership_lint_cache" in path.parts:
            continue
        data, stat = path.read_bytes(), path.stat()
        states[path.relative_to(root).as_posix()] = (stat.st_mtime_ns, stat.st_size, content_hash(data), needle_mask(data))
    return states


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_run_filling_the_cache_hashes_in_the_checks_and_stores_every_state(app: Path, monkeypatch, jobs: int):
    """A file the cache does not know is hashed from the bytes its check reads (in a worker
    with the pool), not read once more beforehand; the states saved are those of the files."""
    monkeypatch.setattr(scheduler, "POOL_THRESHOLD", 1)
    planned = []
    real_current_states = scheduler._current_states

    def current_states(*args):
        states = real_current_states(*args)
        planned.append(dict(states))  # as planned: the check fills the hashes in later
        return states

    monkeypatch.setattr(scheduler, "_current_states", current_states)
    cold = run(app, jobs=jobs)
    (states,) = planned
    assert states and all(digest == "" for _mtime, _size, digest, _mask in states.values())
    assert _saved_states(app) == _expected_states(app)
    assert run(app, jobs=jobs) == cold


def test_a_run_over_some_files_hashes_the_others_itself(app: Path):
    """Files of the project outside the run are not checked, so their states are made before
    the check; the checked ones get theirs from the check."""
    some = sorted(app.rglob("routes/*.py"))[:2]
    result = Linter(Settings(project_root=app), app, RunOptions()).run(some)
    assert not result.errors
    assert _saved_states(app) == _expected_states(app)


def test_a_file_unreadable_when_checked_gets_no_state(app: Path, monkeypatch):
    locked = sorted(app.rglob("routes/*.py"))[0]
    real_read = scheduler.Project.read

    def read(project, name: str) -> bytes:
        if name == str(locked.resolve()):
            raise PermissionError(13, "Permission denied", name)
        return real_read(project, name)

    monkeypatch.setattr(scheduler.Project, "read", read)
    result = Linter(Settings(project_root=app), app, RunOptions()).run([app])
    assert result.errors == [f"{locked.resolve()}: Permission denied"]
    expected = _expected_states(app)
    del expected[locked.relative_to(app).as_posix()]
    assert _saved_states(app) == expected


def test_a_run_on_one_file_uses_the_cache_a_run_from_above_the_project_filled(
    app: Path, monkeypatch, capsys
):
    """``check .`` from a directory above the project and a pre-commit style ``check file``
    resolve their settings from different places, with the same values: one cache."""
    from ownership_lint.cli import main

    monkeypatch.chdir(app.parent)  # no configuration here: the project's own is found below
    concise = ["check", "--exit-zero", "--output-format", "concise"]
    main([*concise, "."])
    route = (app / "routes" / "tasks.py").relative_to(app.parent).as_posix()
    expected = [line for line in capsys.readouterr().out.splitlines() if line.startswith(f"{route}:")]
    assert expected
    checked = _files_checked(monkeypatch)
    main([*concise, route])
    assert checked == []
    assert [line for line in capsys.readouterr().out.splitlines() if line.startswith(f"{route}:")] == expected


def test_workers_see_the_project_files_the_run_found(tmp_path: Path, monkeypatch):
    """An exclude written relative to the run's root leaves a file of the project out. The
    workers must analyse the project with the same files as the main process: the cache keeps
    what each file's analysis consulted as positions in that list, so a worker's own walk
    (which would keep the file) would point a route at the wrong module, and an edit to the
    model would leave the route's old answer in the cache."""
    monkeypatch.setattr(scheduler, "POOL_THRESHOLD", 1)
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text("")
    write(project, "b_excluded.py", "from fastapi import APIRouter\n")  # sorts between auth and models
    write(project, "auth.py", AUTH)
    write(project, "routes.py", ROUTE)
    settings = Settings(
        project_root=tmp_path, extend_exclude=("proj/b_excluded.py",), auth_dependencies=("get_current_user",)
    )

    def owner_findings():
        result = Linter(settings, None, RunOptions(jobs=2)).run([tmp_path])
        assert not result.errors
        return sorted(Path(d.filename).name for d in result.diagnostics if d.code.startswith("OWN3"))

    write(project, "models.py", OWNED.format(owner="title: str"))
    assert owner_findings() == []
    write(project, "models.py", OWNED.format(owner="user_id: str"))
    assert owner_findings() == ["routes.py"]
