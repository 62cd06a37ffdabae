"""Files in, diagnostics out: prefilter, parse, analyse, run the rules, filter, fix."""

from __future__ import annotations

import ast
import bisect
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .diagnostics import Applicability, Diagnostic, Fix, Location
from .discovery import (
    discover,
    is_within,
    marked_directory,
    path_order,
    project_file_names,
)
from .registry import all_rules, rule_names
from .selectors import codes_ignored_for_file, resolve_enabled, resolve_fixable
from .settings import Settings
from .source import (
    Locator,
    NestingError,
    SourceFile,
    parse_module,
    write_source_atomically,
)

if TYPE_CHECKING:
    from .analysis.context import Analysis
    from .analysis.project import ProjectIndex
    from .rule import FixPlan, Rule, Violation

MAX_FIX_ITERATIONS = 100
@dataclass(frozen=True)
class RunOptions:
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False  # compute fixes, write nothing
    with_edits: bool = False  # attach text edits to each diagnostic's fix (JSON output)
    ignore_noqa: bool = False
    use_cache: bool = True
    prefilter: bool = True  # skip files and rules whose markers a file lacks (see Rule.markers)
    jobs: int | None = None  # worker processes; None: all cores
    # Read the text of the files with diagnostics that the cache answers for (the full
    # format shows excerpts of it, --add-noqa edits it); without it, their text is "".
    sources: bool = True


class _PathField:
    """``FileResult.path``, which may be given as a string and becomes a ``Path`` when first
    read: a run answered from the cache makes a result for each of thousands of files, and
    the path of most of them is never read."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.attribute = f"_{name}"

    def __get__(self, result: FileResult | None, owner: type | None = None) -> Path:
        if result is None:
            raise AttributeError(self.attribute)  # the field has no default
        path = result.__dict__[self.attribute]
        if not isinstance(path, Path):
            path = result.__dict__[self.attribute] = Path(path)
        return path

    def __set__(self, result: FileResult, path: Path | str) -> None:
        result.__dict__[self.attribute] = path


@dataclass
class FileResult:
    path: Path = _PathField()  # type: ignore[assignment]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    original: str = ""
    text: str = ""
    fixed: Counter[str] = field(default_factory=Counter)
    fix_failures: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.text != self.original


@dataclass
class RunResult:
    files: list[FileResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return sorted(
            (d for result in self.files for d in result.diagnostics), key=Diagnostic.sort_key
        )

    @property
    def sources(self) -> dict[str, str]:
        return {str(result.path): result.text for result in self.files}


@dataclass(frozen=True)
class _Finding:
    diagnostic: Diagnostic
    plan: FixPlan | None


class Project:
    """The index and the analysis of one project root, shared by its files."""

    def __init__(self, root: Path, settings: Settings, names: list[str] | None = None) -> None:
        self.root = root
        self.settings = settings
        # The project's files as strings, in path order: most runs never need them as paths.
        self.names = names if names is not None else project_file_names(str(root), settings)
        self._prefix = str(root) if str(root).endswith(os.sep) else str(root) + os.sep
        self._analysis: Analysis | None = None
        self._bytes: dict[str, bytes] = {}

    @property
    def files(self) -> list[Path]:
        return [Path(name) for name in self.names]

    @property
    def analysis(self) -> Analysis:
        """Built on first use: a run answered from the cache never indexes the project (nor
        imports the analysis)."""
        if self._analysis is None:
            from .analysis.context import Analysis
            from .analysis.project import ProjectIndex

            self._analysis = Analysis(ProjectIndex(self.root, self.files, self.read_path), self.settings)
        return self._analysis

    @analysis.setter
    def analysis(self, analysis: Analysis) -> None:
        self._analysis = analysis

    @property
    def index(self) -> ProjectIndex:
        return self.analysis.index

    def read(self, name: str) -> bytes:
        """The bytes of the project's file ``name``, read once for the check, the prefilter
        and the index's byte scans; kept until ``release_analysis``."""
        data = self._bytes.get(name)
        if data is None:
            with open(name, "rb") as file:  # no Path: this runs for every file of the run
                data = self._bytes[name] = file.read()
        return data

    def read_path(self, path: Path) -> bytes:
        return self.read(os.fspath(path))

    def release_analysis(self) -> None:
        """Let go of the parsed modules, facts and bytes once the project's files are checked."""
        self._analysis = None
        self._bytes = {}

    def use_source(self, path: Path, text: str) -> None:
        """Analyse ``path`` as ``text``; facts derived from its old text are dropped."""
        if self.index.set_source(path, text):
            from .analysis.context import Analysis

            self.analysis = Analysis(self.index, self.settings)

    def relative(self, path: Path) -> str:
        return self.relative_name(os.fspath(path))

    def relative_name(self, name: str) -> str:
        """The file ``name`` relative to the root, ``/``-separated; unchanged (but for the
        separators) outside the root."""
        name = name.removeprefix(self._prefix)
        return name if os.sep == "/" else name.replace(os.sep, "/")


