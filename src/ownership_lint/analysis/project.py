"""Cross-file facts: modules of the project, imports, and symbol resolution.

Modules are parsed lazily: resolving a name that leads into another module of the project
loads that module then. Only facts that cannot be reached by resolution (who includes which
router) need an eager scan, and that scan is limited to files that mention them.
"""

from __future__ import annotations

import ast
import bisect
import builtins
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..source import NestingError, SourceError, decode_source, parse_module
from .values import value_class
from .walk import walk_with_parents

_MAX_RESOLVE_DEPTH = 12


@dataclass(eq=False)
class Module:
    name: str
    path: Path
    text: str
    tree: ast.Module
    is_package: bool = False
    imports: dict[str, str] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    assignments: dict[str, ast.expr] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for statement in _top_level_statements(self.tree.body):
            self._record(statement)
        self._structure: Structure | None = None

    @property
    def structure(self) -> Structure:
        """Parents, functions and calls of the whole module, from a single walk."""
        if self._structure is None:
            self._structure = Structure(self.tree)
        return self._structure

    def _record(self, statement: ast.stmt) -> None:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.functions[statement.name] = statement
        elif isinstance(statement, ast.ClassDef):
            self.classes[statement.name] = statement
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    self.assignments[target.id] = statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            if isinstance(statement.target, ast.Name):
                self.assignments[statement.target.id] = statement.value
        elif _is_type_alias(statement):
            self.assignments[statement.name.id] = statement.value  # type: ignore[attr-defined]
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    self.imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.imports[top] = top
        elif isinstance(statement, ast.ImportFrom):
            base = self.absolute_import_base(statement)
            for alias in statement.names:
                if alias.name != "*":
                    target = f"{base}.{alias.name}" if base else alias.name
                    self.imports[alias.asname or alias.name] = target

    def absolute_import_base(self, statement: ast.ImportFrom) -> str:
        if not statement.level:
            return statement.module or ""
        parts = self.name.split(".")
        package = parts if self.is_package else parts[:-1]
        keep = len(package) - (statement.level - 1)
        base = package[: max(keep, 0)]
        if statement.module:
            base = [*base, statement.module]
        return ".".join(part for part in base if part)


class Structure:
    """What the rules ask of a module's shape, computed lazily and once.

    A full walk of every expression costs more than parsing, so only statements are walked
    to find functions; a function's own expressions are walked the first time a rule asks
    about that function (its calls, its parents).
    """

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.classes: list[ast.ClassDef] = []
        self._walked: dict[int, _Walked] = {}
        self._collect(tree.body)
        self.functions.sort(key=_position)

    def _collect(self, body: list[ast.stmt]) -> None:
        for statement in body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions.append(statement)
            elif isinstance(statement, ast.ClassDef):
                self.classes.append(statement)
            for name in _BLOCK_FIELDS.get(statement.__class__, ()):
                block = getattr(statement, name)
                self._collect([s for s in block if isinstance(s, ast.stmt)])
                for item in block:
                    if isinstance(item, _CLAUSES):
                        self._collect(item.body)

    def calls_in(self, function: ast.AST) -> list[ast.Call]:
        """Every call inside ``function`` (nested functions included), in source order."""
        return self._walk(function).calls

    def parents_in(self, function: ast.AST) -> dict[int, ast.AST]:
        """``id(node) -> parent`` for the nodes inside ``function``."""
        return self._walk(function).parents

    def nodes_in(self, function: ast.AST) -> list[ast.AST]:
        """``walk(function)``: its nodes in ``ast.walk`` order (see ``walk``), computed once."""
        return self._walk(function).nodes

    def _walk(self, function: ast.AST) -> _Walked:
        """One pass over the function gives every answer: most functions asked about once
        are soon asked about again."""
        key = id(function)
        walked = self._walked.get(key)
        if walked is None:
            parents: dict[int, ast.AST] = {}
            nodes = walk_with_parents(function, parents)
            calls = [node for node in nodes if node.__class__ is ast.Call]
            calls.sort(key=_position)
            walked = self._walked[key] = _Walked(nodes, calls, parents)
        return walked


