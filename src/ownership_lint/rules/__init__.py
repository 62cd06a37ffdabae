"""One module per rule; this list is the built-in part of the code table."""

from .own101_missing_auth_dependency import MissingAuthDependency
from .own201_missing_owner_check import MissingOwnerCheck

BUILTIN_RULES = (
    MissingAuthDependency,
    MissingOwnerCheck,
)

__all__ = ["BUILTIN_RULES"]