class ProjectHolder:
    """Keeps the parsed modules of one project at a time: files come project by project, and
    a project is let go when a file of another one comes, so memory does not grow with the
    number of projects."""

    def __init__(self) -> None:
        self.project: Project | None = None

    def hold(self, project: Project) -> None:
        if self.project is not None and self.project is not project:
            self.project.release_analysis()
        self.project = project


class Linter:
    """Runs the rules over files. Each file is analysed within its project (the nearest
    directory with ``pyproject.toml``/``setup.cfg``/``setup.py``/``.git``), or within ``root``
    when one is given (``--project-root``)."""

    def __init__(
        self, settings: Settings, root: Path | None = None, options: RunOptions = RunOptions()
    ) -> None:
        self.settings = settings
        self.root = Path(os.path.realpath(root)) if root is not None else None
        self.options = options
        codes = list(rule_names())
        self.enabled = resolve_enabled(
            codes, settings.select, settings.extend_select, settings.ignore, settings.extend_ignore
        )
        self.fixable = resolve_fixable(codes, settings.fixable, settings.unfixable)
        self._projects: dict[str, Project] = {}
        self._roots: dict[str, str] = {}  # a directory's project root
        self._walked: tuple[list[str], list[str]] | None = None  # (directories, files)

    # The rules themselves are loaded on first use: a run answered from the cache needs only
    # their codes, and then never imports them.

    @cached_property
    def rules(self) -> list[Rule]:
        return [rule() for rule in all_rules() if rule.code in self.enabled]

    @cached_property
    def markers(self) -> tuple[bytes, ...]:
        return tuple(dict.fromkeys(m for rule in self.rules for m in rule.markers))

    @cached_property
    def _requirements(self) -> list[tuple[Rule, frozenset[bytes], tuple[frozenset[bytes], ...]]]:
        """Each rule with its markers and its ``requires`` as sets of alternatives."""
        return [
            (rule, frozenset(rule.markers), tuple(_alternatives(entry) for entry in rule.requires))
            for rule in self.rules
        ]

    @cached_property
    def _required_only(self) -> tuple[bytes, ...]:
        """Needles some rule requires that are no rule's marker (``raise``, ``return``)."""
        markers = set(self.markers)
        needles = (n for _rule, _markers, required in self._requirements for one in required for n in one)
        return tuple(dict.fromkeys(n for n in needles if n not in markers))

    # Projects

    def project_for(self, path: Path) -> Project:
        return self.project_at(self.root_of(os.fspath(path)))

    def project_at(self, root: str) -> Project:
        project = self._projects.get(root)
        if project is None:
            project = self._projects[root] = Project(Path(root), self.settings, self._files_under(root))
        return project

    def root_of(self, name: str) -> str:
        """The project root of the file ``name`` (absolute and resolved)."""
        if self.root is not None:
            return str(self.root)
        directory = os.path.dirname(name)
        root = self._roots.get(directory)
        if root is None:
            root = self._roots[directory] = self._nearest_root(directory)
        return root

    def walk_state(self) -> tuple[tuple[list[str], list[str]] | None, dict[str, str]]:
        """What this run's walk found and the project roots it noted, for ``use_walk_state``."""
        return self._walked, self._roots

    def use_walk_state(self, state: tuple[tuple[list[str], list[str]] | None, dict[str, str]]) -> None:
        """Look projects up as the run that made ``state`` does (a worker process of that run):
        a project must have the same files in both, or the cache's record of which files a
        check consulted, kept as positions in that list, would point at other files."""
        self._walked, roots = state
        self._roots.update(roots)

    def _files_under(self, root: str) -> list[str] | None:
        """The project's files: this run's own walk when it covered the project, else the
        project's walk plus the files named on the command line (checked even when the
        project's settings exclude them, and then their neighbours must resolve too)."""
        if self._walked is None:
            return None
        directories, files = self._walked
        named = _under(files, root)
        if any(is_within(root, directory) for directory in directories):
            return named
        return sorted({*project_file_names(root, self.settings), *named}, key=path_order)

    def _nearest_root(self, directory: str) -> str:
        """The nearest directory with a project marker; without one, the run's project root
        (where the configuration was found, or the checked path), never the file's own
        directory, so a tree without markers is still one project."""
        real = os.path.realpath(directory)
        return marked_directory(real) or self._unmarked_root(real)

    def _unmarked_root(self, directory: str) -> str:
        return str(self.settings.project_root) if self.settings.project_root else directory

    # Entry points

    def run(self, paths: Sequence[Path]) -> RunResult:
        from .scheduler import run_files

        discovery_root = self.root or self.settings.project_root or Path.cwd()
        found = discover(paths, self.settings, root=discovery_root)
        directories = [os.path.realpath(p) for p in paths if os.path.isdir(p)]
        self._walked = (directories, found.files)
        # The walk saw each directory's marker files: no lookups for the files it found.
        for directory, marked in found.roots.items():
            self._roots[directory] = marked or self._unmarked_root(directory)
        result = RunResult(warnings=list(found.warnings), errors=list(found.errors))
        run_files(self, found.files, result)
        return result

    def process(self, source: SourceFile) -> FileResult:
        """Check one file (fixing it first when asked) and write it back in fix mode."""
        return self.process_recording(source)[0]

    def process_recording(
        self, source: SourceFile, needles: frozenset[bytes] | None = None
    ) -> tuple[FileResult, int]:
        """``process``, plus the facts (modules, byte scans) the analysis consulted, as the
        index's ``FACT_*`` bits.

        ``needles`` is ``needles_in`` of the file's bytes, when the caller has scanned them.
        """
        try:
            return self._process_recording(source, needles)
        except RecursionError:
            raise RuleCrash(f"{source.path}: gave up: the code is nested too deeply") from None

    def _process_recording(
        self, source: SourceFile, needles: frozenset[bytes] | None
    ) -> tuple[FileResult, int]:
        project = self.project_for(source.path)
        result = FileResult(path=source.path, original=source.text, text=source.text)
        if self.options.fix or self.options.diff:
            self._fix_loop(project, result)
            if self.options.fix and result.changed:
                write_source_atomically(source, result.text)
        if result.text is not source.text:
            needles = None  # the fixed text is scanned again
        with project.index.recording() as recording:
            findings = self._check(project, source.path, result.text, needles)
        result.diagnostics = [f.diagnostic for f in findings]
        return result, recording.facts

    # Checking

    def needles_in(self, data: bytes) -> frozenset[bytes] | None:
        """The rules' needles that ``data`` contains, one scan per needle; empty when it has
        none of the markers (no enabled rule may report on it). None without the prefilter."""
        if not self.options.prefilter:
            return None
        markers = [marker for marker in self.markers if marker in data]
        if not markers:
            return frozenset()
        return frozenset((*markers, *(needle for needle in self._required_only if needle in data)))

    def _applicable_rules(self, needles: frozenset[bytes] | None) -> list[Rule]:
        if needles is None:
            return self.rules
        return [
            rule
            for rule, markers, required in self._requirements
            if not needles.isdisjoint(markers) and all(not needles.isdisjoint(one) for one in required)
        ]

    def _check(
        self, project: Project, path: Path, text: str, needles: frozenset[bytes] | None = None
    ) -> list[_Finding]:
        if needles is None:
            needles = self.needles_in(text.encode("utf-8", errors="surrogateescape"))
        rules = self._applicable_rules(needles)
        if not rules:
            return []
        project.use_source(path, text)
        module = project.index.module_for_path(path)
        if module is None:
            error = project.index.parse_error(path)
            if isinstance(error, NestingError):
                raise RuleCrash(f"{path}: gave up: {error}")
            return [_Finding(syntax_error(path, text, error), None)] if error else []
        ctx = project.analysis.context(module)
        is_ignored = codes_ignored_for_file(
            project.relative(path),
            (*self.settings.per_file_ignores, *self.settings.extend_per_file_ignores),
        )
        noqa = parse_noqa(text)
        findings = []
        for rule in rules:
            if is_ignored(rule.code):
                continue
            for violation in _violations(rule, ctx, path):
                finding = self._finding(rule, violation, ctx.locator, path, text)
                if self.options.ignore_noqa or not noqa.suppresses(finding.diagnostic):
                    findings.append(finding)
        return findings

    def _finding(
        self, rule: Rule, violation: Violation, locator: Locator, path: Path, text: str
    ) -> _Finding:
        plan = violation.fix if rule.code in self.fixable else None
        fix = None
        if plan is not None:
            edits = self._edits(text, plan) if self.options.with_edits else ()
            fix = Fix(plan.applicability, plan.title, edits) if edits is not None else None
            if fix is None:
                plan = None
        noqa_node = violation.noqa_node
        extra_rows: tuple[int, ...] = ()
        if noqa_node is not None:
            extra_rows = (_first_line(noqa_node), noqa_node.lineno)  # type: ignore[attr-defined]
        start = locator.start(violation.node)
        diagnostic = Diagnostic(
            code=rule.code,
            name=rule.name,
            message=violation.message,
            filename=str(path),
            location=start,
            end_location=locator.end(violation.node),
            fix=fix,
            fix_title=plan.title if plan else violation.fix_title,
            noqa_row=start.row,
            extra_noqa_rows=extra_rows,
            url=rule.url(),
        )
        return _Finding(diagnostic, plan)

    @staticmethod
    def _edits(text: str, plan: FixPlan) -> tuple | None:
        from .fixes.apply import text_edits

        fixed, _ = _attempt(text, plan.actions)
        return text_edits(text, fixed) if fixed is not None else None

    # Fixing

    def _applies(self, plan: FixPlan | None) -> bool:
        if plan is None:
            return False
        return plan.applicability == Applicability.SAFE or (
            plan.applicability == Applicability.UNSAFE and self.options.unsafe_fixes
        )

    def _fix_loop(self, project: Project, result: FileResult) -> None:
        """Apply fixes and re-check until nothing fixable is left (bounded, like ruff's).

        Fixes that never settle (still changing the file after ``MAX_FIX_ITERATIONS`` rounds,
        or bringing back a text they produced before) are all given up: the file keeps its
        original text and the failure is reported.
        """
        text = result.text
        dropped: set[tuple] = set()
        seen = {text}
        for _ in range(MAX_FIX_ITERATIONS):
            findings = sorted(
                (
                    f
                    for f in self._check(project, result.path, text)
                    if self._applies(f.plan) and _finding_key(f) not in dropped
                ),
                key=_finding_key,
            )
            if not findings:
                break
            new_text, applied = self._apply_findings(result, text, findings, dropped)
            if not applied or new_text == text:
                break
            if new_text in seen:
                return self._give_up(project, result, "the fixes undo each other")
            seen.add(new_text)
            result.fixed.update(f.diagnostic.code for f in applied if f.diagnostic.code)
            text = new_text
        else:
            return self._give_up(project, result, f"the fixes did not converge after {MAX_FIX_ITERATIONS} rounds")
        result.text = text
        project.use_source(result.path, text)

    @staticmethod
    def _give_up(project: Project, result: FileResult, reason: str) -> None:
        result.fixed.clear()
        result.text = result.original
        result.fix_failures.append(f"{result.path}: fixes not applied: {reason}; the file is left unchanged")
        project.use_source(result.path, result.original)

    def _apply_findings(
        self, result: FileResult, text: str, findings: list[_Finding], dropped: set[tuple]
    ) -> tuple[str, list[_Finding]]:
        """The plans that do not overlap an earlier plan's replacement (see ``_compatible``),
        in one pass; when that fails, the first plan that works on its own (the next round
        recomputes the others on the new text). A plan that fails alone is dropped and
        reported."""
        batch = _compatible(findings)
        combined, _ = _attempt(text, [a for f in batch for a in f.plan.actions])  # type: ignore[union-attr]
        if combined is not None:
            return combined, batch
        for finding in findings:
            attempt, reason = _attempt(text, finding.plan.actions)  # type: ignore[union-attr]
            if attempt is not None:
                return attempt, [finding]
            dropped.add(_finding_key(finding))
            d = finding.diagnostic
            result.fix_failures.append(
                f"{d.filename}:{d.location.row}:{d.location.column}: {d.code} fix not applied: {reason}"
            )
        return text, []


