"""Data access: where code reads or writes an ORM model."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from .models import Models, OwnedModel
from .names import DELETE_FUNCTIONS, SELECT_FUNCTIONS, UPDATE_FUNCTIONS
from .project import Module, ProjectIndex
from .values import value_class

_CONSTRUCTORS = frozenset({"model_validate", "from_orm", "parse_obj", "model_construct"})
_SESSION_WRITES = frozenset({"add", "add_all", "delete", "commit", "merge", "flush", "execute", "exec"})


@value_class
class DataAccess:
    node: ast.Call
    kind: str  # select, update, delete, query, get, create
    model: OwnedModel


class Queries:
    def __init__(self, index: ProjectIndex, models: Models) -> None:
        self.index = index
        self.models = models
        self._memo: dict[object, tuple[list[DataAccess], int]] = {}
        # id(function) -> the unchecked lookup it returns (see ``FunctionData``), memoised
        self.returned_lookups: dict[object, tuple[object, int]] = {}

    def model_of(self, module: Module, expr: ast.expr) -> OwnedModel | None:
        return self.model_and_expr(module, expr)[0]

    def model_and_expr(
        self, module: Module, expr: ast.expr, depth: int = 0
    ) -> tuple[OwnedModel | None, ast.expr]:
        """The owned model an entity expression is about: ``Task``, ``models.Task``,
        ``Task.title``, ``col(Task.title)``, ``func.count(Task.id)``."""
        if depth > 4:
            return None, expr
        if isinstance(expr, (ast.Name, ast.Attribute)):
            model = self.models.owned(self.index.resolve(module, expr))
            if model is not None:
                return model, expr
            if isinstance(expr, ast.Attribute):
                return self.model_and_expr(module, expr.value, depth + 1)
        if isinstance(expr, ast.Call) and expr.args:
            return self.model_and_expr(module, expr.args[0], depth + 1)
        return None, expr

    def accesses(self, module: Module, node: ast.AST) -> Iterator[DataAccess]:
        """The data accesses inside ``node``, computed once per function and shared."""
        found = self.index.memo(self._memo, id(node), lambda: self._compute_accesses(module, node))
        return iter(found)

    def _compute_accesses(self, module: Module, node: ast.AST) -> list[DataAccess]:
        found = []
        for call in module.structure.calls_in(node):
            if _may_access_data(call.func):
                access = self._classify(module, call)
                if access is not None:
                    found.append(access)
        return found

    def _classify(self, module: Module, call: ast.Call) -> DataAccess | None:
        func = call.func
        if _terminal_name(func) in _STATEMENT_FUNCTIONS:
            qualname = self.index.qualname(module, func)
            kinds = (("select", SELECT_FUNCTIONS), ("update", UPDATE_FUNCTIONS), ("delete", DELETE_FUNCTIONS))
            for kind, names in kinds:
                if qualname in names:
                    return self._first_owned(module, call, kind, call.args)
        if isinstance(func, ast.Attribute):
            if func.attr == "select_from":
                return self._select_from(module, call)
            if func.attr in ("query", "get") and call.args:
                return self._first_owned(module, call, func.attr, call.args[:1])
            if func.attr in _CONSTRUCTORS:
                model = self.model_of(module, func.value)
                return DataAccess(call, "create", model) if model else None
        if not _terminal_name(func)[:1].isupper():
            return None
        model = self.models.owned(self.index.resolve(module, func))
        return DataAccess(call, "create", model) if model else None

    def _select_from(self, module: Module, call: ast.Call) -> DataAccess | None:
        """``select(func.count()).select_from(Task)``: a query over ``Task`` whose columns name
        no model (when they do, the ``select(...)`` itself is the access)."""
        receiver = call.func.value  # type: ignore[attr-defined]
        if not isinstance(receiver, ast.Call) or any(self.model_of(module, a) for a in receiver.args):
            return None
        if self.index.qualname(module, receiver.func) in SELECT_FUNCTIONS:
            return self._first_owned(module, call, "select", call.args)
        if isinstance(receiver.func, ast.Attribute) and receiver.func.attr == "query":
            return self._first_owned(module, call, "query", call.args)
        return None

    def _first_owned(
        self, module: Module, call: ast.Call, kind: str, args: list[ast.expr]
    ) -> DataAccess | None:
        for arg in args:
            model = self.model_of(module, arg)
            if model is not None:
                return DataAccess(call, kind, model)
        return None


_STATEMENT_FUNCTIONS = frozenset({"select", "update", "delete"})
_METHODS = frozenset({"select_from", "query", "get", *_CONSTRUCTORS})


def _terminal_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _may_access_data(func: ast.expr) -> bool:
    """A syntactic pre-check before any name resolution: ``select(...)``, ``x.get(...)``,
    ``Task(...)`` (model classes are CamelCase), ``Task.model_validate(...)``."""
    name = _terminal_name(func)
    return name in _STATEMENT_FUNCTIONS or name in _METHODS or name[:1].isupper()


def is_session_write(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr in _SESSION_WRITES
