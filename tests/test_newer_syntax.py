"""Projects written for a newer Python than the one running the linter.

``tests/fixtures/newer_syntax_app`` is a backend in the FastAPI full-stack template's layout
whose auth dependency module (``app/api/deps.py``: ``get_current_user``, ``CurrentUser``,
``SessionDep``) has a PEP 758 ``except A, B:``, whose models (``app/models.py``) use PEP 695
generics and ``type`` statements, and whose routes (``app/api/routes/items.py``) use all three
above its one real hole: ``delete_item`` loads an ``Item`` by id and deletes it without an owner
check (OWN302). Every other route authenticates and checks ownership. When any of those modules
goes unparsed, the index loses the dependency, the alias or the owned model: the routes of
``users.py`` become OWN101 false positives and the OWN302 is lost.

The tests hold under every Python: below 3.14 the modules reach the analysis through
``newer_syntax``; from 3.14 on, ``ast`` parses them itself, and the results must be the same.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from ownership_lint import lint_paths, lint_source, resolve_settings
from ownership_lint.analysis.project import ProjectIndex
from ownership_lint.engine import RunOptions
from ownership_lint.newer_syntax import RUNNING_VERSION, lower_newer_syntax
from ownership_lint.source import parse_module

FIXTURE = Path(__file__).parent / "fixtures" / "newer_syntax_app"
# The ownership rules this fixture is written for (other rule families have their own tests).
SELECT = "OWN1,OWN2,OWN3"
ITEMS = "app/api/routes/items.py"
LOOKUP = "    item = session.get(Item, id)\n"
NEWER_SYNTAX = {
    "app/api/deps.py": ["    except InvalidTokenError, ValidationError:\n", "def first_or_404[T]("],
    "app/models.py": ["type UserId = uuid.UUID\n", "class Page[\n", "type ItemFilter[M: SQLModel = Item]"],
    ITEMS: ["type Cursor = tuple[int, int]\n", "    except ValueError, TypeError:\n", "def apply_update[M: Item]("],
}
BROKEN = "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get('/x')\ndef broken(:\n    pass\n"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "project", ignore=shutil.ignore_patterns("__pycache__")))


def run_cli(root: Path, *arguments: str) -> tuple[int, list[dict]]:
    completed = subprocess.run(
        [sys.executable, "-m", "ownership_lint", "check", "--output-format", "json", "--select", SELECT, *arguments, "."],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode in (0, 1), completed.stderr
    return completed.returncode, json.loads(completed.stdout or "[]")


def summary(diagnostics: list[dict], root: Path) -> list[tuple[str, int, int, str | None]]:
    return sorted(
        (
            Path(d["filename"]).resolve().relative_to(root.resolve()).as_posix(),
            d["location"]["row"],
            d["location"]["column"],
            d["code"],
        )
        for d in diagnostics
    )


def lookup_position(root: Path) -> tuple[int, int, int]:
    """Row, start and end column (1-based) of ``session.get(Item, id)`` in ``delete_item``."""
    lines = (root / ITEMS).read_text(encoding="utf-8").splitlines(keepends=True)
    row = max(index for index, line in enumerate(lines, 1) if line == LOOKUP)
    start = LOOKUP.index("session.get") + 1
    return row, start, LOOKUP.rstrip("\n").rindex(")") + 2


def test_fixture_is_written_in_syntax_python_3_10_lacks() -> None:
    for relative, snippets in NEWER_SYNTAX.items():
        text = (FIXTURE / relative).read_text(encoding="utf-8")
        for snippet in snippets:
            assert snippet in text, (relative, snippet)
        assert lower_newer_syntax(text, (3, 10)) != text, relative


def test_cli_reports_only_the_real_hole_at_its_row(app: Path) -> None:
    code, diagnostics = run_cli(app)
    row, column, end_column = lookup_position(app)
    assert summary(diagnostics, app) == [(ITEMS, row, column, "OWN302")]
    assert code == 1
    [diagnostic] = diagnostics
    assert diagnostic["end_location"] == {"row": row, "column": end_column}
    assert "`Item` loaded by id" in diagnostic["message"]
    assert diagnostic["fix"] is not None


def test_api_indexes_the_newer_syntax_modules(app: Path) -> None:
    settings = resolve_settings(app, overrides={"select": SELECT.split(",")})
    result = lint_paths([app], settings)
    row, column, _ = lookup_position(app)
    assert [(Path(d.filename).name, d.location.row, d.location.column, d.code) for d in result.diagnostics] == [
        ("items.py", row, column, "OWN302")
    ]

    index = ProjectIndex(app, sorted(app.rglob("*.py")))
    deps = index.module("app.api.deps")
    models = index.module("app.models")
    assert deps is not None and models is not None
    assert {"get_db", "get_current_user", "get_current_active_superuser", "first_or_404"} <= set(deps.functions)
    assert {"SessionDep", "TokenDep", "CurrentUser"} <= set(deps.assignments)
    assert {"User", "Item", "Page", "ItemsPublic", "TokenPayload"} <= set(models.classes)
    assert {"UserId", "ItemFilter"} <= set(models.assignments)  # ``type`` statements


def test_lint_source_of_a_route_module_with_newer_syntax(app: Path) -> None:
    path = app / ITEMS
    settings = resolve_settings(path, overrides={"select": SELECT.split(",")})
    diagnostics = lint_source(path.read_text(encoding="utf-8"), path, settings)
    row, column, _ = lookup_position(app)
    assert [(d.location.row, d.location.column, d.code) for d in diagnostics] == [(row, column, "OWN302")]


def test_fix_keeps_the_newer_syntax_byte_for_byte(app: Path) -> None:
    before = {path: path.read_bytes() for path in app.rglob("*.py")}
    row, _, _ = lookup_position(app)

    code, diagnostics = run_cli(app, "--fix")

    assert code == 0 and diagnostics == []
    changed = [path for path, data in before.items() if path.read_bytes() != data]
    assert changed == [app / ITEMS]
    old_lines = before[app / ITEMS].decode("utf-8").splitlines(keepends=True)
    new_lines = (app / ITEMS).read_text(encoding="utf-8").splitlines(keepends=True)
    # The lookup's not-found check, right after it, now also compares the owner.
    assert new_lines[:row] == old_lines[:row]
    assert new_lines[row + 1 :] == old_lines[row + 1 :]
    assert new_lines[row].startswith("    if not item") and "owner_id" in new_lines[row]
    for snippet in NEWER_SYNTAX[ITEMS]:
        assert snippet in "".join(new_lines)
    assert run_cli(app) == (0, [])


def test_file_no_parser_accepts_is_a_syntax_error_and_the_run_goes_on(app: Path) -> None:
    (app / "app/api/routes/broken.py").write_text(BROKEN, encoding="utf-8")
    try:
        ast.parse(BROKEN)
    except SyntaxError as error:
        expected = error
    else:  # pragma: no cover
        pytest.fail("the broken file parses")

    _, diagnostics = run_cli(app)

    row, column, _ = lookup_position(app)
    assert summary(diagnostics, app) == [
        ("app/api/routes/broken.py", expected.lineno, expected.offset, None),
        (ITEMS, row, column, "OWN302"),
    ]
    broken = next(d for d in diagnostics if d["code"] is None)
    assert broken["message"] == f"SyntaxError: {expected.msg}"
    assert broken["name"] == "invalid-syntax"


PEP758_DEPENDENCY = """\
from fastapi import Depends, FastAPI, HTTPException
from jose import ExpiredSignatureError, jwt