def _attempt(text: str, actions: Iterable) -> tuple[str | None, str]:
    """``text`` with ``actions`` applied, or None and why not: the fix failed, its result does
    not parse, or it changes the module outside the statements it addresses (see
    ``fixes.verify``)."""
    from .fixes.apply import FixError, apply_actions
    from .fixes.verify import change_outside

    actions = list(actions)
    try:
        fixed = apply_actions(text, actions)
    except FixError as error:
        return None, str(error)
    try:
        change = change_outside(parse_module(text, "<fix>"), parse_module(fixed, "<fix>"), actions)
    except (SyntaxError, ValueError):
        return None, "the fixed file would not parse"
    except (RecursionError, NestingError):
        return None, "the code is nested too deeply to fix"
    return (None, change) if change else (fixed, "")


def _compatible(findings: list[_Finding]) -> list[_Finding]:
    """The findings whose plans can go in one pass, earliest first: a plan that replaces code
    another accepted plan edits (or edits code it replaces) waits for the next round, as
    ruff defers overlapping fixes. The order is ``_finding_key``'s, so the outcome does not
    depend on the order the rules reported in."""
    accepted: list[_Finding] = []
    for finding in findings:
        if not any(_conflict(finding.plan, other.plan) for other in accepted):  # type: ignore[arg-type]
            accepted.append(finding)
    return accepted


