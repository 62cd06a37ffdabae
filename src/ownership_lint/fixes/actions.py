"""The changes a rule can ask for. A function is addressed by its name and ``def`` line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FunctionRef:
    name: str
    line: int  # the line of the function's name, as ``ast`` reports ``lineno`` for ``def``


@dataclass(frozen=True)
class AddParameter:
    """Add ``name[: annotation][ = default]`` where Python allows it."""

    function: FunctionRef
    name: str
    annotation: str | None = None
    default: str | None = None


@dataclass(frozen=True)
class InsertStatements:
    """Insert ``code`` (statements, 4-space indented) as the first statements after the docstring."""

    function: FunctionRef
    code: str


@dataclass(frozen=True)
class AddImport:
    """``from module import name`` (or ``import module`` when ``name`` is None)."""

    module: str
    name: str | None = None


FixAction = AddParameter | InsertStatements | AddImport
