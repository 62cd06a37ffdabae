"""Files in, diagnostics out: prefilter, parse, analyse, run the rules, filter, fix."""

from __future__ import annotations

import ast
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .analysis.context import Analysis
from .analysis.project import ProjectIndex
from .diagnostics import Applicability, Diagnostic, Fix, Location
from .discovery import discover_files, project_files
from .settings import PROJECT_MARKERS, find_project_root
from .noqa import parse_noqa
from .registry import all_rules
from .rule import FixPlan, Rule, Violation
from .selectors import codes_ignored_for_file, resolve_enabled, resolve_fixable
from .settings import Settings
from .source import Locator, SourceError, SourceFile, parse_module, read_source, write_source_atomically

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


@dataclass
class FileResult:
    path: Path
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

    def __init__(self, root: Path, settings: Settings, files: list[Path] | None = None) -> None:
        self.root = root
        self.settings = settings
        self.files = files if files is not None else project_files(root, settings)
        self.index = ProjectIndex(root, self.files)
        self.analysis = Analysis(self.index, settings)

    def use_source(self, path: Path, text: str) -> None:
        """Analyse ``path`` as ``text``; facts derived from its old text are dropped."""
        if self.index.set_source(path, text):
            self.analysis = Analysis(self.index, self.settings)

    def relative(self, path: Path) -> str:
        return _relative(path, self.root)


