"""Owned models: ORM table classes that carry an owner column."""

from __future__ import annotations

import ast

from .names import (
    SQLALCHEMY_DECLARATIVE_BASES,
    SQLALCHEMY_DECLARATIVE_FACTORIES,
    SQLMODEL_BASE,
)
from .project import ClassSymbol, External, ProjectIndex, Symbol, ValueSymbol
from .values import value_class

_MAX_DEPTH = 10


@value_class
class OwnedModel:
    cls: ClassSymbol
    owner_field: str

    @property
    def name(self) -> str:
        return self.cls.node.name


class Models:
    def __init__(self, index: ProjectIndex, owner_fields: tuple[str, ...]) -> None:
        self.index = index
        self.owner_fields = owner_fields
        self._cache: dict[object, OwnedModel | None] = {}

    def owned(self, symbol: Symbol | None) -> OwnedModel | None:
        if not isinstance(symbol, ClassSymbol):
            return None
        key = (id(symbol.module), id(symbol.node))
        return self.index.memo(self._cache, key, lambda: self._compute(symbol))

    def _compute(self, cls: ClassSymbol) -> OwnedModel | None:
        if not self.is_table(cls):
            return None
        fields = self.fields(cls)
        for name in self.owner_fields:
            if name in fields:
                return OwnedModel(cls, name)
        return None

    def is_table(self, cls: ClassSymbol) -> bool:
        if _has_keyword_true(cls.node, "table"):
            return self._derives_from(cls, SQLMODEL_BASE)
        if self._has_tablename(cls):
            return self._is_declarative(cls)
        return False

    def ancestors(self, cls: ClassSymbol, depth: int = 0) -> list[Symbol]:
        """Base classes, nearest first, project classes expanded."""
        if depth > _MAX_DEPTH:
            return []
        found: list[Symbol] = []
        for base in cls.node.bases:
            symbol = self.index.resolve(cls.module, base)
            if symbol is None:
                continue
            found.append(symbol)
            if isinstance(symbol, ClassSymbol):
                found.extend(self.ancestors(symbol, depth + 1))
        return found

    def fields(self, cls: ClassSymbol) -> set[str]:
        names = _declared_names(cls.node)
        for ancestor in self.ancestors(cls):
            if isinstance(ancestor, ClassSymbol):
                names |= _declared_names(ancestor.node)
        return names

    def _derives_from(self, cls: ClassSymbol, qualnames: frozenset[str]) -> bool:
        return any(
            isinstance(a, External) and a.qualname in qualnames for a in self.ancestors(cls)
        )

    def _has_tablename(self, cls: ClassSymbol) -> bool:
        chain = [cls, *[a for a in self.ancestors(cls) if isinstance(a, ClassSymbol)]]
        return any({"__tablename__", "__table__"} & _declared_names(c.node) for c in chain)

    def _is_declarative(self, cls: ClassSymbol) -> bool:
        for ancestor in self.ancestors(cls):
            if isinstance(ancestor, External) and ancestor.qualname in SQLALCHEMY_DECLARATIVE_BASES:
                return True
            if isinstance(ancestor, ValueSymbol) and isinstance(ancestor.value, ast.Call):
                factory = self.index.qualname(ancestor.module, ancestor.value.func)
                if factory in SQLALCHEMY_DECLARATIVE_FACTORIES:
                    return True
            if isinstance(ancestor, ClassSymbol) and _decorated_as_declarative(ancestor.node):
                return True
        return False


def _declared_names(node: ast.ClassDef) -> set[str]:
    names = set()
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
        elif isinstance(statement, ast.Assign):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if any(_decorator_name(d) == "declared_attr" for d in statement.decorator_list):
                names.add(statement.name)
    return names


def _decorator_name(decorator: ast.expr) -> str:
    if isinstance(decorator, ast.Call):
        decorator = decorator.func
    if isinstance(decorator, ast.Attribute):
        return decorator.attr
    return decorator.id if isinstance(decorator, ast.Name) else ""


def _decorated_as_declarative(node: ast.ClassDef) -> bool:
    return any(_decorator_name(d) == "as_declarative" for d in node.decorator_list)


def _has_keyword_true(node: ast.ClassDef, name: str) -> bool:
    return any(
        keyword.arg == name
        and isinstance(keyword.value, ast.Constant)
        and keyword.value.value is True
        for keyword in node.keywords
    )
