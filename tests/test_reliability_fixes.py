"""Fixes never lose data: encoding, BOM, line endings and every byte outside the edits survive;
files are replaced atomically; a fix that would not parse or would change the module outside
the statements it addresses is dropped and reported; --fix converges and is deterministic."""

from __future__ import annotations

import ast
import codecs
import difflib
import errno
import os
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_support import (
    FIX_IMPORT_AFTER,
    FIX_IMPORT_BEFORE,
    FIX_INSERTED,
    FIXABLE_ROUTE,
    assert_sane,
    fixable_project,
    run_cli,
    write_files,
)

from ownership_lint import engine, registry, scheduler
from ownership_lint.cli import main
from ownership_lint.fixes import apply
from ownership_lint.fixes.actions import (
    AddImport,
    FunctionRef,
    InsertStatements,
    InsertStatementsAfter,
    ReplaceExpression,
    ReplaceStatement,
    span_of,
)
from ownership_lint.fixes.verify import change_outside
from ownership_lint.rule import FixAvailability, FixPlan, Rule, Violation
from ownership_lint.source import split_lines

# The route file written in each of the ways a file can be written.


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _mixed(text: str) -> str:
    return "".join(line.replace("\n", "\r\n") if index % 2 else line for index, line in enumerate(_lines(text)))


VARIANTS: dict[str, tuple[bytes, str, bool]] = {  # name: (bytes, encoding, BOM)
    "lf": (FIXABLE_ROUTE.encode(), "utf-8", False),
    "crlf": (FIXABLE_ROUTE.replace("\n", "\r\n").encode(), "utf-8", False),
    "cr-only": (FIXABLE_ROUTE.replace("\n", "\r").encode(), "utf-8", False),
    "mixed": (_mixed(FIXABLE_ROUTE).encode(), "utf-8", False),
    "bom": (codecs.BOM_UTF8 + FIXABLE_ROUTE.encode(), "utf-8", True),
    "bom-crlf": (codecs.BOM_UTF8 + FIXABLE_ROUTE.replace("\n", "\r\n").encode(), "utf-8", True),
    "latin-1": (("# -*- coding: latin-1 -*-\n" + FIXABLE_ROUTE).encode("latin-1"), "latin-1", False),
    "cp1252-crlf": (("# coding: cp1252\r\n" + FIXABLE_ROUTE.replace("\n", "\r\n")).encode("cp1252"), "cp1252", False),
    "tabs": (FIXABLE_ROUTE.replace("\n    ", "\n\t").encode(), "utf-8", False),
    "form-feed": (FIXABLE_ROUTE.replace("\n\n\n@router", "\n\n\x0c\n@router").encode(), "utf-8", False),
    "no-final-newline": (FIXABLE_ROUTE.rstrip("\n").encode(), "utf-8", False),
    "trailing-whitespace": (FIXABLE_ROUTE.replace("x = 1\n", "x = 1   \n").replace("\n\n\n", "\n  \n\n").encode(), "utf-8", False),
}


@pytest.fixture(scope="module")
def fixed_variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bytes, bytes, bytes]]:
    """Every variant fixed by one ``--fix`` run, then by a second: (before, after, after again)."""
    root = tmp_path_factory.mktemp("variants")
    fixable_project(root)
    (root / "routes.py").unlink()
    write_files(root, {f"{name.replace('-', '_')}.py": data for name, (data, _, _) in VARIANTS.items()})
    first = run_cli(root, "check", "--no-cache", "--fix", ".")
    assert_sane(first, 0)
    assert first.err == ""
    after = {name: (root / f"{name.replace('-', '_')}.py").read_bytes() for name in VARIANTS}
    second = run_cli(root, "check", "--no-cache", "--fix", ".")
    assert_sane(second, 0)
    again = {name: (root / f"{name.replace('-', '_')}.py").read_bytes() for name in VARIANTS}
    return {name: (data, after[name], again[name]) for name, (data, _, _) in VARIANTS.items()}