class Linter:
    """Runs the rules over files. Each file is analysed within its project (the nearest
    directory with ``pyproject.toml``/``setup.cfg``/``setup.py``/``.git``), or within ``root``
    when one is given (``--project-root``)."""

    def __init__(
        self, settings: Settings, root: Path | None = None, options: RunOptions = RunOptions()
    ) -> None:
        self.settings = settings
        self.root = root
        self.options = options
        codes = [rule.code for rule in all_rules()]
        self.enabled = resolve_enabled(
            codes, settings.select, settings.extend_select, settings.ignore, settings.extend_ignore
        )
        self.fixable = resolve_fixable(codes, settings.fixable, settings.unfixable)
        self.rules: list[Rule] = [rule() for rule in all_rules() if rule.code in self.enabled]
        self.markers = tuple(dict.fromkeys(m for rule in self.rules for m in rule.markers))
        self._projects: dict[Path, Project] = {}
        self._roots: dict[Path, Path] = {}
        self._walked: tuple[list[Path], list[Path]] | None = None  # (directories, files)

    def project_for(self, path: Path) -> Project:
        root = self.root or self._nearest_root(path.parent)
        if root not in self._projects:
            self._projects[root] = Project(root, self.settings, self._files_under(root))
        return self._projects[root]

    def _files_under(self, root: Path) -> list[Path] | None:
        """The project's files: this run's own walk when it covered the project, else the
        project's walk plus the files named on the command line (checked even when the
        project's settings exclude them, and then their neighbours must resolve too)."""
        if self._walked is None:
            return None
        directories, files = self._walked
        prefix = str(root).rstrip(os.sep) + os.sep
        named = [path for path in files if str(path).startswith(prefix)]
        if any(root == d or d in root.parents for d in directories):
            return named
        return sorted({*project_files(root, self.settings), *named})

    def _nearest_root(self, directory: Path) -> Path:
        """The nearest directory with a project marker; without one, the run's project root
        (where the configuration was found, or the checked path), never the file's own
        directory, so a tree without markers is still one project."""
        if directory not in self._roots:
            found = find_project_root(directory)
            if not any((found / marker).exists() for marker in PROJECT_MARKERS):
                found = self.settings.project_root or found
            self._roots[directory] = found
        return self._roots[directory]

    # Entry points

    def run(self, paths: Sequence[Path]) -> RunResult:
        from .scheduler import run_files

        discovery_root = self.root or self.settings.project_root or Path.cwd()
        discovered = discover_files(paths, self.settings, root=discovery_root)
        directories = [Path(p).resolve() for p in paths if Path(p).is_dir()]
        self._walked = (directories, list(discovered.files))
        result = RunResult(warnings=list(discovered.warnings))
        run_files(self, list(discovered.files), result)
        result.files.sort(key=lambda file: file.path)
        return result

    def process(self, source: SourceFile) -> FileResult:
        """Check one file (fixing it first when asked) and write it back in fix mode."""
        return self.process_recording(source)[0]

    def process_recording(self, source: SourceFile) -> tuple[FileResult, set[object]]:
        """``process``, plus the facts (modules, byte scans) the analysis consulted."""
        project = self.project_for(source.path)
        result = FileResult(path=source.path, original=source.text, text=source.text)
        if self.options.fix or self.options.diff:
            self._fix_loop(project, result)
            if self.options.fix and result.changed:
                write_source_atomically(source, result.text)
        with project.index.recording() as facts:
            findings = self._check(project, source.path, result.text)
        result.diagnostics = [f.diagnostic for f in findings]
        return result, facts

    # Checking

    def is_relevant(self, data: bytes) -> bool:
        """Whether any enabled rule may report on a file with these bytes."""
        return not self.options.prefilter or any(marker in data for marker in self.markers)

    def _applicable_rules(self, data: bytes) -> list[Rule]:
        if not self.options.prefilter:
            return self.rules
        rules = [rule for rule in self.rules if any(m in data for m in rule.markers)]
        return [rule for rule in rules if all(r in data for r in rule.requires)]

    def _check(self, project: Project, path: Path, text: str) -> list[_Finding]:
        data = text.encode("utf-8", errors="surrogateescape")
        rules = self._applicable_rules(data)
        if not rules:
            return []
        project.use_source(path, text)
        module = project.index.module_for_path(path)
        if module is None:
            error = project.index.parse_error(path)
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

        fixed = _try_apply(text, plan.actions)
        return text_edits(text, fixed) if fixed is not None else None

    # Fixing

    def _applies(self, plan: FixPlan | None) -> bool:
        if plan is None:
            return False
        return plan.applicability == Applicability.SAFE or (
            plan.applicability == Applicability.UNSAFE and self.options.unsafe_fixes
        )

    def _fix_loop(self, project: Project, result: FileResult) -> None:
        """Apply fixes and re-check until nothing fixable is left (bounded, like ruff's)."""
        text = result.text
        dropped: set[tuple] = set()
        for _ in range(MAX_FIX_ITERATIONS):
            findings = [
                f
                for f in self._check(project, result.path, text)
                if self._applies(f.plan) and _finding_key(f) not in dropped
            ]
            if not findings:
                break
            new_text, applied = self._apply_findings(result, text, findings, dropped)
            if not applied or new_text == text:
                break
            result.fixed.update(f.diagnostic.code for f in applied if f.diagnostic.code)
            text = new_text
        result.text = text
        project.use_source(result.path, text)

    def _apply_findings(
        self, result: FileResult, text: str, findings: list[_Finding], dropped: set[tuple]
    ) -> tuple[str, list[_Finding]]:
        """All plans in one pass; when that fails, the first plan that works on its own (the
        next round recomputes the others on the new text). A plan that fails alone is dropped
        and reported."""
        combined = _try_apply(text, [a for f in findings for a in f.plan.actions])  # type: ignore[union-attr]
        if combined is not None:
            return combined, findings
        for finding in findings:
            attempt = _try_apply(text, finding.plan.actions)  # type: ignore[union-attr]
            if attempt is not None:
                return attempt, [finding]
            dropped.add(_finding_key(finding))
            d = finding.diagnostic
            result.fix_failures.append(
                f"{d.filename}:{d.location.row}:{d.location.column}: {d.code} fix not applied: "
                "the fixed file would not parse"
            )
        return text, []


def _try_apply(text: str, actions: Iterable) -> str | None:
    from .fixes.apply import FixError, apply_actions

    try:
        fixed = apply_actions(text, list(actions))
        parse_module(fixed, "<fix>")
    except (FixError, SyntaxError, ValueError, RecursionError):
        return None
    return fixed


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


def _finding_key(finding: _Finding) -> tuple:
    d = finding.diagnostic
    return (d.code, d.location, d.message)


def _violations(rule: Rule, ctx, path: Path) -> list[Violation]:
    """The rule's findings on one file; a crash in one rule is reported, not propagated."""
    try:
        return list(rule.check(ctx))
    except RecursionError:
        raise RuleCrash(f"{path}: {rule.code} gave up: the code is nested too deeply") from None
    except Exception as error:  # noqa: BLE001 - one rule must not take the whole run down
        raise RuleCrash(f"{path}: {rule.code} crashed: {type(error).__name__}: {error}") from error


class RuleCrash(Exception):
    """A rule failed on a file: reported as an error of the run (exit 2)."""


def _first_line(node: ast.AST) -> int:
    decorators = getattr(node, "decorator_list", None) or []
    return min([node.lineno, *(d.lineno for d in decorators)])  # type: ignore[attr-defined]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
