"""Cheap syntactic views of a function for the status and exposure rules.

Most questions those rules ask are about statements (``if``, ``raise``, ``return``, ``try``,
assignments), which only appear in statement blocks. Walking the blocks alone is an order of
magnitude cheaper than walking every expression (``ast.walk``), and gives the same statements
in the same order: ``own_statements(body)`` is ``own_nodes``/``own_nodes_of`` (pre-order, not
entering nested functions, classes or lambdas) restricted to statements.

The module-level helpers answer "may this code contain X" from the source text first, so that
only the functions (and the lines) that mention a keyword are looked at.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterable, Sequence

from .walk import child_nodes

Function = ast.FunctionDef | ast.AsyncFunctionDef

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_TRY = (ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))
_MATCH = getattr(ast, "Match", None)
# Statement blocks of each compound statement, in ``ast.iter_child_nodes`` order.
_BLOCKS: dict[type, tuple[str, ...]] = {
    ast.If: ("body", "orelse"),
    ast.For: ("body", "orelse"),
    ast.AsyncFor: ("body", "orelse"),
    ast.While: ("body", "orelse"),
    ast.With: ("body",),
    ast.AsyncWith: ("body",),
}
for _try in _TRY:
    _BLOCKS[_try] = ("body", "handlers", "orelse", "finalbody")
if _MATCH is not None:
    _BLOCKS[_MATCH] = ("cases",)
_NESTED = frozenset({"handlers", "cases"})  # blocks of ExceptHandler / match_case items


def _children(statement: ast.stmt) -> list[ast.stmt]:
    fields = _BLOCKS.get(type(statement))
    if fields is None:
        return []
    children: list[ast.stmt] = []
    for name in fields:
        block = getattr(statement, name, None) or []
        if name in _NESTED:
            for item in block:
                children.extend(item.body)
        else:
            children.extend(block)
    return children


def own_statements(body: Iterable[ast.stmt]) -> list[ast.stmt]:
    """The statements of ``body`` and the statements nested in them, in pre-order, not entering
    nested functions or classes (which are included, not walked)."""
    found: list[ast.stmt] = []
    stack = list(body)
    stack.reverse()
    while stack:
        statement = stack.pop()
        found.append(statement)
        if isinstance(statement, _SCOPES):
            continue
        children = _children(statement)
        if children:
            children.reverse()
            stack.extend(children)
    return found


def is_try(statement: ast.stmt) -> bool:
    return isinstance(statement, _TRY)


def walk_depths(tree: ast.Module) -> dict[int, int]:
    """``id(function) -> depth`` of every function of the module, where ``ast.walk`` (a
    breadth-first walk) would find it: node depth counts every ``ast`` node on the way,
    ``ExceptHandler`` and ``match_case`` included."""
    depths: dict[int, int] = {}
    stack: list[tuple[ast.stmt, int]] = [(statement, 1) for statement in tree.body]
    while stack:
        statement, depth = stack.pop()
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            depths[id(statement)] = depth
        if isinstance(statement, _SCOPES):
            stack.extend((child, depth + 1) for child in statement.body)
            continue
        fields = _BLOCKS.get(type(statement))
        if fields is None:
            continue
        for name in fields:
            block = getattr(statement, name, None) or []
            if name in _NESTED:
                stack.extend((child, depth + 2) for item in block for child in item.body)
            else:
                stack.extend((child, depth + 1) for child in block)
    return depths


def in_walk_order(functions: Sequence[Function], depths: dict[int, int] | None) -> list[Function]:
    """``functions`` in the order ``ast.walk(module)`` visits them: by depth, then by position
    (at one depth, breadth-first order is source order). ``depths`` may be None for fewer
    than two functions."""
    if len(functions) < 2 or depths is None:
        return list(functions)
    return sorted(functions, key=lambda f: (depths.get(id(f), 0), f.lineno, f.col_offset))


# Names


_SKIP_FIELDS = frozenset({"ctx", "op", "ops", "kind", "type_comment"})
_FIELDS: dict[type, tuple[str, ...]] = {}


def names_in(node: ast.AST) -> frozenset[str]:
    """The ids of the ``ast.Name`` nodes in ``ast.walk(node)`` (lambdas and comprehensions
    included), without ``ast.walk``'s generators."""
    found: set[str] = set()
    stack = [node]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is ast.Name:
            found.add(node.id)  # type: ignore[attr-defined]
            continue
        fields = _FIELDS.get(kind)
        if fields is None:
            fields = _FIELDS[kind] = tuple(f for f in kind._fields if f not in _SKIP_FIELDS)
        for name in fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                stack.append(value)
            elif isinstance(value, list):
                stack.extend(item for item in value if isinstance(item, ast.AST))
    return frozenset(found)


# Source text


_NEWLINE = re.compile(r"\r\n|\r|\n")  # the tokenizer's line ends (form feeds and the like are not)


class LineIndex:
    """Lines of a module's text that mention a needle, for range checks by line number."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None
        self._lines: dict[str, list[int]] = {}

    def _line_of(self, offset: int) -> int:
        if self._starts is None:
            self._starts = [0, *(m.end() for m in _NEWLINE.finditer(self.text))]
        return bisect.bisect_right(self._starts, offset)

    def lines(self, needle: str) -> list[int]:
        """Sorted 1-based line numbers where ``needle`` occurs."""
        found = self._lines.get(needle)
        if found is None:
            found = []
            text = self.text
            start = text.find(needle)
            while start != -1:
                line = self._line_of(start)
                if not found or found[-1] != line:
                    found.append(line)
                start = text.find(needle, start + 1)
            self._lines[needle] = found
        return found

    def mentions(self, needle: str, node: ast.AST) -> bool:
        """``needle`` occurs on a line of ``node`` (True when the node has no position)."""
        first = getattr(node, "lineno", None)
        last = getattr(node, "end_lineno", None)
        if first is None or last is None:
            return True
        lines = self.lines(needle)
        at = bisect.bisect_left(lines, first)
        return at < len(lines) and lines[at] <= last


def walk_mentioning(tree: ast.AST, lines: list[int]) -> list[ast.AST]:
    """``ast.walk(tree)`` (same nodes, same order) restricted to the nodes whose lines contain
    one of ``lines``: a subtree none of whose lines is in ``lines`` is skipped. Nodes without
    a position, and f-strings (whose inner positions older Pythons get wrong), are walked
    through."""
    if not lines:
        return []
    found: list[ast.AST] = []
    queue = [tree]
    position = 0
    while position < len(queue):
        node = queue[position]
        position += 1
        first = getattr(node, "lineno", None)
        last = getattr(node, "end_lineno", None)
        if first is not None and last is not None and not isinstance(node, ast.JoinedStr):
            decorators = getattr(node, "decorator_list", None)
            if decorators:  # decorators sit above the ``def``/``class`` line
                first = min(first, *(d.lineno for d in decorators))
            at = bisect.bisect_left(lines, first)
            if at == len(lines) or lines[at] > last:
                continue
        found.append(node)
        queue.extend(child_nodes(node))
    return found