@pytest.mark.parametrize("name", VARIANTS)
def test_fix_keeps_encoding_bom_line_endings_and_every_other_byte(name: str, fixed_variants) -> None:
    before, after, again = fixed_variants[name]
    _, encoding, bom = VARIANTS[name]
    assert after != before, "the fix was not applied"
    assert again == after, "a second --fix changed the file"
    assert after.startswith(codecs.BOM_UTF8) == bom and not after[3:].startswith(codecs.BOM_UTF8)
    old_text = before.decode(encoding).removeprefix("\ufeff")
    new_text = after.decode(encoding).removeprefix("\ufeff")
    ast.parse(new_text)
    assert ("caf\u00e9" in new_text) and after.count("caf\u00e9".encode(encoding)) == 1
    old, new = split_lines(old_text), split_lines(new_text)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    replaced = [line for tag, i1, i2, _, _ in changes if tag in ("replace", "delete") for line in old[i1:i2]]
    inserted = [line for tag, _, _, j1, j2 in changes if tag in ("replace", "insert") for line in new[j1:j2]]
    assert [line.rstrip("\r\n") for line in replaced] == [FIX_IMPORT_BEFORE]
    assert [line.rstrip("\r\n").expandtabs(4) for line in inserted] == [FIX_IMPORT_AFTER, *FIX_INSERTED]
    import_line = next(line for line in old if line.startswith(FIX_IMPORT_BEFORE))
    ending = import_line[len(FIX_IMPORT_BEFORE) :]
    assert inserted[0].endswith(ending) and inserted[0].rstrip("\r\n") == FIX_IMPORT_AFTER
    first_ending = old[0][len(old[0].rstrip("\r\n")) :]
    assert {line[len(line.rstrip("\r\n")) :] for line in inserted[1:]} == {first_ending}


# Writing: atomic, same directory, mode and owner kept, failures leave the file as it was


def fix_in_process(root: Path, *extra: str) -> int:
    return main(["check", "--no-cache", "--fix", *extra, str(root)])


def test_fixed_file_is_replaced_through_a_temporary_file_in_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = fixable_project(tmp_path)
    target.chmod(0o640)
    inode = target.stat().st_ino
    created: list[tuple[str, str]] = []
    replaced: list[tuple[str, str]] = []
    real_mkstemp, real_replace = tempfile.mkstemp, os.replace

    def mkstemp(*args, **kwargs):
        handle, name = real_mkstemp(*args, **kwargs)
        created.append((str(kwargs.get("dir")), name))
        return handle, name

    def replace(source, destination):
        replaced.append((str(source), str(destination)))
        return real_replace(source, destination)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(os, "replace", replace)
    assert fix_in_process(tmp_path) == 0
    capsys.readouterr()
    ((directory, temporary),) = created
    assert Path(directory) == target.parent.resolve() and Path(temporary).parent == target.parent.resolve()
    assert replaced == [(temporary, str(target.resolve()))]
    assert not Path(temporary).exists()
    assert target.stat().st_mode & 0o7777 == 0o640
    assert target.stat().st_ino != inode
    assert "if current_user != user_id:" in target.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deps.py", "pyproject.toml", "routes.py"]


