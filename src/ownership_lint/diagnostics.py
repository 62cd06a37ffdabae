"""The data every rule produces and every front end consumes.

Shapes follow ruff's: 1-based rows and columns, columns counted in characters, a fix made of
text edits with an applicability.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Applicability(str, enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


@dataclass(frozen=True, order=True)
class Location:
    row: int
    column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text between ``location`` and ``end_location`` with ``content``."""

    content: str
    location: Location
    end_location: Location


@dataclass(frozen=True)
class Fix:
    applicability: Applicability
    message: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Diagnostic:
    """One finding. ``code`` is None for a file that does not parse (ruff's syntax errors)."""

    code: str | None
    name: str
    message: str
    filename: str
    location: Location
    end_location: Location
    fix: Fix | None = None
    fix_title: str | None = None
    noqa_row: int | None = None
    # Rows where a ``# noqa`` also suppresses this diagnostic (e.g. the first line of a
    # decorated function); not part of the JSON output.
    extra_noqa_rows: tuple[int, ...] = field(default=(), compare=False)
    url: str | None = None

    @property
    def is_syntax_error(self) -> bool:
        return self.code is None

    def sort_key(self) -> tuple:
        return (self.filename, self.location, self.code or "")