app = FastAPI()
KEY = __import__("os").environ["KEY"]


def get_current_user(token: str) -> str:
    try:
        payload = jwt.decode(token, KEY, algorithms=["HS256"])
    except ExpiredSignatureError, KeyError:
        raise HTTPException(status_code=401, detail="Token expired")
    return payload["sub"]


@app.get("/me")
def me(user: str = Depends(get_current_user)):
    return user
"""


def test_fix_of_a_try_with_pep_758_handlers_matches_the_parenthesised_one(tmp_path: Path) -> None:
    """A fix that rewrites the ``try`` statement itself (a handler added after the last one)."""
    newer = "except ExpiredSignatureError, KeyError:"
    older = "except (ExpiredSignatureError, KeyError):"
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    (tmp_path / "newer.py").write_text(PEP758_DEPENDENCY, encoding="utf-8")
    (tmp_path / "older.py").write_text(PEP758_DEPENDENCY.replace(newer, older), encoding="utf-8")
    settings = resolve_settings(tmp_path, overrides={"select": ["OWN5"]})

    lint_paths([tmp_path], settings, RunOptions(fix=True, unsafe_fixes=True))

    fixed_newer = (tmp_path / "newer.py").read_text(encoding="utf-8")
    fixed_older = (tmp_path / "older.py").read_text(encoding="utf-8")
    assert fixed_older != PEP758_DEPENDENCY.replace(newer, older), "no fix to compare"
    assert newer in fixed_newer
    assert fixed_newer == fixed_older.replace(older, newer)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(BROKEN, id="neither parser accepts it"),
        pytest.param("type X = int\ndef f(:\n    pass\n", id="newer syntax and a real error"),
        pytest.param("print(*a for a in b)\n", id="libcst accepts it, ast does not"),
        pytest.param("type X = int\nprint(*a for a in b)\n", id="lowered, still rejected"),
    ],
)
def test_parse_module_raises_the_stdlib_error_for_the_original_text(text: str) -> None:
    try:
        ast.parse(text, filename="m.py")
    except SyntaxError as error:
        expected = error
    else:  # pragma: no cover
        pytest.fail("ast accepts it")
    with pytest.raises(SyntaxError) as raised:
        parse_module(text, "m.py")
    assert (raised.value.msg, raised.value.lineno, raised.value.offset) == (
        expected.msg,
        expected.lineno,
        expected.offset,
    )


# The rewrite itself, for an explicit target grammar (so it is exercised under every Python).

LOWERED_FOR_310 = [
    ("try:\n    f()\nexcept A, B:\n    pass\n", "try:\n    f()\nexcept(A, B):\n    pass\n"),
    ("try:\n    f()\nexcept A, B :\n    pass\n", "try:\n    f()\nexcept(A, B):\n    pass\n"),
    ("try:\n    f()\nexcept A, B: g()\n", "try:\n    f()\nexcept(A, B):g()\n"),
    ("try:\n    f()\nexcept* A, B:\n    pass\n", "try:\n    f()\nexcept (A, B):\n    pass\n"),
    ("try:\n    f()\nexcept* A:\n    pass\n", "try:\n    f()\nexcept  A:\n    pass\n"),
    ("def f[T: int](x: T) -> T:\n    return x\n", "def f        (x: T) -> T:\n    return x\n"),
    ("class C[T = int](Base): pass\n", "class C         (Base): pass\n"),
    ("class C[\n    T,  # why\n]:\n    pass\n", "class C\\\n            \\\n :\n    pass\n"),
    ("type X = int\n", "X      = int\n"),
    ("type Y[T] = list[T]\n", "Y         = list[T]\n"),
    ("class K:\n    type é = int; y = 1\n", "class K:\n    é      = int; y = 1\n"),
    ("def f(*args: *Ts) -> tuple[*Ts]: pass\n", "def f(*args:  Ts) -> tuple[ Ts]: pass\n"),
]


@pytest.mark.parametrize(("text", "lowered"), LOWERED_FOR_310)
def test_lowering_for_python_3_10(text: str, lowered: str) -> None:
    assert lower_newer_syntax(text, (3, 10)) == lowered
    ast.parse(lowered)  # every running Python accepts the 3.10 grammar
    assert lowered.count("\n") == text.count("\n")


@pytest.mark.parametrize(("text", "_"), LOWERED_FOR_310)
def test_nothing_is_lowered_for_python_3_14(text: str, _: str) -> None:
    assert lower_newer_syntax(text, (3, 14)) == text


def test_only_what_the_target_lacks_is_lowered() -> None:
    text = "type X = int\ntry:\n    f()\nexcept* A, B:\n    pass\nclass C[T = int]: pass\n"
    assert lower_newer_syntax(text, (3, 12)) == (
        "type X = int\ntry:\n    f()\nexcept*(A, B):\n    pass\nclass C         : pass\n"
    )
    assert lower_newer_syntax(text, (3, 13)) == (
        "type X = int\ntry:\n    f()\nexcept*(A, B):\n    pass\nclass C[T = int]: pass\n"
    )


def test_strings_the_running_parser_rejects_become_tuples_of_their_fields() -> None:
    pep701 = 'x = f"{d["k"]} é {y!r:>{w}}" + f"{z}"\n'
    tstring = 'x = t"{a} b"\n'
    if RUNNING_VERSION < (3, 12):
        assert lower_newer_syntax(pep701, (3, 10)) == 'x = (  d["k"],     y,    w, ) + f"{z}"\n'
    else:
        assert lower_newer_syntax(pep701, (3, 10)) == pep701
    if RUNNING_VERSION < (3, 14):
        assert lower_newer_syntax(tstring, (3, 10)) == 'x = (  a,  )\n'
    else:
        assert lower_newer_syntax(tstring, (3, 10)) == tstring


def test_unparseable_text_is_not_lowered() -> None:
    assert lower_newer_syntax("def f(:\n    pass\n", (3, 10)) is None


def test_no_rewrite_where_libcst_positions_are_off() -> None:
    """libcst loses the blanks after ``!s``, so positions after them on that line are off."""
    assert lower_newer_syntax('type X = int\nx = f"{3!s  }" + f"{y}"\n', (3, 10)) is None


@pytest.mark.parametrize("relative", sorted(NEWER_SYNTAX))
def test_lowered_names_keep_their_rows_and_columns(relative: str) -> None:
    """Every name of the lowered module is at the same row and byte column in the original."""
    text = (FIXTURE / relative).read_text(encoding="utf-8")
    lowered = lower_newer_syntax(text, (3, 10))
    assert lowered is not None
    original_lines = [line.encode("utf-8") for line in text.splitlines()]
    aliases = set(re.findall(r"^\s*type\s+(\w+)", text, flags=re.MULTILINE))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = ast.parse(lowered)
    names = [node for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id not in aliases]
    assert names
    for node in names:
        line = original_lines[node.lineno - 1]
        assert line[node.col_offset : node.end_col_offset] == node.id.encode("utf-8"), (node.lineno, node.id)


def test_a_plain_check_does_not_import_libcst(tmp_path: Path) -> None:
    route = tmp_path / "routes.py"
    route.write_text((FIXTURE / "app/api/routes/users.py").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from ownership_lint import lint_source\n"
        f"path = Path({str(route)!r})\n"
        "lint_source(path.read_text(encoding='utf-8'), path)\n"
        "print('libcst' in sys.modules)\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"
