"""The fix primitives rules build on: each keeps the surrounding formatting."""

from __future__ import annotations

import ast
import textwrap

import pytest

from ownership_lint.fixes.actions import (
    AddImport,
    AddKeywordArgument,
    AddParameter,
    AppendMethodCall,
    FunctionRef,
    InsertStatements,
    InsertStatementsAfter,
    InsertStatementsBefore,
    ReplaceExpression,
    ReplaceStatement,
    span_of,
)
from ownership_lint.fixes.apply import FixError, apply_actions, apply_edits, text_edits
from ownership_lint.source import Locator


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def find(source: str, predicate) -> ast.AST:
    return next(node for node in ast.walk(ast.parse(source)) if predicate(node))


def span(source: str, predicate):
    return span_of(Locator(source), find(source, predicate))


ROUTE = dedent(
    """
    def route(user_id: str, db=Depends(get_db)):
        tasks = db.exec(
            select(Task)
        ).all()
        return tasks
    """
)


def is_select(node):
    return isinstance(node, ast.Call) and getattr(node.func, "id", "") == "select"


def test_append_method_call_keeps_the_expression_as_written():
    action = AppendMethodCall(span(ROUTE, is_select), "where", "Task.user_id == user_id")
    assert apply_actions(ROUTE, [action]) == ROUTE.replace(
        "select(Task)\n", "select(Task).where(Task.user_id == user_id)\n"
    )


def test_replace_expression():
    action = ReplaceExpression(span(ROUTE, is_select), "select(Task.id)")
    assert "select(Task.id)\n" in apply_actions(ROUTE, [action])


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        pytest.param("decode(token, key)", "decode(token, key, algorithms=[\"HS256\"])", id="appended"),
        pytest.param("decode()", "decode(algorithms=[\"HS256\"])", id="only argument"),
        pytest.param(
            "decode(token, algorithms=[\"RS256\"])", "decode(token, algorithms=[\"RS256\"])", id="already there"
        ),
    ],
)
def test_add_keyword_argument(call, expected):
    source = f"payload = {call}\n"
    target = span(source, lambda n: isinstance(n, ast.Call))
    result = apply_actions(source, [AddKeywordArgument(target, "algorithms", '["HS256"]')])
    assert result == f"payload = {expected}\n"


def is_return(node):
    return isinstance(node, ast.Return)


def test_statements_around_a_nested_statement_take_its_indentation():
    target = span(ROUTE, is_return)
    result = apply_actions(
        ROUTE,
        [
            InsertStatementsBefore(target, "log(tasks)\n"),
            InsertStatementsAfter(target, "unreachable()\n"),
        ],
    )
    assert result.endswith("    log(tasks)\n    return tasks\n    unreachable()\n")


def test_replace_statement_with_a_compound_statement():
    target = span(ROUTE, is_return)
    code = "try:\n    return tasks\nexcept KeyError:\n    raise HTTPException(status_code=401)\n"
    result = apply_actions(ROUTE, [ReplaceStatement(target, code)])
    assert result.endswith(
        "    try:\n        return tasks\n    except KeyError:\n        raise HTTPException(status_code=401)\n"
    )
    ast.parse(result)


def test_insert_at_body_start_after_docstring_keeps_comments_with_their_statement():
    source = dedent(
        '''
        def route(user_id):
            """Doc."""
            # the comment
            return 1
        '''
    )
    result = apply_actions(source, [InsertStatements(FunctionRef("route", 1), "check()\n")])
    assert result == dedent(
        '''
        def route(user_id):
            """Doc."""
            check()

            # the comment
            return 1
        '''
    )


@pytest.mark.parametrize(
    ("signature", "expected"),
    [
        pytest.param("def f():", "def f(new: str = D()):", id="empty"),
        pytest.param("def f(a):", "def f(a, new: str = D()):", id="after the last parameter"),
        pytest.param("def f(a, b=1):", "def f(a, new: str = D(), b=1):", id="before the defaults"),
        pytest.param("def f(a, *args, **kw):", "def f(a, new: str = D(), *args, **kw):", id="before *args"),
        pytest.param("def f(a, *, k=1):", "def f(a, new: str = D(), *, k=1):", id="before keyword-only"),
        pytest.param("def f(new, a):", "def f(new, a):", id="already present"),
        pytest.param(
            "def f(\n    a,\n):", "def f(\n    a,\n    new: str = D(),\n):", id="one per line, trailing comma"
        ),
        pytest.param(
            "def f(\n    a,\n    b=1\n):", "def f(\n    a,\n    new: str = D(),\n    b=1\n):", id="one per line"
        ),
    ],
)
def test_add_parameter_where_python_allows_it(signature, expected):
    source = f"{signature}\n    pass\n"
    action = AddParameter(FunctionRef("f", 1), "new", "str", "D()")
    assert apply_actions(source, [action]) == f"{expected}\n    pass\n"


@pytest.mark.parametrize(
    ("imports", "expected"),
    [
        pytest.param(
            "from fastapi import APIRouter, Depends\n",
            "from fastapi import APIRouter, Depends, HTTPException\n",
            id="into a sorted import, in order",
        ),
        pytest.param(
            "from fastapi import APIRouter, status\n",
            "from fastapi import APIRouter, HTTPException, status\n",
            id="classes before functions, as isort orders them",
        ),
        pytest.param(
            "from fastapi import status, APIRouter\n",
            "from fastapi import status, APIRouter, HTTPException\n",
            id="appended to an unsorted import",
        ),
        pytest.param(
            "from fastapi import (\n    APIRouter,\n    Depends,\n)\n",
            "from fastapi import (\n    APIRouter,\n    Depends,\n    HTTPException,\n)\n",
            id="parenthesised, one per line",
        ),
        pytest.param(
            "import os\n",
            "import os\nfrom fastapi import HTTPException\n",
            id="new statement after the last import",
        ),
        pytest.param(
            "from fastapi import HTTPException\n",
            "from fastapi import HTTPException\n",
            id="already imported",
        ),
    ],
)
def test_add_import(imports, expected):
    source = imports + "\nx = 1\n"
    assert apply_actions(source, [AddImport("fastapi", "HTTPException")]) == expected + "\nx = 1\n"


def test_crlf_line_endings_are_kept():
    source = "from fastapi import Depends\r\n\r\ndef f(a):\r\n    return a\r\n"
    result = apply_actions(
        source,
        [InsertStatements(FunctionRef("f", 3), "check(a)\n"), AddImport("fastapi", "HTTPException")],
    )
    assert "\n" not in result.replace("\r\n", "")
    assert result == (
        "from fastapi import Depends, HTTPException\r\n\r\ndef f(a):\r\n    check(a)\r\n\r\n    return a\r\n"
    )


def test_missing_target_is_an_error_not_a_silent_noop():
    with pytest.raises(FixError):
        apply_actions("def f():\n    pass\n", [InsertStatements(FunctionRef("g", 1), "x()\n")])


def test_edits_reproduce_the_fixed_text():
    fixed = apply_actions(ROUTE, [InsertStatements(FunctionRef("route", 1), "check()\n")])
    assert apply_edits(ROUTE, text_edits(ROUTE, fixed)) == fixed
