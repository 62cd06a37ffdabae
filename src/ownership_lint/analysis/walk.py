"""``ast.walk`` without its generators.

The analysis walks function bodies many times per file; ``ast.walk`` and
``ast.iter_child_nodes`` cost two generator frames and an ``iter_fields`` pass per node, which
made walking dearer than parsing. ``walk`` returns the same nodes in the same (breadth-first)
order as a list, leaving out the ``ctx`` markers (``Load``/``Store``/``Del``): nothing here
looks for those as nodes; ``Name.ctx`` and friends are still read as attributes.
"""

from __future__ import annotations

import ast

_AST = ast.AST
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(cls: type) -> tuple[str, ...]:
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        fields = _CHILD_FIELDS[cls] = tuple(name for name in cls._fields if name != "ctx")  # type: ignore[attr-defined]
    return fields


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """``list(ast.iter_child_nodes(node))`` without the ``ctx`` markers."""
    children: list[ast.AST] = []
    for name in _fields(node.__class__):
        value = getattr(node, name, None)
        if value.__class__ is list:
            children.extend(item for item in value if isinstance(item, _AST))
        elif isinstance(value, _AST):
            children.append(value)
    return children


def walk(node: ast.AST) -> list[ast.AST]:
    """``list(ast.walk(node))`` without the ``ctx`` markers.

    The same loop as ``walk_with_parents`` without the parent bookkeeping, which would cost
    a quarter more per node on the hot path."""
    found = [node]
    append = found.append
    fields_of = _CHILD_FIELDS
    position = 0
    while position < len(found):
        current = found[position]
        position += 1
        cls = current.__class__
        for name in fields_of.get(cls) or _fields(cls):
            value = getattr(current, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, _AST):
                        append(item)
            elif isinstance(value, _AST):
                append(value)
    return found


def walk_with_parents(node: ast.AST, parents: dict[int, ast.AST]) -> list[ast.AST]:
    """``walk(node)``, filling in ``id(child) -> parent`` for every node below ``node``."""
    found = [node]
    append = found.append
    fields_of = _CHILD_FIELDS
    position = 0
    while position < len(found):
        current = found[position]
        position += 1
        cls = current.__class__
        for name in fields_of.get(cls) or _fields(cls):
            value = getattr(current, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, _AST):
                        append(item)
                        parents[id(item)] = current
            elif isinstance(value, _AST):
                append(value)
                parents[id(value)] = current
    return found