def _conflict(plan: FixPlan, other: FixPlan) -> bool:
    return any(
        a != b and (replaces_a or replaces_b) and _overlap(span_a, span_b)
        for a, span_a, replaces_a in _targets(plan)
        for b, span_b, replaces_b in _targets(other)
    )


_Range = tuple[tuple[int, int], tuple[int, int]]  # (line, column) of the start and the end


def _targets(plan: FixPlan) -> Iterable[tuple[object, _Range, bool]]:
    """Each action, the range it edits, and whether it replaces that range."""
    from .fixes.actions import ReplaceExpression, ReplaceStatement

    for action in plan.actions:
        span = getattr(action, "span", None)
        if span is not None:
            replaces = isinstance(action, (ReplaceExpression, ReplaceStatement))
            yield action, ((span.line, span.column), (span.end_line, span.end_column)), replaces
        function = getattr(action, "function", None)
        if function is not None:
            yield action, ((function.line, 0), (function.line, 0)), False


def _overlap(a: _Range, b: _Range) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def syntax_error(path: Path, text: str, error: SyntaxError) -> Diagnostic:
    locator = Locator(text)
    row = max(error.lineno or 1, 1)
    column = max(error.offset or 1, 1)
    if row > locator.line_count:
        row, column = locator.line_count, len(locator.line(locator.line_count).rstrip("\r\n")) + 1
    location = Location(row, column)
    end = Location(row, column + 1)
    message = error.msg if isinstance(error.msg, str) and error.msg else str(error)
    return Diagnostic(
        code=None,
        name="invalid-syntax",
        message=f"SyntaxError: {message}",
        filename=str(path),
        location=location,
        end_location=end,
    )


