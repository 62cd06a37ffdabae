"""``ast.walk`` without its generators.

The analysis walks function bodies many times per file; ``ast.walk`` and
``ast.iter_child_nodes`` cost two generator frames and an ``iter_fields`` pass per node, which
made walking dearer than parsing. ``walk`` returns the same nodes in the same (breadth-first)
order as a list, leaving out the ``ctx`` markers (``Load``/``Store``/``Del``): nothing here
looks for those as nodes; ``Name.ctx`` and friends are still read as attributes.
"""

from __future__ import annotations

import ast
import re

_AST = ast.AST
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
# ASDL types of fields that never hold a node: ``Name.id``, ``Constant.value``, ``ctx``...
_LEAF_TYPES = frozenset({"identifier", "string", "constant", "int", "expr_context"})
_SIGNATURE = re.compile(r"\w+\((.*)\)$")


def _fields(cls: type) -> tuple[str, ...]:
    """The fields of ``cls`` that may hold nodes, from its ASDL signature, which is the first
    line of its docstring (``Name(identifier id, expr_context ctx)``) in every supported
    Python. Skipping the others saves a fifth of a walk. Without a signature: every field
    but ``ctx``; the walks check each value anyway."""
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        all_fields: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
        types = _signature_types(cls)
        if types is not None and set(types) == set(all_fields):
            fields = tuple(name for name in all_fields if types[name].rstrip("*?") not in _LEAF_TYPES)
        else:
            fields = tuple(name for name in all_fields if name != "ctx")
        _CHILD_FIELDS[cls] = fields
    return fields


def _signature_types(cls: type) -> dict[str, str] | None:
    """``{"id": "identifier", "ctx": "expr_context"}`` for ``Name``; None without a signature."""
    signature = _SIGNATURE.match((cls.__doc__ or "").split("\n", 1)[0])
    if signature is None:
        return None
    parts = [part.split() for part in signature.group(1).split(",")]
    if any(len(part) != 2 for part in parts):
        return None
    return {name: type_ for type_, name in parts}


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
        fields = fields_of.get(cls)
        for name in _fields(cls) if fields is None else fields:
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
        fields = fields_of.get(cls)
        for name in _fields(cls) if fields is None else fields:
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
