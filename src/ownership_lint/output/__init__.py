"""Render diagnostics in ruff's output shapes, byte for byte.

Each format is a function ``(diagnostics, ctx) -> str`` registered in ``FORMATS``; the text is
exactly what ruff 0.17 writes for the same diagnostics (terminal colour included).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from ownership_lint.diagnostics import Applicability, Diagnostic

SYNTAX_ERROR_NAME = "invalid-syntax"


@dataclass(frozen=True)
class RenderContext:
    sources: Mapping[str, str]
    cwd: Path
    color: bool = False
    unsafe_fixes: bool = False
    show_fix_diff: bool = False


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


from ownership_lint.output import concise, full, json_format  # noqa: E402

FORMATS: dict[str, Renderer] = {
    "concise": concise.render,
    "full": full.render,
    "json": json_format.render,
}

__all__ = [
    "FORMATS",
    "RenderContext",
    "Renderer",
    "display_path",
    "is_fixable",
    "render",
    "sorted_diagnostics",
]
