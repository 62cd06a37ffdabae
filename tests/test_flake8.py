"""The flake8 plugin, run by the real flake8 in a subprocess, against ``ownership-lint check``.

For every fixture app, ``flake8 --select OWN`` (serial and ``-j 2``) reports exactly what
``python -m ownership_lint check --output-format json`` reports: same files, rows, columns
(1-based in both outputs), codes and messages — cross-file facts included.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ownership_lint.flake8_plugin import OPTIONS, OwnershipChecker
from ownership_lint.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
APPS = sorted(path.name for path in FIXTURES.iterdir() if (path / "main.py").is_file())
FORMAT = "%(path)s\t%(row)d\t%(col)d\t%(code)s\t%(text)s"

Finding = tuple[str, int, int, str, str]


def copy_app(name: str, destination: Path) -> Path:
    app = Path(shutil.copytree(FIXTURES / name, destination / name, ignore=shutil.ignore_patterns("__pycache__")))
    if not (app / "pyproject.toml").exists():
        (app / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0"\n')
    return app


def flake8(app: Path, *args: str) -> list[Finding]:
    command = [sys.executable, "-m", "flake8", "--select", "OWN", f"--format={FORMAT}", *args]
    result = subprocess.run(command, cwd=app, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    findings = []
    for line in result.stdout.splitlines():
        path, row, col, code, text = line.split("\t")
        findings.append((Path(path).as_posix().removeprefix("./"), int(row), int(col), code, text))
    return sorted(findings)


def ownership_lint(app: Path, *paths: str) -> list[Finding]:
    command = [sys.executable, "-m", "ownership_lint", "check", "--output-format", "json", "--no-cache", *paths]
    result = subprocess.run(command, cwd=app, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    return sorted(
        (
            Path(d["filename"]).relative_to(app.resolve()).as_posix(),
            d["location"]["row"],
            d["location"]["column"],
            d["code"],
            d["message"],
        )
        for d in json.loads(result.stdout)
        if d["code"] is not None
    )


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("flake8")
    return {name: copy_app(name, root) for name in APPS}


@pytest.fixture(scope="module")
def cli_findings(apps: dict[str, Path]) -> dict[str, list[Finding]]:
    return {name: ownership_lint(app, ".") for name, app in apps.items()}


def test_there_are_fixture_apps() -> None:
    assert "seed_app" in APPS and len(APPS) >= 2


@pytest.mark.parametrize("jobs", ["1", "2"], ids=["serial", "jobs-2"])
@pytest.mark.parametrize("app", APPS)
def test_flake8_reports_what_the_cli_reports(
    app: str, jobs: str, apps: dict[str, Path], cli_findings: dict[str, list[Finding]]
) -> None:
    expected = cli_findings[app]
    assert expected, f"{app}: the fixture app should have findings"
    assert flake8(apps[app], "-j", jobs, ".") == expected


def test_one_file_still_sees_the_rest_of_the_project(apps: dict[str, Path], tmp_path: Path) -> None:
    """As pre-commit runs it: one file given, the owned model defined in another module."""
    app = apps["path_scoped_app"]
    in_project = flake8(app, "routes/tasks.py")
    assert in_project == ownership_lint(app, "routes/tasks.py")
    needs_models = [f for f in in_project if f[3] in ("OWN301", "OWN302")]
    assert needs_models, in_project
    # The same file without models.py next to it: the model is unknown, those findings go.
    alone = tmp_path / "alone"
    (alone / "routes").mkdir(parents=True)
    (alone / "pyproject.toml").write_text("")
    shutil.copy(app / "routes" / "tasks.py", alone / "routes" / "tasks.py")
    assert not [f for f in flake8(alone, "routes/tasks.py") if f[3] in ("OWN301", "OWN302")]


def test_flake8_handles_noqa(tmp_path: Path) -> None:
    app = copy_app("seed_app", tmp_path)
    tasks = app / "routes" / "tasks.py"
    lines = tasks.read_text().splitlines(keepends=True)
    row = next(f[1] for f in flake8(app, ".") if f[3] == "OWN201")
    lines[row - 1] = lines[row - 1].rstrip("\n") + "  # noqa: OWN201\n"
    tasks.write_text("".join(lines))
    assert row not in [f[1] for f in flake8(app, ".") if f[3] == "OWN201"]
    assert row in [f[1] for f in flake8(app, "--disable-noqa", ".") if f[3] == "OWN201"]


def test_flake8_extend_ignore_and_per_file_ignores(tmp_path: Path) -> None:
    app = copy_app("seed_app", tmp_path)
    assert {f[3] for f in flake8(app, ".")} == {"OWN101", "OWN201"}
    assert {f[3] for f in flake8(app, "--extend-ignore", "OWN2", ".")} == {"OWN101"}
    assert flake8(app, "--per-file-ignores", "routes/*:OWN", ".") == []


def routes(findings: list[Finding], code: str) -> set[str]:
    return {f[4].split("`")[1] for f in findings if f[3] == code}


def test_flake8_options_override_pyproject(tmp_path: Path) -> None:
    app = copy_app("seed_app", tmp_path)
    (app / "pyproject.toml").write_text('[tool.ownership-lint]\npublic-routes = ["/api/*/tasks/*"]\n')
    from_pyproject = routes(flake8(app, "."), "OWN101")
    assert from_pyproject == {"GET /api/{user_id}/tasks"}
    from_option = routes(flake8(app, "--ownership-public-routes=/api/*/tasks", "."), "OWN101")
    assert from_option == {"DELETE /api/{user_id}/tasks/{task_id}"}


def test_flake8_options_from_setup_cfg(tmp_path: Path) -> None:
    app = copy_app("seed_app", tmp_path)
    (app / "setup.cfg").write_text(
        "[flake8]\nselect = OWN\nownership-public-routes =\n    /api/*/tasks,\n    /api/*/tasks/*\n"
    )
    assert routes(flake8(app, "."), "OWN101") == set()


def test_flake8_ownership_config_option(tmp_path: Path) -> None:
    app = copy_app("seed_app", tmp_path)
    config = tmp_path / "team-ownership-lint.toml"
    config.write_text('public-routes = ["/api/*/tasks", "/api/*/tasks/*"]\n')
    assert routes(flake8(app, f"--ownership-config={config}", "."), "OWN101") == set()


def test_bad_option_value_is_reported_not_a_crash(tmp_path: Path) -> None:
    app = copy_app("seed_app", tmp_path)
    command = [sys.executable, "-m", "flake8", "--select", "OWN", "--ownership-user-id-param=not an identifier", "."]
    result = subprocess.run(command, cwd=app, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "user-id-param" in result.stdout + result.stderr


# -- the adapter in-process -----------------------------------------------------------------


def test_every_option_maps_to_a_setting() -> None:
    fields = set(Settings.__dataclass_fields__)
    assert {field for field, _, _ in OPTIONS.values()} <= fields
    assert {flag.removeprefix("--ownership-").replace("-", "_") for flag in OPTIONS} == {
        field for field, _, _ in OPTIONS.values()
    }


def test_linter_is_built_once_per_project_and_process(tmp_path: Path) -> None:
    app = copy_app("path_scoped_app", tmp_path)
    options = argparse.Namespace(**{flag.removeprefix("--").replace("-", "_"): None for flag in OPTIONS})
    options.ownership_config = None
    OwnershipChecker.parse_options(options)
    files = sorted(app.rglob("*.py"))
    for path in files:
        lines = path.read_text().splitlines(keepends=True)
        list(OwnershipChecker(None, str(path), lines).run())
    assert len(OwnershipChecker._linters) == 1
    (linter,) = OwnershipChecker._linters.values()
    tasks = app / "routes" / "tasks.py"
    found = list(OwnershipChecker(None, str(tasks), tasks.read_text().splitlines(keepends=True)).run())
    assert OwnershipChecker._linters == {next(iter(OwnershipChecker._linters)): linter}
    assert all(isinstance(row, int) and col >= 0 and text[:3] == "OWN" for row, col, text, _ in found)
    assert {kind for *_, kind in found} == {OwnershipChecker}


def _check_in_process(path: Path) -> list[tuple[int, int, str]]:
    lines = path.read_text().splitlines(keepends=True)
    return [(row, col, text) for row, col, text, _ in OwnershipChecker(None, str(path), lines).run()]


def test_a_process_lets_go_of_a_project_when_the_files_move_on(tmp_path: Path) -> None:
    """flake8 hands a process runs of files in path order: the parsed modules of one project
    are freed when a file of another comes, and a later file of the first is still right."""
    first, second = copy_app("path_scoped_app", tmp_path / "a"), copy_app("seed_app", tmp_path / "b")
    options = argparse.Namespace(**{flag.removeprefix("--").replace("-", "_"): None for flag in OPTIONS})
    options.ownership_config = None
    OwnershipChecker.parse_options(options)
    tasks = first / "routes" / "tasks.py"
    before = _check_in_process(tasks)
    assert before
    (linter,) = OwnershipChecker._linters.values()
    project = linter.project_for(tasks.resolve())
    assert project._analysis is not None
    _check_in_process(next(second.rglob("*.py")))
    assert project._analysis is None
    assert _check_in_process(tasks) == before


def test_flake8_over_two_projects_reports_what_the_cli_reports_for_each(tmp_path: Path) -> None:
    for name in ("path_scoped_app", "seed_app"):
        copy_app(name, tmp_path)
    expected = sorted(
        (f"{name}/{path}", *rest)
        for name in ("path_scoped_app", "seed_app")
        for path, *rest in ownership_lint(tmp_path / name)
    )
    assert flake8(tmp_path) == expected


def test_plugin_metadata() -> None:
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="flake8.extension") if e.name == "OWN"]
    assert entry.load() is OwnershipChecker
    assert OwnershipChecker.name == "ownership-lint"
    assert OwnershipChecker.version