# The statement blocks of each statement class (the fields named like blocks that it has).
_BLOCK_FIELDS: dict[type, tuple[str, ...]] = {
    cls: blocks
    for cls in (getattr(ast, name) for name in dir(ast))
    if isinstance(cls, type) and issubclass(cls, ast.stmt)
    for blocks in [tuple(f for f in ("body", "orelse", "finalbody", "handlers", "cases") if f in cls._fields)]
    if blocks
}
_CLAUSES = (ast.ExceptHandler, getattr(ast, "match_case", ast.ExceptHandler))


@value_class
class _Walked:
    nodes: list[ast.AST]
    calls: list[ast.Call]
    parents: dict[int, ast.AST]


class _Candidates:
    """The project modules an import's dotted name may mean (``backend.app.models`` and
    ``worker.app.models`` for ``app.models``), sorted by their components, so that the one
    nearest an importing module is found by bisection: a monorepo may hold hundreds of
    packages named alike, and a scan of them all for every import was quadratic."""

    def __init__(self, names: list[str]) -> None:
        pairs = sorted((tuple(name.split(".")), name) for name in names)
        self.keys = [parts for parts, _name in pairs]
        self.names = [name for _parts, name in pairs]
        self.shortest = min(self.names, key=lambda name: (len(name), name)) if names else None

    def nearest(self, near: str) -> str | None:
        """The candidate sharing the most leading components with ``near``, then the
        shortest, then the first by name."""
        if len(self.names) < 2:
            return self.shortest
        parts = tuple(near.split("."))
        at = bisect.bisect_left(self.keys, parts)
        # The longest shared prefix is with a neighbour of the insertion point.
        shared = max(_shared_prefix(self.keys[i], parts) for i in (at - 1, at) if 0 <= i < len(self.keys))
        if shared == 0:
            return self.shortest
        prefix = parts[:shared]
        start = bisect.bisect_left(self.keys, prefix)
        end = bisect.bisect_left(self.keys, (*prefix[:-1], prefix[-1] + "\0"))
        return min(self.names[start:end], key=lambda name: (len(name), name))


def _shared_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """How many leading components two dotted names share."""
    count = 0
    for left, right in zip(a, b):
        if left != right:
            break
        count += 1
    return count


