"""Any input, no traceback: hostile files, names and environments through the real CLI.

Each case gets one clear line on standard error (or a diagnostic) and ruff's exit code: 0 clean,
1 diagnostics, 2 an error of the run (an unreadable or undecodable file, a directory that cannot
be read, code nested too deeply to analyse), while the other files are still checked and
reported. Files that mention none of the rules' markers are skipped without parsing (README,
"Decisions"), so every hostile file here starts with ``MARKER_LINE``.
"""

from __future__ import annotations

import ast
import builtins
import codecs
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from reliability_support import (
    DEPENDENCIES,
    FIXABLE_ROUTE,
    MARKER_LINE,
    assert_sane,
    fixable_project,
    run_cli,
    write_files,
)

from ownership_lint import scheduler
from ownership_lint.cli import main
from ownership_lint.engine import Linter

CLEAN = MARKER_LINE + "router = APIRouter()\n"
# One finding (OWN101: the route has no authentication dependency) in a file next to the
# hostile one shows the run went on.
WITH_FINDING = MARKER_LINE + 'router = APIRouter()\n\n\n@router.get("/{user_id}/items")\ndef items(user_id: str):\n    return []\n'


def project(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    write_files(tmp_path, {"pyproject.toml": "", "deps.py": DEPENDENCIES, "other.py": WITH_FINDING, **files})
    return tmp_path


def json_check(root: Path, *args: str) -> tuple[object, list[dict]]:
    run = run_cli(root, "check", "--no-cache", "--output-format", "json", *args)
    return run, json.loads(run.out)


def by_file(diagnostics: list[dict]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for diagnostic in diagnostics:
        found.setdefault(Path(diagnostic["filename"]).name, []).append(diagnostic)
    return found


# Files that do not parse: a diagnostic of the file, and the run goes on

UNPARSABLE = {
    "unclosed.py": (MARKER_LINE + "router = APIRouter(\n", "was never closed"),
    "bad_def.py": (MARKER_LINE + "def f(:\n    pass\n", "SyntaxError"),
    "null_byte.py": (MARKER_LINE + "x = 1\x00\n", "null bytes"),
    "bad_indent.py": (MARKER_LINE + "if True:\nx = 1\n", "SyntaxError"),
    "deep_parentheses.py": (MARKER_LINE + "x = " + "(" * 1000 + "1" + ")" * 1000 + "\n", "too many nested parentheses"),
    # Newer syntax sends the file to libcst, which must not be handed the deep nesting.
    "newer_syntax_deep.py": (MARKER_LINE + "type X = int\nx = " + "(" * 3000 + "1" + ")" * 3000 + "\n", "SyntaxError"),
}


def test_files_that_do_not_parse_are_syntax_diagnostics(tmp_path: Path) -> None:
    root = project(tmp_path, {name: content for name, (content, _) in UNPARSABLE.items()})
    run, diagnostics = json_check(root)
    assert_sane(run, 1)
    assert run.err == ""
    found = by_file(diagnostics)
    for name, (_, message) in UNPARSABLE.items():
        (syntax,) = found[name]
        assert syntax["code"] is None and message in syntax["message"], name
    assert [d["code"] for d in found["other.py"]] == ["OWN101"]


@pytest.mark.parametrize("output_format", ["full", "concise", "grouped", "json", "json-lines", "github", "gitlab", "sarif", "junit", "pylint"])
def test_syntax_error_in_every_output_format(
    tmp_path: Path, output_format: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, {"bad.py": MARKER_LINE + "def f(:\n"})
    monkeypatch.chdir(root)
    assert main(["check", "--no-cache", "--output-format", output_format]) == 1
    out, err = capsys.readouterr()
    assert "bad.py" in out and err == ""


# Files that parse: any encoding, line ending, whitespace or size


def latin1_cookie() -> bytes:
    return ("# -*- coding: latin-1 -*-\n" + CLEAN + 'GREETING = "caf\u00e9 \u00fc"\n').encode("latin-1")


HARMLESS = {
    "latin-1-cookie": latin1_cookie(),
    "bom": codecs.BOM_UTF8 + CLEAN.encode(),
    "bom-and-cookie": codecs.BOM_UTF8 + ("# coding: utf-8\n" + CLEAN).encode(),
    "crlf": CLEAN.replace("\n", "\r\n").encode(),
    "cr-only": CLEAN.replace("\n", "\r").encode(),
    "mixed-endings": (MARKER_LINE + "router = APIRouter()\r\nx = 1\ry = 2\n").encode(),
    "tabs": (CLEAN + "if True:\n\tx = 1\n\tif x:\n\t\ty = 2\n").encode(),
    "form-feed": (CLEAN + "\x0c\ndef f():\n    return 1\n\x0c\n").encode(),
    "unicode-line-separators": (CLEAN + "S = '\u2028\u2029\x85'  # \u2028 \x1c\x1d\x1e \x0b\n").encode(),
    "no-final-newline": CLEAN.rstrip("\n").encode(),
    "long-string-line": (CLEAN + 'BLOB = "' + "a" * 1_000_000 + '"\n').encode(),
    "long-list-line": (CLEAN + "DATA = [" + ", ".join(str(i) for i in range(50_000)) + "]\n").encode(),
    "many-lines": (CLEAN + "".join(f"x{i} = {i}\n" for i in range(20_000))).encode(),
    "non-ascii-names": (CLEAN + "caf\u00e9 = '\u00fc\u00f1\u00ee'\n\u03c0 = 3.14\n").encode(),
    "only-marker-comment": b"# fastapi\n",
    "empty": b"",
    "whitespace-only": b"\n\n   \n\t\n",
}


def test_unusual_but_valid_files_are_checked_quietly(tmp_path: Path) -> None:
    root = project(tmp_path, {f"{name}.py": content for name, content in HARMLESS.items()})
    run, diagnostics = json_check(root)
    assert_sane(run, 1)
    assert run.err == ""
    assert [(Path(d["filename"]).name, d["code"]) for d in diagnostics] == [("other.py", "OWN101")]


@pytest.mark.parametrize("content", HARMLESS.values(), ids=HARMLESS.keys())
def test_unusual_but_valid_file_with_a_finding(
    tmp_path: Path, content: bytes, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same file with a route appended still parses, and the route is found on its row."""
    newline = b"\r\n" if b"\r\n" in content else b"\r" if b"\r" in content else b"\n"
    prefix = content if content.endswith((b"\n", b"\r")) or not content else content + newline
    route = newline.join([b"", b"from fastapi import APIRouter as R", b"guarded = R()", b"@guarded.get('/{user_id}/x')", b"def x(user_id: str):", b"    return 1", b""])
    root = project(tmp_path, {"odd.py": prefix + route})
    monkeypatch.chdir(root)
    assert main(["check", "--no-cache", "--unfixable", "OWN", "--output-format", "json", "odd.py"]) == 1
    out, err = capsys.readouterr()
    (finding,) = json.loads(out)
    assert err == "" and finding["code"] == "OWN101"
    text = (prefix + route).decode("latin-1" if b"latin-1" in content else "utf-8-sig")
    python_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # not splitlines: \f
    assert finding["location"] == {"row": python_lines.index("def x(user_id: str):") + 1, "column": 5}


def test_stub_files_are_parsed(tmp_path: Path) -> None:
    stub = MARKER_LINE + "router: APIRouter\n\n@router.get('/{user_id}/items')\ndef items(user_id: str) -> list[int]: ...\n"
    root = project(tmp_path, {"stubs/api.pyi": stub, "stubs/broken.pyi": MARKER_LINE + "def f(: ...\n"})
    run, diagnostics = json_check(root)
    assert_sane(run, 1)
    assert run.err == ""
    assert sorted((Path(d["filename"]).name, d["code"]) for d in diagnostics) == [("broken.pyi", None), ("other.py", "OWN101")]


def test_latin1_file_positions_count_characters(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\n" + MARKER_LINE + 'router = APIRouter()\n\n\n@router.get("/\u00e9/{user_id}")\ndef \u00e9t\u00e9(user_id: str):\n    return []\n'
    root = project(tmp_path, {"latin.py": source.encode("latin-1")})
    run, diagnostics = json_check(root)
    assert_sane(run, 1)
    (finding,) = by_file(diagnostics)["latin.py"]
    assert finding["location"] == {"row": 7, "column": 5}
    assert "/\u00e9" in finding["message"]


# Errors of the run: one line, exit 2, the other files still reported


def test_undecodable_file_is_an_error_and_the_run_goes_on(tmp_path: Path) -> None:
    root = project(tmp_path, {"bad.py": MARKER_LINE.encode() + b"x = '\xff\xfe'\n"})
    run, diagnostics = json_check(root)
    assert_sane(run, 2)
    assert run.err_lines == [f"error: {root / 'bad.py'}: cannot decode as utf-8: 'utf-8' codec can't decode byte 0xff in position 35: invalid start byte"]
    assert [Path(d["filename"]).name for d in diagnostics] == ["other.py"]


def test_wrong_coding_cookie_is_an_error(tmp_path: Path) -> None:
    root = project(tmp_path, {"bad.py": b"# -*- coding: klingon -*-\n" + MARKER_LINE.encode()})
    run, diagnostics = json_check(root)
    assert_sane(run, 2)
    (line,) = run.err_lines
    assert line.startswith(f"error: {root / 'bad.py'}: ") and "klingon" in line
    assert [Path(d["filename"]).name for d in diagnostics] == ["other.py"]


def test_unreadable_file_on_disk(tmp_path: Path) -> None:
    """chmod 000; root reads it anyway, any other user gets the error."""
    root = project(tmp_path, {"locked.py": CLEAN})
    (root / "locked.py").chmod(0)
    try:
        run, diagnostics = json_check(root)
    finally:
        (root / "locked.py").chmod(0o644)
    assert [Path(d["filename"]).name for d in diagnostics] == ["other.py"]
    if os.geteuid() == 0:
        assert_sane(run, 1)
    else:
        assert_sane(run, 2)
        assert run.err_lines == [f"error: {root / 'locked.py'}: Permission denied"]


def deny(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """Make opening ``denied`` fail as it does for a user without read permission (the suite
    may run as root, which reads anything)."""
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not isinstance(file, int) and os.fspath(file) == str(denied):
            raise PermissionError(13, "Permission denied", os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)  # what Path.read_bytes opens with


def test_unreadable_file_is_an_error_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, {"locked.py": WITH_FINDING})
    deny(monkeypatch, (root / "locked.py").resolve())
    monkeypatch.chdir(root)
    assert main(["check", "--no-cache", "--output-format", "concise", "."]) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [f"error: {(root / 'locked.py').resolve()}: Permission denied"]
    assert "other.py:6:5: OWN101" in out and "locked.py" not in out


def test_unreadable_directory_is_an_error_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, {"locked/inner.py": WITH_FINDING})
    locked = str((root / "locked").resolve())
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.chdir(root)
    assert main(["check", "--no-cache", "--output-format", "concise", "."]) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [f"error: {locked}: cannot read the directory: Permission denied"]
    assert "other.py:6:5: OWN101" in out


def test_unreadable_directory_on_disk(tmp_path: Path) -> None:
    root = project(tmp_path, {"locked/inner.py": CLEAN})
    (root / "locked").chmod(0)
    try:
        run, diagnostics = json_check(root)
    finally:
        (root / "locked").chmod(0o755)
    assert [Path(d["filename"]).name for d in diagnostics] == ["other.py"]
    assert_sane(run, 1 if os.geteuid() == 0 else 2)


def test_deeply_nested_expression_is_handled_per_file(tmp_path: Path) -> None:
    """A chain the running parser cannot build (3.11+) is an error of that file; where it can
    (3.10 takes 100k-term chains), the file is analysed. Either way the run goes on."""
    chain = MARKER_LINE + "x = " + " + ".join(["1"] * 100_000) + "\n"
    root = project(tmp_path, {"deep.py": chain})
    run, diagnostics = json_check(root)
    assert [Path(d["filename"]).name for d in diagnostics] == ["other.py"]
    try:
        ast.parse(chain)
    except (RecursionError, MemoryError):
        assert_sane(run, 2)
        assert run.err_lines == [f"error: {root / 'deep.py'}: gave up: the code is nested too deeply to analyse"]
    else:
        assert_sane(run, 1)
        assert run.err == ""


def test_recursion_in_the_analysis_is_an_error_of_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, {"deep.py": WITH_FINDING})
    real_check = Linter._check

    def check(self, project, path, text, *args):
        if path.name == "deep.py":
            raise RecursionError("maximum recursion depth exceeded")
        return real_check(self, project, path, text, *args)

    monkeypatch.setattr(Linter, "_check", check)
    monkeypatch.chdir(root)
    assert main(["check", "--no-cache", "--output-format", "concise", "."]) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [f"error: {(root / 'deep.py').resolve()}: gave up: the code is nested too deeply"]
    assert "other.py:6:5: OWN101" in out


def test_unexpected_exception_is_an_error_of_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, {"boom.py": WITH_FINDING})
    real_check = Linter._check

    def check(self, project, path, text, *args):
        if path.name == "boom.py":
            raise KeyError("surprise")
        return real_check(self, project, path, text, *args)

    monkeypatch.setattr(Linter, "_check", check)
    monkeypatch.chdir(root)
    assert main(["check", "--no-cache", "--output-format", "concise", "."]) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [f"error: {(root / 'boom.py').resolve()}: internal error: KeyError: 'surprise' (please report it)"]
    assert "other.py:6:5: OWN101" in out


def test_worker_that_dies_is_reported_not_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A crash in native code kills a worker process; the run reports its files and ends."""
    if "fork" not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip("the monkeypatch reaches the workers only through fork")
    files = {f"module_{i:02}.py": WITH_FINDING for i in range(24)}  # three chunks of eight
    root = project(tmp_path, files)
    real_check_one = scheduler._check_one

    def check_one(linter, path, *rest):
        if path.name == "module_03.py":
            os.kill(os.getpid(), signal.SIGSEGV)
        return real_check_one(linter, path, *rest)

    monkeypatch.setattr(scheduler, "_check_one", check_one)
    monkeypatch.setattr(scheduler, "POOL_THRESHOLD", 1)
    monkeypatch.chdir(root)
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(120)
    try:
        code = main(["check", "--no-cache", "-j", "2", "--output-format", "concise", "."])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    out, err = capsys.readouterr()
    assert code == 2
    lost = [line for line in err.splitlines() if "not checked: a worker process died" in line]
    assert f"error: {(root / 'module_03.py').resolve()}: not checked: a worker process died (run with -j 1 to find the file)" in lost
    assert all(line.startswith("error: ") for line in err.splitlines())
    assert "Traceback" not in err


def _hung(signum, frame):
    raise AssertionError("the run hung after a worker died")


# Paths: links, spaces, non-ASCII and undecodable names


def test_broken_symlinks_and_loops_are_warnings(tmp_path: Path) -> None:
    root = project(tmp_path, {})
    (root / "gone.py").symlink_to(root / "missing.py")
    (root / "loop_a.py").symlink_to(root / "loop_b.py")
    (root / "loop_b.py").symlink_to(root / "loop_a.py")
    (root / "pkg").mkdir()
    (root / "pkg" / "cycle").symlink_to(root / "pkg", target_is_directory=True)
    run, diagnostics = json_check(root)
    assert_sane(run, 1)
    assert sorted(run.err_lines) == [
        f"warning: {root / 'gone.py'}: broken symbolic link",
        f"warning: {root / 'loop_a.py'}: symbolic link loop",
        f"warning: {root / 'loop_b.py'}: symbolic link loop",
    ]
    assert [Path(d["filename"]).name for d in diagnostics] == ["other.py"]


@pytest.mark.parametrize("name", ["gone.py", "loop_a.py"])
def test_explicit_dangling_link_is_a_warning(tmp_path: Path, name: str) -> None:
    root = project(tmp_path, {})
    (root / "gone.py").symlink_to(root / "missing.py")
    (root / "loop_a.py").symlink_to(root / "loop_b.py")
    (root / "loop_b.py").symlink_to(root / "loop_a.py")
    run = run_cli(root, "check", "--no-cache", name, "other.py")
    assert_sane(run, 1)
    (line,) = run.err_lines
    assert line.startswith(f"warning: {name}: ") and line.endswith(("broken symbolic link", "symbolic link loop"))
    link_only = run_cli(root, "check", "--no-cache", name)
    assert_sane(link_only, 0)


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    root = project(tmp_path, {})
    run = run_cli(root, "check", "--no-cache", "nowhere.py")
    assert_sane(run, 2)
    assert run.err_lines == ["error: nowhere.py: No such file or directory"]


def test_spaces_and_non_ascii_names(tmp_path: Path) -> None:
    name = "r\u00f6utes with space/\u00fcsers \u65e5\u672c.py"
    root = tmp_path / "pr\u00f6ject dir"
    fixable_project(root, name=name)
    run, diagnostics = json_check(root)
    assert_sane(run, 1)
    assert {d["filename"] for d in diagnostics} == {str(root / name)}
    concise = run_cli(root, "check", "--no-cache", "--output-format", "concise")
    assert f"{name}:9:5: OWN201" in concise.out
    fixed = run_cli(root, "check", "--no-cache", "--fix", name)
    assert_sane(fixed, 0)
    assert "if current_user != user_id:" in (root / name).read_text(encoding="utf-8")


UNDECODABLE_NAME = os.fsdecode(b"bad\xffname.py")


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux only")
def test_undecodable_file_name(tmp_path: Path) -> None:
    project(tmp_path, {})
    (tmp_path / UNDECODABLE_NAME).write_text(WITH_FINDING)
    run = run_cli(tmp_path, "check", "--no-cache", "--output-format", "concise")
    assert_sane(run, 1)
    assert f"{UNDECODABLE_NAME}:6:5: OWN101" in run.out and run.err == ""


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux only")
@pytest.mark.parametrize("output_format", ["full", "concise", "json", "json-lines", "github", "gitlab", "sarif", "junit", "pylint", "grouped"])
def test_undecodable_file_name_in_every_format(
    tmp_path: Path, output_format: str, monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    project(tmp_path, {})
    (tmp_path / UNDECODABLE_NAME).write_text(WITH_FINDING)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-cache", "--output-format", output_format]) == 1
    out, err = capfdbinary.readouterr()
    assert b"bad\xffname.py" in out or b"bad%FFname.py" in out or b"bad\\udcffname.py" in out
    assert err == b""


def test_output_that_the_terminal_cannot_encode(tmp_path: Path) -> None:
    root = project(tmp_path, {"\u00fcnic\u00f6de.py": WITH_FINDING})
    run = run_cli(root, "check", "--no-cache", "--output-format", "concise", env={"PYTHONIOENCODING": "ascii"})
    assert_sane(run, 1)
    assert "OWN101" in run.out


def test_report_file_that_cannot_be_written(tmp_path: Path) -> None:
    root = project(tmp_path, {})
    for target in (str(tmp_path), "pyproject.toml/report.txt"):
        run = run_cli(root, "check", "--no-cache", "-o", target)
        assert_sane(run, 2)
        (line,) = run.err_lines
        assert line.startswith(f"error: {target}: cannot write the report: ")


def test_reader_that_goes_away(tmp_path: Path) -> None:
    root = project(tmp_path, {f"module_{i}.py": WITH_FINDING for i in range(30)})
    command = [sys.executable, "-m", "ownership_lint", "check", "--no-cache", "."]
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # type: ignore[union-attr]
    err = process.stderr.read().decode()  # type: ignore[union-attr]
    assert process.wait(timeout=120) == 1
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_stdin_with_hostile_buffers(tmp_path: Path) -> None:
    fixable_project(tmp_path)
    cases = {
        b"\xff\xfe" + MARKER_LINE.encode(): 2,
        (MARKER_LINE + "x = (\n").encode(): 1,
        b"": 0,
        codecs.BOM_UTF8 + FIXABLE_ROUTE.replace("\n", "\r\n").encode(): 1,
    }
    for buffer, code in cases.items():
        run = run_cli(tmp_path, "check", "--no-cache", "--stdin-filename", "routes.py", "-", stdin=buffer)
        assert_sane(run, code)
        fixed = run_cli(tmp_path, "check", "--no-cache", "--fix", "--stdin-filename", "routes.py", "-", stdin=buffer)
        assert "Traceback" not in fixed.err, str(fixed)


def test_nothing_to_check(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "empty").mkdir()
    run = run_cli(tmp_path, "check", "--no-cache", "empty")
    assert_sane(run, 0)
    assert run.out == "All checks passed!\n"
