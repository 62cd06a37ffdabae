"""The programmatic entry points the CLI, the flake8 plugin and other tools call."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

from .diagnostics import Diagnostic
from .engine import Linter, RunOptions, RunResult
from .registry import all_codes
from .selectors import is_known_selector
from .settings import Settings, find_project_root, load_settings
from .source import SourceFile


def resolve_settings(
    start: Path,
    *,
    config: Path | None = None,
    overrides: Mapping[str, object] | None = None,
    project_root: Path | None = None,
) -> Settings:
    """Settings for a run: the config file found from ``start`` plus overrides (field names)."""
    codes = all_codes()
    settings = load_settings(
        config,
        start=start,
        overrides={k: v for k, v in (overrides or {}).items() if v is not None},
        is_known_selector=lambda selector: is_known_selector(selector, codes),
    )
    root = project_root or settings.project_root or find_project_root(start)
    return dataclasses.replace(settings, project_root=root.resolve())


def lint_paths(
    paths: Sequence[Path], settings: Settings | None = None, options: RunOptions = RunOptions()
) -> RunResult:
    start = Path(paths[0]) if paths else Path.cwd()
    settings = settings or resolve_settings(start)
    root = settings.project_root or find_project_root(start)
    return Linter(settings, root, options).run([Path(p) for p in paths] or [Path.cwd()])


def lint_source(
    source: str,
    filename: str | Path,
    settings: Settings | None = None,
    options: RunOptions = RunOptions(),
) -> list[Diagnostic]:
    """Diagnostics for ``source`` as if it were the file ``filename`` of its project."""
    path = Path(filename).resolve()
    settings = settings or resolve_settings(path)
    root = settings.project_root or find_project_root(path)
    linter = Linter(settings, root, options)
    return linter.process(SourceFile(path=path, text=source)).diagnostics
