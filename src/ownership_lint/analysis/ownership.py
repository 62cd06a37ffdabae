"""Data-layer ownership: queries and their owner filters, lookups by id and the owner checks
that follow them, created objects and their owner assignment.

Everything here works on one function body (a lookup may also be a call to a project function
that returns an object it loaded unchecked); whether a value is trusted is asked of a
``Trust`` callback the caller supplies (a route knows its identity and its owner checks, a crud
function trusts its own parameters).
"""

from __future__ import annotations

import ast
import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .checks import (
    Operand,
    find_owner_checks,
    is_match_test,
    is_mismatch_test,
    root_name,
    stops_request,
    tests_missing,
    unwrap_conversion,
)
from .lazy import cached_property
from .models import OwnedModel
from .project import ClassSymbol, FunctionSymbol, Module
from .queries import Queries
from .values import value_class
from .walk import walk

FILTER_METHODS = frozenset({"where", "filter", "filter_by"})
SINGLE_ROW_METHODS = frozenset(
    {"first", "one", "one_or_none", "scalar", "scalar_one", "scalar_one_or_none", "get"}
)
_AND_FUNCTIONS = frozenset({"sqlalchemy.and_", "sqlmodel.and_", "sqlalchemy.sql.and_", "sqlalchemy.sql.expression.and_"})
_COL_FUNCTIONS = frozenset({"sqlmodel.col", "sqlmodel.sql.expression.col"})
_CONSTRUCTORS = frozenset({"model_validate", "from_orm", "parse_obj", "model_construct"})
_SUPERUSER_FLAGS = frozenset({"is_superuser", "is_admin"})
_VARIABLE_HOPS = 2  # ``stmt = select(...)``, ``result = session.exec(stmt)``, ``result.first()``

Function = ast.FunctionDef | ast.AsyncFunctionDef


class Trust(enum.Enum):
    TRUSTED = "trusted"  # the identity, or the path user id under an owner check
    PATH = "path"  # the path user id without an owner check: OWN101/OWN201's business
    UNTRUSTED = "untrusted"  # request data: body, query string, another object
    UNKNOWN = "unknown"  # a local value the analysis cannot follow


TrustOf = Callable[[ast.expr, int], Trust]


@value_class
class OwnerFilter:
    value: ast.expr
    node: ast.AST  # the comparison or keyword that carries it


@dataclass
class QueryChain:
    base: ast.Call  # select(...), update(...), delete(...), session.query(...)
    kind: str
    model: OwnedModel
    model_expr: ast.expr
    statement: ast.stmt
    filters: list[OwnerFilter] = field(default_factory=list)
    fetch: ast.expr | None = None  # where one row is taken: .first()/.one()/.get(id): a lookup
    superuser_guard: str | None = None  # runs only when ``<name>.is_superuser`` holds

    @property
    def single_row(self) -> bool:
        return self.fetch is not None


@dataclass
class Lookup:
    """An owned object loaded by id (or as a single row)."""

    call: ast.expr  # the expression that yields the object
    model: OwnedModel
    model_expr: ast.expr
    statement: ast.stmt
    variable: str | None
    filtered: bool = False
    superuser_guard: str | None = None


@dataclass
class Creation:
    call: ast.Call
    model: OwnedModel
    model_expr: ast.expr
    statement: ast.stmt
    variable: str | None
    owner_values: list[ast.expr] = field(default_factory=list)
    unpacked: list[ast.expr] = field(default_factory=list)  # ``**data`` / model_validate(data)
    added: bool = False


