"""The linter never imports or executes the code it analyses, and writes nothing but the files
it fixes and its cache directory.

The project's modules would leave traces if they ran: files written into a markers directory
(by ``open``, ``os.system`` and ``subprocess``), ``raise SystemExit`` at import, and modules
named after what the linter itself imports (``ast``, ``tokenize``, ``libcst``, ``click``).
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from reliability_support import DEPENDENCIES, assert_sane, changed_entries, run_cli, tree_state, write_files

from ownership_lint.cli import main

PACKAGE = "pwnapp_4d1e"


def trap(markers: Path, name: str) -> str:
    """Module-level code that leaves a trace when the module is imported."""
    marker = markers / name
    return textwrap.dedent(
        f"""\
        import os
        import subprocess

        open({str(marker) + '.open'!r}, "w").write("imported")
        os.system({"touch " + str(marker) + '.system'!r})
        subprocess.run(["touch", {str(marker) + '.subprocess'!r}])
        raise SystemExit(97)
        """
    )


ROUTES = textwrap.dedent(
    f'''\
    from fastapi import APIRouter, Depends

    from {PACKAGE}.deps import get_current_user

    router = APIRouter(prefix="/api")


    @router.get("/{{user_id}}/items")
    def items(user_id: str, current_user: str = Depends(get_current_user)):
        return []
    '''
)


def hostile_project(base: Path, shadows: bool = True) -> tuple[Path, Path, Path]:
    """(project, markers directory, sibling directory). ``shadows``: modules named like the
    linter's own imports, for runs whose import path does not start with the project
    (``python -m`` puts the current directory first, so Python itself would import them)."""
    root, markers, sibling = base / "project", base / "markers", base / "sibling"
    markers.mkdir(parents=True)
    write_files(sibling, {"untouched.py": ROUTES, "notes.txt": "keep me\n"})
    files = {
        "pyproject.toml": "[project]\nname = 'pwnapp'\n",
        "setup.py": trap(markers, "setup"),
        "conftest.py": trap(markers, "conftest"),
        f"{PACKAGE}/__init__.py": trap(markers, "package"),
        f"{PACKAGE}/deps.py": trap(markers, "deps") + "\n" + DEPENDENCIES,
        f"{PACKAGE}/routes.py": trap(markers, "routes") + "\n" + ROUTES,
        f"{PACKAGE}/main.py": trap(markers, "main") + f"\nfrom fastapi import FastAPI\nfrom {PACKAGE}.routes import router\n\napp = FastAPI()\napp.include_router(router)\n",
    }
    for shadow in ("ast", "tokenize", "libcst", "click", "pathspec") if shadows else ():
        files[f"{shadow}.py"] = trap(markers, f"shadow-{shadow}")
    write_files(root, files)
    return root, markers, sibling


def assert_only_allowed_changes(before: dict, after: dict, fixed: set[str]) -> None:
    changed = changed_entries(before, after)
    unexpected = {
        entry for entry in changed if entry not in fixed and entry.split("/")[0] != ".ownership_lint_cache"
    }
    assert not unexpected, sorted(unexpected)


def test_check_and_fix_in_process_import_and_run_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root, markers, sibling = hostile_project(tmp_path)
    before, sibling_before = tree_state(root), tree_state(sibling)
    modules_before = set(sys.modules)
    monkeypatch.chdir(root)

    assert main(["check", "."]) == 1
    after_check = tree_state(root)
    assert_only_allowed_changes(before, after_check, fixed=set())
    assert any(entry.startswith(".ownership_lint_cache/") for entry in after_check)

    assert main(["check", "--fix", "."]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    after_fix = tree_state(root)
    assert_only_allowed_changes(after_check, after_fix, fixed={f"{PACKAGE}/routes.py"})
    assert "if current_user != user_id:" in (root / PACKAGE / "routes.py").read_text()

    new_modules = set(sys.modules) - modules_before
    assert not {name for name in new_modules if name.split(".")[0] in {PACKAGE, "setup", "conftest", "main"}}
    assert not any(getattr(module, "__file__", None) and str(root) in str(module.__file__) for module in sys.modules.values())
    assert list(markers.iterdir()) == []
    assert tree_state(sibling) == sibling_before
    assert not list(root.rglob("__pycache__"))


def test_check_and_fix_through_the_installed_command(tmp_path: Path) -> None:
    """The console script the README installs: the project directory is not on its import path."""
    root, markers, sibling = hostile_project(tmp_path)
    command = Path(sys.executable).with_name("ownership-lint")
    if not command.exists():
        pytest.skip("the ownership-lint script is not installed next to this Python")
    before, sibling_before = tree_state(root), tree_state(sibling)

    check = _run_script(command, root, "check", ".")
    assert_sane(check, 1)
    fix = _run_script(command, root, "check", "--fix", ".")
    assert_sane(fix, 0)
    recheck = _run_script(command, root, "check", "--no-cache", ".")
    assert_sane(recheck, 0)

    assert_only_allowed_changes(before, tree_state(root), fixed={f"{PACKAGE}/routes.py"})
    assert list(markers.iterdir()) == []
    assert tree_state(sibling) == sibling_before
    assert not list(root.rglob("__pycache__"))


def _run_script(command: Path, cwd: Path, *args: str):
    import os
    import subprocess

    from reliability_support import Run, _decode

    environment = {**os.environ, "NO_COLOR": "1"}
    environment.pop("PYTHONPATH", None)
    done = subprocess.run([str(command), *args], cwd=cwd, capture_output=True, timeout=120, env=environment)
    return Run(done.returncode, _decode(done.stdout), _decode(done.stderr))


def test_fix_writes_only_the_fixed_file_and_its_directory_entry(tmp_path: Path) -> None:
    """Between the temporary file and the rename, nothing else appears, even for a moment
    that outlives the run: no backups, no leftovers, the other files byte for byte."""
    root, markers, _ = hostile_project(tmp_path, shadows=False)
    before = tree_state(root)
    run = run_cli(root, "check", "--no-cache", "--fix", f"{PACKAGE}/routes.py")
    assert_sane(run, 0)
    assert changed_entries(before, tree_state(root)) == {f"{PACKAGE}/routes.py"}
    assert list(markers.iterdir()) == []