def _under(files: list[str], root: str) -> list[str]:
    """The files (in path order) under the directory ``root``: a bisect, not a scan,
    because a monorepo run asks once per project."""
    prefix = root if root.endswith(os.sep) else root + os.sep
    start = bisect.bisect_left(files, path_order(root), key=path_order)
    found = []
    for name in files[start:]:
        if not name.startswith(prefix):
            break
        found.append(name)
    return found


def _alternatives(required: bytes | tuple[bytes, ...]) -> frozenset[bytes]:
    return frozenset(required) if isinstance(required, tuple) else frozenset((required,))


def _finding_key(finding: _Finding) -> tuple:
    d = finding.diagnostic
    return (d.code or "", d.location.row, d.location.column, d.message)


def parse_noqa(text: str):
    """``noqa.parse_noqa``, imported with the first file checked: a run answered from the
    cache checks none."""
    from .noqa import parse_noqa as parse

    return parse(text)


def _violations(rule: Rule, ctx, path: Path) -> list[Violation]:
    """The rule's findings on one file; a crash in one rule is reported, not propagated."""
    try:
        return list(rule.check(ctx))
    except RecursionError:
        raise RuleCrash(f"{path}: {rule.code} gave up: the code is nested too deeply") from None
    except Exception as error:  # noqa: BLE001 - one rule must not take the whole run down
        raise RuleCrash(f"{path}: {rule.code} crashed: {type(error).__name__}: {error}") from error


class RuleCrash(Exception):
    """A file could not be analysed (a rule failed on it, or it is nested too deeply):
    reported as an error of the run (exit 2)."""


def _first_line(node: ast.AST) -> int:
    decorators = getattr(node, "decorator_list", None) or []
    return min([node.lineno, *(d.lineno for d in decorators)])  # type: ignore[attr-defined]