class FunctionData:
    """Queries, lookups and creations of one function body."""

    def __init__(self, queries: Queries, module: Module, function: Function) -> None:
        self.queries = queries
        self.module = module
        self.function = function
        self.index = queries.index
        self.parents = module.structure.parents_in(function)
        self.nodes = module.structure.nodes_in(function)  # in ``ast.walk`` order
        self._own_lookups: dict[bool, list[Lookup]] = {}  # by ``through_helpers``

    @cached_property
    def statements(self) -> list[ast.stmt]:
        function = self.function
        return [node for node in self.nodes if isinstance(node, ast.stmt) and node is not function]

    # Queries

    def chains(self) -> list[QueryChain]:
        """The function's queries with their filters (computed once: several rules ask)."""
        return self._chains

    @cached_property
    def _chains(self) -> list[QueryChain]:
        found = []
        for access in self.queries.accesses(self.module, self.function):
            if access.kind not in ("select", "update", "delete", "query"):
                continue
            model_expr = self._model_expr(access.node, access.kind)
            chain = QueryChain(
                base=access.node,
                kind=access.kind,
                model=access.model,
                model_expr=model_expr,
                statement=self.statement_of(access.node),
                superuser_guard=self.superuser_guard(access.node),
            )
            self._collect_filters(chain)
            found.append(chain)
        return found

    def _model_expr(self, call: ast.Call, kind: str) -> ast.expr:
        for arg in call.args:
            model, expr = self.queries.model_and_expr(self.module, arg)
            if model is not None:
                return expr
        return call.args[0]

    def _collect_filters(self, chain: QueryChain) -> None:
        outer = chain.base
        fetch = None
        for method_call in self._method_chain(chain.base):
            if method_call.func.attr in SINGLE_ROW_METHODS:  # type: ignore[attr-defined]
                fetch = method_call
                break
            self._filters_of(method_call, chain)
            outer = method_call
        variable = self._assigned_name(outer)
        if variable is not None:
            for method_call in self._variable_methods(variable):
                self._filters_of(method_call, chain)
        if self._selects_objects(chain):
            chain.fetch = fetch or self._single_row_fetch(outer, _VARIABLE_HOPS)

    def _selects_objects(self, chain: QueryChain) -> bool:
        """``select(Task)``, ``session.query(Task)``: rows are model objects, so one row is an
        object lookup. ``select(Task.title)``, ``select(func.count()).select_from(Task)`` read
        values: fetched one at a time they are still unfiltered queries."""
        base = chain.base
        if chain.kind not in ("select", "query") or _method_name(base) == "select_from" or not base.args:
            return False
        return self.queries.models.owned(self.index.resolve(self.module, base.args[0])) is not None

    def _method_chain(self, node: ast.expr) -> Iterator[ast.Call]:
        """``x.where(...).order_by(...)``: the calls made on ``node``, innermost first."""
        while True:
            parent = self.parents.get(id(node))
            grand = self.parents.get(id(parent)) if parent is not None else None
            if isinstance(parent, ast.Attribute) and isinstance(grand, ast.Call) and grand.func is parent:
                yield grand
                node = grand
            else:
                return

    def _variable_methods(self, name: str) -> Iterator[ast.Call]:
        for node in self.nodes:
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in FILTER_METHODS and _chain_root(node) == name:
                    yield node

    def _assigned_name(self, node: ast.expr) -> str | None:
        parent = self.parents.get(id(node))
        if isinstance(parent, ast.Await):
            node, parent = parent, self.parents.get(id(parent))
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
            target = parent.targets[0]
            return target.id if isinstance(target, ast.Name) else None
        if isinstance(parent, ast.AnnAssign) and isinstance(parent.target, ast.Name):
            return parent.target.id
        return None

    def _single_row_fetch(self, node: ast.expr, hops: int) -> ast.expr | None:
        """Where the query's result is reduced to one row: in the same expression
        (``exec(q).first()``) or through the variables it is bound to
        (``result = session.execute(q)`` then ``result.scalar_one_or_none()``)."""
        fetch = self._fetch_in_expression(node)
        if fetch is not None or hops == 0:
            return fetch
        name = self._assigned_name(self._outermost(node))
        if name is None:
            return None
        for use in self._later_loads(name, self.statement_of(node)):
            fetch = self._single_row_fetch(use, hops - 1)
            if fetch is not None:
                return fetch
        return None

    def _fetch_in_expression(self, node: ast.expr) -> ast.expr | None:
        current: ast.AST = node
        for _ in range(6):
            parent = self.parents.get(id(current))
            if parent is None or isinstance(parent, ast.stmt):
                return None
            if isinstance(parent, ast.Attribute) and parent.attr in SINGLE_ROW_METHODS:
                call = self.parents.get(id(parent))
                return call if isinstance(call, ast.Call) else parent
            if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute):
                if parent.func.attr == "scalar":
                    return parent
            current = parent
        return None

    def _later_loads(self, name: str, statement: ast.stmt) -> list[ast.Name]:
        end = statement.end_lineno or statement.lineno
        return [
            node
            for node in self.nodes
            if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load) and node.lineno > end
        ]

    def superuser_guard(self, node: ast.AST) -> str | None:
        """The name whose superuser flag guards ``node``: the body of
        ``if current_user.is_superuser:``, the ``else`` of ``if not current_user.is_superuser:``."""
        child: ast.AST = node
        parent = self.parents.get(id(node))
        while parent is not None:
            if isinstance(parent, ast.If):
                guard = _superuser_guard_of(parent, child)
                if guard is not None:
                    return guard
            child, parent = parent, self.parents.get(id(parent))
        return None

    def _filters_of(self, call: ast.Call, chain: QueryChain) -> None:
        method = call.func.attr  # type: ignore[attr-defined]
        if method == "filter_by":
            for keyword in call.keywords:
                if keyword.arg in self.queries.models.owner_fields:
                    chain.filters.append(OwnerFilter(keyword.value, keyword))
            return
        if method in ("where", "filter"):
            for arg in call.args:
                chain.filters.extend(self._conditions(arg))

    def _conditions(self, expr: ast.expr) -> Iterator[OwnerFilter]:
        if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.And):
            for value in expr.values:
                yield from self._conditions(value)
        elif isinstance(expr, ast.Call) and self.index.qualname(self.module, expr.func) in _AND_FUNCTIONS:
            for arg in expr.args:
                yield from self._conditions(arg)
        elif isinstance(expr, ast.Compare) and len(expr.ops) == 1 and isinstance(expr.ops[0], (ast.Eq, ast.Is)):
            left, right = expr.left, expr.comparators[0]
            if self.is_owner_column(left):
                yield OwnerFilter(right, expr)
            elif self.is_owner_column(right):
                yield OwnerFilter(left, expr)

    def is_owner_column(self, expr: ast.expr) -> bool:
        """``Task.user_id`` or ``col(Task.user_id)`` on an owned model."""
        if isinstance(expr, ast.Call) and self.index.qualname(self.module, expr.func) in _COL_FUNCTIONS:
            expr = expr.args[0] if expr.args else expr
        if not isinstance(expr, ast.Attribute):
            return False
        model = self.queries.models.owned(self.index.resolve(self.module, expr.value))
        return model is not None and expr.attr in self.queries.models.owner_fields

    # Lookups

    def lookups(self, *, through_helpers: bool = True) -> list[Lookup]:
        """Objects the function loads by id: direct lookups, single-row fetches of its query
        chains and (``through_helpers``) project helpers that return one unchecked. Computed
        once per flag: several rules ask."""
        if through_helpers not in self._own_lookups:
            self._own_lookups[through_helpers] = self._lookups(through_helpers)
        return self._own_lookups[through_helpers]

    def _lookups(self, through_helpers: bool) -> list[Lookup]:
        found = []
        for access in self.queries.accesses(self.module, self.function):
            if access.kind == "get" and isinstance(access.node.func, ast.Attribute):
                if self._is_query_get(access.node):
                    continue
                found.append(self._lookup(access.node, access.model, access.node.args[0], False))
        for chain in self.chains():
            if chain.fetch is not None:
                found.append(self._lookup(chain.fetch, chain.model, chain.model_expr, bool(chain.filters)))
        if through_helpers:
            found.extend(self._helper_lookups())
        return found

    def _helper_lookups(self) -> Iterator[Lookup]:
        """``item = crud.get_item(session, item_id)``: a project function that returns an
        owned object it loaded by id without filtering or checking its owner."""
        for call in (n for n in self.nodes if isinstance(n, ast.Call)):
            target = self.index.resolve(self.module, call.func)
            if not isinstance(target, FunctionSymbol) or target.node is self.function:
                continue
            returned = self.index.memo(
                self.queries.returned_lookups,
                ("returned lookup", id(target.node)),  # memo keys share one in-progress set
                lambda: FunctionData(self.queries, target.module, target.node).unchecked_returned_lookup(),
            )
            if returned is not None:
                yield self._lookup(call, returned.model, returned.model_expr, False)

    def unchecked_returned_lookup(self) -> Lookup | None:
        """The unfiltered lookup this function returns without comparing its owner."""
        any_value = lambda e: not isinstance(e, ast.Constant)  # noqa: E731
        for lookup in self.lookups(through_helpers=False):
            if lookup.filtered or self.object_checked(lookup, any_value):
                continue
            if self._returns(lookup):
                return lookup
        return None

    def _returns(self, lookup: Lookup) -> bool:
        for node in self.nodes:
            if isinstance(node, ast.Return) and node.value is not None:
                if node is lookup.statement or (
                    isinstance(node.value, ast.Name) and node.value.id == lookup.variable
                ):
                    return True
        return False

    def _is_query_get(self, call: ast.Call) -> bool:
        """``session.query(Task).get(id)`` is found through its query chain instead."""
        func = call.func
        return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) and (
            isinstance(func.value.func, ast.Attribute) and func.value.func.attr in ("query", *FILTER_METHODS)
        )

    def _lookup(self, node: ast.expr, model: OwnedModel, model_expr: ast.expr, filtered: bool) -> Lookup:
        outer = self._awaited(node)
        statement = self.statement_of(node)
        return Lookup(
            call=outer,
            model=model,
            model_expr=model_expr,
            statement=statement,
            variable=_assigned_variable(statement, outer),
            filtered=filtered,
            superuser_guard=self.superuser_guard(node),
        )

    def _awaited(self, node: ast.expr) -> ast.expr:
        """``await session.get(...)`` for ``session.get(...)``: the object itself. An attribute
        of it (``session.get(...).title``) or a container around it is not the object."""
        parent = self.parents.get(id(node))
        return parent if isinstance(parent, ast.Await) else node

    def _outermost(self, node: ast.expr) -> ast.expr:
        """Climb the expression to the value a statement binds or returns."""
        current: ast.AST = node
        while True:
            parent = self.parents.get(id(current))
            if parent is None or isinstance(parent, ast.stmt):
                return current  # type: ignore[return-value]
            if isinstance(parent, (ast.Call, ast.Attribute, ast.Await)):
                current = parent
                continue
            return current  # type: ignore[return-value]

    def object_checked(self, lookup: Lookup, owner_operand: Callable[[ast.expr], bool]) -> bool:
        """An ``if`` after the lookup compares ``obj.<owner>`` with an owner value and raises."""
        name = lookup.variable
        if name is None:
            return False
        owner = lookup.model.owner_field
        is_owner_attr = lambda e: (  # noqa: E731
            isinstance(unwrap_conversion(e), ast.Attribute)
            and unwrap_conversion(e).attr == owner  # type: ignore[attr-defined]
            and root_name(e) == name
        )
        after = [s for s in self.statements if s.lineno > lookup.statement.lineno]
        for check in find_owner_checks(after, is_owner_attr, owner_operand):
            # A branch that returns an error value is OWN404's finding, not a missing check.
            if check.rejects or _returns(check.branch):
                return True
        if self._returns_only_when_owned(after, is_owner_attr, owner_operand):
            return True
        return self._checked_by_helper(name, after)

    def _returns_only_when_owned(
        self, statements: list[ast.stmt], is_owner_attr: Operand, owner_operand: Operand
    ) -> bool:
        """``if task and task.user_id == user_id: return task`` followed by a ``raise``."""
        for statement in statements:
            if not isinstance(statement, ast.If) or statement.orelse:
                continue
            if not is_match_test(statement.test, is_owner_attr, owner_operand):
                continue
            following = self._following_statement(statement)
            if isinstance(statement.body[-1], ast.Return) and following is not None and stops_request([following]):
                return True
        return False

    def _checked_by_helper(self, name: str, statements: list[ast.stmt]) -> bool:
        for statement in statements:
            for call in (n for n in walk(statement) if isinstance(n, ast.Call)):
                if not any(isinstance(a, ast.Name) and a.id == name for a in call.args):
                    continue
                target = self.index.resolve(self.module, call.func)
                node = getattr(target, "node", None)
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _compares_owner(node):
                    return True
        return False

    def not_found_check(self, lookup: Lookup) -> ast.If | None:
        """The ``if task is None`` / ``if not task`` right after the lookup."""
        name = lookup.variable
        following = self._following_statement(lookup.statement)
        if name is None or not isinstance(following, ast.If) or not stops_request(following.body):
            return None
        return following if tests_missing(following.test, name) else None

    # Creations

    def creations(self) -> list[Creation]:
        return self._creations

    @cached_property
    def _creations(self) -> list[Creation]:
        found = []
        for access in self.queries.accesses(self.module, self.function):
            if access.kind != "create":
                continue
            call = access.node
            model_expr = call.func.value if isinstance(call.func, ast.Attribute) and call.func.attr in _CONSTRUCTORS else call.func
            statement = self.statement_of(call)
            creation = Creation(
                call=call,
                model=access.model,
                model_expr=model_expr,
                statement=statement,
                variable=_assigned_variable(statement, call),
            )
            self._owner_values(creation)
            found.append(creation)
        return found

    def _owner_values(self, creation: Creation) -> None:
        owner = creation.model.owner_field
        call = creation.call
        for keyword in call.keywords:
            if keyword.arg == owner:
                creation.owner_values.append(keyword.value)
            elif keyword.arg is None:
                creation.unpacked.append(keyword.value)
            elif keyword.arg == "update" and isinstance(keyword.value, ast.Dict):
                for key, value in zip(keyword.value.keys, keyword.value.values):
                    if isinstance(key, ast.Constant) and key.value == owner:
                        creation.owner_values.append(value)
        if isinstance(call.func, ast.Attribute) and call.func.attr in _CONSTRUCTORS and call.args:
            creation.unpacked.append(call.args[0])
        name = creation.variable
        if name is None:
            parent = self.parents.get(id(call))
            creation.added = isinstance(parent, ast.Call) and _is_add(parent)
            return
        for node in self.nodes:
            if isinstance(node, ast.Assign) and node.lineno > creation.statement.lineno:
                for target in node.targets:
                    if isinstance(target, ast.Attribute) and target.attr == owner and root_name(target) == name:
                        creation.owner_values.append(node.value)
            if isinstance(node, ast.Call) and _is_add(node):
                if any(root_name(a) == name for a in node.args if not isinstance(a, ast.Starred)):
                    creation.added = True

    # Positions

    def _following_statement(self, statement: ast.stmt) -> ast.stmt | None:
        """The statement after ``statement`` in its block, if any."""
        holder = self.parents.get(id(statement))
        for name in ("body", "orelse", "finalbody"):
            block = getattr(holder, name, None)
            if isinstance(block, list) and statement in block:
                index = block.index(statement)
                return block[index + 1] if index + 1 < len(block) else None
        return None

    def statement_of(self, node: ast.AST) -> ast.stmt:
        current: ast.AST | None = node
        while current is not None and not isinstance(current, ast.stmt):
            current = self.parents.get(id(current))
        return current if current is not None else self.function.body[0]  # type: ignore[return-value]

    def top_level_position(self, node: ast.AST) -> int:
        line = getattr(node, "lineno", 0)
        for position, statement in enumerate(self.function.body):
            if statement.lineno <= line <= (statement.end_lineno or statement.lineno):
                return position
        return len(self.function.body)


