"""Living next to ruff: shared ``# noqa`` comments, and ``--add-noqa`` that writes what ruff does.

Everything here runs the real ruff (a test dependency, pinned to the version our output
formats are compared with) in a subprocess.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PYTHON = sys.executable


@pytest.fixture(scope="module")
def ruff() -> str:
    found = shutil.which("ruff", path=str(Path(PYTHON).parent)) or shutil.which("ruff")
    assert found, "ruff is a test dependency: pip install -e '.[test]'"
    return found


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, timeout=120)


def ownership_lint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run(PYTHON, "-m", "ownership_lint", *args, cwd=cwd)


DEPENDENCIES = """\
from fastapi import Depends, HTTPException
from fastapi.security import OAuth2PasswordBearer

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


async def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
    if not token:
        raise HTTPException(status_code=401, detail="Invalid token")
    return token
"""

ROUTES_HEAD = """\
from fastapi import APIRouter, Depends

from dependencies import get_current_user

router = APIRouter(prefix="/api/{user_id}")
"""

DEF_LINE = "async def route_{i}(user_id: str, current_user: str = Depends(get_current_user)):"
STATEMENT = DEF_LINE + " return user_id"


def routes_module(suffixes: list[str], line_ending: str = "\n", final_newline: bool = True) -> str:
    """Routes reported by OWN201 on their `def` line, each line followed by a suffix; the body
    is on the `def` line (``...: return user_id``) so that the last reported line can end the file."""
    parts = [ROUTES_HEAD]
    for i, suffix in enumerate(suffixes):
        parts.append(f'\n\n@router.get("/r{i}")\n{DEF_LINE.format(i=i)} return user_id{suffix}\n')
    text = "".join(parts).replace("\n", line_ending)
    return text if final_newline else text.rstrip("\r\n")


def make_project(root: Path, suffixes: list[str], **layout: object) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0"\n')
    (root / "dependencies.py").write_text(DEPENDENCIES)
    (root / "routes.py").write_bytes(routes_module(suffixes, **layout).encode())  # type: ignore[arg-type]
    return root


def ruff_module(suffixes: list[str], line_ending: str = "\n", final_newline: bool = True) -> str:
    text = "".join(f"import m{i}{suffix}\n" for i, suffix in enumerate(suffixes)).replace("\n", line_ending)
    return text if final_newline else text.rstrip("\r\n")


# -- ruff keeps our noqa codes ------------------------------------------------------------


NOQA_LINE = f"{STATEMENT.format(i=0)}  # noqa: OWN201"


def noqa_project(tmp_path: Path, external: bool) -> Path:
    root = make_project(tmp_path / ("external" if external else "plain"), ["  # noqa: OWN201"])
    table = '\n[tool.ruff.lint]\nexternal = ["OWN"]\n' if external else ""
    (root / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0"\n' + table)
    return root


def unused_noqa(ruff: str, root: Path, *extra: str) -> list[dict]:
    """ruff's checks of noqa comments: RUF100 (unused noqa) and RUF102 (invalid code in noqa).

    In ruff 0.17 RUF100 skips codes it does not know and RUF102 reports them (its fix deletes
    them); `lint.external` exempts the listed prefixes from both.
    """
    command = [ruff, "check", "--no-cache", "--select", "RUF100,RUF102", "--output-format", "json", *extra, "."]
    result = run(*command, cwd=root)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_ruff_with_external_own_keeps_our_noqa(ruff: str, tmp_path: Path) -> None:
    root = noqa_project(tmp_path, external=True)
    assert NOQA_LINE in (root / "routes.py").read_text()
    assert unused_noqa(ruff, root) == []
    # Not even ruff's fixes touch it.
    unused_noqa(ruff, root, "--fix", "--unsafe-fixes")
    assert NOQA_LINE in (root / "routes.py").read_text()


def test_ruff_without_external_flags_and_strips_our_noqa(ruff: str, tmp_path: Path) -> None:
    # The control: the same file without `external`, so the test above is not vacuous.
    root = noqa_project(tmp_path, external=False)
    (diagnostic,) = unused_noqa(ruff, root)
    assert diagnostic["code"] == "RUF102"
    assert diagnostic["message"] == "Invalid rule code in `# noqa`: OWN201"
    assert diagnostic["location"]["row"] == 9
    unused_noqa(ruff, root, "--fix", "--unsafe-fixes")
    assert "OWN201" not in (root / "routes.py").read_text()


def test_ruff_rule_ruf100_alone_leaves_unknown_codes_alone(ruff: str, tmp_path: Path) -> None:
    for external in (True, False):
        root = noqa_project(tmp_path, external=external)
        result = run(ruff, "check", "--no-cache", "--select", "RUF100", "--output-format", "json", ".", cwd=root)
        assert json.loads(result.stdout) == []


def test_the_noqa_suppresses_our_diagnostic(tmp_path: Path) -> None:
    root = noqa_project(tmp_path, external=True)
    assert ownership_lint("check", "--no-cache", "--output-format", "concise", ".", cwd=root).returncode == 0
    reported = ownership_lint("check", "--no-cache", "--ignore-noqa", "--output-format", "concise", ".", cwd=root)
    assert reported.returncode == 1 and "OWN201" in reported.stdout


# -- --add-noqa writes what ruff writes ---------------------------------------------------

# The text after the statement on a reported line, before `--add-noqa`. Existing codes are
# chosen so that F401 and OWN201 sort into the same place among them.
SUFFIXES = [
    "",
    "   ",
    "  # noqa: E501",
    "  # noqa:E501,W291",
    "  # noqa: E501 W291",
    "  # noqa : E501",
    "  #noqa: E501",
    "  # NOQA: E501",
    "  # noqa: E501, E501",
    "  # noqa: B950,,W291",
    "  # noqa: E501  # trailing comment",
    "  # noqa: E501 some text",
    "  # noqa:E501#x",
    " # comment",
    "\t# tab",
    "  # type: ignore",
    "  # type: ignore  # noqa: RUF100",
    "  # noqa:",
    "  # noqa",
    "  # noqa: F401",
]


def ours_for(suffix: str) -> str:
    return suffix.replace("F401", "OWN201")


def add_noqa_both(ruff: str, tmp_path: Path, suffixes: list[str], **layout: object):
    ruff_dir = tmp_path / "ruff"
    ruff_dir.mkdir()
    (ruff_dir / "pyproject.toml").write_text("")
    (ruff_dir / "mod.py").write_bytes(ruff_module(suffixes, **layout).encode())  # type: ignore[arg-type]
    ruff_run = run(ruff, "check", "--no-cache", "--select", "F401", "--add-noqa", ".", cwd=ruff_dir)
    ours_dir = make_project(tmp_path / "ours", [ours_for(s) for s in suffixes], **layout)
    ours_run = ownership_lint("check", "--no-cache", "--select", "OWN201", "--add-noqa", ".", cwd=ours_dir)
    assert ruff_run.returncode == 0, ruff_run.stderr
    assert ours_run.returncode == 0, ours_run.stderr
    return ruff_dir, ruff_run, ours_dir, ours_run


def reported_line_suffixes(text: str, count: int, ruff_side: bool) -> list[str]:
    """What follows the statement on each reported line (line ending included)."""
    lines = text.splitlines(keepends=True)
    result = []
    for i in range(count):
        start = f"import m{i}" if ruff_side else STATEMENT.format(i=i)
        (line,) = [line for line in lines if line.startswith(start) and not line[len(start)].isdigit()]
        result.append(line[len(start) :])
    return result


def test_add_noqa_writes_what_ruff_writes(ruff: str, tmp_path: Path) -> None:
    ruff_dir, ruff_run, ours_dir, ours_run = add_noqa_both(ruff, tmp_path, SUFFIXES)
    ruff_text = (ruff_dir / "mod.py").read_text()
    ours_text = (ours_dir / "routes.py").read_text()
    theirs = reported_line_suffixes(ruff_text, len(SUFFIXES), ruff_side=True)
    ours = reported_line_suffixes(ours_text, len(SUFFIXES), ruff_side=False)
    assert ours == [ours_for(line) for line in theirs]
    # Spot checks of what that means, for the reader.
    assert theirs[0] == "  # noqa: F401\n"
    assert theirs[3] == "  # noqa: E501, F401, W291\n"
    assert theirs[10] == "  # noqa: E501, F401\n"  # the trailing comment is dropped, as ruff does
    # A noqa colon without codes is no directive: ruff appends a new one.
    assert theirs[17] == "  # noqa:  # noqa: F401\n"
    assert theirs[18] == "  # noqa\n" and theirs[19] == "  # noqa: F401\n"
    # Same count, same message, on standard error (ruff also warns about the invalid noqa).
    assert ruff_run.stderr.splitlines()[-1] == "Added 18 noqa directives."
    assert ours_run.stderr == "Added 18 noqa directives.\n"
    assert ours_run.stdout == ruff_run.stdout == ""


def test_second_add_noqa_adds_nothing(ruff: str, tmp_path: Path) -> None:
    ruff_dir, _, ours_dir, _ = add_noqa_both(ruff, tmp_path, SUFFIXES)
    before = (ours_dir / "routes.py").read_bytes()
    again = ownership_lint("check", "--no-cache", "--select", "OWN201", "--add-noqa", ".", cwd=ours_dir)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert (ours_dir / "routes.py").read_bytes() == before
    assert ownership_lint("check", "--no-cache", "--select", "OWN201", ".", cwd=ours_dir).returncode == 0
    # ruff adds nothing either, except on the line whose noqa colon has no codes: it cannot see
    # past the invalid directive, so it appends another F401 directive on every run.
    ruff_again = run(ruff, "check", "--no-cache", "--select", "F401", "--add-noqa", ".", cwd=ruff_dir)
    assert ruff_again.stderr.splitlines()[-1] == "Added 1 noqa directive."
    assert "import m17  # noqa:  # noqa: F401  # noqa: F401\n" in (ruff_dir / "mod.py").read_text()


@pytest.mark.parametrize(
    "layout",
    [{"line_ending": "\r\n"}, {"final_newline": False}],
    ids=["crlf", "no final newline"],
)
def test_add_noqa_line_endings_like_ruff(ruff: str, tmp_path: Path, layout: dict) -> None:
    suffixes = ["", "  # noqa: E501"]
    ruff_dir, _, ours_dir, _ = add_noqa_both(ruff, tmp_path, suffixes, **layout)
    ruff_bytes = (ruff_dir / "mod.py").read_bytes()
    ours_bytes = (ours_dir / "routes.py").read_bytes()
    ending = layout.get("line_ending", "\n").encode()
    assert ruff_bytes.endswith(b"  # noqa: E501, F401" + ending)
    assert ours_bytes.endswith(b"  # noqa: E501, OWN201" + ending)
    assert ruff_bytes.count(b"# noqa") == ours_bytes.count(b"# noqa") == 2


def test_quiet_add_noqa_prints_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path, [""])
    result = ownership_lint("check", "--no-cache", "-q", "--add-noqa", ".", cwd=root)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert "# noqa: OWN201" in (root / "routes.py").read_text()


def test_added_noqa_survives_ruff_with_external(ruff: str, tmp_path: Path) -> None:
    root = make_project(tmp_path, ["", "  # noqa: E501"])
    (root / "pyproject.toml").write_text('[tool.ruff.lint]\nexternal = ["OWN"]\n')
    ownership_lint("check", "--no-cache", "--add-noqa", ".", cwd=root)
    # ruff reports the E501 it does not use, never our code.
    assert [d["message"] for d in unused_noqa(ruff, root)] == ["Unused `noqa` directive (non-enabled: `E501`)"]
    assert ownership_lint("check", "--no-cache", ".", cwd=root).returncode == 0
