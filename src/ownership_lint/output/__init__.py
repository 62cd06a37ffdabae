"""Render diagnostics in ruff's output shapes, byte for byte.

Each format is a function ``(diagnostics, ctx) -> str`` registered in ``FORMATS``; the text is
exactly what ruff 0.17 writes for the same diagnostics (terminal colour included).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from pathlib import Path, PurePath

from ownership_lint.diagnostics import Applicability, Diagnostic

SYNTAX_ERROR_NAME = "invalid-syntax"
# Where ruff writes ``ruff`` (workflow command titles, JUnit suites, the SARIF driver).
PROGRAM = "ownership-lint"
INFORMATION_URI = "https://github.com/ownership-lint/ownership-lint"


@dataclass(frozen=True)
class RuleInfo:
    """What the structured formats (SARIF) say about a rule, besides its diagnostics."""

    code: str
    name: str
    linter: str
    summary: str
    explanation: str | None = None
    url: str | None = None
    enabled: bool = True  # selected by the default settings
    security_severity: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class RenderContext:
    sources: Mapping[str, str]
    cwd: Path
    color: bool = False
    unsafe_fixes: bool = False
    show_fix_diff: bool = False
    # Rule metadata by code; None: the registered rules (built-in and plugins).
    rules: Mapping[str, RuleInfo] | None = None


Renderer = Callable[[Sequence[Diagnostic], RenderContext], str]


def is_fixable(diag: Diagnostic, unsafe_fixes: bool) -> bool:
    """Whether ``--fix`` would apply the diagnostic's fix under the current settings."""
    if diag.fix is None:
        return False
    applicability = diag.fix.applicability
    return applicability is Applicability.SAFE or (
        unsafe_fixes and applicability is Applicability.UNSAFE
    )


def is_hidden_unsafe(diag: Diagnostic, unsafe_fixes: bool) -> bool:
    """An unsafe fix that ``--unsafe-fixes`` would enable."""
    return (
        diag.fix is not None and diag.fix.applicability is Applicability.UNSAFE and not unsafe_fixes
    )


def sort_key(diag: Diagnostic) -> tuple[str, int, int, str]:
    return (diag.filename, diag.location.row, diag.location.column, diag.code or "")


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=sort_key)


def group_by_file(diagnostics: Iterable[Diagnostic]) -> dict[str, list[Diagnostic]]:
    """Sorted diagnostics grouped by file name, files in byte order (ruff's ``BTreeMap``)."""
    groups: dict[str, list[Diagnostic]] = {}
    for diag in sorted_diagnostics(diagnostics):
        groups.setdefault(diag.filename, []).append(diag)
    return dict(sorted(groups.items()))


def rule_info(code: str, ctx: RenderContext) -> RuleInfo | None:
    if ctx.rules is not None:
        return ctx.rules.get(code)
    return registered_rule_infos().get(code)


def registered_rule_infos() -> dict[str, RuleInfo]:
    from ownership_lint.registry import all_rules
    from ownership_lint.selectors import resolve_enabled
    from ownership_lint.settings import Settings

    rules = all_rules()
    defaults = Settings()
    enabled = resolve_enabled(
        [rule.code for rule in rules],
        defaults.select,
        defaults.extend_select,
        defaults.ignore,
        defaults.extend_ignore,
    )
    return {
        rule.code: RuleInfo(
            code=rule.code,
            name=rule.name,
            linter=rule.linter,
            summary=rule.summary,
            explanation=rule.explanation(),
            url=rule.url(),
            enabled=rule.code in enabled,
            security_severity=rule.security_severity,
            tags=rule.tags(),
        )
        for rule in rules
    }


@lru_cache(maxsize=1024)
def display_path(filename: str, cwd: Path) -> str:
    """The path relative to ``cwd`` when it lies under it, else unchanged (ruff's rule)."""
    try:
        return str(PurePath(filename).relative_to(cwd))
    except ValueError:
        return filename


def paint(text: str, *codes: str, enabled: bool = True) -> str:
    """``text`` in SGR ``codes``, one escape each, as ruff's diagnostic renderer writes them."""
    if not enabled or not codes:
        return text
    return "".join(f"\x1b[{code}m" for code in codes) + text + "\x1b[0m"


def paint_joined(text: str, *codes: str, enabled: bool = True) -> str:
    """``text`` in SGR ``codes`` joined in one escape, as ruff's summary lines write them."""
    if not enabled or not codes:
        return text
    return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"


def render(format_name: str, diagnostics: Sequence[Diagnostic], ctx: RenderContext) -> str:
    try:
        renderer = FORMATS[format_name]
    except KeyError:
        raise ValueError(f"unknown output format: {format_name!r}") from None
    return renderer(diagnostics, ctx)


class _Formats(Mapping[str, Renderer]):
    """Format name -> renderer; a format's module is imported when its renderer is asked for."""

    def __init__(self, modules: Mapping[str, str]) -> None:
        self._modules = dict(modules)

    def __getitem__(self, name: str) -> Renderer:
        return import_module(f"{__name__}.{self._modules[name]}").render

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)


FORMATS: Mapping[str, Renderer] = _Formats(
    {
        "concise": "concise",
        "full": "full",
        "json": "json_format",
        "json-lines": "json_lines",
        "github": "github",
        "gitlab": "gitlab",
        "sarif": "sarif",
        "junit": "junit",
        "pylint": "pylint",
        "grouped": "grouped",
    }
)

__all__ = [
    "FORMATS",
    "PROGRAM",
    "RenderContext",
    "RuleInfo",
    "Renderer",
    "display_path",
    "is_fixable",
    "render",
    "sorted_diagnostics",
]