def request_model_declares(queries: Queries, module: Module, annotation: ast.expr | None, field_name: str) -> bool:
    """The body model class (``TaskCreate``) declares ``field_name`` (itself or a base)."""
    if annotation is None:
        return False
    symbol = queries.index.resolve(module, annotation)
    if not isinstance(symbol, ClassSymbol):
        return False
    return field_name in queries.models.fields(symbol)


def _method_name(call: ast.Call) -> str | None:
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def _returns(statements: tuple[ast.stmt, ...]) -> bool:
    return any(isinstance(node, ast.Return) for statement in statements for node in walk(statement))


def _is_add(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr in ("add", "add_all")


def _chain_root(call: ast.Call) -> str | None:
    node: ast.expr = call
    while isinstance(node, (ast.Call, ast.Attribute)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _assigned_variable(statement: ast.stmt, value: ast.expr) -> str | None:
    """The name bound to exactly ``value``; not to a list, dict or attribute built from it."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and statement.value is value:
        target = statement.targets[0]
        return target.id if isinstance(target, ast.Name) else None
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.value is value:
        return statement.target.id
    return None


def _superuser_guard_of(statement: ast.If, branch_child: ast.AST) -> str | None:
    test = statement.test
    negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
    block = statement.orelse if negated else statement.body
    if branch_child not in block:
        return None
    flag = test.operand if negated else test  # type: ignore[union-attr]
    if isinstance(flag, ast.BoolOp) and isinstance(flag.op, ast.And) and not negated:
        return next((name for name in map(_superuser_flag_owner, flag.values) if name), None)
    return _superuser_flag_owner(flag)


def _superuser_flag_owner(expr: ast.expr) -> str | None:
    """``current_user`` for ``current_user.is_superuser``."""
    if isinstance(expr, ast.Attribute) and expr.attr in _SUPERUSER_FLAGS:
        return root_name(expr)
    return None


def _compares_owner(function: Function) -> bool:
    """A helper whose body compares some ``x.<attr>`` with something and raises."""
    params = {arg.arg for arg in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)}
    any_param = lambda e: root_name(e) in params  # noqa: E731
    checks = find_owner_checks(function.body, any_param, any_param)
    return any(check.rejects for check in checks)


__all__ = [
    "Creation",
    "FunctionData",
    "Lookup",
    "OwnerFilter",
    "QueryChain",
    "Trust",
    "is_match_test",
    "is_mismatch_test",
    "request_model_declares",
]
