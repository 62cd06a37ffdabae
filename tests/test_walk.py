"""``walk``, ``walk_with_parents`` and ``child_nodes`` agree with ``ast.walk`` and
``ast.iter_child_nodes`` (without the ``ctx`` markers) on every kind of node."""

from __future__ import annotations

import ast
import sys
import sysconfig
from pathlib import Path

import pytest

from ownership_lint.analysis.walk import (
    _CHILD_FIELDS,
    _fields,
    _signature_types,
    child_nodes,
    walk,
    walk_with_parents,
)

FIXTURES = Path(__file__).parent / "fixtures"
EVERY_KIND = '''
import os, sys as system
from . import sibling
from .pkg import name as alias
global_value: int = 1
async def coroutine(a, /, b: int = 2, *args, c, d=3, **kwargs) -> None:
    global global_value
    async with open(a) as f, open(b):
        async for x in f:
            await x
    def inner():
        nonlocal_value = 1
        def innermost():
            nonlocal nonlocal_value
            del nonlocal_value
    try:
        raise ValueError("x") from None
    except (KeyError, ValueError) as error:
        pass
    else:
        assert a, "message"
    finally:
        yield
    yield from b
    x = lambda y, *z, **w: y if z else w
    x += 1; x @= 2; x <<= 3
    s = f"{a!r:>{b}} {c=}" b"bytes" if False else ...
    values = [i for i in range(3) if i], {i for i in a}, {k: v for k, v in a}, (i async for i in a)
    d = {**kwargs, "k": 1, None: 2}
    t = a[1:2:3], a[::], not a, -a, a and b or c, a < b <= c is not d in e
    (walrus := 1)
    match d:
        case {"k": 1, **rest}: pass
        case [1, 2, *others] | (3 | 4): pass
        case Point(1, y=2) as point if point: pass
        case str() | None | True: pass
        case _: pass
class Point(Base, metaclass=Meta):
    """Doc."""
    x: int
    @property
    def method(self): return self.x
'''


def python_sources() -> list:
    sources = [pytest.param(EVERY_KIND, id="every-kind")]
    if sys.version_info >= (3, 12):
        type_params = "type Alias[T: int, *Ts, **P] = list[T]\ndef f[T](x: T) -> T: ...\n"
        sources.append(pytest.param(type_params, id="type-params"))
    for path in sorted(FIXTURES.rglob("*.py")):
        sources.append(pytest.param(path.read_text(), id=path.relative_to(FIXTURES).as_posix()))
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(stdlib.glob("[a-f]*.py")):
        sources.append(pytest.param(path.read_text(encoding="utf-8"), id=f"stdlib/{path.name}"))
    return sources


def without_ctx(nodes) -> list[ast.AST]:
    return [node for node in nodes if not isinstance(node, ast.expr_context)]


# Operators are shared instances (every ``+`` is the same ``ast.Add()``): no single parent.
SHARED = (ast.operator, ast.boolop, ast.cmpop, ast.unaryop)


@pytest.mark.parametrize("text", python_sources())
def test_the_walks_match_the_standard_library(text: str) -> None:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        pytest.skip("not valid in this Python")
    expected = without_ctx(ast.walk(tree))
    assert [id(node) for node in walk(tree)] == [id(node) for node in expected]
    parents: dict[int, ast.AST] = {}
    assert [id(node) for node in walk_with_parents(tree, parents)] == [id(node) for node in expected]
    for node in expected:
        children = without_ctx(ast.iter_child_nodes(node))
        assert [id(child) for child in child_nodes(node)] == [id(child) for child in children]
        assert all(parents[id(child)] is node for child in children if not isinstance(child, SHARED))


def test_every_node_class_of_this_python_has_a_signature_to_skip_leaf_fields_by() -> None:
    """The walks skip fields such as ``Name.id`` by the signature in each class's docstring;
    a Python whose docstrings changed would still walk right, only slower: this notices it."""
    deprecated = {"Num", "Str", "Bytes", "NameConstant", "Ellipsis", "Index", "ExtSlice", "Suite", "Param", "AugLoad", "AugStore"}
    for name in dir(ast):
        cls = getattr(ast, name)
        if isinstance(cls, type) and issubclass(cls, ast.AST) and cls._fields and name not in deprecated:
            types = _signature_types(cls)
            assert types is not None and set(types) == set(cls._fields), name


def test_leaf_fields_are_not_visited() -> None:
    _CHILD_FIELDS.clear()
    assert _fields(ast.Name) == ()
    assert _fields(ast.Constant) == ()
    assert _fields(ast.Attribute) == ("value",)
    assert _fields(ast.FunctionDef)[:4] == ("args", "body", "decorator_list", "returns")
