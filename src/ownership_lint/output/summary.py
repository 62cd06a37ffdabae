"""The closing lines ruff prints after the diagnostics (``Found 3 errors.`` and friends)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from ownership_lint.diagnostics import Diagnostic
from ownership_lint.output import (
    display_path,
    is_fixable,
    is_hidden_unsafe,
    paint_joined,
)

Mode = Literal["check", "fix", "fix-only", "diff"]

BOLD = "1"
RED = "31"
GREEN = "32"
CYAN = "36"


def summary_lines(
    *,
    remaining: Sequence[Diagnostic],
    fixed: Mapping[str, Mapping[str, int]],
    mode: Mode,
    unsafe_fixes: bool,
    show_fixes: bool,
    cwd: Path,
    names: Mapping[str, str],
    color: bool = False,
) -> str:
    """The text ruff writes after the diagnostics, each line ending in a newline ("" if none).

    ``remaining`` are the diagnostics left after fixing, ``fixed`` counts the applied fixes
    per file and code; ``names`` maps a code to its rule name for the ``--show-fixes`` list.
    """
    fixed = _nonzero(fixed)
    lines: list[str] = []
    if show_fixes and fixed:
        lines += ["", *fix_listing(fixed, cwd=cwd, names=names, color=color), ""]
    if mode in ("check", "fix"):
        lines += _violation_lines(remaining, _total(fixed), unsafe_fixes, color)
    else:
        lines += _fix_only_lines(remaining, _total(fixed), unsafe_fixes, applied=mode == "fix-only")
    return "".join(line + "\n" for line in lines)


def fix_listing(
    fixed: Mapping[str, Mapping[str, int]],
    *,
    cwd: Path,
    names: Mapping[str, str],
    color: bool = False,
) -> list[str]:
    """``Fixed 2 errors:`` then ``- path:`` and ``    2 × CODE (name)`` per file."""
    fixed = _nonzero(fixed)
    total = _total(fixed)
    width = len(str(max(count for table in fixed.values() for count in table.values())))
    lines = [paint_joined(f"Fixed {total} {_plural('error', total)}:", BOLD, GREEN, enabled=color)]
    for filename in sorted(fixed):
        lines.append(_file_heading(filename, cwd, color))
        lines += [
            _fix_row(code, count, width, names, color)
            for code, count in _by_count(fixed[filename], names)
        ]
    return lines


def _file_heading(filename: str, cwd: Path, color: bool) -> str:
    dash = paint_joined("-", CYAN, enabled=color)
    colon = paint_joined(":", CYAN, enabled=color)
    return f"{dash} {paint_joined(display_path(filename, cwd), BOLD, enabled=color)}{colon}"


def _fix_row(code: str, count: int, width: int, names: Mapping[str, str], color: bool) -> str:
    painted = paint_joined(code, BOLD, RED, enabled=color)
    return f"    {count:>{width}} × {painted} ({names.get(code, code)})"


def _by_count(table: Mapping[str, int], names: Mapping[str, str]) -> list[tuple[str, int]]:
    return sorted(table.items(), key=lambda item: (-item[1], names.get(item[0], item[0])))


def _violation_lines(
    remaining: Sequence[Diagnostic], fixed: int, unsafe_fixes: bool, color: bool
) -> list[str]:
    return [
        _found_line(len(remaining), fixed, color),
        *_fixable_lines(remaining, unsafe_fixes, color),
    ]


def _found_line(remaining: int, fixed: int, color: bool) -> str:
    if fixed:
        total = fixed + remaining
        return f"Found {total} {_plural('error', total)} ({fixed} fixed, {remaining} remaining)."
    if remaining:
        return f"Found {remaining} {_plural('error', remaining)}."
    return paint_joined("All checks passed!", BOLD, GREEN, enabled=color)


def _fixable_lines(remaining: Sequence[Diagnostic], unsafe_fixes: bool, color: bool) -> list[str]:
    applicable, hidden = fixable_counts(remaining, unsafe_fixes)
    prefix = f"[{paint_joined('*', CYAN, enabled=color)}]"
    hint = f"{hidden} unsafe {_plural('fix', hidden)} available with `--fix --unsafe-fixes`"
    if applicable and hidden:
        return [f"{prefix} {applicable} fixable with `--fix` ({hint})."]
    if applicable:
        return [f"{prefix} {applicable} fixable with `--fix`."]
    if hidden:
        return [f"{hint}."]
    return []


def _fix_only_lines(
    remaining: Sequence[Diagnostic], fixed: int, unsafe_fixes: bool, *, applied: bool
) -> list[str]:
    _, hidden = fixable_counts(remaining, unsafe_fixes)
    errors = f"{fixed} {_plural('error', fixed)}"
    verb = "Fixed" if applied else "Would fix"
    available = f"{_plural('fix', hidden)} available with `--unsafe-fixes`"
    if hidden and fixed:
        return [f"{verb} {errors} ({hidden} additional {available})."]
    if hidden:
        nothing = "No errors fixed" if applied else "No errors would be fixed"
        return [f"{nothing} ({hidden} {available})."]
    return [f"{verb} {errors}."] if fixed else []


def fixable_counts(diagnostics: Sequence[Diagnostic], unsafe_fixes: bool) -> tuple[int, int]:
    """(fixes ``--fix`` would apply, unsafe fixes only ``--unsafe-fixes`` would enable)."""
    applicable = sum(is_fixable(diag, unsafe_fixes) for diag in diagnostics)
    hidden = sum(is_hidden_unsafe(diag, unsafe_fixes) for diag in diagnostics)
    return applicable, hidden


def _nonzero(fixed: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    tables = {
        name: {code: n for code, n in table.items() if n > 0} for name, table in fixed.items()
    }
    return {name: table for name, table in tables.items() if table}


def _total(fixed: Mapping[str, Mapping[str, int]]) -> int:
    return sum(sum(table.values()) for table in fixed.values())


def _plural(word: str, count: int) -> str:
    if count == 1:
        return word
    return word + ("es" if word.endswith("x") else "s")
