"""ownership-lint: find and fix broken user isolation in FastAPI backends."""

from importlib.metadata import PackageNotFoundError, version

from .analysis.context import ModuleContext, RouteModel
from .api import lint_paths, lint_source, resolve_settings
from .diagnostics import Applicability, Diagnostic, Edit, Fix, Location
from .rule import Case, FixAvailability, FixPlan, Rule, Violation

try:
    __version__ = version("ownership-lint")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "Applicability",
    "Case",
    "Diagnostic",
    "Edit",
    "Fix",
    "FixAvailability",
    "FixPlan",
    "Location",
    "ModuleContext",
    "Rule",
    "RouteModel",
    "Violation",
    "__version__",
    "lint_paths",
    "lint_source",
    "resolve_settings",
]
