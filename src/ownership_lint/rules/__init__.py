"""One module per rule, named ``ownNNN_<rule-name>``; together they are the built-in code table."""

from __future__ import annotations

import importlib
import pkgutil

from ..rule import Rule


def _load() -> tuple[type[Rule], ...]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("own"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, Rule) and value.__module__ == module.__name__
        )
    return tuple(found)


BUILTIN_RULES = _load()

__all__ = ["BUILTIN_RULES"]
