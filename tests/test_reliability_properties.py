"""Property-based: for generated projects the whole pipeline never raises, every output format
renders, every fixed text parses, and a second fix changes nothing.

Inputs: FastAPI-shaped projects and modules from ``reliability_strategies`` (routers with
prefixes, ``{user_id}``/``{item_id}`` routes, Depends/Annotated/Security dependencies, owner
checks present, late, missing or wrong, select/get/add queries over owned models, JWT decodes
in every state), and arbitrary modules from hypothesmith's grammar- and CST-based strategies.
Examples are few and derandomized, so CI sees the same ones every run.
"""

from __future__ import annotations

import ast
import codecs
import json
import tempfile
from pathlib import Path

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_strategies import fastapi_modules, fastapi_projects
from reliability_support import write_files

from ownership_lint.api import resolve_settings
from ownership_lint.engine import Linter, RunOptions, RunResult
from ownership_lint.fixes.apply import apply_edits
from ownership_lint.output import FORMATS, RenderContext, render
from ownership_lint.output.statistics import render_statistics
from ownership_lint.source import decode_source, parse_module

CI = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much, HealthCheck.large_base_example],
)
JSON_FORMATS = ("json", "sarif", "gitlab")


def exercise(
    files: dict[str, str | bytes], *, prefilter: bool = True, strict_fixes: bool = True, with_edits: bool = False
) -> None:
    """Check, render, fix, fix again: nothing raises, fixed files parse, the second fix is a no-op.
    ``with_edits``: compute each fix's edits, as the JSON formats do (a libcst pass per fix)."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        write_files(root, {"pyproject.toml": "", **files})
        config = resolve_settings(root)

        def run(**options: object) -> RunResult:
            return Linter(config, root, RunOptions(use_cache=False, jobs=1, prefilter=prefilter, **options)).run([root])

        checked = run(with_edits=with_edits)
        assert_no_crash(checked)
        render_everything(checked, root)
        check_offered_edits(checked)

        fixed = run(fix=True, unsafe_fixes=True)
        assert_no_crash(fixed)
        for file in fixed.files:
            if strict_fixes:
                assert file.fix_failures == [], file.fix_failures
            if file.changed:
                on_disk = decode_source(file.path, file.path.read_bytes())
                assert on_disk.text == file.text
                parse_module(file.text, str(file.path))

        snapshot = {path: path.read_bytes() for path in root.rglob("*.py")}
        again = run(fix=True, unsafe_fixes=True)
        assert_no_crash(again)
        assert not any(file.changed for file in again.files)
        assert {path: path.read_bytes() for path in root.rglob("*.py")} == snapshot


def assert_no_crash(result: RunResult) -> None:
    crashes = [error for error in result.errors if "nested too deeply" not in error]
    assert crashes == [], crashes


def render_everything(result: RunResult, root: Path) -> None:
    for unsafe_fixes in (False, True):
        context = RenderContext(sources=result.sources, cwd=root, unsafe_fixes=unsafe_fixes, show_fix_diff=unsafe_fixes)
        for name in FORMATS:
            text = render(name, result.diagnostics, context)
            assert isinstance(text, str)
            if name in JSON_FORMATS:
                json.loads(text)
            elif name == "json-lines":
                [json.loads(line) for line in text.splitlines()]
        render_statistics(result.diagnostics, context, json_output=True)
        render_statistics(result.diagnostics, context, json_output=False)


def check_offered_edits(result: RunResult) -> None:
    """Each fix JSON offers, applied alone to its file, gives a module that parses."""
    for diagnostic in result.diagnostics:
        if diagnostic.fix is not None and diagnostic.fix.edits:
            source = result.sources[diagnostic.filename]
            ast.parse(apply_edits(source, diagnostic.fix.edits))


@settings(CI, max_examples=12)
@given(fastapi_projects())
def test_fastapi_projects(files: dict[str, str]) -> None:
    exercise(files, with_edits=True)


@settings(CI, max_examples=10)
@given(fastapi_modules())
def test_fastapi_single_modules(source: str) -> None:
    exercise({"app.py": source})


@settings(CI, max_examples=30)
@given(hypothesmith.from_grammar())
def test_grammar_generated_modules(source: str) -> None:
    """Arbitrary modules, every rule run on them (no prefilter), fixes or not."""
    exercise({"module.py": source}, prefilter=False, strict_fixes=False)


@settings(CI, max_examples=10)
@given(hypothesmith.from_node())
def test_cst_generated_modules(source: str) -> None:
    exercise({"module.py": source}, prefilter=False, strict_fixes=False)


@settings(CI, max_examples=10)
@given(fastapi_modules(), hypothesmith.from_grammar())
def test_fastapi_module_with_arbitrary_code_after_it(route_module: str, tail: str) -> None:
    """Routes next to whatever the grammar allows at module level."""
    exercise({"app.py": route_module + "\n" + tail}, strict_fixes=False)


ENCODINGS = st.sampled_from(["utf-8", "utf-8-bom", "latin-1", "cp1252"])
NEWLINES = st.sampled_from(["\n", "\r\n", "\r", "mixed"])


@settings(CI, max_examples=12)
@given(fastapi_modules(), ENCODINGS, NEWLINES, st.booleans())
def test_fixes_do_not_depend_on_how_the_file_is_written(source: str, encoding: str, newline: str, tabs: bool) -> None:
    """The same module as plain UTF-8 with LF and written another way (encoding, BOM, line
    endings, tab indentation) is fixed the same; the other way is kept."""
    plain = "# header\n" + source + 'NAME = "caf\u00e9"\n'
    variant = _written(plain, encoding, newline, tabs)
    plain_fixed = _fix_alone(plain.encode())
    variant_fixed = _fix_alone(variant)
    assert variant_fixed.startswith(codecs.BOM_UTF8) == (encoding == "utf-8-bom")
    text = variant_fixed.decode(_codec(encoding)).removeprefix("\ufeff")
    parse_module(text, "app.py")
    endings = _endings(variant.decode(_codec(encoding)))
    if len(endings) == 1:
        assert _endings(text) == endings
    normalized = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    assert normalized.split("\n", 1)[1] == plain_fixed.decode().split("\n", 1)[1]


def _codec(encoding: str) -> str:
    return "utf-8" if encoding == "utf-8-bom" else encoding


def _written(plain: str, encoding: str, newline: str, tabs: bool) -> bytes:
    lines = plain.split("\n")
    lines[0] = f"# -*- coding: {_codec(encoding)} -*-"
    if tabs:
        lines = [_tabs(line) for line in lines]
    if newline == "mixed":
        text = "".join(line + ("\r\n" if index % 3 == 1 else "\n") for index, line in enumerate(lines[:-1])) + lines[-1]
    else:
        text = newline.join(lines)
    data = text.encode(_codec(encoding))
    return codecs.BOM_UTF8 + data if encoding == "utf-8-bom" else data


def _fix_alone(data: bytes) -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        write_files(root, {"pyproject.toml": "", "app.py": data})
        config = resolve_settings(root)
        result = Linter(config, root, RunOptions(fix=True, use_cache=False, jobs=1)).run([root])
        assert result.errors == [] and all(file.fix_failures == [] for file in result.files)
        return (root / "app.py").read_bytes()


def _tabs(line: str) -> str:
    stripped = line.lstrip(" ")
    return "\t" * ((len(line) - len(stripped)) // 4) + stripped


def _endings(text: str) -> set[str]:
    return {line[len(line.rstrip("\r\n")) :] for line in text.splitlines(keepends=True)} - {""}
