"""The public rule API: what a rule declares, what it reports, and its test cases."""

from __future__ import annotations

import ast
import enum
import inspect
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from .diagnostics import Applicability

if TYPE_CHECKING:
    from .analysis.context import ModuleContext
    from .fixes.actions import FixAction


class FixAvailability(str, enum.Enum):
    ALWAYS = "Fix is always available."
    SOMETIMES = "Fix is sometimes available."
    NONE = "Fix is not available."


@dataclass(frozen=True)
class FixPlan:
    """A fix described as data: the fixer turns the actions into text edits."""

    title: str
    actions: tuple[FixAction, ...]
    applicability: Applicability = Applicability.SAFE


@dataclass(frozen=True)
class Violation:
    """What a rule reports: the node to point at, the message and an optional fix."""

    node: ast.AST
    message: str
    fix: FixPlan | None = None
    fix_title: str | None = None
    noqa_node: ast.AST | None = None  # the statement whose first line also takes a noqa


@dataclass(frozen=True)
class Case:
    """A rule example executed as a test.

    ``files`` holds the other modules of the example project (relative path -> source); the
    example itself is ``path``. ``fixed`` is the expected source after ``--fix`` (None: the
    rule offers no fix for it).
    """

    source: str
    fixed: str | None = None
    id: str = ""
    path: str = "app.py"
    files: Mapping[str, str] = field(default_factory=dict)
    settings: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", textwrap.dedent(self.source).lstrip("\n"))
        if self.fixed is not None:
            object.__setattr__(self, "fixed", textwrap.dedent(self.fixed).lstrip("\n"))
        object.__setattr__(
            self,
            "files",
            {path: textwrap.dedent(text).lstrip("\n") for path, text in self.files.items()},
        )


# What a file must mention for a rule to have anything to look at. The engine skips a file
# that mentions no marker of any enabled rule after a byte scan, and a rule whose markers
# the file lacks; both are exact byte searches, so they must be generous.
ROUTE_MARKERS = (b"router", b"Router", b"@app.", b"add_api_route", b"FastAPI")
QUERY_MARKERS = (b"select(", b".query(", b"update(", b"delete(")
TOKEN_MARKERS = (b"jwt", b"jose", b"JWT")
AUTH_MARKERS = (*TOKEN_MARKERS, b"token", b"Token", b"credentials", b"OAuth2", b"Bearer", b"APIKey")
# Status rules also look at guard dependencies and helpers that raise HTTPException.
STATUS_MARKERS = (*ROUTE_MARKERS, b"HTTPException", b"Depends", b"Security")
ANY_MARKERS = (
    *ROUTE_MARKERS, *QUERY_MARKERS, *TOKEN_MARKERS, b"fastapi", b"sqlmodel", b"sqlalchemy",
    b"Depends", b"Security", b"HTTPException",
)


class Rule:
    """Base class of every rule. The class docstring is the rule's documentation."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    message_formats: ClassVar[tuple[str, ...]] = ()
    fix_availability: ClassVar[FixAvailability] = FixAvailability.NONE
    preview: ClassVar[bool] = False
    markers: ClassVar[tuple[bytes, ...]] = ANY_MARKERS
    # What else the file must contain for the rule to have anything to report (``markers``:
    # any of them): every entry, a byte string or a tuple of byte strings one of which is
    # enough. Exact byte searches too, so they must be generous.
    requires: ClassVar[tuple[bytes | tuple[bytes, ...], ...]] = ()
    # Metadata for ``rule --output-format json`` (ruff's fields) and SARIF.
    linter: ClassVar[str] = "ownership-lint"
    category: ClassVar[str] = "security"
    since: ClassVar[str] = "0.1.0"
    # GitHub code scanning: a CVSS-like score "0.0".."10.0" (>= 7.0 is high) and CWE ids.
    security_severity: ClassVar[str | None] = "8.1"
    cwe: ClassVar[tuple[int, ...]] = ()
    VALID: ClassVar[tuple[Case, ...]] = ()
    INVALID: ClassVar[tuple[Case, ...]] = ()

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        raise NotImplementedError

    @classmethod
    def explanation(cls) -> str:
        # cleandoc, not dedent: the docstring's first line starts right after the quotes.
        return inspect.cleandoc(cls.__doc__ or "").strip() + "\n"

    @classmethod
    def url(cls) -> str:
        return f"{DOCS_URL}/{cls.code}.md"

    @classmethod
    def tags(cls) -> tuple[str, ...]:
        """SARIF ``properties.tags``: ``security`` and ``external/cwe/cwe-N`` as GitHub reads them."""
        return (cls.category, *(f"external/cwe/cwe-{number}" for number in cls.cwe))

    @classmethod
    def status(cls) -> dict[str, dict[str, str]]:
        return {"Preview" if cls.preview else "Stable": {"since": cls.since}}

    @classmethod
    def source_location(cls) -> dict[str, object]:
        """The class's file relative to its top-level package's parent, and its line."""
        import sys
        from pathlib import Path

        try:
            file = Path(inspect.getsourcefile(cls) or "")
            _, line = inspect.getsourcelines(cls)
        except (OSError, TypeError):
            return {"file": None, "line": None}
        top = sys.modules[cls.__module__.split(".")[0]]
        roots = [Path(p).parent for p in getattr(top, "__path__", [])] or [Path(top.__file__ or "").parent]
        for root in roots:
            try:
                return {"file": file.resolve().relative_to(root.resolve()).as_posix(), "line": line}
            except ValueError:
                continue
        return {"file": file.name, "line": line}


DOCS_URL = "https://github.com/ownership-lint/ownership-lint/blob/main/docs/rules"
