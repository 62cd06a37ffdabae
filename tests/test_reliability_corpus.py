"""A real-world run: a few hundred modules through ``check``, ``--fix`` and a re-check.

The corpus: projects and modules drawn from the FastAPI strategies of
``reliability_strategies`` (collected by running them through hypothesis, derandomized),
arbitrary modules from hypothesmith's grammar strategy, and a copy of every FastAPI fixture app
in ``tests/fixtures/``. The real CLI must not crash on any of it (exit 0 or 1, no traceback,
no error), every file that parsed still parses after the fix, a second ``--fix`` changes
nothing, and ``-j 1`` fixes exactly what ``-j 2`` fixes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from reliability_strategies import fastapi_modules, fastapi_projects
from reliability_support import MARKER_LINE, Run, run_cli, write_files

from ownership_lint.source import SourceError, decode_source, parse_module

FIXTURES = Path(__file__).parent / "fixtures"
COLLECT = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def collected(strategy, count: int) -> list:
    """``count`` examples of ``strategy``, as hypothesis generates them for a test."""
    examples: list = []

    @settings(COLLECT, max_examples=count)
    @given(strategy)
    def collect(example) -> None:
        examples.append(example)

    collect()
    return examples


def build_corpus(root: Path) -> None:
    for number, files in enumerate(collected(fastapi_projects(), 45)):
        write_files(root / f"generated_{number:03}", files)
    singles = {f"module_{n:03}.py": source for n, source in enumerate(collected(fastapi_modules(), 30))}
    write_files(root / "singles", {"pyproject.toml": "", **singles})
    arbitrary = {f"module_{n:03}.py": MARKER_LINE + source for n, source in enumerate(collected(hypothesmith.from_grammar(), 40))}
    write_files(root / "arbitrary", {"pyproject.toml": "", **arbitrary})
    for app in sorted(FIXTURES.iterdir()):
        if app.is_dir() and any("fastapi" in path.read_text(errors="replace") for path in app.rglob("*.py")):
            ignored = shutil.ignore_patterns("__pycache__", "EXPECTED*", "README.md", "*.fixed")
            shutil.copytree(app, root / "fixtures" / app.name, ignore=ignored)
            if not any((root / "fixtures" / app.name / marker).exists() for marker in ("pyproject.toml", "setup.py")):
                (root / "fixtures" / app.name / "pyproject.toml").write_text("")


def python_files(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted(root.rglob("*.py"))}


def parses(path: Path, data: bytes) -> bool:
    try:
        parse_module(decode_source(path, data).text, str(path))
    except (SyntaxError, SourceError):
        return False
    return True


def assert_no_crash(run: Run) -> None:
    assert run.code in (0, 1), str(run)[-3000:]
    assert "Traceback" not in run.err and "error:" not in run.err, run.err[-3000:]


@pytest.mark.slow
def test_corpus_check_fix_recheck(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    build_corpus(corpus)
    serial = tmp_path / "serial"
    shutil.copytree(corpus, serial)
    original = python_files(corpus)
    assert len(original) >= 300

    assert_no_crash(run_cli(corpus, "check", "--no-cache", "-j", "2", "--output-format", "concise", ".", timeout=300))
    fix = run_cli(corpus, "check", "--no-cache", "-j", "2", "--fix", ".", timeout=300)
    assert_no_crash(fix)
    assert "fixed" in fix.out
    fixed = python_files(corpus)
    assert fixed != original
    for path, data in fixed.items():
        if parses(path, original[path]):
            assert parses(path, data), f"{path} no longer parses after --fix"
        else:
            assert data == original[path], f"{path} did not parse and was changed"

    assert_no_crash(run_cli(corpus, "check", "--no-cache", "-j", "2", "--output-format", "json", ".", timeout=300))
    assert_no_crash(run_cli(corpus, "check", "--no-cache", "-j", "2", "--fix", ".", timeout=300))
    assert python_files(corpus) == fixed, "a second --fix changed files"

    assert_no_crash(run_cli(serial, "check", "--no-cache", "-j", "1", "--fix", ".", timeout=300))
    serial_fixed = {path.relative_to(serial): data for path, data in python_files(serial).items()}
    assert serial_fixed == {path.relative_to(corpus): data for path, data in fixed.items()}, "-j 1 and -j 2 fixed differently"
