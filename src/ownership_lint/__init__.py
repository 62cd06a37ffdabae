"""ownership-lint: find and fix broken user isolation in FastAPI backends."""

from __future__ import annotations

from importlib import import_module

# The one place the version is written; pyproject.toml reads it from here.
__version__ = "0.1.0"

# The public names, each imported from its module on first use: the command line imports
# only what a run needs (a cached run never loads the analysis).
_EXPORTS = {
    "Applicability": "diagnostics",
    "Case": "rule",
    "Diagnostic": "diagnostics",
    "Edit": "diagnostics",
    "Fix": "diagnostics",
    "FixAvailability": "rule",
    "FixPlan": "rule",
    "Location": "diagnostics",
    "ModuleContext": "analysis.context",
    "Rule": "rule",
    "RouteModel": "analysis.context",
    "Violation": "rule",
    "lint_paths": "api",
    "lint_source": "api",
    "resolve_settings": "api",
}

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


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
