"""Fixes as data (actions) and the libcst pass that applies them."""

from .actions import AddImport, AddParameter, FixAction, InsertStatements
from .apply import FixError, apply_actions, text_edits

__all__ = [
    "AddImport",
    "AddParameter",
    "FixAction",
    "FixError",
    "InsertStatements",
    "apply_actions",
    "text_edits",
]
