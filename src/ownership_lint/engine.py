"""Files in, diagnostics out: prefilter, parse, analyse, run the rules, filter, fix."""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .analysis.context import Analysis
from .analysis.project import ProjectIndex
from .diagnostics import Applicability, Diagnostic, Fix, Location
from .discovery import discover_files, project_files
from .noqa import parse_noqa
from .registry import all_rules
from .rule import FixPlan, Rule, Violation
from .selectors import codes_ignored_for_file, resolve_enabled, resolve_fixable
from .settings import Settings
from .source import Locator, SourceError, SourceFile, parse_module, read_source, write_source_atomically

MAX_FIX_ITERATIONS = 100
# A file that mentions none of these cannot hold a route, a query, a model or a token check.
RELEVANT_MARKERS = (
    b"fastapi", b"sqlmodel", b"sqlalchemy", b"jose", b"jwt", b"Depends", b"Security",
    b"APIRouter", b"HTTPException", b"include_router", b"add_api_route", b"router", b"@app.",
)


def is_relevant(data: bytes) -> bool:
    return any(marker in data for marker in RELEVANT_MARKERS)


@dataclass(frozen=True)
class RunOptions:
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False  # compute fixes, write nothing
    with_edits: bool = False  # attach text edits to each diagnostic's fix (JSON output)
    ignore_noqa: bool = False
    use_cache: bool = True
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


class Linter:
    """One run over one project: the index and the analysis are shared by its files."""

    def __init__(self, settings: Settings, root: Path, options: RunOptions = RunOptions()) -> None:
        self.settings = settings
        self.root = root
        self.options = options
        codes = [rule.code for rule in all_rules()]
        self.enabled = resolve_enabled(
            codes, settings.select, settings.extend_select, settings.ignore, settings.extend_ignore
        )
        self.fixable = resolve_fixable(codes, settings.fixable, settings.unfixable)
        self.rules: list[Rule] = [rule() for rule in all_rules() if rule.code in self.enabled]
        self.index = ProjectIndex(root, project_files(root, settings))
        self.analysis = Analysis(self.index, settings)

    # Entry points

    def run(self, paths: Sequence[Path]) -> RunResult:
        discovered = discover_files(paths, self.settings, root=self.root)
        result = RunResult(warnings=list(discovered.warnings))
        for path in discovered.files:
            try:
                source = read_source(path)
            except SourceError as error:
                result.errors.append(str(error))
                continue
            result.files.append(self.process(source))
        return result

    def process(self, source: SourceFile) -> FileResult:
        """Check one file (fixing it first when asked) and write it back in fix mode."""
        result = FileResult(path=source.path, original=source.text, text=source.text)
        if self.options.fix or self.options.diff:
            self._fix_loop(result)
            if self.options.fix and result.changed:
                write_source_atomically(source, result.text)
        result.diagnostics = [f.diagnostic for f in self._check(source.path, result.text)]
        return result

    # Checking

    def _check(self, path: Path, text: str) -> list[_Finding]:
        if not is_relevant(text.encode("utf-8", errors="surrogateescape")):
            return []
        try:
            parse_module(text, str(path))
        except SyntaxError as error:
            return [_Finding(syntax_error(path, text, error), None)]
        except (ValueError, RecursionError, MemoryError) as error:
            return [_Finding(syntax_error(path, text, SyntaxError(str(error) or type(error).__name__)), None)]
        if self.index.set_source(path, text):
            self.analysis = Analysis(self.index, self.settings)
        module = self.index.module_for_path(path)
        if module is None:
            return []
        ctx = self.analysis.context(module)
        relative = _relative(path, self.root)
        is_ignored = codes_ignored_for_file(
            relative, (*self.settings.per_file_ignores, *self.settings.extend_per_file_ignores)
        )
        noqa = parse_noqa(text)
        findings = []
        for rule in self.rules:
            if is_ignored(rule.code):
                continue
            for violation in rule.check(ctx):
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

    def _fix_loop(self, result: FileResult) -> None:
        text = result.text
        for _ in range(MAX_FIX_ITERATIONS):
            findings = [f for f in self._check(result.path, text) if self._applies(f.plan)]
            if not findings:
                break
            new_text, applied = self._apply_findings(result, text, findings)
            if not applied or new_text == text:
                break
            result.fixed.update(f.diagnostic.code for f in applied if f.diagnostic.code)
            text = new_text
        result.text = text
        if self.index.set_source(result.path, text):
            self.analysis = Analysis(self.index, self.settings)

    def _apply_findings(
        self, result: FileResult, text: str, findings: list[_Finding]
    ) -> tuple[str, list[_Finding]]:
        """All plans in one pass; when that fails, one at a time, dropping the failing ones."""
        combined = _try_apply(text, [a for f in findings for a in f.plan.actions])  # type: ignore[union-attr]
        if combined is not None:
            return combined, findings
        applied = []
        for finding in findings:
            attempt = _try_apply(text, finding.plan.actions)  # type: ignore[union-attr]
            if attempt is None:
                d = finding.diagnostic
                result.fix_failures.append(
                    f"{d.filename}:{d.location.row}:{d.location.column}: {d.code} fix dropped: "
                    "the fixed file would not parse"
                )
                continue
            text = attempt
            applied.append(finding)
        return text, applied


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


def _first_line(node: ast.AST) -> int:
    decorators = getattr(node, "decorator_list", None) or []
    return min([node.lineno, *(d.lineno for d in decorators)])  # type: ignore[attr-defined]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