@pytest.mark.parametrize("failing", ["replace", "fsync", "mkstemp"])
def test_failed_write_leaves_the_file_as_it_was(
    tmp_path: Path, failing: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = fixable_project(tmp_path)
    before = target.read_bytes()

    def fail(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile if failing == "mkstemp" else os, failing, fail)
    assert fix_in_process(tmp_path) == 2
    _, err = capsys.readouterr()
    assert err.splitlines() == [f"error: {target.resolve()}: cannot write: No space left on device"]
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deps.py", "pyproject.toml", "routes.py"]


def test_add_noqa_write_failure_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    target = fixable_project(tmp_path)
    before = target.read_bytes()

    def fail(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "replace", fail)
    assert main(["check", "--no-cache", "--add-noqa", str(tmp_path)]) == 2
    _, err = capsys.readouterr()
    assert err.splitlines() == [f"error: {target.resolve()}: cannot write: Read-only file system"]
    assert target.read_bytes() == before


# Custom rules with pathological fixes, registered for one test


def _assignment(ctx, name: str) -> ast.Assign | None:
    for statement in ctx.module.tree.body:
        if isinstance(statement, ast.Assign) and [getattr(t, "id", None) for t in statement.targets] == [name]:
            return statement
    return None


class _TestRule(Rule):
    markers = (b"COUNTER", b"FLAG", b"VALUE", b"GREETING", b"wrap")
    fix_availability = FixAvailability.ALWAYS
    summary = "test rule"

    def replace(self, ctx, node: ast.AST, code: str) -> Iterator[Violation]:
        plan = FixPlan(f"Write `{code}`", (ReplaceExpression(span_of(ctx.locator, node), code),))
        yield Violation(node=node, message=f"{self.code} wants `{code}`", fix=plan)


class Counter(_TestRule):
    """Never satisfied: every fix makes the next one."""

    code, name = "OWN991", "test-counter"

    def check(self, ctx):
        found = _assignment(ctx, "COUNTER")
        if found is not None and isinstance(found.value, ast.Constant):
            yield from self.replace(ctx, found.value, str(found.value.value + 1))


class Toggle(_TestRule):
    """Its fix brings back the text the previous fix replaced."""

    code, name = "OWN992", "test-toggle"

    def check(self, ctx):
        found = _assignment(ctx, "FLAG")
        if found is not None and isinstance(found.value, ast.Constant):
            yield from self.replace(ctx, found.value, str(not found.value.value))


class SetTwo(_TestRule):
    code, name = "OWN993", "test-set-two"

    def check(self, ctx):
        found = _assignment(ctx, "VALUE")
        if found is not None and getattr(found.value, "value", None) == 1:
            yield from self.replace(ctx, found.value, "2")


class SetThree(_TestRule):
    """Wants the node SetTwo replaces: the two fixes conflict."""

    code, name = "OWN994", "test-set-three"

    def check(self, ctx):
        found = _assignment(ctx, "VALUE")
        if found is not None and getattr(found.value, "value", None) == 1:
            yield from self.replace(ctx, found.value, "3")


class RenameCall(_TestRule):
    """Replaces ``wrap(...)`` calls as a whole, rebuilt from the original argument text."""

    code, name = "OWN995", "test-rename-call"

    def check(self, ctx):
        for node in ast.walk(ctx.module.tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "wrap":
                yield from self.replace(ctx, node, f"wrapped({ast.unparse(node.args[0])})")


class BumpArgument(_TestRule):
    """Edits the argument inside the call RenameCall replaces."""

    code, name = "OWN996", "test-bump-argument"

    def check(self, ctx):
        for node in ast.walk(ctx.module.tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("wrap", "wrapped"):
                argument = node.args[0]
                if isinstance(argument, ast.Constant) and argument.value == 1:
                    yield from self.replace(ctx, argument, "2")


class Snowman(_TestRule):
    """Writes a character that latin-1 cannot encode."""

    code, name = "OWN997", "test-snowman"

    def check(self, ctx):
        found = _assignment(ctx, "GREETING")
        if found is not None and getattr(found.value, "value", None) == "hello":
            yield from self.replace(ctx, found.value, '"\u2603"')


TEST_RULES = (Counter, Toggle, SetTwo, SetThree, RenameCall, BumpArgument, Snowman)


class _Installed:
    """An entry point of the ``ownership_lint.rules`` group that loads one of these rules."""

    def __init__(self, rule: type[Rule]) -> None:
        self.rule, self.value = rule, f"{rule.__module__}:{rule.__name__}"

    def load(self) -> type[Rule]:
        return self.rule


@pytest.fixture
def test_rules(monkeypatch: pytest.MonkeyPatch):
    """The rules above, installed as a plugin would be."""
    monkeypatch.setattr(registry, "entry_points", lambda group: [_Installed(rule) for rule in TEST_RULES])
    registry.clear_caches()
    yield registry.all_rules()
    registry.clear_caches()


def module_project(root: Path, source: str, name: str = "module.py") -> Path:
    write_files(root, {"pyproject.toml": "", name: textwrap.dedent(source)})
    return root / name


def test_fixes_that_never_settle_stop_after_the_bound(
    tmp_path: Path, test_rules, capsys: pytest.CaptureFixture[str]
) -> None:
    target = module_project(tmp_path, "COUNTER = 0\n")
    assert fix_in_process(tmp_path, "--select", "OWN991") == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        f"warning: {target.resolve()}: fixes not applied: the fixes did not converge after "
        f"{engine.MAX_FIX_ITERATIONS} rounds; the file is left unchanged"
    ]
    assert target.read_text() == "COUNTER = 0\n"
    assert "OWN991" in out


def test_fixes_that_undo_each_other_stop_at_once(
    tmp_path: Path, test_rules, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = module_project(tmp_path, "FLAG = True\n")
    rounds = []
    real_apply = engine.Linter._apply_findings
    monkeypatch.setattr(engine.Linter, "_apply_findings", lambda *a: rounds.append(1) or real_apply(*a))
    assert fix_in_process(tmp_path, "--select", "OWN992") == 1
    _, err = capsys.readouterr()
    assert err.splitlines() == [f"warning: {target.resolve()}: fixes not applied: the fixes undo each other; the file is left unchanged"]
    assert target.read_text() == "FLAG = True\n"
    assert len(rounds) == 2


def test_conflicting_fixes_on_one_node_lower_code_wins(tmp_path: Path, test_rules, capsys: pytest.CaptureFixture[str]) -> None:
    target = module_project(tmp_path, "VALUE = 1\n")
    assert fix_in_process(tmp_path, "--select", "OWN993,OWN994", "--show-fixes") == 0
    out, _ = capsys.readouterr()
    assert target.read_text() == "VALUE = 2\n"
    assert "1 × OWN993" in out or "OWN993" in out


def test_fix_inside_a_replaced_node_waits_for_the_next_round(tmp_path: Path, test_rules, capsys: pytest.CaptureFixture[str]) -> None:
    """Applied together, the replacement of the call would silently drop the edit inside it."""
    target = module_project(tmp_path, "RESULT = wrap(1)\n")
    assert fix_in_process(tmp_path, "--select", "OWN995,OWN996", "--statistics") == 0
    capsys.readouterr()
    assert target.read_text() == "RESULT = wrapped(2)\n"


def deterministic_project(root: Path, count: int) -> None:
    files = {"pyproject.toml": ""}
    for index in range(count):
        files[f"module_{index:02}.py"] = f"VALUE = 1\nRESULT = wrap(1)\nX = {index}\n"
    write_files(root, files)


def fixed_texts(root: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(root.glob("module_*.py"))}


def test_fix_results_are_the_same_across_runs_and_job_counts(
    tmp_path: Path, test_rules, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(scheduler, "POOL_THRESHOLD", 2)
    results = []
    for attempt, jobs in enumerate(("1", "2", "1", "2")):
        root = tmp_path / f"run_{attempt}"
        deterministic_project(root, 6)
        assert fix_in_process(root, "--select", "OWN993,OWN994,OWN995,OWN996", "-j", jobs) == 0
        results.append(fixed_texts(root))
    capsys.readouterr()
    assert all(result == results[0] for result in results)
    assert set(results[0].values()) == {f"VALUE = 2\nRESULT = wrapped(2)\nX = {i}\n" for i in range(6)}


def test_fix_the_encoding_cannot_hold_is_an_error_and_the_file_is_kept(
    tmp_path: Path, test_rules, capsys: pytest.CaptureFixture[str]
) -> None:
    source = '# -*- coding: latin-1 -*-\nNAME = "caf\u00e9"\nGREETING = "hello"\n'
    write_files(tmp_path, {"pyproject.toml": "", "module.py": source.encode("latin-1")})
    target = tmp_path / "module.py"
    assert fix_in_process(tmp_path, "--select", "OWN997") == 2
    _, err = capsys.readouterr()
    (line,) = err.splitlines()
    assert line.startswith(f"error: {target.resolve()}: cannot write: the fixed text is not iso-8859-1")
    assert target.read_bytes() == source.encode("latin-1")


# A fix whose result does not parse, or changes code it does not address, is not written


def sabotage(monkeypatch: pytest.MonkeyPatch, change) -> None:
    real_apply_actions = apply.apply_actions
    monkeypatch.setattr(apply, "apply_actions", lambda text, actions: change(real_apply_actions(text, actions)))


SABOTAGE = {
    "does-not-parse": (lambda fixed: fixed + "def broken(:\n", "the fixed file would not parse"),
    "appends-code": (lambda fixed: fixed + "\nSIDE_EFFECT = 1\n", "it would change code outside the statements it fixes"),
    "changes-another-statement": (
        lambda fixed: fixed.replace('prefix="/api"', 'prefix="/evil"'),
        "it would change code outside the statements it fixes",
    ),
    "drops-an-import": (
        lambda fixed: fixed.replace("from deps import get_current_user\n", ""),
        "it would remove the import of `get_current_user`",
    ),
    "adds-an-unasked-import": (lambda fixed: "import os\n" + fixed, "it would add an import of `os` it does not ask for"),
}


@pytest.mark.parametrize("name", SABOTAGE)
def test_fix_that_breaks_the_module_is_dropped_and_reported(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    change, reason = SABOTAGE[name]
    target = fixable_project(tmp_path)
    before = target.read_bytes()
    sabotage(monkeypatch, change)
    assert fix_in_process(tmp_path) == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == [f"warning: {target.resolve()}:9:5: OWN201 fix not applied: {reason}"]
    assert target.read_bytes() == before
    assert "1 error" in out and "fixed" not in out


def test_json_output_offers_no_fix_that_would_be_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fixable_project(tmp_path)
    sabotage(monkeypatch, SABOTAGE["changes-another-statement"][0])
    assert main(["check", "--no-cache", "--output-format", "json", str(tmp_path)]) == 1
    out, _ = capsys.readouterr()
    assert '"fix": null' in out


# The guard itself


def guard(original: str, fixed: str, actions) -> str | None:
    return change_outside(ast.parse(original), ast.parse(fixed), actions)


MODULE = textwrap.dedent(
    """\
    import os
    from fastapi import APIRouter

    router = APIRouter()


    @router.get("/a")
    def a(user_id):
        return 1


    def b():
        return 2


    SECRET = "s"
    """
)
IN_A = InsertStatements(FunctionRef("a", 8), "check()\n")


def test_guard_accepts_changes_inside_the_addressed_function() -> None:
    fixed = MODULE.replace("    return 1", "    check()\n    return 1").replace("from fastapi import APIRouter", "from fastapi import APIRouter, HTTPException")
    assert guard(MODULE, fixed, [IN_A, AddImport("fastapi", "HTTPException")]) is None


def test_guard_accepts_a_reformatted_module() -> None:
    fixed = MODULE.replace('router = APIRouter()', 'router = APIRouter(  )').replace("\n\n\n", "\n\n")
    assert guard(MODULE, fixed, [IN_A]) is None


@pytest.mark.parametrize(
    ("fixed", "problem"),
    [
        (MODULE.replace("return 2", "return 3"), "outside"),
        (MODULE.replace('SECRET = "s"\n', ""), "outside"),
        (MODULE + "EXTRA = 1\n", "outside"),
        (MODULE.replace("def b():", "def c():\n    pass\n\n\ndef b():"), "outside"),
        (MODULE.replace("import os\n", ""), "remove the import of `os`"),
        (MODULE.replace("import os\n", "import os\nimport sys\n"), "add an import of `sys`"),
    ],
    ids=["other-function", "deleted-statement", "appended-statement", "inserted-function", "dropped-import", "unasked-import"],
)
def test_guard_rejects_changes_elsewhere(fixed: str, problem: str) -> None:
    assert problem in (guard(MODULE, fixed, [IN_A]) or "")


def test_guard_lets_a_top_level_statement_action_add_statements() -> None:
    span = span_of_line(MODULE, 'SECRET = "s"')
    fixed = MODULE.replace('SECRET = "s"\n', 'SECRET = os.environ["SECRET"]\nassert SECRET\n')
    assert guard(MODULE, fixed, [ReplaceStatement(span, "...")]) is None
    assert guard(MODULE, fixed, [InsertStatementsAfter(span, "...")]) is None
    assert "outside" in guard(MODULE, fixed, [ReplaceExpression(span, "...")])


def span_of_line(source: str, needle: str):
    from ownership_lint.source import Locator

    node = next(s for s in ast.parse(source).body if needle in ast.get_source_segment(source, s))
    return span_of(Locator(source), node)


# libcst's limits: what it cannot reproduce or survive never reaches the file


def test_final_lone_carriage_return_survives_the_fix() -> None:
    text = "def f():\r    return 1\r"
    fixed = apply.apply_actions(text, [InsertStatements(FunctionRef("f", 1), "check()\n")])
    assert fixed == "def f():\r    check()\r\r    return 1\r"


def test_fix_in_code_too_deep_for_libcst_is_dropped_and_reported(tmp_path: Path) -> None:
    """libcst recurses once per level: thousands of levels cost seconds and gigabytes, then
    crash the process. Implicitly concatenated strings are one ``ast`` node at any length, so
    every Python accepts them."""
    deep = FIXABLE_ROUTE.replace("x = 1", "x = " + " ".join(['"a"'] * 5000))
    target = fixable_project(tmp_path, deep)
    run = run_cli(tmp_path, "check", "--no-cache", "--fix", ".")
    assert_sane(run, 1)
    assert run.err_lines == [f"warning: {target}:9:5: OWN201 fix not applied: the code is nested too deeply to fix"]
    assert target.read_text() == deep


@pytest.mark.parametrize(
    ("text", "fits"),
    [
        ("x = [" + ", ".join(["(1, 2)"] * 20_000) + "]\n", True),
        ("x = {" + ", ".join(f"'k{i}': [{i}]" for i in range(20_000)) + "}\n", True),
        ("x = f(" + ", ".join(f"a{i}=lambda: {i}" for i in range(5_000)) + ")\n", True),
        ("x = " + " + ".join(["1"] * 400) + "\n", False),
        ("x = " + " ".join(['"a"'] * 600) + "\n", False),
        ("x = " + "-" * 600 + "1\n", False),
        ("x = " + "lambda a, b: " * 200 + "1\n", False),
        ("x = [y " + " ".join(f"for a{i}, b{i} in c" for i in range(200)) + "]\n", False),
        ("x = " + "(" * 600 + "1" + ")" * 600 + "\n", False),
        ("x = a" + ".b" * 600 + "\n", False),
        ('x = """unterminated\n' + "y" * 600, False),
    ],
    ids=["flat-tuples", "flat-dict", "many-keyword-lambdas", "chain", "concatenation", "unary", "lambdas", "comprehension", "parentheses", "attributes", "untokenizable"],
)
def test_nesting_bound(text: str, fits: bool) -> None:
    from ownership_lint.source import fits_libcst

    assert fits_libcst(text) == fits