def _position(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.col_offset  # type: ignore[attr-defined]


_TYPE_ALIAS = getattr(ast, "TypeAlias", None)  # Python 3.12+


def _is_type_alias(statement: ast.stmt) -> bool:
    return _TYPE_ALIAS is not None and isinstance(statement, _TYPE_ALIAS)


def _top_level_statements(body: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """Module statements, looking into ``if``/``try`` blocks (TYPE_CHECKING, fallbacks)."""
    for statement in body:
        if isinstance(statement, ast.If):
            yield from _top_level_statements(statement.body)
            yield from _top_level_statements(statement.orelse)
        elif isinstance(statement, ast.Try):
            yield from _top_level_statements(statement.body)
            for handler in statement.handlers:
                yield from _top_level_statements(handler.body)
            yield from _top_level_statements(statement.orelse)
        else:
            yield statement


# Symbols: what a name in a module refers to.


@value_class
class External:
    """A name outside the project, by qualified name (``fastapi.Depends``)."""

    qualname: str


@value_class
class FunctionSymbol:
    module: Module
    node: ast.FunctionDef | ast.AsyncFunctionDef

    @property
    def qualname(self) -> str:
        return f"{self.module.name}.{self.node.name}"


@value_class
class ClassSymbol:
    module: Module
    node: ast.ClassDef

    @property
    def qualname(self) -> str:
        return f"{self.module.name}.{self.node.name}"


@value_class
class ValueSymbol:
    """A module-level variable and the expression bound to it."""

    module: Module
    name: str
    value: ast.expr

    @property
    def qualname(self) -> str:
        return f"{self.module.name}.{self.name}"


@value_class
class ModuleSymbol:
    module: Module


Symbol = External | FunctionSymbol | ClassSymbol | ValueSymbol | ModuleSymbol

_BUILTINS = frozenset(dir(builtins))


def module_name_for(path: Path, root: Path) -> tuple[str, bool]:
    """The dotted module name of ``path`` within ``root`` (a leading ``src`` is not part of
    it), and whether it is a package's ``__init__``. String slicing, not ``relative_to``:
    every file of every project is named once per run."""
    text, base = str(path), str(root).rstrip(os.sep) + os.sep
    if not text.startswith(base):
        raise ValueError(f"{path} is not under {root}")
    parts = text[len(base) :].split(os.sep)
    parts[-1] = parts[-1].rpartition(".")[0] or parts[-1]
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts) or path.parent.name, is_package


class ProjectIndex:
    """Every Python module of the project by dotted name, parsed on first use."""

    def __init__(
        self, root: Path, files: Iterable[Path], read: Callable[[Path], bytes] = Path.read_bytes
    ) -> None:
        """``read`` gives a file's bytes (the caller may have read them already)."""
        self.root = root
        self._read = read
        self._paths: dict[str, Path] = {}
        self._by_last_part: dict[str, list[str]] = {}  # ``app.api.deps`` under ``deps``
        self._in_order: list[tuple[str, Path]] | None = None  # ``_paths`` sorted by name
        self._candidates: dict[str, _Candidates] = {}  # by the dotted name they end with
        self._packages: set[str] = set()
        self._by_path: dict[Path, str] = {}
        self._positions: dict[Path, int] = {}  # in the order of ``files``
        self._fact_of: dict[str, int] = {}  # a module's bit in recorded facts
        for path in files:
            self._register(path)
        self._modules: dict[str, Module | None] = {}
        self._overrides: dict[Path, str] = {}
        self._names: dict[object, tuple[Symbol | None, int]] = {}
        self._resolved: dict[tuple[int, int], tuple[ast.expr, Symbol | None, int]] = {}
        self._errors: dict[str, SyntaxError | NestingError] = {}
        self._masks: dict[Path, int] = {}
        self._other_needles: dict[Path, dict[bytes, bool]] = {}  # by file: forgotten in one step
        # Which modules (and which byte scans) each computation consulted, as ``FACT_*`` bits:
        # the cache keys a file's diagnostics by them. A stack of frames, one per memoised
        # computation. Bits, not sets: in a project of thousands of modules, a project-wide
        # scan consults them all, and every file that uses its result replays that.
        self._frames: list[int] = []
        self._in_progress: set[object] = set()

    def _register(self, path: Path) -> None:
        try:
            name, is_package = module_name_for(path, self.root)
        except ValueError:
            name, is_package = path.stem, False
        position = self._positions.setdefault(path, len(self._positions))
        if name in self._paths:
            if str(path).endswith(".pyi"):
                return
        else:
            self._by_last_part.setdefault(name.rpartition(".")[2], []).append(name)
            self._candidates.clear()
        self._paths[name] = path
        self._fact_of[name] = 1 << (FACT_MODULES + position)
        self._in_order = None
        self._by_path[path] = name
        if is_package:
            self._packages.add(name)

    @property
    def paths(self) -> dict[str, Path]:
        return self._paths

    def set_source(self, path: Path, text: str) -> bool:
        """Use ``text`` for ``path`` instead of the file on disk (fixes, stdin).

        Returns whether the module changed; facts derived from the old text are then stale.
        """
        if path not in self._by_path:
            self._register(path)
        name = self._by_path[path]
        loaded = self._modules.get(name)
        self._overrides[path] = text
        self._masks.pop(path, None)
        self._other_needles.pop(path, None)
        if loaded is not None and loaded.text == text:
            return False
        self._modules.pop(name, None)
        if loaded is not None:
            # Resolutions into or out of the old module are stale, and a new module may even
            # get the old one's id(), which the memo is keyed by.
            self._names.clear()
            self._resolved.clear()
        return loaded is not None

    def module_for_path(self, path: Path) -> Module | None:
        name = self._by_path.get(path)
        return self.module(name) if name is not None else None

    def module(self, name: str) -> Module | None:
        self._record(self._fact_of.get(name, 0))
        if name not in self._modules:
            self._modules[name] = self._load(name)
        return self._modules[name]

    def _load(self, name: str) -> Module | None:
        path = self._paths.get(name)
        if path is None:
            return None
        text = self._overrides.get(path)
        try:
            if text is None:
                text = self._source_text(path)
            tree = parse_module(text, str(path))
        except (SyntaxError, NestingError) as error:
            self._errors[name] = error
            return None
        except (RecursionError, MemoryError):
            self._errors[name] = NestingError("the code is nested too deeply to analyse")
            return None
        except ValueError as error:
            self._errors[name] = SyntaxError(str(error) or type(error).__name__)
            return None
        except SourceError:
            return None
        return Module(name=name, path=path, text=text, tree=tree, is_package=name in self._packages)

    def _source_text(self, path: Path) -> str:
        try:
            data = self._read(path)
        except OSError as error:
            raise SourceError(f"{path}: {error.strerror or error}") from None
        return decode_source(path, data).text

    def parse_error(self, path: Path) -> SyntaxError | NestingError | None:
        name = self._by_path.get(path)
        return self._errors.get(name) if name is not None else None

    # Recording what a computation consulted

    def _record(self, facts: int) -> None:
        """Add ``facts`` to the computation being recorded: consulted now, or replayed from a
        memoised computation that consulted them."""
        if self._frames:
            self._frames[-1] |= facts

    def recording(self) -> _Recording:
        """``with index.recording() as recording:`` collects in ``recording.facts`` what the
        block consulted (see ``FACT_*``)."""
        return _Recording(self)

    def memo(self, cache: dict, key: object, compute, default=None):
        """``compute()`` once per key; a later hit replays the facts the first call consulted.

        A key met again while it is being computed (a dependency cycle) yields ``default``.
        """
        if key in cache:
            value, facts = cache[key]
            self._record(facts)
            return value
        if key in self._in_progress:
            return default
        self._in_progress.add(key)
        self._frames.append(0)
        try:
            value = compute()
        finally:
            facts = self._frames.pop()
            self._in_progress.discard(key)
        cache[key] = (value, facts)
        self._record(facts)
        return value

    def path_of(self, name: str) -> Path | None:
        return self._paths.get(name)

    def find_module_name(self, dotted: str, near: str = "") -> str | None:
        """The project module for an import, tolerating a project root above the package root
        (``app.models`` is ``backend.app.models``). Among several candidates, the one sharing
        the longest package prefix with the importing module ``near`` wins, then the shortest."""
        if dotted in self._paths:
            return dotted
        candidates = self._candidates.get(dotted)
        if candidates is None:
            suffix = "." + dotted
            last = dotted.rpartition(".")[2]
            matches = [n for n in self._by_last_part.get(last, ()) if n.endswith(suffix)]
            candidates = self._candidates[dotted] = _Candidates(matches)
        return candidates.nearest(near)

    # Resolution

    def resolve(self, module: Module, expr: ast.expr, depth: int = 0) -> Symbol | None:
        if depth == 0:
            return self._resolve_once(module, expr)
        return self._resolve(module, expr, depth)

    def _resolve(self, module: Module, expr: ast.expr, depth: int) -> Symbol | None:
        if depth > _MAX_RESOLVE_DEPTH:
            return None
        if isinstance(expr, ast.Name):
            return self.resolve_name(module, expr.id, depth)
        if isinstance(expr, ast.Attribute):
            base = self.resolve(module, expr.value, depth + 1)
            return self.member(base, expr.attr, depth + 1) if base is not None else None
        return None

    def _resolve_once(self, module: Module, expr: ast.expr) -> Symbol | None:
        """``resolve`` memoised per expression node: the rules ask about the same ``call.func``
        and annotations many times. The entry keeps the node, so its id cannot be reused by
        another node while the entry exists."""
        key = (id(module), id(expr))
        entry = self._resolved.get(key)
        if entry is not None and entry[0] is expr:
            self._record(entry[2])
            return entry[1]
        self._frames.append(0)
        try:
            value = self._resolve(module, expr, 0)
        finally:
            facts = self._frames.pop()
        self._resolved[key] = (expr, value, facts)
        self._record(facts)
        return value

    def resolve_name(self, module: Module, name: str, depth: int = 0) -> Symbol | None:
        """What ``name`` means at the top level of ``module`` (memoised per run)."""
        if name in module.imports and name not in module.functions and name not in module.classes:
            key = (id(module), name)
            return self.memo(self._names, key, lambda: self._resolve_name(module, name, depth))
        return self._resolve_name(module, name, depth)

    def _resolve_name(self, module: Module, name: str, depth: int) -> Symbol | None:
        if name in module.functions:
            return FunctionSymbol(module, module.functions[name])
        if name in module.classes:
            return ClassSymbol(module, module.classes[name])
        if name in module.assignments:
            return ValueSymbol(module, name, module.assignments[name])
        if name in module.imports:
            return self.resolve_qualified(module.imports[name], depth + 1, module.name)
        if name in _BUILTINS:
            return External(f"builtins.{name}")
        return None

    def resolve_qualified(self, dotted: str, depth: int = 0, near: str = "") -> Symbol | None:
        if depth > _MAX_RESOLVE_DEPTH:
            return None
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            found = self.find_module_name(".".join(parts[:cut]), near)
            if found is None:
                continue
            module = self.module(found)
            if module is None:
                return None
            symbol: Symbol | None = ModuleSymbol(module)
            for attribute in parts[cut:]:
                symbol = self.member(symbol, attribute, depth + 1) if symbol else None
            return symbol
        return External(dotted)

    def member(self, base: Symbol, attribute: str, depth: int = 0) -> Symbol | None:
        if isinstance(base, External):
            return External(f"{base.qualname}.{attribute}")
        if isinstance(base, ModuleSymbol):
            found = self.resolve_name(base.module, attribute, depth)
            if found is not None and not (
                isinstance(found, External) and found.qualname.startswith("builtins.")
            ):
                return found
            return self.resolve_qualified(f"{base.module.name}.{attribute}", depth + 1, base.module.name)
        return None

    def qualname(self, module: Module, expr: ast.expr) -> str | None:
        """The qualified name of an external symbol (``fastapi.Depends``), else None."""
        symbol = self.resolve(module, expr)
        return symbol.qualname if isinstance(symbol, External) else None

    def find_functions(self, name: str) -> list[FunctionSymbol]:
        """Project functions called ``name``, found by a byte scan before any parse."""
        needle = f"def {name}(".encode()
        found = []
        for module_name, path in self._sorted_paths():
            text = self._overrides.get(path)
            if text is not None:
                hit = needle.decode() in text
            else:
                try:
                    hit = needle in self._read(path)
                except OSError:
                    hit = False
            if hit:
                module = self.module(module_name)
                if module is not None and name in module.functions:
                    found.append(FunctionSymbol(module, module.functions[name]))
        return found

    def _sorted_paths(self) -> list[tuple[str, Path]]:
        """The modules by name, for scans in a stable order (sorted once, not per scan)."""
        if self._in_order is None:
            self._in_order = sorted(self._paths.items())
        return self._in_order

    def modules_mentioning(self, needle: bytes) -> Iterator[Module]:
        """Modules whose text contains ``needle``, parsed."""
        self._record(1 << NEEDLES.index(needle) if needle in NEEDLES else FACT_OTHER_SCAN)
        for module_name, path in self._sorted_paths():
            if self._mentions(path, needle):
                module = self.module(module_name)
                if module is not None:
                    yield module

    def _mentions(self, path: Path, needle: bytes) -> bool:
        if needle in NEEDLES:
            return bool(self.needle_mask(path) & (1 << NEEDLES.index(needle)))
        scanned = self._other_needles.setdefault(path, {})
        if needle not in scanned:
            scanned[needle] = needle in self._bytes(path)
        return scanned[needle]

    def _bytes(self, path: Path) -> bytes:
        text = self._overrides.get(path)
        try:
            return text.encode("utf-8", "surrogateescape") if text is not None else self._read(path)
        except OSError:
            return b""

    def needle_mask(self, path: Path) -> int:
        """Which of ``NEEDLES`` the file mentions, as a bit mask (one read per file per run)."""
        if path not in self._masks:
            self._masks[path] = needle_mask(self._bytes(path))
        return self._masks[path]


# Byte scans the index makes over the whole project: files that include routers, register
# routes by call, or may declare routes.
NEEDLES = (b"include_router", b"add_api_route", b"router", b"@app.")


# The bits of recorded facts: bit ``i`` (below ``FACT_OTHER_SCAN``) is a scan of the project
# for ``NEEDLES[i]``; ``FACT_OTHER_SCAN`` a scan for any other byte string; from ``FACT_MODULES``
# on, bit ``FACT_MODULES + i`` is the module of the ``i``-th file the index was given.
FACT_OTHER_SCAN = 1 << len(NEEDLES)
FACT_MODULES = len(NEEDLES) + 1
NEEDLE_FACTS = FACT_OTHER_SCAN - 1


def needle_mask(data: bytes) -> int:
    return sum(1 << bit for bit, needle in enumerate(NEEDLES) if needle in data)


class _Recording:
    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.facts = 0

    def __enter__(self) -> _Recording:
        self.index._frames.append(0)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.facts = self.index._frames.pop()
