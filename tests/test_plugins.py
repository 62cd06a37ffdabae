"""Third-party rules through the ``ownership_lint.rules`` entry-point group.

``tests/fixtures/plugin_rule/`` is a tiny installable package defining ``OWN901``
(``debug-route``) with the public API only. It is installed into a scratch virtual environment
layered on the project's one, and ``ownership-lint`` is run from there: the rule is listed,
selected, reported, suppressed and ignored like a built-in one.

The scratch venv sees the project's venv through a ``.pth`` file that calls
``site.addsitedir`` on its site-packages (so its own ``.pth`` files, the editable install
of ownership-lint among them, are processed). ``venv --system-site-packages`` alone would not
do: the "system" site of a venv made from the project's venv is the base interpreter's, not
the project venv's. The package is installed with ``pip --no-deps --no-build-isolation
--no-index``, so nothing is downloaded.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from ownership_lint import registry
from ownership_lint.cli import main

PLUGIN = Path(__file__).parent / "fixtures" / "plugin_rule"

APP = {
    "pyproject.toml": '[project]\nname = "app"\nversion = "0"\n',
    "main.py": """\
        from fastapi import FastAPI

        from routes import router

        app = FastAPI()
        app.include_router(router)
        """,
    "routes.py": """\
        from fastapi import APIRouter

        router = APIRouter(prefix="/api")


        @router.get("/health")
        async def health():
            return {"status": "ok"}


        @router.get("/debug/state")
        async def debug_state():
            return {}


        @router.get("/debug/env")
        async def debug_env():  # noqa: OWN901
            return {}
        """,
}

pytestmark = pytest.mark.slow


def run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def scratch_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plugin")
    venv = root / "venv"
    made = run(sys.executable, "-m", "venv", "--without-pip", venv)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    purelib = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip())
    project_site = sysconfig.get_path("purelib")
    (purelib / "_project_venv.pth").write_text(f"import site; site.addsitedir({project_site!r})\n")
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = Path(shutil.copytree(PLUGIN, root / "plugin_rule"))
    installed = run(
        python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", source
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return python


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plugin_app")
    for name, text in APP.items():
        (root / name).write_text(textwrap.dedent(text))
    return root


def lint(python: Path, app: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(python, "-m", "ownership_lint", *args, cwd=app)


def test_rule_all_lists_the_plugin_rule(scratch_python: Path, app: Path) -> None:
    result = lint(scratch_python, app, "rule", "--all")
    assert result.returncode == 0, result.stderr
    assert "# debug-route (OWN901)\n\nDerived from the **ownership-lint-debug-routes** linter." in result.stdout
    as_json = json.loads(lint(scratch_python, app, "rule", "OWN901", "--output-format", "json").stdout)
    assert as_json["linter"] == "ownership-lint-debug-routes"
    assert as_json["source_location"]["file"] == "ownership_lint_debug_routes.py"


def test_plugin_rule_is_selected_by_default_and_reported(scratch_python: Path, app: Path) -> None:
    result = lint(scratch_python, app, "check", "--no-cache", "--output-format", "concise", ".")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[0] == "routes.py:12:1: OWN901 Debug route `GET /api/debug/state` is exposed"
    assert "debug_env" not in result.stdout and "/debug/env" not in result.stdout  # suppressed


@pytest.mark.parametrize("selector", ["OWN901", "OWN9", "OWN", "ALL"])
def test_plugin_rule_is_selected_by_prefix(scratch_python: Path, app: Path, selector: str) -> None:
    result = lint(scratch_python, app, "check", "--no-cache", "--select", selector, "--output-format", "json", ".")
    assert [d["code"] for d in json.loads(result.stdout)] == ["OWN901"]


def test_plugin_rule_noqa_and_ignore_noqa(scratch_python: Path, app: Path) -> None:
    result = lint(scratch_python, app, "check", "--no-cache", "--select", "OWN901", "--ignore-noqa",
                  "--output-format", "json", ".")
    assert [d["location"]["row"] for d in json.loads(result.stdout)] == [12, 17]


@pytest.mark.parametrize("ignore", ["OWN9", "OWN901"])
def test_plugin_rule_is_ignored(scratch_python: Path, app: Path, ignore: str) -> None:
    result = lint(scratch_python, app, "check", "--no-cache", "--ignore", ignore, "--output-format", "json", ".")
    assert "OWN901" not in {d["code"] for d in json.loads(result.stdout)}


def test_plugin_rule_in_sarif(scratch_python: Path, app: Path) -> None:
    result = lint(scratch_python, app, "check", "--no-cache", "--output-format", "sarif", ".")
    (rule,) = [r for r in json.loads(result.stdout)["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "OWN901"]
    assert rule["properties"]["kind"] == "ownership-lint-debug-routes"
    assert rule["properties"]["security-severity"] == "5.3"
    assert rule["properties"]["tags"] == ["security", "external/cwe/cwe-489"]


def test_plugin_rule_through_flake8(scratch_python: Path, app: Path) -> None:
    result = run(scratch_python, "-m", "flake8", "--select", "OWN9", ".", cwd=app)
    assert result.stdout == "./routes.py:12:1: OWN901 Debug route `GET /api/debug/state` is exposed\n"


def test_plugin_examples_run_with_the_testing_helpers(scratch_python: Path, tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from ownership_lint.registry import rule_for
        from ownership_lint.testing import assert_invalid, assert_valid
        rule = rule_for("OWN901")
        for i, case in enumerate(rule.VALID):
            assert_valid(rule, case, Path({str(tmp_path)!r}) / f"valid{{i}}")
        for i, case in enumerate(rule.INVALID):
            assert_invalid(rule, case, Path({str(tmp_path)!r}) / f"invalid{{i}}")
        print("ok")
        """
    )
    result = run(scratch_python, "-c", script)
    assert result.stdout == "ok\n", result.stderr


def test_the_project_venv_does_not_see_the_plugin(scratch_python: Path, capsys) -> None:
    assert main(["rule", "OWN901"]) == 2
    assert "unknown rule" in capsys.readouterr().err


# -- registry errors, in-process -----------------------------------------------------------


class _EntryPoint:
    def __init__(self, value: str, loaded: object) -> None:
        self.value, self._loaded = value, loaded

    def load(self) -> object:
        if isinstance(self._loaded, Exception):
            raise self._loaded
        return self._loaded


@pytest.fixture
def fake_plugins(monkeypatch: pytest.MonkeyPatch):
    def install(*entries: _EntryPoint) -> None:
        monkeypatch.setattr(registry, "entry_points", lambda group: list(entries))
        registry.clear_caches()

    yield install
    registry.clear_caches()


def test_a_broken_plugin_is_a_clear_error(fake_plugins, capsys, tmp_path: Path, monkeypatch) -> None:
    fake_plugins(_EntryPoint("broken_plugin:Rule", ImportError("No module named 'broken_plugin'")))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    assert main(["check", "--no-cache", "."]) == 2
    err = capsys.readouterr().err
    assert "cannot load rule plugin 'broken_plugin:Rule'" in err and "Traceback" not in err
    assert main(["rule", "--all"]) == 2


def test_a_plugin_reusing_a_builtin_code_is_rejected(fake_plugins) -> None:
    builtin = registry.builtin_rules()[0]
    clash = type("Clash", (builtin,), {"name": "clash-rule", "__module__": "clash"})
    fake_plugins(_EntryPoint("clash:Clash", clash))
    with pytest.raises(registry.RegistryError, match=f"{builtin.code} is declared by"):
        registry.all_rules()
